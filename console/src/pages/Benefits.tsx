import { useState } from 'react';
import { get, post } from '../api.js';
import { formatDate, formatMoney, toMinor } from '../format.js';
import type { Benefit, BenefitKind, Pool } from '../types.js';
import { Card, CreateForm, Field, ListPage, PartnerSuggestions, TextField, useLoad, useSubmit, WhenLoaded } from '../ui.js';

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
    <CreateForm label="Create a benefit" form={form} fields={fields} submitLabel="Create benefit">
      <Field label="Kind" param="kind" error={form.error}>
        <select name="kind" value={kind} onChange={(e) => setKind(e.target.value as BenefitKind)}>
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </Field>
      <TextField label="Code" name="code" error={form.error} value={code} onChange={setCode} />
      <TextField label="Name" name="name" error={form.error} value={name} onChange={setName} />
      {kind === 'partner_membership' && (
        <>
          <TextField label="Partner" name="partner" error={form.error} list="benefit-partners" value={partner} onChange={setPartner} placeholder="youku">
            <PartnerSuggestions id="benefit-partners" />
          </TextField>
          <TextField label="Membership" name="membership" error={form.error} value={membership} onChange={setMembership} placeholder="Youku VIP annual" />
        </>
      )}
      {kind === 'discount' && (
        <>
          <TextField label="Percent off" name="percent" param="percentBp" error={form.error} value={percent} onChange={setPercent} />
          <TextField label="Merchants (comma-separated)" name="merchants" error={form.error} value={merchants} onChange={setMerchants} />
          <TextField label="Categories (comma-separated)" name="categories" error={form.error} value={categories} onChange={setCategories} />
          <TextField label="Max. discount (CNY, optional)" name="maxDiscount" error={form.error} value={maxDiscount} onChange={setMaxDiscount} />
        </>
      )}
      {kind === 'points_grant' && (
        <TextField label="Points" name="points" error={form.error} value={points} onChange={setPoints} />
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
    </CreateForm>
  );
}

export function Benefits() {
  const benefits = useLoad(() => get<{ data: Benefit[] }>('/v1/benefits'), []);
  return (
    <ListPage
      title="Benefits"
      noun="benefit"
      create={(close) => (
        <CreateBenefit
          onCreated={() => {
            close();
            benefits.reload();
          }}
        />
      )}
    >
      <Card>
        <WhenLoaded load={benefits} isEmpty={(data) => data.data.length === 0} empty="No benefits yet.">
          {(data) => (
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
                {data.data.map((b) => (
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
        </WhenLoaded>
      </Card>
    </ListPage>
  );
}
