import type { BenefitService } from '../benefits/index.js';
import type { LoyaltyService } from '../loyalty/index.js';
import type { MemberService } from '../members/index.js';
import type { Clock } from '../platform/clock.js';
import { businessRule, conflict, invalid, notFound } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Db, Executor, PlansTable, PlanVersionsTable, Tx } from '../schema.js';
import { choosePrice, describeRule, toPlan, type ChosenPrice, type Plan, type PriceRule, type Quote } from './plan.js';
import type { PlanStore } from './plan-store.js';
import { parseTerm, type Term } from './term.js';

type PriceInput = Array<{ minLoyaltyScore?: number; amount: { amount: number; currency: string } }>;

export interface CreatePlanInput {
  code: string;
  name: string;
  term: string;
  currency?: string;
  trial?: string;
  prices: PriceInput;
  benefitIds?: string[];
}

/** A plan as one version of it was: what a subscription is priced and granted by. */
export interface PlanSnapshot {
  plan: Plan;
  term: Term;
  trial: Term | null;
}

export class PlanService {
  constructor(
    private readonly db: Db,
    private readonly store: PlanStore,
    private readonly members: MemberService,
    private readonly loyalty: LoyaltyService,
    private readonly benefits: BenefitService,
    private readonly clock: Clock,
  ) {}

  async create(tx: Tx, input: CreatePlanInput): Promise<Plan> {
    if (!parseTerm(input.term)) throw invalid(`term '${input.term}' is not an ISO 8601 duration such as P1Y or P1M`, 'term');
    if (input.trial !== undefined && !parseTerm(input.trial)) throw invalid(`trial '${input.trial}' is not an ISO 8601 duration`, 'trial');
    const currency = input.currency ?? input.prices[0]?.amount.currency;
    if (!currency) throw invalid('prices must have at least one rule', 'prices');
    const prices = this.checkPrices(input.prices, currency);
    const benefitIds = input.benefitIds ?? [];
    await this.benefits.requireAll(tx, benefitIds, 'benefitIds', { channel: 'plan', programCodes: [input.code] });
    const now = this.clock.now();
    const plan: PlansTable = {
      id: newId('plan'),
      code: input.code,
      name: input.name,
      term: input.term,
      currency,
      trial: input.trial ?? null,
      current_version: 1,
      created_at: now,
      updated_at: now,
    };
    if (!(await this.store.insertPlan(tx, plan))) throw conflict('already_exists', `A plan with code '${input.code}' already exists`, 'code');
    const version = this.versionRow(plan.id, 1, prices, benefitIds, now);
    await this.store.insertVersion(tx, version);
    return toPlan(plan, version);
  }

  /** Changing prices or benefits makes a new version; subscriptions keep theirs until renewal. */
  async newVersion(tx: Tx, planId: string, input: { prices?: PriceInput; benefitIds?: string[] }): Promise<Plan> {
    const plan = await this.store.find(tx, planId);
    if (!plan) throw notFound('plan', planId, 'id');
    const current = (await this.store.version(tx, planId, plan.current_version))!;
    const prices = input.prices ? this.checkPrices(input.prices, plan.currency) : (JSON.parse(current.prices) as PriceRule[]);
    const benefitIds = input.benefitIds ?? (JSON.parse(current.benefit_ids) as string[]);
    if (input.benefitIds) await this.benefits.requireAll(tx, benefitIds, 'benefitIds', { channel: 'plan', programCodes: [plan.code] });
    const now = this.clock.now();
    if (!(await this.store.bumpVersion(tx, planId, plan.current_version, now))) {
      throw conflict('concurrent_update', `Plan ${planId} changed meanwhile; retry`);
    }
    const version = this.versionRow(planId, plan.current_version + 1, prices, benefitIds, now);
    await this.store.insertVersion(tx, version);
    return toPlan({ ...plan, current_version: version.version, updated_at: now }, version);
  }

  async get(id: string, db: Executor = this.db.read): Promise<Plan> {
    return (await this.snapshot(db, id)).plan;
  }

