import { isValidTimeZone } from '../platform/time-zone.js';
import type { LedgerService } from '../ledger/index.js';
import type { MemberService } from '../members/index.js';
import type { Clock } from '../platform/clock.js';
import { AppError, businessRule, conflict, invalid, notFound } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { PoolService } from '../pools/index.js';
import type { RolloutService } from '../rollouts/index.js';
import type { CatalogItemsTable, Db, Executor, Tx } from '../schema.js';
import {
  LIFETIME,
  availabilityProblem,
  periodKey,
  toItem,
  type CatalogItem,
  type MemberView,
  type Period,
  type Reason,
} from './catalog-item.js';
import type { CatalogStore } from './catalog-store.js';

export interface CreateItemInput {
  name: string;
  description?: string;
  pointsPrice: number;
  poolId: string;
  perMemberLimit?: number;
  periodLimit?: { count: number; period: Period };
  timeZone?: string;
  totalCap?: number;
  /** Epoch ms. */
  availableFrom?: number | null;
  availableUntil?: number | null;
  rolloutId?: string;
}

export interface UpdateItemInput {
  name?: string;
  description?: string | null;
  pointsPrice?: number;
  perMemberLimit?: number | null;
  availableFrom?: number | null;
  availableUntil?: number | null;
  rolloutId?: string | null;
  status?: 'active' | 'archived';
}

export type ItemForMember = CatalogItem & { forMember?: MemberView };

/** What a redemption reserved, so a reversal can give it back. */
export interface Reservation {
  periodKey: string | null;
}

/** Checks that offering a pool's codes in the points mall breaks no partner agreement (src/partners, wired in main.ts). */
export type MallOfferCheck = (db: Executor, poolId: string) => Promise<void>;

export class CatalogService {
  private exclusivity: MallOfferCheck = async () => undefined;

  useExclusivity(check: MallOfferCheck): void {
    this.exclusivity = check;
  }

  constructor(
    private readonly db: Db,
    private readonly store: CatalogStore,
    private readonly pools: PoolService,
    private readonly rollouts: RolloutService,
    private readonly ledger: LedgerService,
    private readonly members: MemberService,
    private readonly clock: Clock,
  ) {}

  async create(tx: Tx, input: CreateItemInput): Promise<CatalogItem> {
    if (!(await this.pools.exists(tx, input.poolId))) throw notFound('pool', input.poolId, 'poolId');
    await this.exclusivity(tx, input.poolId);
    if (input.rolloutId !== undefined && !(await this.rollouts.exists(tx, input.rolloutId))) {
      throw notFound('rollout', input.rolloutId, 'rolloutId');
    }
    const timeZone = input.timeZone ?? 'UTC';
    if (!isValidTimeZone(timeZone)) throw invalid(`Unknown time zone '${timeZone}' (use an IANA name such as Asia/Shanghai)`, 'timeZone');
    checkWindow(input.availableFrom ?? null, input.availableUntil ?? null);
    const now = this.clock.now();
    const row: CatalogItemsTable = {
      id: newId('item'),
      name: input.name,
      description: input.description ?? null,
      points_price: input.pointsPrice,
      pool_id: input.poolId,
      per_member_limit: input.perMemberLimit ?? null,
      period_limit: input.periodLimit?.count ?? null,
      period: input.periodLimit?.period ?? null,
      time_zone: timeZone,
      total_cap: input.totalCap ?? null,
      redeemed_count: 0,
      available_from: input.availableFrom ?? null,
      available_until: input.availableUntil ?? null,
      rollout_id: input.rolloutId ?? null,
      status: 'active',
      created_at: now,
      updated_at: now,
    };
    await this.store.insert(tx, row);
    return this.get(row.id, tx);
  }

