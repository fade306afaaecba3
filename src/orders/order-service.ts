import type { LedgerService } from '../ledger/index.js';
import type { LoyaltyService } from '../loyalty/index.js';
import type { MemberService } from '../members/index.js';
import type { Clock } from '../platform/clock.js';
import { AppError, businessRule, conflict, invalid, notFound } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Db, EarningRulesTable, Executor, OrdersTable, Tx } from '../schema.js';
import {
  compileEarning,
  pointsFor,
  pointsRefundedAt,
  toEarningRule,
  toOrder,
  toRefund,
  toSpendStats,
  type EarningRule,
  type EarningRuleKind,
  type Money,
  type Order,
  type OrderRefund,
  type SpendStats,
} from './order.js';
import type { OrderStore } from './order-store.js';

export interface CreateOrderInput {
  memberId: string;
  externalId: string;
  amount: Money;
  category?: string | null;
  /** Epoch ms; now when absent. */
  paidAt?: number;
}

export interface CreateRuleInput {
  name: string;
  kind: EarningRuleKind;
  currency?: string;
  pointsPerYuan?: number;
  category?: string;
  planId?: string;
  multiplierBp?: number;
}

export interface RefundResult extends OrderRefund {
  order: Order;
}

/** Which plans a member holds a live subscription of, for plan-member earning multipliers. */
export type LivePlansSource = (db: Executor, memberId: string) => Promise<string[]>;

/** Whether a plan exists, so that a plan rule cannot name a plan that is not there. */
export type PlanExists = (db: Executor, planId: string) => Promise<boolean>;

export interface PointsDebt {
  memberId: string;
  points: number;
  entries: Array<{ id: string; points: number; orderId: string | null; refundId: string | null; transactionId: string | null; note: string; createdAt: string }>;
}

interface SpendTotals {
  orders: number;
  gross: number;
  first: number;
  last: number;
}

interface DayTotals {
  orders: number;
  spend: number;
  at: number;
}

const NO_PLANS: ReadonlySet<string> = new Set();
const DAY_MS = 86_400_000;

/** How far in the future a paidAt may lie (clock skew between the shop and us). */
const PAID_AT_SKEW_MS = 5 * 60_000;

export class OrderService {
  private livePlans: LivePlansSource = async () => [];
  private planExists: PlanExists = async () => false;

  constructor(
    private readonly db: Db,
    private readonly store: OrderStore,
    private readonly members: MemberService,
    private readonly ledger: LedgerService,
    private readonly loyalty: LoyaltyService,
    private readonly clock: Clock,
  ) {}

  usePlans(source: { livePlans: LivePlansSource; planExists: PlanExists }): void {
    this.livePlans = source.livePlans;
    this.planExists = source.planExists;
  }

  // ---- earning rules ----

  async createRule(tx: Tx, input: CreateRuleInput): Promise<EarningRule> {
    const base: Pick<EarningRulesTable, 'currency' | 'points_per_yuan' | 'category' | 'plan_id' | 'multiplier_bp'> = {
      currency: null,
      points_per_yuan: null,
      category: null,
      plan_id: null,
      multiplier_bp: null,
    };
    let fields: typeof base;
    switch (input.kind) {
      case 'base':
        if (!input.currency) throw invalid("A base rule needs 'currency'", 'currency', 'parameter_missing');
        if (input.pointsPerYuan === undefined) throw invalid("A base rule needs 'pointsPerYuan'", 'pointsPerYuan', 'parameter_missing');
        if (input.category !== undefined || input.planId !== undefined || input.multiplierBp !== undefined) {
          throw invalid('A base rule takes only currency and pointsPerYuan', 'kind');
        }
        fields = { ...base, currency: input.currency, points_per_yuan: input.pointsPerYuan };
        break;
      case 'category':
      case 'plan': {
        const key = input.kind === 'category' ? 'category' : 'planId';
        if (input[key] === undefined) throw invalid(`A ${input.kind} rule needs '${key}'`, key, 'parameter_missing');
        if (input.multiplierBp === undefined) throw invalid(`A ${input.kind} rule needs 'multiplierBp'`, 'multiplierBp', 'parameter_missing');
        if (input.pointsPerYuan !== undefined || input.currency !== undefined || input[input.kind === 'category' ? 'planId' : 'category'] !== undefined) {
          throw invalid(`A ${input.kind} rule takes only ${key} and multiplierBp`, 'kind');
        }
        if (input.kind === 'plan' && !(await this.planExists(tx, input.planId!))) throw notFound('plan', input.planId!, 'planId');
        fields = {
          ...base,
          category: input.kind === 'category' ? input.category! : null,
          plan_id: input.kind === 'plan' ? input.planId! : null,
          multiplier_bp: input.multiplierBp,
        };
        break;
      }
    }
    const row = { id: newId('ern'), name: input.name, kind: input.kind, ...fields, active: 1, created_at: this.clock.now() };
    await this.store.insertRule(tx, row);
    return toEarningRule(row);
  }