  async list(limit: number, startingAfter?: string): Promise<{ data: Plan[]; hasMore: boolean }> {
    const rows = await this.store.list(this.db.read, limit + 1, startingAfter);
    const data: Plan[] = [];
    for (const row of rows.slice(0, limit)) {
      data.push(toPlan(row, (await this.store.version(this.db.read, row.id, row.current_version))!));
    }
    return { data, hasMore: rows.length > limit };
  }

  async versions(id: string): Promise<Plan[]> {
    const plan = await this.store.find(this.db.read, id);
    if (!plan) throw notFound('plan', id, 'id');
    return (await this.store.versions(this.db.read, id)).map((v) => toPlan(plan, v));
  }

  /** The plan's current version, or the given one. */
  async snapshot(db: Executor, planId: string, versionId?: string, param = 'id'): Promise<PlanSnapshot> {
    const plan = await this.store.find(db, planId);
    if (!plan) throw notFound('plan', planId, param);
    const version = versionId ? await this.store.versionById(db, versionId) : await this.store.version(db, planId, plan.current_version);
    if (!version) throw notFound('plan version', versionId ?? String(plan.current_version));
    return { plan: toPlan(plan, version), term: parseTerm(plan.term)!, trial: plan.trial ? parseTerm(plan.trial)! : null };
  }

  async exists(db: Executor, id: string): Promise<boolean> {
    return (await this.store.find(db, id)) !== undefined;
  }

  async findIdByCode(db: Executor, code: string): Promise<string | undefined> {
    return (await this.store.findByCode(db, code))?.id;
  }

  /** The price a score gets under a plan version; 422 not_eligible when no rule covers it. */
  priceFor(plan: Plan, score: number): ChosenPrice {
    const chosen = choosePrice(
      plan.prices.map((p) => ({ minLoyaltyScore: p.minLoyaltyScore, amount: p.amount.amount })),
      score,
    );
    if (!chosen) {
      throw businessRule('not_eligible', `No price of plan ${plan.code} applies at loyalty score ${score} and it has no default`);
    }
    return chosen;
  }

  /** What the member would pay now: the current version, priced at the member's score now. */
  async quote(planId: string, memberId: string, db: Executor = this.db.read, planParam = 'id'): Promise<Quote> {
    const { plan } = await this.snapshot(db, planId, undefined, planParam);
    if (!(await this.members.exists(db, memberId))) throw notFound('member', memberId, 'memberId');
    const { score } = await this.loyalty.scoreNow(db, memberId);
    const chosen = this.priceFor(plan, score);
    return {
      planId: plan.id,
      planVersion: plan.version,
      memberId,
      price: { amount: chosen.amount, currency: plan.currency },
      rule: { index: chosen.index, minLoyaltyScore: chosen.minLoyaltyScore, description: describeRule(chosen) },
      loyaltyScore: score,
      quotedAt: new Date(this.clock.now()).toISOString(),
    };
  }

  private checkPrices(prices: PriceInput, currency: string): PriceRule[] {
    if (prices.length === 0) throw invalid('prices must have at least one rule', 'prices');
    const seen = new Set<number | null>();
    return prices.map((p, i) => {
      if (p.amount.currency !== currency) {
        throw invalid(`Every price must be in the plan's currency ${currency}`, `prices.${i}.amount.currency`);
      }
      const min = p.minLoyaltyScore ?? null;
      if (seen.has(min)) {
        throw invalid(min === null ? 'Only one default price (without minLoyaltyScore) is allowed' : `Two prices for minLoyaltyScore ${min}`, `prices.${i}.minLoyaltyScore`);
      }
      seen.add(min);
      return { minLoyaltyScore: min, amount: p.amount.amount };
    });
  }

  private versionRow(planId: string, version: number, prices: PriceRule[], benefitIds: string[], now: number): PlanVersionsTable {
    return { id: newId('plv'), plan_id: planId, version, prices: JSON.stringify(prices), benefit_ids: JSON.stringify(benefitIds), created_at: now };
  }
}
