import type { LedgerService } from '../ledger/index.js';
import type { MemberService } from '../members/index.js';
import type { Clock } from '../platform/clock.js';
import { conflict, invalid, notFound } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Outbox } from '../platform/outbox.js';
import type { Db, EntitlementsTable, Executor, Tx } from '../schema.js';
import {
  discountCovers,
  discountOn,
  toBenefit,
  toEntitlement,
  type Benefit,
  type BenefitConfig,
  type BenefitKind,
  type Entitlement,
  type EntitlementStatus,
} from './benefit.js';
import { maskCode } from '../pools/pool.js';
import type { BenefitStore } from './benefit-store.js';

export interface CreateBenefitInput extends BenefitConfig {
  code: string;
  name: string;
  kind: BenefitKind;
}

export interface GrantInput {
  memberId: string;
  subscriptionId: string;
  periodId: string;
  benefitIds: string[];
  validFrom: number;
  validUntil: number;
}

export interface DiscountCheck {
  memberId: string;
  applies: boolean;
  discount: { amount: number; currency: string } | null;
  percentBp: number | null;
  benefitId: string | null;
  entitlementId: string | null;
}

/** Checks an offer of benefits against the partners' agreements (src/partners, wired in main.ts); throws to refuse. */
export type OfferCheck = (
  db: Executor,
  offer: { benefits: BenefitConfig[] & Array<{ kind: BenefitKind }>; channel: 'benefit' | 'plan' | 'joint'; programCodes?: string[]; param: string },
) => Promise<void>;

/** Sends a granted partner membership to its partner for activation (src/partners); by default an outbox event. */
export type ActivationRequest = (
  tx: Tx,
  request: { entitlementId: string; memberId: string; benefit: Benefit; validFrom: number; validUntil: number },
) => Promise<void>;

/**
 * Where pool_code benefits get their codes: the procurement side's own claim path, so a code
 * handed out with a membership is counted, audited and never issued twice exactly like one
 * exchanged for points.
 */
export interface CodeSource {
  poolExists(db: Executor, poolId: string): Promise<boolean>;
  claimCode(tx: Tx, poolId: string, ref: string): Promise<{ codeId: string; batchId: string; expiresAt: string | null; code: string } | undefined>;
  revealCode(tx: Tx, codeId: string, actor: string, reason: string): Promise<{ codeId: string; code: string }>;
}

const OUT_OF_STOCK_NOTE = 'waiting for stock: the pool has no code to hand over';

const FIELDS_BY_KIND: Record<BenefitKind, Array<keyof BenefitConfig>> = {
  partner_membership: ['partner', 'membership'],
  discount: ['percentBp', 'merchants', 'categories', 'maxDiscount'],
  points_grant: ['points'],
  pool_code: ['poolId', 'partner'],
};
const REQUIRED_BY_KIND: Record<BenefitKind, Array<keyof BenefitConfig>> = {
  partner_membership: ['partner'],
  discount: ['percentBp'],
  points_grant: ['points'],
  pool_code: ['poolId'],
};

export class BenefitService {
  private codes: CodeSource | undefined;

  constructor(
    private readonly db: Db,
    private readonly store: BenefitStore,
    private readonly members: MemberService,
    private readonly ledger: LedgerService,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
  ) {}

  private offerCheck: OfferCheck = async () => undefined;
  private activationRequest: ActivationRequest | undefined;

  useExclusivity(check: OfferCheck): void {
    this.offerCheck = check;
  }

  useActivations(request: ActivationRequest): void {
    this.activationRequest = request;
  }

  /**
   * One step of a partner membership's activation, driven by src/partners: moves the
   * entitlement from one of `from` to `to` with a history event; false when it was elsewhere.
   */
  async activationStep(tx: Tx, id: string, from: EntitlementStatus[], to: EntitlementStatus, note: string, detail?: Record<string, unknown>): Promise<boolean> {
    const row = await this.store.find(tx, id);
    if (!row || !from.includes(row.status as EntitlementStatus)) return false;
    const set = { updated_at: this.clock.now(), ...(detail ? { detail: JSON.stringify({ ...(JSON.parse(row.detail) as object), ...detail }) } : {}) };
    if (!(await this.store.transition(tx, id, [row.status], to, set))) return false;
    await this.event(tx, id, to, note);
    return true;
  }

  useCodeSource(source: CodeSource): void {
    this.codes = source;
  }

