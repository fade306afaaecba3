import type { Clock } from '../platform/clock.js';
import { AppError, businessRule, conflict, invalid, notFound } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Db, Executor, LedgerTransactionsTable, Tx } from '../schema.js';
import {
  PROGRAM_ACCOUNT,
  allocate,
  entriesFor,
  toLot,
  toTransaction,
  type Entry,
  type LedgerTransaction,
  type Lot,
  type LotTake,
  type TransactionKind,
} from './ledger.js';
import type { LedgerStore } from './ledger-store.js';

export interface EarnInput {
  points: number;
  reason: string;
  /** Epoch ms; the points lapse then unless spent. */
  expiresAt?: number | null;
}

export interface SpendInput {
  points: number;
  reason: string;
}

export interface AdjustInput {
  /** Signed: positive credits the member, negative debits. */
  points: number;
  reason: string;
  expiresAt?: number | null;
}

export interface PointsSummary {
  memberId: string;
  balance: number;
  /** The soonest expiry among the points held, and how many points lapse then. */
  nextExpiry: { points: number; expiresAt: string } | null;
  lots: Lot[];
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

/** Pays a member's points debt out of points just credited; answers how many it took. */
export type DebtSettlement = (tx: Tx, memberId: string, creditedPoints: number) => Promise<number>;

export class LedgerService {
  private settleDebt: DebtSettlement = async () => 0;

  constructor(
    private readonly db: Db,
    private readonly store: LedgerStore,
    private readonly clock: Clock,
  ) {}

  /** Wired to the orders' points debt: a refund of spent points is owed until new points come in. */
  useDebtSettlement(settle: DebtSettlement): void {
    this.settleDebt = settle;
  }

  /** An earn through the API: like every other credit, it pays down a points debt first. */
  async earnSettlingDebt(tx: Tx, memberId: string, input: EarnInput): Promise<LedgerTransaction> {
    const txn = await this.earn(tx, memberId, input);
    await this.settleDebt(tx, memberId, input.points);
    return txn;
  }

  async adjustSettlingDebt(tx: Tx, memberId: string, input: AdjustInput): Promise<LedgerTransaction> {
    const txn = await this.adjust(tx, memberId, input);
    if (input.points > 0) await this.settleDebt(tx, memberId, input.points);
    return txn;
  }

  async openAccount(tx: Tx, memberId: string): Promise<void> {
    await this.store.openAccount(tx, memberId, this.clock.now());
  }

  /** `transactionId` lets a caller name the transaction before it exists (the bulk order import writes it on its orders first). */
  async earn(tx: Tx, memberId: string, input: EarnInput, transactionId?: string): Promise<LedgerTransaction> {
    return this.credit(tx, memberId, 'earn', input.points, input.reason, input.expiresAt ?? null, PROGRAM_ACCOUNT.issuance, transactionId);
  }

  async spend(tx: Tx, memberId: string, input: SpendInput): Promise<LedgerTransaction> {
    return this.debit(tx, memberId, 'spend', input.points, input.reason, PROGRAM_ACCOUNT.redemption);
  }

  async adjust(tx: Tx, memberId: string, input: AdjustInput): Promise<LedgerTransaction> {
    if (input.points > 0) {
      return this.credit(tx, memberId, 'adjust', input.points, input.reason, input.expiresAt ?? null, PROGRAM_ACCOUNT.adjustment);
    }
    if (input.expiresAt != null) throw invalid('expiresAt applies only to a credit', 'expiresAt');
    return this.debit(tx, memberId, 'adjust', -input.points, input.reason, PROGRAM_ACCOUNT.adjustment);
  }

