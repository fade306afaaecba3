import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, LabelList, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { get, query } from '../api.js';
import { formatDay, formatMoney, formatNumber, formatPercent } from '../format.js';
import type { Money } from '../types.js';
import { Card, Empty, ErrorBanner, PageHeader, Stat, useLoad, WhenLoaded } from '../ui.js';

interface MembersAnswer {
  totals: { registered: number; subscribers: number; newRegistered: number; newSubscribers: number };
  series: Array<{ start: string; end: string; registered: number; newRegistered: number; subscribers: number; newSubscribers: number; active: number }>;
}
interface ConversionAnswer {
  from: string;
  to: string;
  complete?: boolean;
  withinDays: number;
  cohortSize: number;
  partners: Array<{ partnerId: string; partnerCode: string; name: string; converted: number; cohortSize: number; per100: number }>;
}
interface LiabilityAnswer {
  asOf: string;
  outstanding: number;
  costPerPoint: Money;
  value: Money;
  expiringWithin30Days: number;
  series: Array<{ start: string; end: string; earned: number; spent: number; expired: number; net: number; outstanding: number }>;
}
interface StockAnswer {
  asOf: string;
  pools: Array<{ poolId: string; name: string; onHand: number; issuedLast7Days: number; burnPerDay: number; daysLeft: number | null }>;
}

interface SpendSide {
  count: number;
  orders: number;
  spend: Money;
  perMember: Money;
}
interface SpendAnswer {
  members: SpendSide;
  nonMembers: SpendSide;
  ratio: number | null;
}
interface BenefitCostAnswer {
  members: number;
  codes: { issued: number; cost: Money };
  revenueShares: { amount: Money };
  total: Money;
  perMember: Money;
}
interface FunnelAnswer {
  cheapestItemPoints: number | null;
  stages: { members: number; withPoints: number; couldAfford: number; redeemed: number };
  redemptions: number;
  pointsSpent: number;
}
interface RetentionAnswer {
  cohorts: Array<{ cohort: string; size: number; live: number; liveShare: number | null; renewals: Array<{ term: number; renewed: number; share: number | null }> }>;
}

const RANGES = [
  { days: 30, label: 'Last 30 days', interval: 'day' },
  { days: 90, label: 'Last 90 days', interval: 'week' },
  { days: 365, label: 'Last 12 months', interval: 'month' },
] as const;

const compact = (n: unknown) => (typeof n === 'number' ? new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 }).format(n) : String(n));
const COLORS = { primary: '#2f5bea', second: '#16a34a', third: '#f59e0b', muted: '#94a3b8' };

function ChartCard({
  title,
  figure,
  figureLabel,
  testId,
  children,
  note,
}: {
  title: string;
  figure: string;
  figureLabel: string;
  testId: string;
  children: React.ReactNode;
  note?: React.ReactNode;
}) {
  return (
    <Card className="chart-card" testId={testId}>
      <div className="chart-head">
        <h2>{title}</h2>
        <div className="chart-figure">
          <div className="stat-value" data-testid={`${testId}-figure`}>
            {figure}
          </div>
          <div className="stat-label">{figureLabel}</div>
        </div>
      </div>
      <div className="chart-body">{children}</div>
      {note && <div className="chart-note">{note}</div>}
    </Card>
  );
}

