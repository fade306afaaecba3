import { useState } from 'react';
import { get, post } from '../api.js';
import { formatDate, formatMoney, toMinor } from '../format.js';
import type { Benefit, BenefitKind, Pool } from '../types.js';
import { Card, Empty, PartnerSuggestions, ErrorBanner, Field, FormError, Loading, PageHeader, useLoad, useSubmit } from '../ui.js';

const KINDS: Array<{ kind: BenefitKind; label: string }> = [
  { kind: 'partner_membership', label: 'Partner membership (activated by the partner)' },
  { kind: 'discount', label: 'Discount (asked about at checkout)' },
  { kind: 'points_grant', label: 'Points grant' },
  { kind: 'pool_code', label: 'Code from a pool' },
];

export function describeBenefit(b: Benefit): string {
  switch (b.kind) {
    case 'partner_membership':
      return `${b.membership ?? 'membership'} at ${b.partner ?? 'partner'}`;
    case 'discount':
      return `${(b.percentBp ?? 0) / 100}% off${b.maxDiscount ? ` (at most ${formatMoney(b.maxDiscount)})` : ''}${
        b.merchants?.length ? ` at ${b.merchants.join(', ')}` : ''
      }${b.categories?.length ? ` in ${b.categories.join(', ')}` : ''}`;
    case 'points_grant':
      return `${b.points ?? 0} points`;
    case 'pool_code':
      return `a code from ${b.poolId ?? 'a pool'}`;
  }
}

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function CreateBenefit({ onCreated }: { onCreated: () => void }) {
  const [kind, setKind] = useState<BenefitKind>('partner_membership');
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [partner, setPartner] = useState('');
  const [membership, setMembership] = useState('');
  const [percent, setPercent] = useState('5');
  const [merchants, setMerchants] = useState('');
  const [categories, setCategories] = useState('');
  const [maxDiscount, setMaxDiscount] = useState('');
  const [points, setPoints] = useState('');
  const [poolId, setPoolId] = useState('');
  const pools = useLoad(() => get<{ data: Pool[] }>('/v1/pools?limit=100'), []);

  const body = (): Record<string, unknown> => {
    const base = { code, name, kind };
    switch (kind) {
      case 'partner_membership':
        return { ...base, partner, membership };
      case 'discount': {
        const bp = Math.round(Number(percent) * 100);
        const max = toMinor(maxDiscount, 'CNY');
        return {
          ...base,
          percentBp: Number.isFinite(bp) ? bp : percent,
          ...(list(merchants).length ? { merchants: list(merchants) } : {}),
          ...(list(categories).length ? { categories: list(categories) } : {}),
          ...(maxDiscount.trim() ? { maxDiscount: { amount: max ?? maxDiscount, currency: 'CNY' } } : {}),
        };
      }
      case 'points_grant':
        return { ...base, points: /^\d+$/.test(points) ? Number(points) : points };
      case 'pool_code':
        return { ...base, poolId };
    }
  };
  const form = useSubmit(() => post<Benefit>('/v1/benefits', body()), onCreated);
  const fields = ['code', 'name', 'kind', 'partner', 'membership', 'percentBp', 'merchants', 'categories', 'maxDiscount', 'points', 'poolId'];
  return (
    <form onSubmit={form.submit} className="form" aria-label="Create a benefit">
      <div className="form-grid">
        <Field label="Kind" param="kind" error={form.error}>
          <select name="kind" value={kind} onChange={(e) => setKind(e.target.value as BenefitKind)}>
            {KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Code" param="code" error={form.error}>
          <input name="code" value={code} onChange={(e) => setCode(e.target.value)} />
        </Field>
        <Field label="Name" param="name" error={form.error}>
          <input name="name" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        {kind === 'partner_membership' && (
          <>
            <Field label="Partner" param="partner" error={form.error}>
              <input name="partner" list="benefit-partners" value={partner} onChange={(e) => setPartner(e.target.value)} placeholder="youku" />
              <PartnerSuggestions id="benefit-partners" />
            </Field>
            <Field label="Membership" param="membership" error={form.error}>
              <input name="membership" value={membership} onChange={(e) => setMembership(e.target.value)} placeholder="Youku VIP annual" />
            </Field>
          </>
        )}
        {kind === 'discount' && (
          <>
            <Field label="Percent off" param="percentBp" error={form.error}>
              <input name="percent" value={percent} onChange={(e) => setPercent(e.target.value)} />
            </Field>
            <Field label="Merchants (comma-separated)" param="merchants" error={form.error}>
              <input name="merchants" value={merchants} onChange={(e) => setMerchants(e.target.value)} />
            </Field>
            <Field label="Categories (comma-separated)" param="categories" error={form.error}>
              <input name="categories" value={categories} onChange={(e) => setCategories(e.target.value)} />
            </Field>
            <Field label="Max. discount (CNY, optional)" param="maxDiscount" error={form.error}>
              <input name="maxDiscount" value={maxDiscount} onChange={(e) => setMaxDiscount(e.target.value)} />
            </Field>
          </>
        )}
        {kind === 'points_grant' && (
          <Field label="Points" param="points" error={form.error}>
            <input name="points" value={points} onChange={(e) => setPoints(e.target.value)} />
          </Field>
        )}
        {kind === 'pool_code' && (
          <Field label="Pool" param="poolId" error={form.error}>
            <select name="poolId" value={poolId} onChange={(e) => setPoolId(e.target.value)}>
              <option value="">Choose a pool…</option>
              {pools.data?.data.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({p.available} available)
                </option>
              ))}
            </select>
          </Field>
        )}
      </div>
      <FormError error={form.error} fields={fields} />
      <button type="submit" disabled={form.busy}>
        Create benefit
      </button>
    </form>
  );
}

export function Benefits() {
  const benefits = useLoad(() => get<{ data: Benefit[] }>('/v1/benefits'), []);
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHeader title="Benefits">
        <button type="button" onClick={() => setCreating((c) => !c)}>
          {creating ? 'Close' : 'New benefit'}
        </button>
      </PageHeader>
      {creating && (
        <Card title="New benefit">
          <CreateBenefit
            onCreated={() => {
              setCreating(false);
              benefits.reload();
            }}
          />
        </Card>
      )}
      <Card>
        <ErrorBanner error={benefits.error} />
        {!benefits.data ? (
          !benefits.error && <Loading />
        ) : benefits.data.data.length === 0 ? (
          <Empty>No benefits yet.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Benefit</th>
                <th>Code</th>
                <th>Kind</th>
                <th>What the member gets</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {benefits.data.data.map((b) => (
                <tr key={b.id}>
                  <td>{b.name}</td>
                  <td>
                    <code>{b.code}</code>
                  </td>
                  <td>{b.kind.replace(/_/g, ' ')}</td>
                  <td>{describeBenefit(b)}</td>
                  <td>{formatDate(b.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}
