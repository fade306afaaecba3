import { useState } from 'react';
import { get, post, query, type ApiError, type Page } from '../api.js';
import { formatDate, formatDay, formatMoney, formatNumber } from '../format.js';
import { Link, useRouter } from '../router.js';
import type { Benefit, CatalogItem, Entitlement, Member, Plan, Quote, Receipt, Subscription } from '../types.js';
import { asApiError, Card, Empty, ErrorBanner, Loading, PageHeader, StatusBadge, useLoad } from '../ui.js';
import { describeBenefit } from './Benefits.js';
import { MemberSearch } from './Members.js';

const LIVE = new Set(['trialing', 'active', 'past_due']);

function Picker() {
  const { navigate } = useRouter();
  const members = useLoad(() => get<Page<Member>>('/v1/members?limit=10'), []);
  const open = (m: Member) => navigate(`/member-centre?memberId=${encodeURIComponent(m.id)}`);
  return (
    <>
      <PageHeader title="Member centre" />
      <Card>
        <p className="muted">What a member sees in the operator's app: their status, the price they would pay, their benefits and the points mall.</p>
        <MemberSearch onFound={open} label="Show the member centre of" />
      </Card>
      <Card title="Or pick one of the newest members">
        <ErrorBanner error={members.error} />
        <ul className="pick-list">
          {members.data?.data.map((m) => (
            <li key={m.id}>
              <button type="button" className="link" onClick={() => open(m)}>
                {m.displayName ?? m.externalId}
              </button>{' '}
              <span className="muted">
                {formatNumber(m.pointsBalance)} points · score {formatNumber(m.loyaltyScore)}
              </span>
            </li>
          ))}
        </ul>
      </Card>
    </>
  );
}

function PlanName({ id }: { id: string }) {
  const plan = useLoad(() => get<Plan>(`/v1/plans/${id}`), [id]);
  return <strong>{plan.data?.name ?? ''}</strong>;
}

