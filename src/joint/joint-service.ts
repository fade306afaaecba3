import type { BenefitService } from '../benefits/index.js';
import type { PlanService } from '../plans/index.js';
import type { Clock } from '../platform/clock.js';
import { conflict, invalid, notFound } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Db, Executor, JointProductsTable, SubscriptionsTable, Tx } from '../schema.js';
import type { BundleHooks, BundleTerms, SubscriptionDetail, SubscriptionService } from '../subscriptions/index.js';
import type { JointStore } from './joint-store.js';
import { checkSplit, divideByWeights, splitSale, type Share } from './split.js';

export interface JointProduct {
  id: string;
  code: string;
  name: string;
  planId: string;
  price: { amount: number; currency: string };
  benefitIds: string[];
  split: Share[];
  createdAt: string;
}

export interface SettlementEntry {
  id: string;
  party: string;
  jointProductId: string;
  subscriptionId: string;
  paymentId: string;
  kind: 'sale' | 'refund';
  amount: { amount: number; currency: string };
  createdAt: string;
}

export interface SettlementReportLine {
  party: string;
  currency: string;
  sales: number;
  refunds: number;
  net: number;
  entries: number;
}

function toProduct(row: JointProductsTable): JointProduct {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    planId: row.plan_id,
    price: { amount: row.price_amount, currency: row.currency },
    benefitIds: JSON.parse(row.benefit_ids) as string[],
    split: JSON.parse(row.split) as Share[],
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/**
 * Joint (co-branded) memberships: one product sold at one price that subscribes the member to
 * our plan and grants a partner's benefit, with the money split between the parties by
 * agreement and recorded, to the fen, in a settlement ledger kept apart from points.
 */
export class JointService implements BundleHooks {
  constructor(
    private readonly db: Db,
    private readonly store: JointStore,
    private readonly plans: PlanService,
    private readonly benefits: BenefitService,
    private readonly subscriptions: SubscriptionService,
    private readonly clock: Clock,
  ) {}

  async create(
    tx: Tx,
    input: { code: string; name: string; planId: string; price: { amount: number; currency: string }; benefitIds?: string[]; split: Share[] },
  ): Promise<JointProduct> {
    const { plan } = await this.plans.snapshot(tx, input.planId, undefined, 'planId');
    if (plan.currency !== input.price.currency) throw invalid(`The price must be in the plan's currency ${plan.currency}`, 'price.currency');
    const problem = checkSplit(input.split, input.price.amount);
    if (problem) throw invalid(`split: ${problem.message}`, `split.${problem.index}`);
    await this.benefits.requireAll(tx, input.benefitIds ?? [], 'benefitIds', { channel: 'joint', programCodes: [plan.code, input.code] });
    const row: JointProductsTable = {
      id: newId('jnt'),
      code: input.code,
      name: input.name,
      plan_id: input.planId,
      price_amount: input.price.amount,
      currency: input.price.currency,
      benefit_ids: JSON.stringify(input.benefitIds ?? []),
      split: JSON.stringify(input.split),
      created_at: this.clock.now(),
    };
    if (!(await this.store.insert(tx, row))) throw conflict('already_exists', `A joint product with code '${input.code}' already exists`, 'code');
    return toProduct(row);
  }

  async get(id: string, db: Executor = this.db.read): Promise<JointProduct> {
    const row = await this.store.find(db, id);
    if (!row) throw notFound('joint product', id, 'id');
    return toProduct(row);
  }

  async findByCode(db: Executor, code: string): Promise<JointProduct | undefined> {
    const row = await this.store.findByCode(db, code);
    return row ? toProduct(row) : undefined;
  }

  async list(): Promise<JointProduct[]> {
    return (await this.store.list(this.db.read)).map(toProduct);
  }

  async purchase(tx: Tx, id: string, memberId: string): Promise<SubscriptionDetail> {
    const product = await this.get(id, tx);
    return this.subscriptions.create(tx, { memberId, planId: product.planId }, this.terms(product));
  }

  async renewalTerms(db: Executor, jointProductId: string): Promise<BundleTerms> {
    return this.terms(await this.get(jointProductId, db));
  }

  async charged(tx: Tx, subscription: SubscriptionsTable, paymentId: string, amount: number): Promise<void> {
    const product = await this.get(subscription.joint_product_id!, tx);
    // A charge at the product's price splits by the agreement; any other amount in the same proportion.
    const parts =
      amount === product.price.amount
        ? splitSale(product.split, amount)
        : divideByWeights(amount, splitSale(product.split, product.price.amount));
    await this.record(tx, product, subscription.id, paymentId, 'sale', product.split.map((s, i) => [s.party, parts[i]!]));
  }

  async refunded(tx: Tx, subscription: SubscriptionsTable, refundPaymentId: string, chargePaymentId: string, amount: number): Promise<void> {
    const product = await this.get(subscription.joint_product_id!, tx);
    const sale = await this.store.entriesOfPayment(tx, chargePaymentId);
    // A refund comes back from each party in proportion to what each received for that charge.
    const parts = divideByWeights(amount, sale.map((e) => e.amount));
    await this.record(tx, product, subscription.id, refundPaymentId, 'refund', sale.map((e, i) => [e.party, -parts[i]!]));
  }

  async entries(filter: { party?: string; from?: number; to?: number }, limit: number, startingAfter?: string): Promise<{ data: SettlementEntry[]; hasMore: boolean }> {
    const rows = await this.store.entries(this.db.read, filter, limit + 1, startingAfter);
    return {
      data: rows.slice(0, limit).map((r) => ({
        id: r.id,
        party: r.party,
        jointProductId: r.joint_product_id,
        subscriptionId: r.subscription_id,
        paymentId: r.payment_id,
        kind: r.kind as SettlementEntry['kind'],
        amount: { amount: r.amount, currency: r.currency },
        createdAt: new Date(r.created_at).toISOString(),
      })),
      hasMore: rows.length > limit,
    };
  }

  async report(filter: { party?: string; from?: number; to?: number }): Promise<{ from: string | null; to: string | null; data: SettlementReportLine[] }> {
    if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) throw invalid('from must be before to', 'from');
    const rows = await this.store.report(this.db.read, filter);
    return {
      from: filter.from === undefined ? null : new Date(filter.from).toISOString(),
      to: filter.to === undefined ? null : new Date(filter.to).toISOString(),
      data: rows.map((r) => ({
        party: r.party,
        currency: r.currency,
        sales: Number(r.sales),
        refunds: Number(r.refunds),
        net: Number(r.net),
        entries: Number(r.entries),
      })),
    };
  }

  private terms(product: JointProduct): BundleTerms {
    return { jointProductId: product.id, price: product.price, benefitIds: product.benefitIds, description: `joint product ${product.code}` };
  }

  private async record(tx: Tx, product: JointProduct, subscriptionId: string, paymentId: string, kind: 'sale' | 'refund', parts: Array<[string, number]>) {
    const now = this.clock.now();
    await this.store.insertEntries(
      tx,
      parts.map(([party, amount]) => ({
        id: newId('stl'),
        party,
        joint_product_id: product.id,
        subscription_id: subscriptionId,
        payment_id: paymentId,
        kind,
        amount,
        currency: product.price.currency,
        created_at: now,
      })),
    );
  }
}