  async listRules(): Promise<EarningRule[]> {
    return (await this.store.rules(this.db.read, false)).map(toEarningRule);
  }

  async deactivateRule(tx: Tx, id: string): Promise<EarningRule> {
    if (!(await this.store.deactivateRule(tx, id))) throw notFound('earning rule', id, 'id');
    return toEarningRule((await this.store.findRule(tx, id))!);
  }

  /** The points an order would earn, without placing it. */
  async previewPoints(db: Executor, memberId: string, order: { amount: number; currency: string; category: string | null }) {
    const rules = (await this.store.rules(db, true)).map(toEarningRule);
    return pointsFor(order, rules, new Set(await this.livePlans(db, memberId)));
  }

  // ---- orders ----

  private async duplicate(db: Executor, externalId: string): Promise<AppError> {
    const existing = await this.store.findByExternalId(db, externalId);
    return conflict('already_exists', `An order with externalId '${externalId}' already exists${existing ? ` (${existing.id})` : ''}`, 'externalId');
  }

  /** Places an order. Every refusal (an AppError) comes before the first write. */
  async create(tx: Tx, input: CreateOrderInput): Promise<Order> {
    const now = this.clock.now();
    const paidAt = input.paidAt ?? now;
    if (paidAt > now + PAID_AT_SKEW_MS) throw invalid('paidAt must not be in the future', 'paidAt');
    if (!(await this.members.exists(tx, input.memberId))) throw notFound('member', input.memberId, 'memberId');
    const row: OrdersTable = {
      id: newId('ord'),
      member_id: input.memberId,
      external_id: input.externalId,
      amount: input.amount.amount,
      currency: input.amount.currency,
      category: input.category ?? null,
      paid_at: paidAt,
      points_earned: 0,
      earn_transaction_id: null,
      refunded_amount: 0,
      refunded_points: 0,
      status: 'paid',
      created_at: now,
      updated_at: now,
    };
    if (!(await this.store.insertOrder(tx, row))) throw await this.duplicate(tx, input.externalId);
    const { points } = await this.previewPoints(tx, input.memberId, row);
    if (points > 0) {
      const earned = await this.ledger.earn(tx, input.memberId, { points, reason: `order ${input.externalId}` });
      row.points_earned = points;
      row.earn_transaction_id = earned.id;
      await this.store.updateOrder(tx, row.id, { points_earned: points, earn_transaction_id: earned.id });
      await this.settleDebt(tx, input.memberId, points, row.id);
    }
    await this.store.addSpend(tx, input.memberId, row.currency, { orders: 1, refunds: 0, gross: row.amount, refunded: 0, at: paidAt }, now);
    await this.loyalty.record(
      tx,
      input.memberId,
      { kind: 'order', refId: row.id, spend: input.amount, ordersDelta: 1, activeDay: true, occurredAt: paidAt },
      `order ${input.externalId}`,
    );
    return toOrder(row);
  }

