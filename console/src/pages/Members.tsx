import { useState } from 'react';
import { get } from '../api.js';
import { formatDate, formatDay, formatMoney, formatNumber } from '../format.js';
import { findMember } from '../members.js';
import { Link, useRouter } from '../router.js';
import type { Benefit, CatalogItem, Entitlement, Plan, LedgerTransaction, LoyaltyStatus, Member, PointsSummary, Redemption, Subscription } from '../types.js';
import { Card, ErrorBanner, FormError, Loading, PagedTable, PageHeader, Stat, StatusBadge, TextField, useLoad, usePaged, useSubmit, WhenLoaded } from '../ui.js';

export function MemberSearch({ onFound, label = 'Find a member' }: { onFound: (member: Member) => void; label?: string }) {
  const [text, setText] = useState('');
  const [note, setNote] = useState<string | null>(null);
  const form = useSubmit(
    async () => {
      setNote(null);
      return findMember(text);
    },
    (member) => {
      if (member) onFound(member);
      else setNote(`No member with id or externalId “${text.trim()}”.`);
    },
  );
  return (
    <form className="inline-form" onSubmit={form.submit} role="search">
      <TextField label={label} name="memberSearch" param="externalId" error={form.error} value={text} onChange={setText} placeholder="externalId or mem_…" />
      <button type="submit" disabled={form.busy || !text.trim()}>
        {form.busy ? 'Searching…' : 'Search'}
      </button>
      <FormError error={form.error} fields={['externalId']} />
      {note && <p className="muted">{note}</p>}
    </form>
  );
}