  async update(tx: Tx, id: string, input: UpdateItemInput): Promise<CatalogItem> {
    const row = await this.store.find(tx, id);
    if (!row) throw notFound('catalog item', id, 'id');
    if (input.rolloutId != null && !(await this.rollouts.exists(tx, input.rolloutId))) throw notFound('rollout', input.rolloutId, 'rolloutId');
    const from = input.availableFrom !== undefined ? input.availableFrom : row.available_from;
    const until = input.availableUntil !== undefined ? input.availableUntil : row.available_until;
    checkWindow(from, until);
    const changes: Partial<CatalogItemsTable> = { updated_at: this.clock.now(), available_from: from, available_until: until };
    if (input.name !== undefined) changes.name = input.name;
    if (input.description !== undefined) changes.description = input.description;
    if (input.pointsPrice !== undefined) changes.points_price = input.pointsPrice;
    if (input.perMemberLimit !== undefined) changes.per_member_limit = input.perMemberLimit;
    if (input.rolloutId !== undefined) changes.rollout_id = input.rolloutId;
    if (input.status !== undefined) changes.status = input.status;
    await this.store.update(tx, id, changes);
    return this.get(id, tx);
  }

  async get(id: string, db: Executor = this.db.read): Promise<CatalogItem> {
    const row = await this.store.find(db, id);
    if (!row) throw notFound('catalog item', id, 'id');
    const available = await this.pools.availableByPool(db, [row.pool_id]);
    return toItem(row, available.get(row.pool_id) ?? 0);
  }

  /** The mall, newest first; with memberId, each item says whether that member may redeem it and why not. */
  async list(options: { limit: number; startingAfter?: string; memberId?: string; includeArchived?: boolean }): Promise<{ data: ItemForMember[]; hasMore: boolean }> {
    const db = this.db.read;
    if (options.memberId !== undefined && !(await this.members.exists(db, options.memberId))) {
      throw notFound('member', options.memberId, 'memberId');
    }
    const rows = await this.store.list(db, { limit: options.limit + 1, startingAfter: options.startingAfter, activeOnly: !options.includeArchived });
    const page = rows.slice(0, options.limit);
    const available = await this.pools.availableByPool(db, [...new Set(page.map((r) => r.pool_id))]);
    const items: ItemForMember[] = page.map((r) => toItem(r, available.get(r.pool_id) ?? 0));
    if (options.memberId !== undefined) {
      const views = await this.memberViews(db, page, items, options.memberId);
      items.forEach((item, i) => (item.forMember = views[i]));
    }
    return { data: items, hasMore: rows.length > options.limit };
  }

  async forMember(id: string, memberId: string): Promise<ItemForMember> {
    const db = this.db.read;
    const row = await this.store.find(db, id);
    if (!row) throw notFound('catalog item', id, 'id');
    if (!(await this.members.exists(db, memberId))) throw notFound('member', memberId, 'memberId');
    const item = await this.get(id, db);
    const [view] = await this.memberViews(db, [row], [item], memberId);
    return { ...item, forMember: view };
  }

  // ---- the redemption path ----

  async itemForRedemption(db: Executor, id: string): Promise<CatalogItemsTable> {
    const row = await this.store.find(db, id);
    if (!row) throw notFound('catalog item', id, 'itemId');
    return row;
  }

  /**
   * Refuses a redemption the member may not make now (item not on offer, outside the rollout,
   * a limit already reached) before anything is locked or claimed. Reads only.
   */
  /** Refuses an item that is not on offer now (archived, before or after its window), whoever asks. */
  checkOnOffer(row: CatalogItemsTable): void {
    const problem = availabilityProblem(row, this.clock.now());
    if (problem) throw businessRule('not_eligible', problem.message, 'itemId');
  }

  async checkRedeemable(db: Executor, row: CatalogItemsTable, memberId: string): Promise<void> {
    this.checkOnOffer(row);
    if (row.rollout_id !== null) {
      const answer = await this.rollouts.eligibility(row.rollout_id, memberId, db);
      if (!answer.eligible) throw businessRule('not_eligible', `The member may not redeem this item yet: ${answer.explanation}`, 'memberId');
    }
    if (row.per_member_limit === null && row.period_limit === null) return;
    const counts = await this.store.memberCounts(db, memberId, [row.id]);
    const limit = this.limitProblem(row, counts);
    if (limit) throw businessRule('limit_reached', limit.message, 'itemId');
  }

