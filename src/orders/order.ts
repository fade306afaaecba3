import type { EarningRulesTable, MemberSpendStatsTable, OrderRefundsTable, OrdersTable } from '../schema.js';

export interface Money {
  amount: number;
  currency: string;
}

export type EarningRuleKind = 'base' | 'category' | 'plan';

export interface EarningRule {
  id: string;
  name: string;
  kind: EarningRuleKind;
  currency: string | null;
  pointsPerYuan: number | null;
  category: string | null;
  planId: string | null;
  /** 10000 = ×1. */
  multiplierBp: number | null;
  active: boolean;
  createdAt: string;
}

export interface OrderRefund {
  id: string;
  orderId: string;
  amount: Money;
  pointsReversed: number;
  pointsDebited: number;
  pointsDebt: number;
  transactionId: string | null;
  reason: string;
  createdAt: string;
}

export interface Order {
  id: string;
  memberId: string;
  externalId: string;
  amount: Money;
  category: string | null;
  paidAt: string;
  pointsEarned: number;
  earnTransactionId: string | null;
  refundedAmount: Money;
  refundedPoints: number;
  status: 'paid' | 'partially_refunded' | 'refunded';
  createdAt: string;
  refunds?: OrderRefund[];
}

export interface SpendStats {
  currency: string;
  orderCount: number;
  refundCount: number;
  grossAmount: number;
  refundedAmount: number;
  netAmount: number;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function toEarningRule(row: EarningRulesTable): EarningRule {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as EarningRuleKind,
    currency: row.currency,
    pointsPerYuan: row.points_per_yuan,
    category: row.category,
    planId: row.plan_id,
    multiplierBp: row.multiplier_bp,
    active: row.active === 1,
    createdAt: iso(row.created_at),
  };
}

export function toOrder(row: OrdersTable, refunds?: OrderRefundsTable[]): Order {
  return {
    id: row.id,
    memberId: row.member_id,
    externalId: row.external_id,
    amount: { amount: row.amount, currency: row.currency },
    category: row.category,
    paidAt: iso(row.paid_at),
    pointsEarned: row.points_earned,
    earnTransactionId: row.earn_transaction_id,
    refundedAmount: { amount: row.refunded_amount, currency: row.currency },
    refundedPoints: row.refunded_points,
    status: row.status as Order['status'],
    createdAt: iso(row.created_at),
    ...(refunds ? { refunds: refunds.map((r) => toRefund(r, row.currency)) } : {}),
  };
}

export function toRefund(row: OrderRefundsTable, currency: string): OrderRefund {
  return {
    id: row.id,
    orderId: row.order_id,
    amount: { amount: row.amount, currency },
    pointsReversed: row.points_reversed,
    pointsDebited: row.points_debited,
    pointsDebt: row.points_debt,
    transactionId: row.transaction_id,
    reason: row.reason,
    createdAt: iso(row.created_at),
  };
}

export function toSpendStats(row: MemberSpendStatsTable): SpendStats {
  return {
    currency: row.currency,
    orderCount: row.order_count,
    refundCount: row.refund_count,
    grossAmount: row.gross_amount,
    refundedAmount: row.refunded_amount,
    netAmount: row.gross_amount - row.refunded_amount,
    firstOrderAt: row.first_order_at === null ? null : iso(row.first_order_at),
    lastOrderAt: row.last_order_at === null ? null : iso(row.last_order_at),
  };
}

/**
 * Points an order earns: the currency's base rate (points per yuan, i.e. per 100 minor units),
 * times the best matching category multiplier and the best multiplier of a plan the member holds.
 * Rounded down, in exact integer arithmetic.
 */
export function pointsFor(
  order: { amount: number; currency: string; category: string | null },
  rules: EarningRule[],
  livePlanIds: ReadonlySet<string>,
): { points: number; ruleIds: string[] } {
  return compileEarning(rules)(order, livePlanIds);
}

export type Earning = (order: { amount: number; currency: string; category: string | null }, livePlanIds: ReadonlySet<string>) => { points: number; ruleIds: string[] };

/**
 * The rules sorted out once (the base rule per currency, the best multiplier per category and
 * plan), for a bulk import that prices many orders under the same rules.
 */
export function compileEarning(rules: EarningRule[]): Earning {
  const active = rules.filter((r) => r.active);
  const baseByCurrency = new Map<string, EarningRule>();
  for (const r of active) if (r.kind === 'base' && r.currency !== null) baseByCurrency.set(r.currency, r); // the last one wins
  const better = (a: EarningRule | undefined, r: EarningRule) => (!a || (r.multiplierBp ?? 0) > (a.multiplierBp ?? 0) ? r : a);
  const byCategory = new Map<string, EarningRule>();
  for (const r of active) if (r.kind === 'category' && r.category !== null) byCategory.set(r.category, better(byCategory.get(r.category), r)!);
  const planRules = active.filter((r) => r.kind === 'plan' && r.planId !== null);
  return (order, livePlanIds) => {
    const base = baseByCurrency.get(order.currency);
    if (!base || !base.pointsPerYuan) return { points: 0, ruleIds: [] };
    const category = order.category ? byCategory.get(order.category) : undefined;
    let plan: EarningRule | undefined;
    if (livePlanIds.size > 0) for (const r of planRules) if (livePlanIds.has(r.planId!)) plan = better(plan, r);
    const points =
      (BigInt(order.amount) * BigInt(base.pointsPerYuan) * BigInt(category?.multiplierBp ?? 10_000) * BigInt(plan?.multiplierBp ?? 10_000)) /
      (100n * 10_000n * 10_000n);
    return { points: Number(points), ruleIds: [base, category, plan].filter((r) => r !== undefined).map((r) => r.id) };
  };
}

/** Of an order's points, how many a cumulative refund of `refunded` takes back: all of them on a full refund. */
export function pointsRefundedAt(pointsEarned: number, orderAmount: number, refunded: number): number {
  if (refunded >= orderAmount) return pointsEarned;
  return Number((BigInt(pointsEarned) * BigInt(refunded)) / BigInt(orderAmount));
}
