import type { PaymentsTable, SubscriptionPeriodsTable, SubscriptionsTable } from '../schema.js';

export type SubscriptionStatus = 'trialing' | 'active' | 'past_due' | 'canceled' | 'expired';
export const LIVE_STATUSES: SubscriptionStatus[] = ['trialing', 'active', 'past_due'];

export interface PriceRuleRef {
  index: number;
  minLoyaltyScore: number | null;
  description: string;
}

export interface Period {
  id: string;
  index: number;
  kind: 'trial' | 'paid';
  start: string;
  end: string;
  planVersionId: string;
  price: { amount: number; currency: string };
  priceRule: PriceRuleRef;
  loyaltyScoreUsed: number;
  paymentId: string | null;
  status: string;
  refundedAmount: number;
}

export interface Payment {
  id: string;
  kind: 'charge' | 'refund';
  amount: { amount: number; currency: string };
  method: string;
  status: string;
  reference: string | null;
  periodId: string | null;
  createdAt: string;
}

export interface Subscription {
  id: string;
  memberId: string;
  planId: string;
  planVersionId: string;
  jointProductId: string | null;
  status: SubscriptionStatus;
  price: { amount: number; currency: string };
  priceRule: PriceRuleRef;
  loyaltyScoreUsed: number;
  currentPeriod: { index: number; start: string; end: string };
  cancelAtPeriodEnd: boolean;
  canceledAt: string | null;
  endedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function toSubscription(row: SubscriptionsTable): Subscription {
  return {
    id: row.id,
    memberId: row.member_id,
    planId: row.plan_id,
    planVersionId: row.plan_version_id,
    jointProductId: row.joint_product_id,
    status: row.status as SubscriptionStatus,
    price: { amount: row.price_amount, currency: row.currency },
    priceRule: JSON.parse(row.price_rule) as PriceRuleRef,
    loyaltyScoreUsed: row.score_used,
    currentPeriod: { index: row.period_index, start: iso(row.current_period_start), end: iso(row.current_period_end) },
    cancelAtPeriodEnd: row.cancel_at_period_end === 1,
    canceledAt: isoOrNull(row.canceled_at),
    endedAt: isoOrNull(row.ended_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

export function toPeriod(row: SubscriptionPeriodsTable): Period {
  return {
    id: row.id,
    index: row.period_index,
    kind: row.kind as Period['kind'],
    start: iso(row.starts_at),
    end: iso(row.ends_at),
    planVersionId: row.plan_version_id,
    price: { amount: row.price_amount, currency: row.currency },
    priceRule: JSON.parse(row.price_rule) as PriceRuleRef,
    loyaltyScoreUsed: row.score_used,
    paymentId: row.payment_id,
    status: row.status,
    refundedAmount: row.refunded_amount,
  };
}

export function toPayment(row: PaymentsTable): Payment {
  return {
    id: row.id,
    kind: row.kind as Payment['kind'],
    amount: { amount: row.amount, currency: row.currency },
    method: row.method,
    status: row.status,
    reference: row.reference,
    periodId: row.period_id,
    createdAt: iso(row.created_at),
  };
}

/**
 * The unused share of a period's charge at `now`, rounded down to the minor unit: what a
 * cancellation today gives back. Exact integer arithmetic.
 */
export function proratedRefund(charged: number, start: number, end: number, now: number): number {
  if (now <= start) return charged;
  if (now >= end) return 0;
  return Number((BigInt(charged) * BigInt(end - now)) / BigInt(end - start));
}
