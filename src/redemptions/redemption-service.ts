import type { CatalogService } from '../catalog/index.js';
import type { LedgerService } from '../ledger/index.js';
import type { MemberService } from '../members/index.js';
import type { Clock } from '../platform/clock.js';
import { AppError, conflict, notFound } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Outbox } from '../platform/outbox.js';
import type { PoolService } from '../pools/index.js';
import type { CatalogItemsTable, Db, Executor, Tx } from '../schema.js';
import { toRedemption, type Redemption } from './redemption.js';
import type { RedemptionStore } from './redemption-store.js';

export interface RedeemInput {
  memberId: string;
  itemId: string;
}

export interface RedemptionReceipt {
  id: string;
  code: string;
  pointsSpent: number;
  memberId: string;
  itemId: string;
  transactionId: string;
  codeExpiresAt: string | null;
  createdAt: string;
}

export class RedemptionService {
  constructor(
    private readonly db: Db,
    private readonly store: RedemptionStore,
    private readonly catalog: CatalogService,
    private readonly pools: PoolService,
    private readonly ledger: LedgerService,
    private readonly members: MemberService,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
  ) {}

  /**
   * Exchanges points for one code, all in the caller's transaction: check the item and the
   * member, claim a code, count the member's limit, debit the points, record the redemption.
   * Any refusal throws, and the write's savepoint undoes whatever was done: a member who loses
   * the race for the last code, or hits a limit, keeps every point.
   */
  async redeem(tx: Tx, input: RedeemInput): Promise<RedemptionReceipt> {
    const item = await this.check(tx, input);
    const price = Number(item.points_price);
    const id = newId('red');
    // The claim comes before anything that locks; a lost race for the last code ends here.
    const code = await this.pools.claimCode(tx, item.pool_id, id);
    if (!code) throw conflict('out_of_stock', `No codes are left for '${item.name}'`, 'itemId');
    const reservation = await this.catalog.reserve(tx, item, input.memberId);
    const debit = await this.ledger.spend(tx, input.memberId, { points: price, reason: `mall: ${item.name} (${id})` });
    const now = this.clock.now();
    await this.store.insert(tx, {
      id,
      member_id: input.memberId,
      item_id: item.id,
      pool_id: item.pool_id,
      code_id: code.codeId,
      transaction_id: debit.id,
      points_spent: price,
      period_key: reservation.periodKey,
      status: 'completed',
      reversal_transaction_id: null,
      reversal_reason: null,
      created_at: now,
      reversed_at: null,
    });
    await this.outbox.add(tx, 'redemption.completed', id, {
      redemptionId: id,
      memberId: input.memberId,
      itemId: item.id,
      poolId: item.pool_id,
      codeId: code.codeId,
      pointsSpent: price,
    });
    return {
      id,
      code: code.code,
      pointsSpent: price,
      memberId: input.memberId,
      itemId: item.id,
      transactionId: debit.id,
      codeExpiresAt: code.expiresAt,
      createdAt: new Date(now).toISOString(),
    };
  }

  /** Item first (not found, not on offer, sold out), then the member (unknown, outside the rollout, at a limit, short of points). */
  private async check(db: Executor, input: RedeemInput): Promise<CatalogItemsTable> {
    const item = await this.catalog.itemForRedemption(db, input.itemId);
    this.catalog.checkOnOffer(item);
    // A plain read: the claim decides for real, but a sold-out item is refused after two queries.
    // (Measured: answering this from the read connection before the write costs more than it
    // saves; failed jobs are cheap inside a group commit.)
    if (!(await this.pools.hasStock(db, item.pool_id))) {
      throw conflict('out_of_stock', `No codes are left for '${item.name}'`, 'itemId');
    }
    // Every member has a points account: no account, no member.
    const balance = (await this.ledger.balances(db, [input.memberId])).get(input.memberId);
    if (balance === undefined) throw notFound('member', input.memberId, 'memberId');
    await this.catalog.checkRedeemable(db, item, input.memberId);
    const price = Number(item.points_price);
    if (balance < price) {
      throw new AppError(422, 'insufficient_points', `The member has ${balance} points; ${price} needed`, 'memberId');
    }
    return item;
  }

  /** For answers kept by the idempotency record: the code sealed, opened by `openAnswer` when sent. */
  sealAnswer<T extends { code?: string }>(answer: T): T {
    return this.pools.sealAnswer(answer);
  }

  openAnswer(payload: unknown): unknown {
    return this.pools.openAnswer(payload);
  }

  async get(id: string): Promise<Redemption> {
    const row = await this.store.find(this.db.read, id);
    if (!row) throw notFound('redemption', id, 'id');
    return { ...toRedemption(row), maskedCode: await this.pools.maskedCode(this.db.read, row.code_id) };
  }

  async listForMember(memberId: string, limit: number, startingAfter?: string): Promise<{ data: Redemption[]; hasMore: boolean }> {
    if (!(await this.members.exists(this.db.read, memberId))) throw notFound('member', memberId, 'id');
    const rows = await this.store.listByMember(this.db.read, memberId, limit + 1, startingAfter);
    const page = rows.slice(0, limit);
    const data = await Promise.all(
      page.map(async (r) => ({ ...toRedemption(r), maskedCode: await this.pools.maskedCode(this.db.read, r.code_id) })),
    );
    return { data, hasMore: rows.length > limit };
  }

  /** The code of a redemption in clear, for an admin (member support); recorded in the code's reveal audit. */
  async reveal(tx: Tx, id: string, actor: string, reason: string): Promise<Redemption> {
    const row = await this.store.find(tx, id);
    if (!row) throw notFound('redemption', id, 'id');
    const { code } = await this.pools.revealCode(tx, row.code_id, actor, `redemption ${id}: ${reason}`);
    return { ...toRedemption(row), code };
  }

  /** An admin's reversal: the points come back once, the code is voided and never issued again. */
  async reverse(tx: Tx, id: string, reason: string): Promise<Redemption> {
    const row = await this.store.find(tx, id);
    if (!row) throw notFound('redemption', id, 'id');
    if (row.status !== 'completed') throw conflict('already_reversed', `Redemption ${id} was already reversed`);
    const reversal = await this.ledger.reverse(tx, row.transaction_id, `reversal of redemption ${id}: ${reason}`);
    if (!(await this.store.markReversed(tx, id, reversal.id, reason, this.clock.now()))) {
      throw conflict('already_reversed', `Redemption ${id} was already reversed`);
    }
    await this.pools.voidCode(tx, row.code_id);
    await this.catalog.release(tx, row.item_id, row.member_id, { periodKey: row.period_key });
    await this.outbox.add(tx, 'redemption.reversed', id, { redemptionId: id, memberId: row.member_id, pointsReturned: Number(row.points_spent) });
    const updated = await this.store.find(tx, id);
    return toRedemption(updated ?? row);
  }
}