  /**
   * Refunds all that is left of the order, or `amount` of it. The points taken back are the
   * order's points in proportion to the refunded total (all of them once fully refunded), so any
   * sequence of partial refunds takes back exactly what the order earned. What the member has
   * already spent becomes a points debt that later earnings settle first.
   */
  async refund(tx: Tx, orderId: string, input: { amount?: number; reason?: string }): Promise<RefundResult> {
    const now = this.clock.now();
    const order = await this.store.lockOrder(tx, orderId);
    if (!order) throw notFound('order', orderId, 'id');
    const left = order.amount - order.refunded_amount;
    if (left === 0) throw conflict('already_refunded', `Order ${orderId} is already fully refunded`);
    const amount = input.amount ?? left;
    if (amount > left) {
      throw businessRule('refund_exceeds_order', `Only ${left} of order ${orderId} is left to refund; ${amount} asked`, 'amount');
    }
    const refunded = order.refunded_amount + amount;
    const pointsBack = pointsRefundedAt(order.points_earned, order.amount, refunded) - order.refunded_points;
    const refundId = newId('orf');
    const reason = input.reason ?? `refund of order ${order.external_id}`;
    let debited = 0;
    let transactionId: string | null = null;
    if (pointsBack > 0) {
      const taken = await this.takeBackPoints(tx, order.member_id, pointsBack, reason);
      debited = taken.points;
      transactionId = taken.transactionId;
    }
    const debt = pointsBack - debited;
    await this.store.insertRefund(tx, {
      id: refundId,
      order_id: order.id,
      amount,
      points_reversed: pointsBack,
      points_debited: debited,
      points_debt: debt,
      transaction_id: transactionId,
      reason,
      created_at: now,
    });
    if (debt > 0) {
      await this.store.openDebt(tx, order.member_id, now);
      await this.store.changeDebt(tx, {
        id: newId('pdb'),
        member_id: order.member_id,
        points: debt,
        order_id: order.id,
        refund_id: refundId,
        transaction_id: null,
        note: `refund of order ${order.external_id}: ${debt} points already spent`,
        created_at: now,
      });
    }
    const status = refunded === order.amount ? 'refunded' : 'partially_refunded';
    const updated = { ...order, refunded_amount: refunded, refunded_points: order.refunded_points + pointsBack, status, updated_at: now };
    await this.store.updateOrder(tx, order.id, {
      refunded_amount: updated.refunded_amount,
      refunded_points: updated.refunded_points,
      status,
      updated_at: now,
    });
    await this.store.addSpend(tx, order.member_id, order.currency, { orders: 0, refunds: 1, gross: 0, refunded: amount, at: null }, now);
    await this.loyalty.record(
      tx,
      order.member_id,
      {
        kind: 'refund',
        refId: refundId,
        spend: { amount: -amount, currency: order.currency },
        // A fully refunded order no longer counts as an order; it stays where it was in the window.
        ordersDelta: status === 'refunded' ? -1 : 0,
        occurredAt: order.paid_at,
      },
      `refund of order ${order.external_id}`,
    );
    const refundRows = await this.store.refundsOf(tx, order.id);
    const refundRow = refundRows.find((r) => r.id === refundId)!;
    return { ...toRefund(refundRow, order.currency), order: toOrder(updated, refundRows) };
  }

