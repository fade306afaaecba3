import type { BenefitService, Entitlement } from '../benefits/index.js';
import type { LoyaltyService } from '../loyalty/index.js';
import type { MemberService } from '../members/index.js';
import { addTerm, describeRule, type PlanService, type PlanSnapshot } from '../plans/index.js';
import type { Clock } from '../platform/clock.js';
import { AppError, businessRule, conflict, notFound } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Outbox } from '../platform/outbox.js';
import type { Db, Executor, SubscriptionPeriodsTable, SubscriptionsTable, Tx } from '../schema.js';
import type { PaymentGateway } from './payments.js';
import {
  LIVE_STATUSES,
  proratedRefund,
  toPayment,
  toPeriod,
  toSubscription,
  type Payment,
  type Period,
  type PriceRuleRef,
  type Subscription,
} from './subscription.js';
import type { SubscriptionStore } from './subscription-store.js';

/** How long a renewal that could not be charged stays past_due before the subscription expires. */
export const PAST_DUE_GRACE_MS = 7 * 24 * 60 * 60 * 1000;
/** How often a past_due subscription's payment is tried again. */
export const PAST_DUE_RETRY_MS = 24 * 60 * 60 * 1000;

export interface SubscriptionDetail extends Subscription {
  periods: Period[];
  payments: Payment[];
  entitlements: Entitlement[];
  refund?: { amount: number; currency: string } | null;
}

/** A subscription sold inside a joint product: its price and extra benefits come from the product. */
export interface BundleTerms {
  jointProductId: string;
  price: { amount: number; currency: string };
  benefitIds: string[];
  description: string;
}

/** The joint-products side, told of every charge and refund of a bundled subscription. */
export interface BundleHooks {
  renewalTerms(db: Executor, jointProductId: string): Promise<BundleTerms>;
  charged(tx: Tx, subscription: SubscriptionsTable, paymentId: string, amount: number): Promise<void>;
  refunded(tx: Tx, subscription: SubscriptionsTable, refundPaymentId: string, chargePaymentId: string, amount: number): Promise<void>;
}

export type CancelRefund = 'prorated' | 'full' | 'none';

interface PricedTerm {
  amount: number;
  currency: string;
  rule: PriceRuleRef;
  score: number;
  planVersionId: string;
  benefitIds: string[];
}

