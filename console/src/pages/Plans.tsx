import { useState } from 'react';
import { get, post, query } from '../api.js';
import { formatDate, formatMoney, minorDigits } from '../format.js';
import { Link, useRouter } from '../router.js';
import type { Benefit, Plan, Quote } from '../types.js';
import { Card, CreateForm, ErrorBanner, Field, FormError, ListPage, Loading, Opener, PagedTable, PageHeader, TextField, useLoad, usePaged, useSubmit } from '../ui.js';
import { newPriceRow, priceRulesBody, PriceRulesEditor, type PriceRow } from './PriceRules.js';

export function describePrices(plan: Plan): string {
  return [...plan.prices]
    .sort((a, b) => (b.minLoyaltyScore ?? -1) - (a.minLoyaltyScore ?? -1))
    .map((p) => `${formatMoney(p.amount)} ${p.minLoyaltyScore === null ? '(default)' : `(score ≥ ${p.minLoyaltyScore})`}`)
    .join(' · ');
}

function BenefitPicker({ selected, onChange }: { selected: string[]; onChange: (ids: string[]) => void }) {
  const benefits = useLoad(() => get<{ data: Benefit[] }>('/v1/benefits'), []);
  if (benefits.error) return <ErrorBanner error={benefits.error} />;
  if (!benefits.data) return <Loading what="benefits" />;
  if (benefits.data.data.length === 0) return <p className="muted">No benefits yet (create them under Benefits).</p>;
  return (
    <div className="checks">
      {benefits.data.data.map((b) => (
        <label key={b.id} className="check">
          <input
            type="checkbox"
            checked={selected.includes(b.id)}
            onChange={(e) => onChange(e.target.checked ? [...selected, b.id] : selected.filter((id) => id !== b.id))}
          />
          {b.name} <span className="muted">({b.kind.replace(/_/g, ' ')})</span>
        </label>
      ))}
    </div>
  );
}

function CreatePlan({ onCreated }: { onCreated: (plan: Plan) => void }) {
  const [code, setCode] = useState('');
  const [name, setName] = useState('');
  const [term, setTerm] = useState('P1Y');
  const [trial, setTrial] = useState('');
  const [currency, setCurrency] = useState('CNY');
  const [rows, setRows] = useState<PriceRow[]>(() => [newPriceRow('1000', '88'), newPriceRow('', '888')]);
  const [benefitIds, setBenefitIds] = useState<string[]>([]);
  const form = useSubmit(
    () =>
      post<Plan>('/v1/plans', {
        code,
        name,
        term,
        currency,
        ...(trial.trim() ? { trial: trial.trim() } : {}),
        prices: priceRulesBody(rows, currency),
        ...(benefitIds.length ? { benefitIds } : {}),
      }),
    onCreated,
  );
  const fields = ['code', 'name', 'term', 'trial', 'currency', 'prices', 'benefitIds'];
  return (
    <CreateForm
      label="Create a plan"
      form={form}
      fields={fields}
      submitLabel={form.busy ? 'Creating…' : 'Create plan'}
      below={
        <>
          <PriceRulesEditor rows={rows} onChange={setRows} currency={currency || 'CNY'} error={form.error} />
          <Field label="Benefits granted each term" param="benefitIds" error={form.error}>
            <BenefitPicker selected={benefitIds} onChange={setBenefitIds} />
          </Field>
        </>
      }
    >
      <TextField label="Code" name="code" error={form.error} hint="Your stable identifier, e.g. vip-annual" value={code} onChange={setCode} />
      <TextField label="Name" name="name" error={form.error} value={name} onChange={setName} />
      <TextField label="Term" name="term" error={form.error} hint="ISO 8601: P1Y a year, P1M a month" value={term} onChange={setTerm} />
      <TextField label="Trial (optional)" name="trial" error={form.error} hint="e.g. P7D" value={trial} onChange={setTrial} />
      <TextField label="Currency" name="currency" error={form.error} value={currency} maxLength={3} onChange={(v) => setCurrency(v.toUpperCase())} />
    </CreateForm>
  );
}