  /** Counts the redemption against the member's limits and the item's cap, atomically; throws when one is reached. */
  async reserve(tx: Tx, row: CatalogItemsTable, memberId: string): Promise<Reservation> {
    const key = row.period !== null ? periodKey(row.period as Period, this.clock.now(), row.time_zone) : null;
    if (!(await this.store.countRedemption(tx, memberId, row.id, LIFETIME, row.per_member_limit))) {
      throw businessRule('limit_reached', `The member may redeem this item ${row.per_member_limit} time(s)`, 'itemId');
    }
    if (key !== null && !(await this.store.countRedemption(tx, memberId, row.id, key, row.period_limit))) {
      throw businessRule('limit_reached', `The member may redeem this item ${row.period_limit} time(s) a ${row.period}`, 'itemId');
    }
    if (row.total_cap !== null && !(await this.store.takeFromCap(tx, row.id))) {
      throw conflict('out_of_stock', `All ${row.total_cap} units of this item have been redeemed`, 'itemId');
    }
    return { periodKey: key };
  }

  /** Gives back what `reserve` took, when a redemption is reversed. */
  async release(tx: Tx, itemId: string, memberId: string, reservation: Reservation): Promise<void> {
    const row = await this.store.find(tx, itemId);
    if (!row) return;
    await this.store.uncountRedemption(tx, memberId, itemId, LIFETIME);
    if (reservation.periodKey !== null) await this.store.uncountRedemption(tx, memberId, itemId, reservation.periodKey);
    if (row.total_cap !== null) await this.store.returnToCap(tx, itemId);
  }

  private limitProblem(row: CatalogItemsTable, counts: Map<string, number>): Reason | undefined {
    const lifetime = counts.get(`${row.id}\u0000${LIFETIME}`) ?? 0;
    if (row.per_member_limit !== null && lifetime >= row.per_member_limit) {
      return { code: 'limit_reached', message: `The member may redeem this item ${row.per_member_limit} time(s) and already has` };
    }
    if (row.period !== null && row.period_limit !== null) {
      const key = periodKey(row.period as Period, this.clock.now(), row.time_zone);
      if ((counts.get(`${row.id}\u0000${key}`) ?? 0) >= row.period_limit) {
        return { code: 'limit_reached', message: `The member may redeem this item ${row.period_limit} time(s) a ${row.period}, and has this ${row.period}` };
      }
    }
    return undefined;
  }

  private async memberViews(db: Executor, rows: CatalogItemsTable[], items: CatalogItem[], memberId: string): Promise<MemberView[]> {
    const balance = (await this.ledger.balances(db, [memberId])).get(memberId) ?? 0;
    const counts = await this.store.memberCounts(db, memberId, rows.map((r) => r.id));
    const now = this.clock.now();
    return Promise.all(
      rows.map(async (row, i) => {
        const reasons: Reason[] = [];
        const availability = availabilityProblem(row, now);
        if (availability) reasons.push(availability);
        if (items[i]!.stock <= 0) reasons.push({ code: 'out_of_stock', message: 'No codes are left for this item' });
        if (row.rollout_id !== null) {
          try {
            const answer = await this.rollouts.eligibility(row.rollout_id, memberId, db);
            if (!answer.eligible) reasons.push({ code: 'not_eligible', message: `Not in the rollout: ${answer.explanation}` });
          } catch (error) {
            if (!(error instanceof AppError)) throw error;
            reasons.push({ code: 'not_eligible', message: error.message });
          }
        }
        const limit = this.limitProblem(row, counts);
        if (limit) reasons.push(limit);
        if (balance < Number(row.points_price)) {
          reasons.push({ code: 'insufficient_points', message: `The member has ${balance} points; ${row.points_price} needed` });
        }
        return {
          eligible: reasons.length === 0,
          reasons,
          pointsBalance: balance,
          redeemedByMember: counts.get(`${row.id}\u0000${LIFETIME}`) ?? 0,
        };
      }),
    );
  }
}

function checkWindow(from: number | null, until: number | null): void {
  if (from !== null && until !== null && until <= from) throw invalid('availableUntil must be after availableFrom', 'availableUntil');
}