function Quotes({ memberId }: { memberId: string }) {
  const quotes = useLoad(async () => {
    const plans = await get<Page<Plan>>('/v1/plans?limit=100');
    return Promise.all(
      plans.data.map(async (plan) => {
        try {
          return { plan, quote: await get<Quote>(`/v1/plans/${plan.id}/quote${query({ memberId })}`), error: undefined };
        } catch (e) {
          return { plan, quote: undefined, error: asApiError(e) };
        }
      }),
    );
  }, [memberId]);
  if (quotes.error) return <ErrorBanner error={quotes.error} />;
  if (!quotes.data) return <Loading />;
  if (quotes.data.length === 0) return <Empty>No plans on offer.</Empty>;
  return (
    <table data-testid="member-quotes">
      <tbody>
        {quotes.data.map(({ plan, quote, error }) => (
          <tr key={plan.id}>
            <td>{plan.name}</td>
            <td className="num">{quote ? <strong>{formatMoney(quote.price)}</strong> : '—'}</td>
            <td className="muted">{quote ? `${quote.rule.description} · your score ${formatNumber(quote.loyaltyScore)}` : error?.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function MallItem({ item, memberId, onRedeemed }: { item: CatalogItem; memberId: string; onRedeemed: (receipt: Receipt) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const memberInfo = item.forMember;
  const redeem = async () => {
    if (!memberInfo) return;
    setBusy(true);
    setError(null);
    try {
      onRedeemed(await post<Receipt>('/v1/redemptions', { memberId, itemId: item.id }));
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className={`mall-item ${memberInfo?.eligible ? '' : 'unavailable'}`} data-testid="mall-item" data-item-id={item.id}>
      <div className="mall-name">{item.name}</div>
      {item.description && <div className="muted small">{item.description}</div>}
      <div className="mall-price">{formatNumber(item.pointsPrice)} points</div>
      <div className="muted small">
        <span data-testid="item-stock">{formatNumber(item.stock)}</span> left
        {memberInfo && memberInfo.redeemedByMember > 0 ? ` · you redeemed ${memberInfo.redeemedByMember}` : ''}
      </div>
      {memberInfo?.eligible ? (
        <p className="may-redeem">You may redeem this.</p>
      ) : (
        <ul className="why-not" data-testid="why-not">
          {memberInfo?.reasons.map((r) => (
            <li key={r.code}>{r.message}</li>
          ))}
        </ul>
      )}
      <ErrorBanner error={error} />
      <button type="button" onClick={() => void redeem()} disabled={busy || !memberInfo?.eligible}>
        {busy ? 'Redeeming…' : 'Redeem'}
      </button>
    </div>
  );
}

function Centre({ memberId }: { memberId: string }) {
  const member = useLoad(() => get<Member>(`/v1/members/${encodeURIComponent(memberId)}`), [memberId]);
  const subscriptions = useLoad(() => get<Page<Subscription>>(`/v1/members/${encodeURIComponent(memberId)}/subscriptions?limit=10`), [memberId]);
  const entitlements = useLoad(
    () => get<Page<Entitlement>>(`/v1/members/${encodeURIComponent(memberId)}/entitlements?active=true&limit=100`),
    [memberId],
  );
  const benefits = useLoad(() => get<{ data: Benefit[] }>('/v1/benefits'), []);
  const mall = useLoad(() => get<Page<CatalogItem>>(`/v1/catalog/items${query({ memberId, limit: 100 })}`), [memberId]);
  const [receipts, setReceipts] = useState<Array<Receipt & { itemName: string }>>([]);
  const { navigate } = useRouter();

  if (member.error) {
    return (
      <>
        <PageHeader title="Member centre" />
        <ErrorBanner error={member.error} />
        <button type="button" className="secondary" onClick={() => navigate('/member-centre')}>
          Pick another member
        </button>
      </>
    );
  }
  if (!member.data) return <Loading what="the member" />;
  const m = member.data;
  const live = subscriptions.data?.data.find((s) => LIVE.has(s.status));
  const benefitName = (id: string) => benefits.data?.data.find((b) => b.id === id);
  return (
    <>
      <PageHeader title={`Member centre: ${m.displayName ?? m.externalId}`}>
        <Link to={`/members/${m.id}`}>Operator view</Link>
        <button type="button" className="secondary" onClick={() => navigate('/member-centre')}>
          Another member
        </button>
      </PageHeader>
      <div className="centre-status card" data-testid="centre-status">
        <div>
          <div className="muted small">Membership</div>
          {live ? (
            <div>
              <StatusBadge status={live.status} /> <PlanName id={live.planId} /> · paid {formatMoney(live.price)} · term ends {formatDay(live.currentPeriod.end)}
            </div>
          ) : (
            <div>Not a member yet</div>
          )}
        </div>
        <div>
          <div className="muted small">Points</div>
          <div className="big" data-testid="centre-points">
            {formatNumber(m.pointsBalance)}
          </div>
        </div>
        <div>
          <div className="muted small">Loyalty score</div>
          <div className="big">{formatNumber(m.loyaltyScore)}</div>
        </div>
      </div>
      {receipts.length > 0 && (
        <Card title="Your codes" className="receipts">
          <ul>
            {receipts.map((r) => (
              <li key={r.id} data-testid="receipt">
                {r.itemName}: <code className="code" data-testid="receipt-code">{r.code}</code>{' '}
                <span className="muted">
                  ({formatNumber(r.pointsSpent)} points{r.codeExpiresAt ? `, use before ${formatDate(r.codeExpiresAt)}` : ''})
                </span>
              </li>
            ))}
          </ul>
        </Card>
      )}
      <div className="two-columns">
        <Card title={live ? 'Your price to renew' : 'Join: your price'}>
          <Quotes memberId={m.id} />
        </Card>
        <Card title="Your benefits">
          <ErrorBanner error={entitlements.error} />
          {entitlements.data && entitlements.data.data.length === 0 && <Empty>No benefits in force.</Empty>}
          <ul className="benefit-list" data-testid="centre-benefits">
            {entitlements.data?.data.map((e) => {
              const b = benefitName(e.benefitId);
              return (
                <li key={e.id}>
                  <strong>{b?.name ?? e.benefitId}</strong> <StatusBadge status={e.status} />
                  <div className="muted small">
                    {b ? describeBenefit(b) : e.kind} · until {formatDate(e.validUntil)}
                  </div>
                </li>
              );
            })}
          </ul>
        </Card>
      </div>
      <Card title="Points mall">
        <ErrorBanner error={mall.error} />
        {!mall.data ? (
          !mall.error && <Loading />
        ) : mall.data.data.length === 0 ? (
          <Empty>Nothing in the mall right now.</Empty>
        ) : (
          <div className="mall" data-testid="mall">
            {mall.data.data.map((item) => (
              <MallItem
                key={item.id}
                item={item}
                memberId={m.id}
                onRedeemed={(receipt) => {
                  setReceipts((old) => [{ ...receipt, itemName: item.name }, ...old]);
                  mall.reload();
                  member.reload();
                }}
              />
            ))}
          </div>
        )}
      </Card>
    </>
  );
}

export function MemberCentre() {
  const { search } = useRouter();
  const memberId = search.get('memberId');
  return memberId ? <Centre memberId={memberId} key={memberId} /> : <Picker />;
}