  /** Undoes a transaction once, by a compensating transaction that mirrors its entries. */
  /**
   * Undoes a transaction once. A debit's points go back into the lots they came from; those of a
   * lot that has lapsed since (always so for an expiry) come back in a new lot, expiring at
   * `options.expiresAt` or never, since the next expiry run would otherwise take them again.
   */
  async reverse(tx: Tx, transactionId: string, reason: string, options: { expiresAt?: number | null } = {}): Promise<LedgerTransaction> {
    const found = await this.store.findTransaction(tx, transactionId);
    if (!found) throw notFound('transaction', transactionId, 'id');
    // Lock the member's account before deciding anything, then read again: a reversal that
    // committed while we waited for the lock is then seen, not raced.
    await this.store.lockAccount(tx, found.member_id);
    const original = (await this.store.findTransaction(tx, transactionId)) ?? found;
    if (original.kind === 'reversal') {
      throw businessRule('not_reversible', `Transaction ${transactionId} is itself a reversal`);
    }
    if (original.reversed_by) {
      throw conflict('already_reversed', `Transaction ${transactionId} was already reversed by ${original.reversed_by}`);
    }
    const now = this.clock.now();
    const id = newId('txn');
    const memberId = original.member_id;
    if (original.points > 0) {
      // Take back what was credited, from that credit's own lot first.
      const balance = await this.store.changeBalance(tx, memberId, -original.points, now);
      if (balance === undefined) {
        throw businessRule(
          'insufficient_points',
          `Reversing ${transactionId} needs ${original.points} points; the member no longer holds them`,
        );
      }
      const ownLot = await this.store.lotOf(tx, original.id);
      const takes = allocate(await this.store.openLots(tx, memberId), original.points, ownLot?.id);
      await this.insertReversal(tx, id, original, now, reason);
      await this.store.moveLots(tx, id, takes.map((t) => ({ lotId: t.lotId, points: -t.points })));
    } else {
      const expiresAt = options.expiresAt ?? null;
      if (expiresAt !== null && expiresAt <= now) throw invalid('expiresAt must be in the future', 'expiresAt');
      await this.store.changeBalance(tx, memberId, -original.points, now);
      const moves = await this.store.movementsOf(tx, original.id);
      const lots = new Map((await this.store.lotsByIds(tx, moves.map((m) => m.lotId))).map((l) => [l.id, l]));
      const back: LotTake[] = [];
      let lapsed = 0;
      for (const move of moves) {
        const lot = lots.get(move.lotId);
        if (lot && lot.expires_at !== null && lot.expires_at <= now) lapsed -= move.points;
        else back.push({ lotId: move.lotId, points: -move.points });
      }
      await this.insertReversal(tx, id, original, now, reason);
      await this.store.moveLots(tx, id, back);
      if (lapsed > 0) {
        await this.store.insertLot(tx, { id: newId('lot'), member_id: memberId, transaction_id: id, points: lapsed, remaining: lapsed, expires_at: expiresAt, created_at: now });
      }
    }
    if (!(await this.store.markReversed(tx, original.id, id))) {
      throw conflict('already_reversed', `Transaction ${transactionId} was already reversed`);
    }
    return this.get(tx, id);
  }

  /** Expires every lot due at the clock's now, one ledger transaction per member. */
  async expireDue(options: { batch?: number; onProgress?: (done: number) => void } = {}): Promise<{ transactions: number; points: number }> {
    const now = this.clock.now();
    let transactions = 0;
    let points = 0;
    for (;;) {
      const members = await this.store.membersWithDueLots(this.db.read, now, options.batch ?? 500);
      if (members.length === 0) break;
      const results = await Promise.all(members.map((memberId) => this.db.write((tx) => this.expireMember(tx, memberId, now))));
      for (const expired of results) {
        if (expired > 0) {
          transactions++;
          points += expired;
        }
      }
      options.onProgress?.(transactions);
      if (results.every((r) => r === 0)) break;
    }
    return { transactions, points };
  }

  async expireMember(tx: Tx, memberId: string, now: number): Promise<number> {
    await this.store.lockAccount(tx, memberId);
    const due = await this.store.dueLots(tx, memberId, now);
    const total = due.reduce((sum, lot) => sum + lot.remaining, 0);
    if (total === 0) return 0;
    const id = newId('txn');
    await this.store.changeBalance(tx, memberId, -total, now);
    await this.store.insertTransaction(
      tx,
      this.row(id, memberId, 'expire', -total, `${due.length} lot(s) expired`, null, now),
      entriesFor(memberId, -total, PROGRAM_ACCOUNT.expiry),
    );
    await this.store.moveLots(tx, id, due.map((lot) => ({ lotId: lot.id, points: -lot.remaining })));
    return total;
  }

  async get(db: Executor, id: string): Promise<LedgerTransaction> {
    const row = await this.store.findTransaction(db, id);
    if (!row) throw notFound('transaction', id, 'id');
    const entries = await this.store.entriesOf(db, [id]);
    return toTransaction(row, entries.get(id) ?? []);
  }

  async getTransaction(id: string): Promise<LedgerTransaction> {
    return this.get(this.db.read, id);
  }