export function Plans() {
  const plans = usePaged<Plan>('/v1/plans');
  const { navigate } = useRouter();
  return (
    <ListPage title="Plans & prices" noun="plan" create={() => <CreatePlan onCreated={(plan) => navigate(`/plans/${plan.id}`)} />}>
      <Card>
        <PagedTable paged={plans} empty="No plans yet.">
          <table data-testid="plans-table">
            <thead>
              <tr>
                <th>Plan</th>
                <th>Code</th>
                <th>Term</th>
                <th>Prices</th>
                <th>Version</th>
                <th>Benefits</th>
              </tr>
            </thead>
            <tbody>
              {plans.items.map((p) => (
                <tr key={p.id}>
                  <td>
                    <Link to={`/plans/${p.id}`}>{p.name}</Link>
                  </td>
                  <td>
                    <code>{p.code}</code>
                  </td>
                  <td>{p.term}</td>
                  <td>{describePrices(p)}</td>
                  <td>v{p.version}</td>
                  <td>{p.benefitIds.length}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </PagedTable>
      </Card>
    </ListPage>
  );
}

function NewVersion({ plan, onDone }: { plan: Plan; onDone: () => void }) {
  const [rows, setRows] = useState<PriceRow[]>(() =>
    plan.prices.map((p) => newPriceRow(p.minLoyaltyScore === null ? '' : String(p.minLoyaltyScore), String(p.amount.amount / 10 ** minorDigits(plan.currency)))),
  );
  const [benefitIds, setBenefitIds] = useState<string[]>(plan.benefitIds);
  const form = useSubmit(() => post<Plan>(`/v1/plans/${plan.id}/versions`, { prices: priceRulesBody(rows, plan.currency), benefitIds }), onDone);
  return (
    <form onSubmit={form.submit} className="form" aria-label="New version">
      <p className="muted">A new version applies to new subscriptions and renewals; current terms keep the price they were sold at.</p>
      <PriceRulesEditor rows={rows} onChange={setRows} currency={plan.currency} error={form.error} />
      <Field label="Benefits" param="benefitIds" error={form.error}>
        <BenefitPicker selected={benefitIds} onChange={setBenefitIds} />
      </Field>
      <FormError error={form.error} fields={['prices', 'benefitIds']} />
      <button type="submit" disabled={form.busy}>
        Save as version {plan.version + 1}
      </button>
    </form>
  );
}

function QuoteBox({ planId }: { planId: string }) {
  const [memberId, setMemberId] = useState('');
  const [quote, setQuote] = useState<Quote | null>(null);
  const form = useSubmit(() => get<Quote>(`/v1/plans/${planId}/quote${query({ memberId: memberId.trim() })}`), setQuote);
  return (
    <form onSubmit={form.submit} className="inline-form">
      <TextField label="Member id" name="memberId" error={form.error} value={memberId} onChange={setMemberId} placeholder="mem_…" />
      <button type="submit" disabled={form.busy || !memberId.trim()}>
        Quote
      </button>
      <FormError error={form.error} fields={['memberId']} />
      {quote && (
        <p className="quote" data-testid="quote">
          <strong>{formatMoney(quote.price)}</strong> — {quote.rule.description} (loyalty score {quote.loyaltyScore}, version {quote.planVersion})
        </p>
      )}
    </form>
  );
}

export function PlanDetail({ id }: { id: string }) {
  const versions = useLoad(() => get<{ data: Plan[] }>(`/v1/plans/${id}/versions`), [id]);
  const benefits = useLoad(() => get<{ data: Benefit[] }>('/v1/benefits'), []);
  const plan = versions.data?.data.reduce<Plan | undefined>((latest, v) => (!latest || v.version > latest.version ? v : latest), undefined);
  if (versions.error) return <ErrorBanner error={versions.error} />;
  if (!plan) return <Loading what="the plan" />;
  return (
    <>
      <PageHeader title={plan.name}>
        <Link to="/plans">All plans</Link>
      </PageHeader>
      <Card title="Current version">
        <dl className="facts">
          <dt>Id</dt>
          <dd>
            <code>{plan.id}</code>
          </dd>
          <dt>Code</dt>
          <dd>{plan.code}</dd>
          <dt>Term</dt>
          <dd>
            {plan.term}
            {plan.trial ? ` (trial ${plan.trial})` : ''}
          </dd>
          <dt>Version</dt>
          <dd>v{plan.version}</dd>
          <dt>Benefits</dt>
          <dd data-testid="plan-benefits">
            {plan.benefitIds.length === 0
              ? 'none'
              : plan.benefitIds.map((bid) => benefits.data?.data.find((b) => b.id === bid)?.name ?? bid).join(' · ')}
          </dd>
        </dl>
        <table data-testid="plan-prices">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Min. loyalty score</th>
              <th>Price</th>
            </tr>
          </thead>
          <tbody>
            {plan.prices.map((p, i) => (
              <tr key={i}>
                <td>{i + 1}</td>
                <td>{p.minLoyaltyScore ?? 'default'}</td>
                <td>{formatMoney(p.amount)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <Opener label="Change prices or benefits" className="secondary">
          {(close) => (
            <NewVersion
              plan={plan}
              onDone={() => {
                close();
                versions.reload();
              }}
            />
          )}
        </Opener>
      </Card>
      <Card title="Quote for a member">
        <QuoteBox planId={plan.id} />
      </Card>
      <Card title="Price versions">
        <table data-testid="plan-versions">
          <thead>
            <tr>
              <th>Version</th>
              <th>Prices</th>
              <th>Benefits</th>
              <th>Since</th>
            </tr>
          </thead>
          <tbody>
            {[...(versions.data?.data ?? [])]
              .sort((a, b) => b.version - a.version)
              .map((v) => (
                <tr key={v.versionId}>
                  <td>v{v.version}</td>
                  <td>{describePrices(v)}</td>
                  <td>{v.benefitIds.length}</td>
                  <td>{formatDate(v.updatedAt)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </Card>
    </>
  );
}