  private codeSource(): CodeSource {
    if (!this.codes) throw new Error('pool_code benefits need a code source (wired in main.ts)');
    return this.codes;
  }

  async create(tx: Tx, input: CreateBenefitInput): Promise<Benefit> {
    const config: BenefitConfig = {};
    const allowed = FIELDS_BY_KIND[input.kind];
    for (const key of Object.keys(input) as Array<keyof CreateBenefitInput>) {
      if (key === 'code' || key === 'name' || key === 'kind') continue;
      if (!allowed.includes(key as keyof BenefitConfig)) throw invalid(`'${key}' does not apply to a ${input.kind} benefit`, key);
      (config as Record<string, unknown>)[key] = input[key];
    }
    for (const key of REQUIRED_BY_KIND[input.kind]) {
      if (config[key] === undefined) throw invalid(`A ${input.kind} benefit needs '${key}'`, key, 'parameter_missing');
    }
    if (config.poolId !== undefined && !(await this.codeSource().poolExists(tx, config.poolId))) {
      throw notFound('pool', config.poolId, 'poolId');
    }
    await this.offerCheck(tx, { benefits: [{ ...config, kind: input.kind }], channel: 'benefit', param: 'partner' });
    const row = { id: newId('ben'), code: input.code, name: input.name, kind: input.kind, config: JSON.stringify(config), created_at: this.clock.now() };
    if (!(await this.store.insertBenefit(tx, row))) {
      throw conflict('already_exists', `A benefit with code '${input.code}' already exists`, 'code');
    }
    return toBenefit(row);
  }

  async list(): Promise<Benefit[]> {
    return (await this.store.benefits(this.db.read)).map(toBenefit);
  }

  async getBenefit(id: string): Promise<Benefit> {
    const [row] = await this.store.benefits(this.db.read, [id]);
    if (!row) throw notFound('benefit', id, 'id');
    return toBenefit(row);
  }

  async findByCode(db: Executor, code: string): Promise<Benefit | undefined> {
    const row = await this.store.findByCode(db, code);
    return row ? toBenefit(row) : undefined;
  }

  /** Refuses ids that name no benefit; answers them in the order given. */
  async requireAll(db: Executor, ids: string[], param = 'benefitIds', offer?: { channel: 'plan' | 'joint'; programCodes: string[] }): Promise<Benefit[]> {
    const rows = new Map((await this.store.benefits(db, [...new Set(ids)])).map((r) => [r.id, r]));
    const benefits = ids.map((id, i) => {
      const row = rows.get(id);
      if (!row) throw notFound('benefit', id, `${param}.${i}`);
      return toBenefit(row);
    });
    if (offer) await this.offerCheck(db, { benefits, ...offer, param });
    return benefits;
  }

  /**
   * Grants each benefit once for one term of a subscription: points are credited at once,
   * discounts apply at once, partner memberships wait for the partner's activation (an outbox
   * event asks for it), pool codes wait for the procurement side to hand one over.
   */
  async grantForTerm(tx: Tx, input: GrantInput): Promise<Entitlement[]> {
    const benefits = await this.requireAll(tx, input.benefitIds);
    const now = this.clock.now();
    for (const benefit of benefits) {
      const row: EntitlementsTable = {
        id: newId('ent'),
        member_id: input.memberId,
        subscription_id: input.subscriptionId,
        period_id: input.periodId,
        benefit_id: benefit.id,
        kind: benefit.kind,
        status: 'pending',
        valid_from: input.validFrom,
        valid_until: input.validUntil,
        detail: '{}',
        created_at: now,
        updated_at: now,
      };
      if (!(await this.store.insertEntitlement(tx, row))) continue;
      await this.event(tx, row.id, 'pending', `granted for the term ${new Date(input.validFrom).toISOString()} to ${new Date(input.validUntil).toISOString()}`);
      await this.outbox.add(tx, 'entitlement.granted', row.id, {
        entitlementId: row.id,
        memberId: input.memberId,
        subscriptionId: input.subscriptionId,
        benefitId: benefit.id,
        kind: benefit.kind,
        validFrom: new Date(input.validFrom).toISOString(),
        validUntil: new Date(input.validUntil).toISOString(),
      });
      switch (benefit.kind) {
        case 'points_grant': {
          const txn = await this.ledger.earnSettlingDebt(tx, input.memberId, { points: benefit.points!, reason: `benefit ${benefit.code}` });
          await this.fulfil(tx, row.id, { transactionId: txn.id }, 'points credited');
          break;
        }
        case 'discount':
          await this.fulfil(tx, row.id, {}, 'discount active');
          break;
        case 'partner_membership':
          if (this.activationRequest) {
            await this.activationRequest(tx, { entitlementId: row.id, memberId: input.memberId, benefit, validFrom: input.validFrom, validUntil: input.validUntil });
            break;
          }
          await this.outbox.add(tx, 'entitlement.activation_requested', row.id, {
            entitlementId: row.id,
            memberId: input.memberId,
            benefitId: benefit.id,
            partner: benefit.partner,
            membership: benefit.membership ?? null,
            validFrom: new Date(input.validFrom).toISOString(),
            validUntil: new Date(input.validUntil).toISOString(),
          });
          break;
        case 'pool_code':
          await this.handOverCode(tx, row.id, benefit.poolId!);
          break;
      }
    }
    return (await this.store.ofPeriod(tx, input.periodId)).map((r) => toEntitlement(r));
  }