  /**
   * The bulk import's batch: the checks and effects of `create` for each order, but what belongs
   * to a member (one ledger credit and lot for the batch's points, spend statistics, a loyalty
   * day, a score refresh, a debt settlement) is written once per member and batch rather than
   * once per order. Refused orders (answered in place, by index) write nothing; the rest of the
   * batch goes ahead. Each order still records its own points and the credit that paid them.
   */
  async importBatch(tx: Tx, inputs: CreateOrderInput[]): Promise<Array<AppError | null>> {
    const now = this.clock.now();
    const outcomes: Array<AppError | null> = inputs.map(() => null);
    const rules = (await this.store.rules(tx, true)).map(toEarningRule);
    const earning = compileEarning(rules);
    const loyaltyRules = await this.loyalty.rules(tx);
    const existing = await this.members.existing(tx, [...new Set(inputs.map((i) => i.memberId))]);
    const planRules = rules.some((r) => r.kind === 'plan');
    const livePlans = new Map<string, ReadonlySet<string>>();
    const creditIds = new Map<string, string>();
    const rows: OrdersTable[] = [];
    const rowInput: number[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i]!;
      const paidAt = input.paidAt ?? now;
      if (paidAt > now + PAID_AT_SKEW_MS) {
        outcomes[i] = invalid('paidAt must not be in the future', 'paidAt');
        continue;
      }
      if (!existing.has(input.memberId)) {
        outcomes[i] = notFound('member', input.memberId, 'memberId');
        continue;
      }
      let plans = NO_PLANS;
      if (planRules) {
        plans = livePlans.get(input.memberId) ?? new Set(await this.livePlans(tx, input.memberId));
        livePlans.set(input.memberId, plans);
      }
      const category = input.category ?? null;
      const { points } = earning({ amount: input.amount.amount, currency: input.amount.currency, category }, plans);
      let creditId: string | null = null;
      if (points > 0) {
        creditId = creditIds.get(input.memberId) ?? newId('txn');
        creditIds.set(input.memberId, creditId);
      }
      rows.push({
        id: newId('ord'),
        member_id: input.memberId,
        external_id: input.externalId,
        amount: input.amount.amount,
        currency: input.amount.currency,
        category,
        paid_at: paidAt,
        points_earned: points,
        earn_transaction_id: creditId,
        refunded_amount: 0,
        refunded_points: 0,
        status: 'paid',
        created_at: now,
        updated_at: now,
      });
      rowInput.push(i);
    }