  async summary(memberId: string): Promise<PointsSummary> {
    const balance = (await this.store.balances(this.db.read, [memberId])).get(memberId);
    if (balance === undefined) throw notFound('member', memberId, 'id');
    const lots = (await this.store.openLots(this.db.read, memberId)).map(toLot);
    const first = lots[0];
    const nextExpiry =
      first?.expiresAt != null
        ? {
            expiresAt: first.expiresAt,
            points: lots.filter((l) => l.expiresAt === first.expiresAt).reduce((s, l) => s + l.remaining, 0),
          }
        : null;
    return { memberId, balance, nextExpiry, lots };
  }

  async lots(memberId: string, openOnly: boolean): Promise<Lot[]> {
    await this.requireAccount(memberId);
    return (await this.store.lots(this.db.read, memberId, openOnly)).map(toLot);
  }

  async history(memberId: string, limit: number, startingAfter?: string): Promise<Page<LedgerTransaction>> {
    await this.requireAccount(memberId);
    const rows = await this.store.history(this.db.read, memberId, limit + 1, startingAfter);
    const page = rows.slice(0, limit);
    const entries = await this.store.entriesOf(this.db.read, page.map((r) => r.id));
    return { data: page.map((r) => toTransaction(r, entries.get(r.id) ?? [])), hasMore: rows.length > limit };
  }

  async balances(db: Executor, memberIds: string[]): Promise<Map<string, number>> {
    return this.store.balances(db, memberIds);
  }

  private async requireAccount(memberId: string): Promise<void> {
    const found = await this.store.balances(this.db.read, [memberId]);
    if (!found.has(memberId)) throw notFound('member', memberId, 'id');
  }

  private async credit(
    tx: Tx,
    memberId: string,
    kind: TransactionKind,
    points: number,
    reason: string,
    expiresAt: number | null,
    programAccount: string,
    id = newId('txn'),
  ): Promise<LedgerTransaction> {
    const now = this.clock.now();
    if (expiresAt !== null && expiresAt <= now) throw invalid('expiresAt must be in the future', 'expiresAt');
    const row = this.row(id, memberId, kind, points, reason, expiresAt, now);
    const entries = entriesFor(memberId, points, programAccount);
    const lot = {
      id: newId('lot'),
      member_id: memberId,
      transaction_id: id,
      points,
      remaining: points,
      expires_at: expiresAt,
      created_at: now,
    };
    const balance = await this.store.credit(tx, memberId, points, now, row, entries, lot);
    if (balance === undefined) throw notFound('member', memberId, 'id');
    return toTransaction(row, entries);
  }

  private async debit(
    tx: Tx,
    memberId: string,
    kind: TransactionKind,
    points: number,
    reason: string,
    programAccount: string,
  ): Promise<LedgerTransaction> {
    const now = this.clock.now();
    const balance = await this.store.changeBalance(tx, memberId, -points, now);
    if (balance === undefined) {
      const current = await this.store.lockAccount(tx, memberId);
      if (current === undefined) throw notFound('member', memberId, 'id');
      throw new AppError(422, 'insufficient_points', `The member has ${current} points; ${points} needed`, 'points');
    }
    const id = newId('txn');
    const row = this.row(id, memberId, kind, -points, reason, null, now);
    const entries = entriesFor(memberId, -points, programAccount);
    const takes = allocate(await this.store.openLots(tx, memberId), points);
    await this.store.insertTransaction(tx, row, entries);
    await this.store.moveLots(tx, id, takes.map((t) => ({ lotId: t.lotId, points: -t.points })));
    return toTransaction(row, entries);
  }

  private async insertReversal(tx: Tx, id: string, original: LedgerTransactionsTable, now: number, reason: string): Promise<void> {
    const entries = (await this.store.entriesOf(tx, [original.id])).get(original.id) ?? [];
    const mirrored: Entry[] = entries.map((e) => ({ account: e.account, amount: -e.amount }));
    const row = this.row(id, original.member_id, 'reversal', -original.points, reason, null, now);
    await this.store.insertTransaction(tx, { ...row, reverses_id: original.id }, mirrored);
  }

  private row(
    id: string,
    memberId: string,
    kind: TransactionKind,
    points: number,
    reason: string,
    expiresAt: number | null,
    now: number,
  ): LedgerTransactionsTable {
    return {
      id,
      member_id: memberId,
      kind,
      points,
      reason,
      expires_at: expiresAt,
      reverses_id: null,
      reversed_by: null,
      created_at: now,
    };
  }
}