  /**
   * Claims one code for a pending pool_code entitlement. With the pool empty the entitlement
   * stays pending (with a note, once) and `fulfilPendingCodes` tries again when stock returns.
   */
  private async handOverCode(tx: Tx, entitlementId: string, poolId: string): Promise<boolean> {
    const claimed = await this.codeSource().claimCode(tx, poolId, entitlementId);
    if (!claimed) {
      const waiting = await this.store.lastEvent(tx, entitlementId);
      if (waiting?.note !== OUT_OF_STOCK_NOTE) await this.event(tx, entitlementId, 'pending', OUT_OF_STOCK_NOTE);
      return false;
    }
    await this.fulfil(
      tx,
      entitlementId,
      { poolId, codeId: claimed.codeId, batchId: claimed.batchId, maskedCode: maskCode(claimed.code), codeExpiresAt: claimed.expiresAt },
      'code handed over',
    );
    return true;
  }

  /** Retries pool_code entitlements that found their pool empty; each in its own transaction. */
  async fulfilPendingCodes(limit = 500): Promise<{ fulfilled: number; waiting: number }> {
    const now = this.clock.now();
    const pending = await this.store.pendingPoolCodes(this.db.read, now, limit);
    let fulfilled = 0;
    for (const { id } of pending) {
      const done = await this.db.write(async (tx) => {
        const row = await this.store.find(tx, id);
        if (!row || row.status !== 'pending' || row.valid_until <= now) return false;
        const [benefit] = await this.store.benefits(tx, [row.benefit_id]);
        const poolId = benefit ? toBenefit(benefit).poolId : undefined;
        return poolId ? this.handOverCode(tx, id, poolId) : false;
      });
      if (done) fulfilled++;
    }
    return { fulfilled, waiting: pending.length - fulfilled };
  }

  /** The clear code of a fulfilled pool_code entitlement, for an admin; recorded in the code's reveal audit. */
  async revealCode(tx: Tx, id: string, actor: string, reason: string): Promise<Entitlement & { code: string }> {
    const row = await this.store.find(tx, id);
    if (!row) throw notFound('entitlement', id, 'id');
    const codeId = (JSON.parse(row.detail) as { codeId?: string }).codeId;
    if (row.kind !== 'pool_code' || codeId === undefined) {
      throw conflict('invalid_state', `Entitlement ${id} holds no code (${row.kind}, ${row.status})`);
    }
    const { code } = await this.codeSource().revealCode(tx, codeId, actor, `entitlement ${id}: ${reason}`);
    return { ...(await this.getWith(tx, id)), code };
  }

  /** A partner (or the procurement side) reports the benefit delivered. */
  async markFulfilled(tx: Tx, id: string, detail: Record<string, unknown>, note = 'fulfilled'): Promise<Entitlement> {
    const row = await this.store.find(tx, id);
    if (!row) throw notFound('entitlement', id, 'id');
    if (row.status === 'fulfilled') return this.getWith(tx, id);
    if (!(await this.fulfil(tx, id, { ...(JSON.parse(row.detail) as object), ...detail }, note))) {
      throw conflict('invalid_state', `Entitlement ${id} is ${row.status}; only a pending one can be fulfilled`);
    }
    return this.getWith(tx, id);
  }

  async markFailed(tx: Tx, id: string, reason: string): Promise<Entitlement> {
    const row = await this.store.find(tx, id);
    if (!row) throw notFound('entitlement', id, 'id');
    if (!(await this.store.transition(tx, id, ['pending'], 'failed', { updated_at: this.clock.now() }))) {
      throw conflict('invalid_state', `Entitlement ${id} is ${row.status}; only a pending one can fail`);
    }
    await this.event(tx, id, 'failed', reason);
    return this.getWith(tx, id);
  }