export function Dashboard() {
  const [rangeIndex, setRangeIndex] = useState(0);
  const range = RANGES[rangeIndex] ?? RANGES[0];
  // The first range is the API's own default (the 30 days to the server's now); longer ones start on a date.
  const params = rangeIndex === 0 ? {} : { from: new Date(Date.now() - range.days * 86_400_000).toISOString().slice(0, 10) };
  const members = useLoad(() => get<MembersAnswer>(`/v1/analytics/members${query({ ...params, interval: range.interval })}`), [rangeIndex]);
  const conversion = useLoad(() => get<ConversionAnswer>(`/v1/analytics/conversion${query(params)}`), [rangeIndex]);
  const liability = useLoad(() => get<LiabilityAnswer>(`/v1/analytics/points-liability${query({ ...params, interval: range.interval })}`), [rangeIndex]);
  const stock = useLoad(() => get<StockAnswer>('/v1/analytics/stock'), []);
  const spend = useLoad(() => get<SpendAnswer>(`/v1/analytics/spend${query(params)}`), [rangeIndex]);
  const cost = useLoad(() => get<BenefitCostAnswer>(`/v1/analytics/benefit-cost${query(params)}`), [rangeIndex]);
  const funnel = useLoad(() => get<FunnelAnswer>(`/v1/analytics/redemption-funnel${query(params)}`), [rangeIndex]);
  const retention = useLoad(() => get<RetentionAnswer>('/v1/analytics/retention'), []);

  return (
    <>
      <PageHeader title="Dashboard">
        <select aria-label="Range" value={rangeIndex} onChange={(e) => setRangeIndex(Number(e.target.value))}>
          {RANGES.map((r, i) => (
            <option key={r.days} value={i}>
              {r.label}
            </option>
          ))}
        </select>
      </PageHeader>
      <div className="dashboard">
        <ChartCard
          title="Members over time"
          testId="chart-members"
          figure={members.data ? formatNumber(members.data.totals.subscribers) : '…'}
          figureLabel="subscribers now"
          note={
            members.data && (
              <>
                {formatNumber(members.data.totals.registered)} registered · {formatNumber(members.data.totals.newSubscribers)} joined and{' '}
                {formatNumber(members.data.totals.newRegistered)} signed up in the range
              </>
            )
          }
        >
          <WhenLoaded load={members}>
            {(data) => (
              <ResponsiveContainer width="100%" height={260}>
                <LineChart data={data.series.map((s) => ({ ...s, day: formatDay(s.start) }))} margin={{ top: 20, right: 24, left: 0, bottom: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis dataKey="day" fontSize={11} />
                  <YAxis fontSize={11} tickFormatter={compact} />
                  <Tooltip formatter={(v) => formatNumber(Number(v))} />
                  <Legend />
                  <Line type="monotone" dataKey="subscribers" name="subscribers" stroke={COLORS.primary} strokeWidth={2} dot={false} isAnimationActive={false}>
                    <LabelList dataKey="subscribers" position="top" fontSize={10} formatter={compact} content={lastLabel(data.series.length)} />
                  </Line>
                  <Line type="monotone" dataKey="registered" name="registered" stroke={COLORS.muted} strokeWidth={2} dot={false} isAnimationActive={false}>
                    <LabelList dataKey="registered" position="top" fontSize={10} formatter={compact} content={lastLabel(data.series.length)} />
                  </Line>
                  <Line type="monotone" dataKey="active" name="active buyers" stroke={COLORS.second} strokeWidth={1.5} dot={false} isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            )}
          </WhenLoaded>
        </ChartCard>

        <ChartCard
          title="Conversion per partner"
          testId="chart-conversion"
          figure={conversion.data ? formatNumber(conversion.data.cohortSize) : '…'}
          figureLabel={conversion.data ? `members joined ${formatDay(conversion.data.from)} – ${formatDay(conversion.data.to)}` : 'members joined'}
          note={
            conversion.data && (
              <>
                Of every 100 who joined, how many became active on each partner platform within {conversion.data.withinDays} days
                {conversion.data.complete === false ? ' (a recent cohort: still converting)' : ''}.
              </>
            )
          }
        >
          <WhenLoaded load={conversion} isEmpty={(data) => data.partners.length === 0} empty="No partners yet.">
            {(data) => (
              <ResponsiveContainer width="100%" height={Math.max(160, 30 * data.partners.length + 40)}>
                <BarChart data={data.partners} layout="vertical" margin={{ top: 4, right: 48, left: 8, bottom: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis type="number" fontSize={11} domain={[0, (max: number) => Math.max(10, Math.ceil(max / 10) * 10)]} />
                  <YAxis type="category" dataKey="name" width={150} fontSize={11} interval={0} />
                  <Tooltip formatter={(v, _n, item) => [`${String(v)} per 100 (${formatNumber((item.payload as { converted: number }).converted)} members)`, 'active']} />
                  <Bar dataKey="per100" name="per 100 new members" fill={COLORS.primary} isAnimationActive={false}>
                    <LabelList dataKey="per100" position="right" fontSize={12} />
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
            )}
          </WhenLoaded>
        </ChartCard>

        <ChartCard
          title="Points liability"
          testId="chart-liability"
          figure={liability.data ? formatNumber(liability.data.outstanding) : '…'}
          figureLabel={liability.data ? `points outstanding, worth ${formatMoney(liability.data.value)}` : 'points outstanding'}
          note={liability.data && <>{formatNumber(liability.data.expiringWithin30Days)} points expire within 30 days</>}
        >
          <WhenLoaded load={liability}>
            {(data) => (
              <ResponsiveContainer width="100%" height={260}>
                <BarChart data={data.series.map((s) => ({ ...s, day: formatDay(s.start) }))} margin={{ top: 20, right: 24, left: 0, bottom: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis dataKey="day" fontSize={11} />
                  <YAxis fontSize={11} tickFormatter={compact} />
                  <Tooltip formatter={(v) => formatNumber(Number(v))} />
                  <Legend />
                  <Bar dataKey="outstanding" name="outstanding at the end" fill={COLORS.third} isAnimationActive={false}>
                    <LabelList dataKey="outstanding" position="top" fontSize={10} formatter={compact} content={lastLabel(data.series.length)} />
                  </Bar>
                  <Bar dataKey="earned" name="earned" fill={COLORS.second} isAnimationActive={false} />
                </BarChart>
              </ResponsiveContainer>
            )}
          </WhenLoaded>
        </ChartCard>

        <ChartCard
          title="Stock per pool"
          testId="chart-stock"
          figure={stock.data ? formatNumber(stock.data.pools.reduce((sum, p) => sum + p.onHand, 0)) : '…'}
          figureLabel="codes on hand"
          note={
            stock.data && stock.data.pools.length > 0 ? (
              <table className="compact">
                <tbody>
                  {stock.data.pools.map((p) => (
                    <tr key={p.poolId}>
                      <td>{p.name}</td>
                      <td className="num">{formatNumber(p.onHand)} on hand</td>
                      <td className="num">{formatNumber(p.burnPerDay, 2)}/day</td>
                      <td className="num">{p.daysLeft === null ? 'no recent issues' : `${formatNumber(p.daysLeft)} days left`}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : undefined
          }
        >
          <WhenLoaded load={stock} isEmpty={(data) => data.pools.length === 0} empty="No pools yet.">
            {(data) => (
              <ResponsiveContainer width="100%" height={Math.max(140, 48 * data.pools.length + 40)}>
                <BarChart data={data.pools} layout="vertical" margin={{ top: 8, right: 64, left: 8, bottom: 0 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis type="number" fontSize={11} tickFormatter={compact} />
                  <YAxis type="category" dataKey="name" width={170} fontSize={11} />
                  <Tooltip formatter={(v) => formatNumber(Number(v))} />
                  <Bar dataKey="onHand" name="on hand" fill={COLORS.primary} isAnimationActive={false}>
                    <LabelList dataKey="onHand" position="right" fontSize={12} formatter={(v) => formatNumber(Number(v))} />
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
            )}
          </WhenLoaded>
        </ChartCard>
      </div>
      <div className="dashboard lower">
        <Card title="Spend per member" testId="spend">
          <ErrorBanner error={spend.error} />
          {spend.data && (
            <>
              <div className="stats">
                <Stat label={`per member (${formatNumber(spend.data.members.count)} members)`} value={formatMoney(spend.data.members.perMember)} />
                <Stat label={`per non-member (${formatNumber(spend.data.nonMembers.count)})`} value={formatMoney(spend.data.nonMembers.perMember)} />
                <Stat label="members spend this many times as much" value={spend.data.ratio === null ? '—' : `×${formatNumber(spend.data.ratio, 2)}`} />
              </div>
              <p className="chart-note">
                {formatNumber(spend.data.members.orders)} member orders ({formatMoney(spend.data.members.spend)}) · {formatNumber(spend.data.nonMembers.orders)}{' '}
                other orders ({formatMoney(spend.data.nonMembers.spend)})
              </p>
            </>
          )}
        </Card>
        <Card title="Benefit cost" testId="benefit-cost">
          <ErrorBanner error={cost.error} />
          {cost.data && (
            <>
              <div className="stats">
                <Stat label="per member" value={formatMoney(cost.data.perMember)} />
                <Stat label={`${formatNumber(cost.data.codes.issued)} codes issued`} value={formatMoney(cost.data.codes.cost)} />
                <Stat label="revenue shares paid" value={formatMoney(cost.data.revenueShares.amount)} />
              </div>
              <p className="chart-note">
                {formatMoney(cost.data.total)} in all over {formatNumber(cost.data.members)} members
              </p>
            </>
          )}
        </Card>
        <Card title="Redemption funnel" testId="funnel">
          <ErrorBanner error={funnel.error} />
          {funnel.data && (
            <>
              <ResponsiveContainer width="100%" height={180}>
                <BarChart
                  data={[
                    { stage: 'members', n: funnel.data.stages.members },
                    { stage: 'with points', n: funnel.data.stages.withPoints },
                    { stage: 'could afford', n: funnel.data.stages.couldAfford },
                    { stage: 'redeemed', n: funnel.data.stages.redeemed },
                  ]}
                  margin={{ top: 20, right: 24, left: 0, bottom: 0 }}
                >
                  <XAxis dataKey="stage" fontSize={11} interval={0} />
                  <YAxis fontSize={11} tickFormatter={compact} />
                  <Tooltip formatter={(v) => formatNumber(Number(v))} />
                  <Bar dataKey="n" name="members" fill={COLORS.second} isAnimationActive={false}>
                    <LabelList dataKey="n" position="top" fontSize={11} formatter={(v) => formatNumber(Number(v))} />
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
              <p className="chart-note">
                {formatNumber(funnel.data.redemptions)} redemptions for {formatNumber(funnel.data.pointsSpent)} points in the range
                {funnel.data.cheapestItemPoints !== null ? ` · cheapest item ${formatNumber(funnel.data.cheapestItemPoints)} points` : ''}
              </p>
            </>
          )}
        </Card>
        <Card title="Retention by cohort" testId="retention">
          <ErrorBanner error={retention.error} />
          {retention.data && retention.data.cohorts.length === 0 && <Empty>No subscriptions in the last year.</Empty>}
          {retention.data && retention.data.cohorts.length > 0 && (
            <table className="compact">
              <thead>
                <tr>
                  <th>Cohort</th>
                  <th className="num">Joined</th>
                  <th className="num">Still live</th>
                  <th className="num">Renewed once</th>
                </tr>
              </thead>
              <tbody>
                {retention.data.cohorts.map((c) => (
                  <tr key={c.cohort}>
                    <td>{c.cohort}</td>
                    <td className="num">{formatNumber(c.size)}</td>
                    <td className="num">
                      {formatNumber(c.live)} ({formatPercent(c.liveShare)})
                    </td>
                    <td className="num">{c.renewals[0] ? `${formatNumber(c.renewals[0].renewed)} (${formatPercent(c.renewals[0].share)})` : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>
    </>
  );
}

/** A label on the last point of a series only, so a long series stays readable. */
function lastLabel(length: number) {
  return function LastLabel(props: { index?: number; x?: number | string; y?: number | string; width?: number | string; value?: unknown }) {
    if (props.index !== length - 1 || props.value === undefined) return null;
    const x = Number(props.x ?? 0) + Number(props.width ?? 0) / 2;
    return (
      <text x={x} y={Number(props.y ?? 0) - 6} textAnchor="middle" fontSize={11} fill="#334155">
        {compact(props.value)}
      </text>
    );
  };
}