export function Members() {
  const members = usePaged<Member>('/v1/members');
  const { navigate } = useRouter();
  return (
    <>
      <PageHeader title="Members" />
      <Card>
        <MemberSearch onFound={(m) => navigate(`/members/${m.id}`)} />
      </Card>
      <Card title="Newest members">
        <PagedTable paged={members} empty="No members yet.">
          <table>
            <thead>
              <tr>
                <th>Member</th>
                <th>External id</th>
                <th className="num">Points</th>
                <th className="num">Loyalty score</th>
                <th>Joined</th>
              </tr>
            </thead>
            <tbody>
              {members.items.map((m) => (
                <tr key={m.id}>
                  <td>
                    <Link to={`/members/${m.id}`}>{m.displayName ?? m.id}</Link>
                  </td>
                  <td>{m.externalId}</td>
                  <td className="num">{formatNumber(m.pointsBalance)}</td>
                  <td className="num">{formatNumber(m.loyaltyScore)}</td>
                  <td>{formatDate(m.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </PagedTable>
      </Card>
    </>
  );
}

function ScoreBreakdown({ loyalty }: { loyalty: LoyaltyStatus }) {
  const b = loyalty.breakdown;
  const rows: Array<[string, number, string]> = [
    ['Spend', b.spend, `${formatMoney({ amount: b.netSpend, currency: loyalty.rules.currency })} net spend ÷ ${formatMoney({ amount: loyalty.rules.spendPerPoint, currency: loyalty.rules.currency })} per point`],
    ['Orders', b.orders, `${b.orderCount} orders × ${loyalty.rules.perOrder}`],
    ['Activity', b.activity, `${b.activeDays} active days × ${loyalty.rules.perActiveDay}`],
    ['Adjustments', b.adjustments, 'by hand'],
  ];
  if (b.capped) rows.push(['Capped', -b.capped, `at most ${loyalty.rules.maxScore}`]);
  return (
    <>
      <table data-testid="score-breakdown">
        <tbody>
          {rows.map(([label, points, how]) => (
            <tr key={label}>
              <td>{label}</td>
              <td className="num">{formatNumber(points)}</td>
              <td className="muted">{how}</td>
            </tr>
          ))}
          <tr className="total">
            <td>Score</td>
            <td className="num">{formatNumber(loyalty.score)}</td>
            <td className="muted">
              window {formatDate(b.windowStart)} → {formatDate(b.windowEnd)} ({loyalty.rules.windowDays} days)
            </td>
          </tr>
        </tbody>
      </table>
    </>
  );
}

export function MemberDetail({ id }: { id: string }) {
  const member = useLoad(() => get<Member>(`/v1/members/${id}`), [id]);
  const loyalty = useLoad(() => get<LoyaltyStatus>(`/v1/members/${id}/loyalty`), [id]);
  const points = useLoad(() => get<PointsSummary>(`/v1/members/${id}/points`), [id]);
  const subscriptions = usePaged<Subscription>(`/v1/members/${id}/subscriptions`, 10);
  const entitlements = usePaged<Entitlement>(`/v1/members/${id}/entitlements`, 20);
  const transactions = usePaged<LedgerTransaction>(`/v1/members/${id}/points/transactions`, 20);
  const redemptions = usePaged<Redemption>(`/v1/members/${id}/redemptions`, 10);
  const plans = useLoad(() => get<{ data: Plan[] }>('/v1/plans?limit=100'), []);
  const benefits = useLoad(() => get<{ data: Benefit[] }>('/v1/benefits'), []);
  const items = useLoad(() => get<{ data: CatalogItem[] }>('/v1/catalog/items?limit=100&includeArchived=true'), []);
  const planName = (planId: string) => plans.data?.data.find((p) => p.id === planId)?.name ?? planId;
  const benefitName = (benefitId: string) => benefits.data?.data.find((b) => b.id === benefitId)?.name ?? benefitId;
  const itemName = (itemId: string) => items.data?.data.find((i) => i.id === itemId)?.name ?? itemId;
  if (member.error) return <ErrorBanner error={member.error} />;
  if (!member.data) return <Loading what="the member" />;
  const m = member.data;
  return (
    <>
      <PageHeader title={m.displayName ?? m.externalId}>
        <Link to={`/member-centre?memberId=${m.id}`}>Open in the member centre</Link>
        <Link to="/members">All members</Link>
      </PageHeader>
      <Card>
        <div className="stats">
          <Stat label="points" value={formatNumber(m.pointsBalance)} testId="member-points" />
          <Stat label="loyalty score" value={formatNumber(m.loyaltyScore)} />
          <Stat
            label="next expiry"
            value={points.data?.nextExpiry ? `${formatNumber(points.data.nextExpiry.points)} on ${formatDate(points.data.nextExpiry.expiresAt)}` : 'none'}
          />
        </div>
        <p className="muted">
          <code>{m.id}</code> · external id <code>{m.externalId}</code> · since {formatDate(m.createdAt)}
        </p>
      </Card>
      <div className="two-columns">
        <Card title="Subscription">
          <PagedTable paged={subscriptions} empty="No subscription." emptyOnError>
            <table data-testid="member-subscriptions">
              <thead>
                <tr>
                  <th>Plan</th>
                  <th>Status</th>
                  <th>Price</th>
                  <th>Term</th>
                </tr>
              </thead>
              <tbody>
                {subscriptions.items.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <Link to={`/plans/${s.planId}`}>{planName(s.planId)}</Link>
                    </td>
                    <td>
                      <StatusBadge status={s.status} />
                      {s.cancelAtPeriodEnd ? ' (ends at period end)' : ''}
                    </td>
                    <td>
                      {formatMoney(s.price)} <span className="muted">({s.priceRule.description}, score {s.loyaltyScoreUsed})</span>
                    </td>
                    <td className="nowrap">
                      {formatDay(s.currentPeriod.start)} → {formatDay(s.currentPeriod.end)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </PagedTable>
        </Card>
        <Card title="Loyalty score">
          <WhenLoaded load={loyalty}>{(data) => <ScoreBreakdown loyalty={data} />}</WhenLoaded>
        </Card>
      </div>
      <Card title="Entitlements">
        <PagedTable paged={entitlements} empty="No entitlements." emptyOnError>
          <table data-testid="member-entitlements">
            <thead>
              <tr>
                <th>Benefit</th>
                <th>Kind</th>
                <th>Status</th>
                <th>Valid</th>
              </tr>
            </thead>
            <tbody>
              {entitlements.items.map((e) => (
                <tr key={e.id}>
                  <td>{benefitName(e.benefitId)}</td>
                  <td>{e.kind.replace(/_/g, ' ')}</td>
                  <td>
                    <StatusBadge status={e.status} />
                  </td>
                  <td>
                    {formatDate(e.validFrom)} → {formatDate(e.validUntil)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </PagedTable>
      </Card>
      <div className="two-columns">
        <Card title="Points history">
          <PagedTable paged={transactions} empty="No points yet.">
            <table data-testid="member-points-history">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Kind</th>
                  <th className="num">Points</th>
                  <th>Reason</th>
                </tr>
              </thead>
              <tbody>
                {transactions.items.map((t) => (
                  <tr key={t.id}>
                    <td className="nowrap">{formatDate(t.createdAt)}</td>
                    <td>{t.kind}</td>
                    <td className={`num ${t.points < 0 ? 'negative' : 'positive'}`}>
                      {t.points > 0 ? '+' : ''}
                      {formatNumber(t.points)}
                    </td>
                    <td>{t.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </PagedTable>
        </Card>
        <Card title="Redemptions">
          <PagedTable paged={redemptions} empty="No redemptions." emptyOnError>
            <table data-testid="member-redemptions">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Item</th>
                  <th>Code</th>
                  <th className="num">Points</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {redemptions.items.map((r) => (
                  <tr key={r.id}>
                    <td className="nowrap">{formatDate(r.createdAt)}</td>
                    <td>{itemName(r.itemId)}</td>
                    <td>
                      <code>{r.maskedCode ?? '—'}</code>
                    </td>
                    <td className="num">{formatNumber(r.pointsSpent)}</td>
                    <td>
                      <StatusBadge status={r.status} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </PagedTable>
        </Card>
      </div>
    </>
  );
}