  /**
   * On cancel or refund: what was not yet delivered is revoked; discounts (delivered but still
   * running) end at `endAt` when it comes before their term's end.
   */
  async revokeUnfulfilled(tx: Tx, subscriptionId: string, reason: string, endAt?: number): Promise<number> {
    const now = this.clock.now();
    let revoked = 0;
    for (const row of await this.store.ofSubscription(tx, subscriptionId)) {
      if (
        (row.status === 'pending' || row.status === 'activation_failed') &&
        (await this.store.transition(tx, row.id, ['pending', 'activation_failed'], 'revoked', { updated_at: now }))
      ) {
        await this.event(tx, row.id, 'revoked', reason);
        await this.outbox.add(tx, 'entitlement.revoked', row.id, { entitlementId: row.id, memberId: row.member_id, subscriptionId, benefitId: row.benefit_id, kind: row.kind, reason });
        revoked++;
      } else if (row.status === 'fulfilled' && row.kind === 'discount' && endAt !== undefined && row.valid_until > endAt) {
        await this.store.transition(tx, row.id, ['fulfilled'], 'fulfilled', { valid_until: Math.max(endAt, row.valid_from), updated_at: now });
        await this.event(tx, row.id, 'fulfilled', `ended early: ${reason}`);
      }
    }
    return revoked;
  }

  async ofSubscription(db: Executor, subscriptionId: string): Promise<Entitlement[]> {
    return (await this.store.ofSubscription(db, subscriptionId)).map((r) => toEntitlement(r));
  }

  async getEntitlement(id: string): Promise<Entitlement> {
    return this.getWith(this.db.read, id);
  }

  async ofMember(memberId: string, activeOnly: boolean, limit: number, startingAfter?: string): Promise<{ data: Entitlement[]; hasMore: boolean }> {
    if (!(await this.members.exists(this.db.read, memberId))) throw notFound('member', memberId, 'id');
    const rows = await this.store.ofMember(this.db.read, memberId, activeOnly ? this.clock.now() : undefined, limit + 1, startingAfter);
    return { data: rows.slice(0, limit).map((r) => toEntitlement(r)), hasMore: rows.length > limit };
  }

  /** The best discount the member holds now for this purchase. */
  async checkDiscount(input: { memberId: string; amount: number; currency: string; merchant?: string; category?: string }): Promise<DiscountCheck> {
    if (!(await this.members.exists(this.db.read, input.memberId))) throw notFound('member', input.memberId, 'memberId');
    const rows = await this.store.activeDiscounts(this.db.read, input.memberId, this.clock.now());
    const benefits = new Map((await this.store.benefits(this.db.read, [...new Set(rows.map((r) => r.benefit_id))])).map((b) => [b.id, toBenefit(b)]));
    let best: DiscountCheck = { memberId: input.memberId, applies: false, discount: null, percentBp: null, benefitId: null, entitlementId: null };
    for (const row of rows) {
      const benefit = benefits.get(row.benefit_id);
      if (!benefit || !discountCovers(benefit, input.merchant, input.category)) continue;
      const amount = discountOn(benefit, input.amount, input.currency);
      if (!best.applies || amount > best.discount!.amount) {
        best = {
          memberId: input.memberId,
          applies: true,
          discount: { amount, currency: input.currency },
          percentBp: benefit.percentBp ?? null,
          benefitId: benefit.id,
          entitlementId: row.id,
        };
      }
    }
    return best;
  }

  private async fulfil(tx: Tx, id: string, detail: Record<string, unknown>, note: string): Promise<boolean> {
    const ok = await this.store.transition(tx, id, ['pending'], 'fulfilled', { detail: JSON.stringify(detail), updated_at: this.clock.now() });
    if (ok) await this.event(tx, id, 'fulfilled', note);
    return ok;
  }

  private async event(tx: Tx, entitlementId: string, status: string, note: string): Promise<void> {
    await this.store.insertEvent(tx, { id: newId('eev'), entitlement_id: entitlementId, status, note, created_at: this.clock.now() });
  }

  private async getWith(db: Executor, id: string): Promise<Entitlement> {
    const row = await this.store.find(db, id);
    if (!row) throw notFound('entitlement', id, 'id');
    return toEntitlement(row, await this.store.events(db, id));
  }
}