export class SubscriptionService {
  private bundles: BundleHooks | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: SubscriptionStore,
    private readonly members: MemberService,
    private readonly plans: PlanService,
    private readonly loyalty: LoyaltyService,
    private readonly benefits: BenefitService,
    private readonly payments: PaymentGateway,
    private readonly clock: Clock,
    private readonly outbox: Outbox,
  ) {}

  useBundles(hooks: BundleHooks): void {
    this.bundles = hooks;
  }

  /**
   * Subscribes a member: quotes the plan at the member's score now (or takes a joint product's
   * price), takes the payment, records the price and the rule that chose it, and grants the
   * term's benefits, all in one transaction. A plan with a trial starts with it on a first
   * subscription; the trial is free and the first charge comes at its end.
   */
  async create(tx: Tx, input: { memberId: string; planId: string }, bundle?: BundleTerms): Promise<SubscriptionDetail> {
    if (!(await this.members.exists(tx, input.memberId))) throw notFound('member', input.memberId, 'memberId');
    const snapshot = await this.plans.snapshot(tx, input.planId, undefined, 'planId');
    const live = await this.store.liveFor(tx, input.memberId, input.planId);
    if (live) throw conflict('already_subscribed', `Member ${input.memberId} already has a live subscription of this plan: ${live.id}`, 'planId');
    const now = this.clock.now();
    const priced = await this.price(tx, input.memberId, snapshot, bundle);
    const trial = !bundle && snapshot.trial && !(await this.store.hasSubscribed(tx, input.memberId, input.planId)) ? snapshot.trial : null;
    const end = trial ? addTerm(now, trial) : addTerm(now, snapshot.term);
    const row: SubscriptionsTable = {
      id: newId('sub'),
      member_id: input.memberId,
      plan_id: input.planId,
      plan_version_id: priced.planVersionId,
      joint_product_id: bundle?.jointProductId ?? null,
      status: trial ? 'trialing' : 'active',
      price_amount: priced.amount,
      currency: priced.currency,
      price_rule: JSON.stringify(priced.rule),
      score_used: priced.score,
      anchor_at: trial ? end : now,
      period_index: 0,
      current_period_start: now,
      current_period_end: end,
      cancel_at_period_end: 0,
      canceled_at: null,
      ended_at: null,
      past_due_since: null,
      created_at: now,
      updated_at: now,
    };
    if (!(await this.store.insert(tx, row))) {
      throw conflict('already_subscribed', `Member ${input.memberId} already has a live subscription of this plan`, 'planId');
    }
    const period = await this.openPeriod(tx, row, 0, now, end, trial ? 'trial' : 'paid', priced);
    if (period.status === 'unpaid') {
      throw businessRule('payment_failed', 'The payment for the subscription did not go through; nothing was subscribed');
    }
    await this.grant(tx, row, period, priced.benefitIds);
    await this.emit(tx, 'subscription.created', row);
    return this.detail(tx, row.id);
  }

  async get(id: string): Promise<SubscriptionDetail> {
    return this.detail(this.db.read, id);
  }

  async ofMember(memberId: string, limit: number, startingAfter?: string): Promise<{ data: Subscription[]; hasMore: boolean }> {
    if (!(await this.members.exists(this.db.read, memberId))) throw notFound('member', memberId, 'id');
    const rows = await this.store.ofMember(this.db.read, memberId, limit + 1, startingAfter);
    return { data: rows.slice(0, limit).map(toSubscription), hasMore: rows.length > limit };
  }

  async livePlanIds(db: Executor, memberId: string): Promise<string[]> {
    return this.store.livePlanIds(db, memberId);
  }

  /**
   * Cancels at the end of the paid period (the default) or now. Now gives back the unused share
   * of the period's charge (prorated, rounded down), all of it (full) or nothing, and revokes
   * what was granted but not yet delivered.
   */
  async cancel(tx: Tx, id: string, input: { atPeriodEnd?: boolean; refund?: CancelRefund }): Promise<SubscriptionDetail> {
    const sub = await this.store.lock(tx, id);
    if (!sub) throw notFound('subscription', id, 'id');
    if (!LIVE_STATUSES.includes(sub.status as never)) throw conflict('invalid_state', `Subscription ${id} is ${sub.status}`);
    const now = this.clock.now();
    const atPeriodEnd = input.atPeriodEnd ?? true;
    if (atPeriodEnd) {
      if (input.refund !== undefined && input.refund !== 'none') {
        throw businessRule('refund_not_allowed', 'A cancellation at period end refunds nothing; cancel now to refund', 'refund');
      }
      await this.store.update(tx, id, { cancel_at_period_end: 1, canceled_at: now, updated_at: now });
      return this.detail(tx, id);
    }
    let refunded = 0;
    const period = await this.store.period(tx, id, sub.period_index);
    if (period && period.kind === 'paid' && period.payment_id && (input.refund ?? 'prorated') !== 'none') {
      const owed =
        input.refund === 'full'
          ? period.price_amount
          : proratedRefund(period.price_amount, period.starts_at, period.ends_at, now);
      refunded = Math.max(0, Math.min(owed, period.price_amount - period.refunded_amount));
      if (refunded > 0) await this.refundPeriod(tx, sub, period, refunded, 'canceled');
    }
    await this.store.update(tx, id, { status: 'canceled', canceled_at: now, ended_at: now, updated_at: now });
    await this.benefits.revokeUnfulfilled(tx, id, 'subscription canceled', now);
    await this.emit(tx, 'subscription.canceled', { ...sub, status: 'canceled' }, { atPeriodEnd: false, endedAt: new Date(now).toISOString() });
    return { ...(await this.detail(tx, id)), refund: { amount: refunded, currency: sub.currency } };
  }

  /**
   * The renewal job: every live subscription whose period has ended is renewed (re-quoted at the
   * member's score now), ended (canceled at period end), or, when payment fails, made past_due.
   * Safe to run on several nodes at once: each renewal claims its period by a conditional update.
   */
  async runDue(options: { batch?: number } = {}): Promise<{ renewed: number; ended: number; pastDue: number; expired: number; skipped: number }> {
    const result = { renewed: 0, ended: 0, pastDue: 0, expired: 0, skipped: 0 };
    const batch = options.batch ?? 200;
    for (let round = 0; round < 10_000; round++) {
      const due = await this.store.due(this.db.read, ['active', 'trialing'], this.clock.now(), batch);
      if (due.length === 0) break;
      const outcomes = await Promise.all(
        due.map((d) => this.db.write((tx) => this.renewOne(tx, d.id, d.current_period_end)).catch(() => 'skipped' as const)),
      );
      for (const outcome of outcomes) result[outcome]++;
      if (outcomes.every((o) => o === 'skipped')) break;
    }
    for (let round = 0; round < 10_000; round++) {
      const ids = await this.store.pastDue(this.db.read, this.clock.now() - PAST_DUE_RETRY_MS, batch);
      if (ids.length === 0) break;
      const outcomes = await Promise.all(ids.map((id) => this.db.write((tx) => this.retryPastDue(tx, id))));
      for (const outcome of outcomes) result[outcome]++;
      if (outcomes.every((o) => o === 'skipped')) break;
    }
    return result;
  }

  /** Renews (or ends) one subscription whose period ends at `expectedEnd`; nothing if another run did. */
  async renewOne(tx: Tx, id: string, expectedEnd: number): Promise<'renewed' | 'ended' | 'pastDue' | 'skipped'> {
    const sub = await this.store.find(tx, id);
    if (!sub || sub.current_period_end !== expectedEnd || !['active', 'trialing'].includes(sub.status)) return 'skipped';
    const now = this.clock.now();
    if (sub.cancel_at_period_end === 1) {
      const ended = await this.store.advance(tx, id, expectedEnd, { status: 'canceled', ended_at: expectedEnd, updated_at: now });
      if (!ended) return 'skipped';
      await this.benefits.revokeUnfulfilled(tx, id, 'subscription ended at period end');
      await this.emit(tx, 'subscription.canceled', { ...sub, status: 'canceled' }, { atPeriodEnd: true, endedAt: new Date(expectedEnd).toISOString() });
      return 'ended';
    }
    const snapshot = await this.plans.snapshot(tx, sub.plan_id);
    const start = expectedEnd;
    let end = addTerm(sub.anchor_at, snapshot.term);
    for (let k = 2; end <= start; k++) end = addTerm(sub.anchor_at, snapshot.term, k);
    const index = sub.period_index + 1;
    if (!(await this.store.advance(tx, id, expectedEnd, { period_index: index, current_period_start: start, current_period_end: end, updated_at: now }))) {
      return 'skipped';
    }
    const bundle = sub.joint_product_id && this.bundles ? await this.bundles.renewalTerms(tx, sub.joint_product_id) : undefined;
    let priced: PricedTerm;
    try {
      priced = await this.price(tx, sub.member_id, snapshot, bundle);
    } catch (error) {
      // The plan no longer has a price for this member (no default, score below every rule): the subscription lapses.
      if (!(error instanceof AppError && error.code === 'not_eligible')) throw error;
      await this.store.update(tx, id, { period_index: sub.period_index, current_period_start: sub.current_period_start, current_period_end: expectedEnd, status: 'expired', ended_at: expectedEnd, updated_at: now });
      await this.benefits.revokeUnfulfilled(tx, id, 'no price applies at renewal');
      await this.emit(tx, 'subscription.expired', { ...sub, status: 'expired' }, { reason: 'no price applies at renewal', endedAt: new Date(expectedEnd).toISOString() });
      return 'ended';
    }
    const period = await this.openPeriod(tx, sub, index, start, end, 'paid', priced);
    const paid = period.status === 'paid';
    await this.store.update(tx, id, {
      status: paid ? 'active' : 'past_due',
      past_due_since: paid ? null : now,
      updated_at: now,
      plan_version_id: priced.planVersionId,
      price_amount: priced.amount,
      currency: priced.currency,
      price_rule: JSON.stringify(priced.rule),
      score_used: priced.score,
    });
    const renewed: SubscriptionsTable = { ...sub, status: paid ? 'active' : 'past_due', period_index: index, current_period_start: start, current_period_end: end, price_amount: priced.amount, currency: priced.currency };
    if (!paid) {
      await this.emit(tx, 'subscription.past_due', renewed);
      return 'pastDue';
    }
    await this.grant(tx, { ...sub, period_index: index }, period, priced.benefitIds);
    await this.emit(tx, 'subscription.renewed', renewed);
    return 'renewed';
  }

  /** Charges a past_due subscription's open period again; expires it after the grace period. */
  async retryPastDue(tx: Tx, id: string): Promise<'renewed' | 'expired' | 'skipped' | 'pastDue'> {
    const sub = await this.store.lock(tx, id);
    if (!sub || sub.status !== 'past_due') return 'skipped';
    const now = this.clock.now();
    const period = await this.store.period(tx, id, sub.period_index);
    if (!period || period.status !== 'unpaid') return 'skipped';
    const paymentId = await this.charge(tx, sub, period);
    if (paymentId) {
      await this.store.updatePeriod(tx, period.id, { status: 'paid', payment_id: paymentId });
      await this.store.update(tx, id, { status: 'active', past_due_since: null, updated_at: now });
      const snapshot = await this.plans.snapshot(tx, sub.plan_id, period.plan_version_id);
      const bundle = sub.joint_product_id && this.bundles ? await this.bundles.renewalTerms(tx, sub.joint_product_id) : undefined;
      await this.grant(tx, sub, { ...period, payment_id: paymentId, status: 'paid' }, [...snapshot.plan.benefitIds, ...(bundle?.benefitIds ?? [])]);
      await this.emit(tx, 'subscription.renewed', { ...sub, status: 'active' });
      return 'renewed';
    }
    if (now - (sub.past_due_since ?? now) < PAST_DUE_GRACE_MS) {
      await this.store.update(tx, id, { updated_at: now });
      return 'pastDue';
    }
    await this.store.updatePeriod(tx, period.id, { status: 'void' });
    await this.store.update(tx, id, { status: 'expired', ended_at: now, updated_at: now });
    await this.benefits.revokeUnfulfilled(tx, id, 'subscription expired unpaid', now);
    await this.emit(tx, 'subscription.expired', { ...sub, status: 'expired' }, { reason: 'unpaid past the grace period', endedAt: new Date(now).toISOString() });
    return 'expired';
  }

  private async price(db: Executor, memberId: string, snapshot: PlanSnapshot, bundle: BundleTerms | undefined): Promise<PricedTerm> {
    if (bundle) {
      const { score } = await this.loyalty.scoreNow(db, memberId);
      return {
        amount: bundle.price.amount,
        currency: bundle.price.currency,
        rule: { index: -1, minLoyaltyScore: null, description: bundle.description },
        score,
        planVersionId: snapshot.plan.versionId,
        benefitIds: [...snapshot.plan.benefitIds, ...bundle.benefitIds.filter((b) => !snapshot.plan.benefitIds.includes(b))],
      };
    }
    const { score } = await this.loyalty.scoreNow(db, memberId);
    const chosen = this.plans.priceFor(snapshot.plan, score);
    return {
      amount: chosen.amount,
      currency: snapshot.plan.currency,
      rule: { index: chosen.index, minLoyaltyScore: chosen.minLoyaltyScore, description: describeRule(chosen) },
      score,
      planVersionId: snapshot.plan.versionId,
      benefitIds: snapshot.plan.benefitIds,
    };
  }

  /** Records a period at its price and charges it (trials and free prices charge nothing). */
  private async openPeriod(
    tx: Tx,
    sub: SubscriptionsTable,
    index: number,
    start: number,
    end: number,
    kind: 'trial' | 'paid',
    priced: PricedTerm,
  ): Promise<SubscriptionPeriodsTable> {
    const period: SubscriptionPeriodsTable = {
      id: newId('per'),
      subscription_id: sub.id,
      period_index: index,
      kind,
      starts_at: start,
      ends_at: end,
      plan_version_id: priced.planVersionId,
      price_amount: kind === 'trial' ? 0 : priced.amount,
      currency: priced.currency,
      price_rule: JSON.stringify(priced.rule),
      score_used: priced.score,
      payment_id: null,
      status: 'paid',
      refunded_amount: 0,
      created_at: this.clock.now(),
    };
    await this.store.insertPeriod(tx, period);
    if (period.price_amount > 0) {
      const paymentId = await this.charge(tx, { ...sub, currency: priced.currency }, period);
      period.payment_id = paymentId;
      period.status = paymentId ? 'paid' : 'unpaid';
      await this.store.updatePeriod(tx, period.id, { payment_id: paymentId, status: period.status });
    }
    return period;
  }

  /** Takes the payment for a period; the payment id when it went through. */
  private async charge(tx: Tx, sub: SubscriptionsTable, period: SubscriptionPeriodsTable): Promise<string | null> {
    const outcome = await this.payments.charge(tx, {
      memberId: sub.member_id,
      subscriptionId: sub.id,
      periodId: period.id,
      amount: period.price_amount,
      currency: period.currency,
      description: `subscription ${sub.id} period ${period.period_index}`,
    });
    const id = newId('pay');
    await this.store.insertPayment(tx, {
      id,
      member_id: sub.member_id,
      subscription_id: sub.id,
      period_id: period.id,
      kind: 'charge',
      amount: period.price_amount,
      currency: period.currency,
      method: outcome.method,
      status: outcome.status,
      reference: outcome.reference,
      refunds_payment_id: null,
      created_at: this.clock.now(),
    });
    if (outcome.status !== 'succeeded') return null;
    if (sub.joint_product_id && this.bundles) await this.bundles.charged(tx, sub, id, period.price_amount);
    return id;
  }

  private async refundPeriod(tx: Tx, sub: SubscriptionsTable, period: SubscriptionPeriodsTable, amount: number, reason: string): Promise<void> {
    const outcome = await this.payments.refund(tx, {
      memberId: sub.member_id,
      subscriptionId: sub.id,
      paymentId: period.payment_id!,
      amount,
      currency: period.currency,
      reason,
    });
    if (outcome.status !== 'succeeded') {
      throw businessRule('refund_failed', `The refund of ${amount} did not go through: ${outcome.failureReason ?? 'declined'}`);
    }
    const id = newId('pay');
    await this.store.insertPayment(tx, {
      id,
      member_id: sub.member_id,
      subscription_id: sub.id,
      period_id: period.id,
      kind: 'refund',
      amount,
      currency: period.currency,
      method: outcome.method,
      status: outcome.status,
      reference: outcome.reference,
      refunds_payment_id: period.payment_id,
      created_at: this.clock.now(),
    });
    const total = period.refunded_amount + amount;
    await this.store.updatePeriod(tx, period.id, { refunded_amount: total, status: total === period.price_amount ? 'refunded' : 'partially_refunded' });
    if (sub.joint_product_id && this.bundles) await this.bundles.refunded(tx, sub, id, period.payment_id!, amount);
  }

  /** A webhook event (outbox), in the transaction of the change. */
  private async emit(tx: Tx, topic: string, sub: SubscriptionsTable, extra: Record<string, unknown> = {}): Promise<void> {
    await this.outbox.add(tx, topic, sub.id, {
      subscriptionId: sub.id,
      memberId: sub.member_id,
      planId: sub.plan_id,
      status: sub.status,
      price: { amount: sub.price_amount, currency: sub.currency },
      periodIndex: sub.period_index,
      currentPeriodStart: new Date(sub.current_period_start).toISOString(),
      currentPeriodEnd: new Date(sub.current_period_end).toISOString(),
      jointProductId: sub.joint_product_id,
      ...extra,
    });
  }

  private async grant(tx: Tx, sub: SubscriptionsTable, period: SubscriptionPeriodsTable, benefitIds: string[]): Promise<void> {
    if (benefitIds.length === 0) return;
    await this.benefits.grantForTerm(tx, {
      memberId: sub.member_id,
      subscriptionId: sub.id,
      periodId: period.id,
      benefitIds,
      validFrom: period.starts_at,
      validUntil: period.ends_at,
    });
  }

  private async detail(db: Executor, id: string): Promise<SubscriptionDetail> {
    const row = await this.store.find(db, id);
    if (!row) throw notFound('subscription', id, 'id');
    return {
      ...toSubscription(row),
      periods: (await this.store.periods(db, id)).map(toPeriod),
      payments: (await this.store.payments(db, id)).map(toPayment),
      entitlements: await this.benefits.ofSubscription(db, id),
    };
  }
}