    const inserted = await this.store.insertOrders(tx, rows);
    const perMember = new Map<string, { points: number; orders: number; spend: Map<string, SpendTotals>; days: Map<number, DayTotals> }>();
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      if (!inserted.has(row.id)) {
        outcomes[rowInput[r]!] = await this.duplicate(tx, row.external_id);
        continue;
      }
      let member = perMember.get(row.member_id);
      if (!member) perMember.set(row.member_id, (member = { points: 0, orders: 0, spend: new Map(), days: new Map() }));
      member.points += row.points_earned;
      member.orders++;
      const spend = member.spend.get(row.currency) ?? { orders: 0, gross: 0, first: row.paid_at, last: row.paid_at };
      spend.orders++;
      spend.gross += row.amount;
      spend.first = Math.min(spend.first, row.paid_at);
      spend.last = Math.max(spend.last, row.paid_at);
      member.spend.set(row.currency, spend);
      const dayKey = Math.floor(row.paid_at / DAY_MS);
      const day = member.days.get(dayKey) ?? { orders: 0, spend: 0, at: row.paid_at };
      day.orders++;
      if (row.currency === loyaltyRules.currency) day.spend += row.amount;
      day.at = Math.max(day.at, row.paid_at);
      member.days.set(dayKey, day);
    }

    const credited: string[] = [];
    for (const [memberId, member] of perMember) {
      if (member.points > 0) {
        await this.ledger.earn(tx, memberId, { points: member.points, reason: `${member.orders} imported orders` }, creditIds.get(memberId));
        credited.push(memberId);
      }
      for (const [currency, spend] of member.spend) {
        await this.store.addSpend(tx, memberId, currency, { orders: spend.orders, refunds: 0, gross: spend.gross, refunded: 0, at: spend.last, firstAt: spend.first }, now);
      }
      for (const day of member.days.values()) {
        await this.loyalty.record(
          tx,
          memberId,
          { kind: 'order', spend: { amount: day.spend, currency: loyaltyRules.currency }, ordersDelta: day.orders, activeDay: true, occurredAt: day.at, note: `${day.orders} imported orders` },
          'orders imported',
          { refresh: false, rules: loyaltyRules },
        );
      }
    }
    for (const memberId of await this.store.membersInDebt(tx, credited)) {
      await this.settleDebt(tx, memberId, perMember.get(memberId)!.points);
    }
    for (const memberId of perMember.keys()) await this.loyalty.refresh(tx, memberId, 'orders imported', loyaltyRules);
    return outcomes;
  }

  async get(id: string): Promise<Order> {
    const row = await this.store.findOrder(this.db.read, id);
    if (!row) throw notFound('order', id, 'id');
    return toOrder(row, await this.store.refundsOf(this.db.read, id));
  }

  async listForMember(memberId: string, limit: number, startingAfter?: string): Promise<{ data: Order[]; hasMore: boolean }> {
    await this.requireMember(memberId);
    const rows = await this.store.ordersOf(this.db.read, memberId, limit + 1, startingAfter);
    return { data: rows.slice(0, limit).map((r) => toOrder(r)), hasMore: rows.length > limit };
  }

  async spend(memberId: string): Promise<{ memberId: string; data: SpendStats[] }> {
    await this.requireMember(memberId);
    return { memberId, data: (await this.store.spendStats(this.db.read, memberId)).map(toSpendStats) };
  }

  async debt(memberId: string): Promise<PointsDebt> {
    await this.requireMember(memberId);
    const points = await this.store.debt(this.db.read, memberId);
    const entries = (await this.store.debtEntries(this.db.read, memberId, 50)).map((e) => ({
      id: e.id,
      points: e.points,
      orderId: e.order_id,
      refundId: e.refund_id,
      transactionId: e.transaction_id,
      note: e.note,
      createdAt: new Date(e.created_at).toISOString(),
    }));
    return { memberId, points, entries };
  }

  /**
   * Pays down the member's points debt out of points just credited to them (an order's earn, a
   * points benefit). Call it right after the credit, in the same transaction.
   */
  async settleDebt(tx: Tx, memberId: string, creditedPoints: number, orderId: string | null = null): Promise<number> {
    const now = this.clock.now();
    const owed = await this.store.lockDebt(tx, memberId);
    const settle = Math.min(owed, creditedPoints);
    if (settle === 0) return 0;
    const settled = await this.ledger.adjust(tx, memberId, { points: -settle, reason: 'points debt settled from new earnings' });
    await this.store.changeDebt(tx, {
      id: newId('pdb'),
      member_id: memberId,
      points: -settle,
      order_id: orderId,
      refund_id: null,
      transaction_id: settled.id,
      note: 'settled from new earnings',
      created_at: now,
    });
    return settle;
  }

  /** Debits up to `points` from the member, as much as the balance holds. */
  private async takeBackPoints(tx: Tx, memberId: string, points: number, reason: string): Promise<{ points: number; transactionId: string | null }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const balance = (await this.ledger.balances(tx, [memberId])).get(memberId) ?? 0;
      const take = Math.min(balance, points);
      if (take === 0) return { points: 0, transactionId: null };
      try {
        const txn = await this.ledger.adjust(tx, memberId, { points: -take, reason });
        return { points: take, transactionId: txn.id };
      } catch (error) {
        // A spend committed between reading the balance and debiting: the account is locked now, read again.
        if (!(error instanceof AppError && error.code === 'insufficient_points')) throw error;
      }
    }
    throw new AppError(409, 'concurrent_update', 'The member’s balance kept changing; retry the refund');
  }

  private async requireMember(memberId: string): Promise<void> {
    if (!(await this.members.exists(this.db.read, memberId))) throw notFound('member', memberId, 'id');
  }
}
