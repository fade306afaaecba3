import { sql } from 'kysely';
import { forUpdate, type Engine } from '../platform/db.js';
import { runStatement, sqlFor } from '../platform/statements.js';
import type { Executor, LedgerTransactionsTable, PointLotsTable, Tx } from '../schema.js';
import type { Entry, LotTake } from './ledger.js';

/**
 * Every earn and spend runs these, so they are written out once (the very SQL Kysely builds for
 * them) and run through statements.ts instead of being built and compiled per call.
 */
const HOT = {
  credit: 'update "point_accounts" set "balance" = "balance" + ?, "updated_at" = ? where "member_id" = ? returning "balance"',
  debit:
    'update "point_accounts" set "balance" = "balance" + ?, "updated_at" = ? where "member_id" = ? and "balance" >= ? returning "balance"',
  transaction:
    'insert into "ledger_transactions" ("id", "member_id", "kind", "points", "reason", "expires_at", "reverses_id", "reversed_by", "created_at") values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  lot: 'insert into "point_lots" ("id", "member_id", "transaction_id", "points", "remaining", "expires_at", "created_at") values (?, ?, ?, ?, ?, ?, ?)',
};
const ENTRIES = 'insert into "ledger_entries" ("transaction_id", "line", "account", "member_id", "amount") values ';

/**
 * PostgreSQL: a credit's four writes as one statement, one round trip instead of four. Every
 * insert reads from the account update, so for an unknown member nothing at all is written.
 * The outer statement is an INSERT, so its row count says whether anything was (see db.ts).
 */
export const PG_CREDIT = `with "account" as (
  update "point_accounts" set "balance" = "balance" + $1, "updated_at" = $2 where "member_id" = $3 returning "balance"
), "txn" as (
  insert into "ledger_transactions" ("id", "member_id", "kind", "points", "reason", "expires_at", "reverses_id", "reversed_by", "created_at")
  select $4::text, $5::text, $6::text, $7::bigint, $8::text, $9::bigint, $10::text, $11::text, $12::bigint from "account"
), "entries" as (
  insert into "ledger_entries" ("transaction_id", "line", "account", "member_id", "amount")
  select "line".* from "account", (values ($4::text, 1, $13::text, $14::text, $15::bigint), ($4::text, 2, $16::text, $17::text, $18::bigint)) as "line"
)
insert into "point_lots" ("id", "member_id", "transaction_id", "points", "remaining", "expires_at", "created_at")
select $19::text, $20::text, $21::text, $22::bigint, $23::bigint, $24::bigint, $25::bigint from "account"
returning (select "balance" from "account") as "balance"`;

/** A transaction row as the parameters of the hand-written insert, in its column order. */
function transactionParams(row: LedgerTransactionsTable): unknown[] {
  return [
    row.id,
    row.member_id,
    row.kind,
    row.points,
    row.reason,
    row.expires_at ?? null,
    row.reverses_id ?? null,
    row.reversed_by ?? null,
    row.created_at,
  ];
}

export class LedgerStore {
  private readonly hot: Record<keyof typeof HOT | 'pgCredit', string>;
  /** The entries insert for n lines (an earn or a spend has two). */
  private readonly entriesSql = new Map<number, string>();

  constructor(private readonly engine: Engine) {
    this.hot = {
      credit: sqlFor(engine, HOT.credit),
      debit: sqlFor(engine, HOT.debit),
      transaction: sqlFor(engine, HOT.transaction),
      lot: sqlFor(engine, HOT.lot),
      pgCredit: sqlFor(engine, PG_CREDIT),
    };
  }

  /**
   * A credit's writes: `points` onto the balance, then the transaction with its entries and the
   * lot. For an unknown member nothing is written and undefined comes back; else the new balance.
   */
  async credit(
    tx: Tx,
    memberId: string,
    points: number,
    now: number,
    row: LedgerTransactionsTable,
    entries: Entry[],
    lot: PointLotsTable,
  ): Promise<number | undefined> {
    if (this.engine === 'postgres' && entries.length === 2) {
      const line = (e: Entry) => [e.account, e.account.startsWith('member:') ? row.member_id : null, e.amount];
      const rows = await runStatement<{ balance: number }>(tx, this.hot.pgCredit, [
        points,
        now,
        memberId,
        ...transactionParams(row),
        ...line(entries[0]!),
        ...line(entries[1]!),
        lot.id,
        lot.member_id,
        lot.transaction_id,
        lot.points,
        lot.remaining,
        lot.expires_at ?? null,
        lot.created_at,
      ]);
      return rows[0]?.balance;
    }
    const balance = await this.changeBalance(tx, memberId, points, now);
    if (balance === undefined) return undefined;
    await this.insertTransaction(tx, row, entries);
    await this.insertLot(tx, lot);
    return balance;
  }

  async openAccount(tx: Tx, memberId: string, now: number): Promise<void> {
    await tx.insertInto('point_accounts').values({ member_id: memberId, balance: 0, updated_at: now }).execute();
  }

  /** The member's balance, holding the account row until commit: every lot change goes through here first. */
  async lockAccount(tx: Tx, memberId: string): Promise<number | undefined> {
    const row = await sql<{ balance: number }>`select balance from point_accounts where member_id = ${memberId}${forUpdate(this.engine)}`.execute(tx);
    return row.rows[0]?.balance;
  }

  /** Adds to the balance; a debit larger than the balance changes nothing and answers undefined. */
  async changeBalance(tx: Tx, memberId: string, delta: number, now: number): Promise<number | undefined> {
    const rows =
      delta < 0
        ? await runStatement<{ balance: number }>(tx, this.hot.debit, [delta, now, memberId, -delta])
        : await runStatement<{ balance: number }>(tx, this.hot.credit, [delta, now, memberId]);
    return rows[0]?.balance;
  }

  async insertTransaction(tx: Tx, row: LedgerTransactionsTable, entries: Entry[]): Promise<void> {
    await runStatement(tx, this.hot.transaction, transactionParams(row));
    const values: unknown[] = [];
    entries.forEach((e, i) => {
      values.push(row.id, i + 1, e.account, e.account.startsWith('member:') ? row.member_id : null, e.amount);
    });
    await runStatement(tx, this.entriesInsert(entries.length), values);
  }

  async insertLot(tx: Tx, row: PointLotsTable): Promise<void> {
    await runStatement(tx, this.hot.lot, [
      row.id,
      row.member_id,
      row.transaction_id,
      row.points,
      row.remaining,
      row.expires_at ?? null,
      row.created_at,
    ]);
  }

  private entriesInsert(lines: number): string {
    let text = this.entriesSql.get(lines);
    if (text === undefined) {
      text = sqlFor(this.engine, ENTRIES + Array.from({ length: lines }, () => '(?, ?, ?, ?, ?)').join(', '));
      if (this.entriesSql.size < 64) this.entriesSql.set(lines, text);
    }
    return text;
  }

  /** Lots with points left, in the order they are spent: earliest expiry first, never-expiring last. */
  async openLots(db: Executor, memberId: string): Promise<PointLotsTable[]> {
    return db
      .selectFrom('point_lots')
      .selectAll()
      .where('member_id', '=', memberId)
      .where('remaining', '>', 0)
      .orderBy(sql`expires_at is null`)
      .orderBy('expires_at')
      .orderBy('id')
      .execute();
  }

  async dueLots(tx: Tx, memberId: string, now: number): Promise<PointLotsTable[]> {
    return tx
      .selectFrom('point_lots')
      .selectAll()
      .where('member_id', '=', memberId)
      .where('remaining', '>', 0)
      .where('expires_at', '<=', now)
      .orderBy('id')
      .execute();
  }

  async membersWithDueLots(db: Executor, now: number, limit: number): Promise<string[]> {
    const rows = await db
      .selectFrom('point_lots')
      .select('member_id')
      .distinct()
      .where('expires_at', '<=', now)
      .where('remaining', '>', 0)
      .limit(limit)
      .execute();
    return rows.map((r) => r.member_id);
  }

  /** Moves points out of (negative) or back into (positive) lots, and remembers which, so a reversal can undo it exactly. */
  async moveLots(tx: Tx, transactionId: string, moves: LotTake[]): Promise<void> {
    if (moves.length === 0) return;
    for (const move of moves) {
      await tx
        .updateTable('point_lots')
        .set((eb) => ({ remaining: eb('remaining', '+', move.points) }))
        .where('id', '=', move.lotId)
        .execute();
    }
    await tx
      .insertInto('lot_movements')
      .values(moves.map((m) => ({ transaction_id: transactionId, lot_id: m.lotId, points: m.points })))
      .execute();
  }

  async movementsOf(tx: Tx, transactionId: string): Promise<LotTake[]> {
    const rows = await tx
      .selectFrom('lot_movements')
      .select(['lot_id', 'points'])
      .where('transaction_id', '=', transactionId)
      .execute();
    return rows.map((r) => ({ lotId: r.lot_id, points: r.points }));
  }

  async lotsByIds(tx: Tx, ids: string[]): Promise<PointLotsTable[]> {
    if (ids.length === 0) return [];
    return tx.selectFrom('point_lots').selectAll().where('id', 'in', ids).execute();
  }

  async lotOf(tx: Tx, transactionId: string): Promise<PointLotsTable | undefined> {
    return tx.selectFrom('point_lots').selectAll().where('transaction_id', '=', transactionId).executeTakeFirst();
  }

  async findTransaction(db: Executor, id: string): Promise<LedgerTransactionsTable | undefined> {
    return db.selectFrom('ledger_transactions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** False when another reversal got there first. */
  async markReversed(tx: Tx, id: string, reversalId: string): Promise<boolean> {
    const result = await tx
      .updateTable('ledger_transactions')
      .set({ reversed_by: reversalId })
      .where('id', '=', id)
      .where('reversed_by', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async entriesOf(db: Executor, transactionIds: string[]): Promise<Map<string, Entry[]>> {
    const byTransaction = new Map<string, Entry[]>();
    if (transactionIds.length === 0) return byTransaction;
    const rows = await db
      .selectFrom('ledger_entries')
      .select(['transaction_id', 'account', 'amount'])
      .where('transaction_id', 'in', transactionIds)
      .orderBy('transaction_id')
      .orderBy('line')
      .execute();
    for (const row of rows) {
      const list = byTransaction.get(row.transaction_id) ?? [];
      list.push({ account: row.account, amount: row.amount });
      byTransaction.set(row.transaction_id, list);
    }
    return byTransaction;
  }

  async history(db: Executor, memberId: string, limit: number, startingAfter?: string) {
    let query = db
      .selectFrom('ledger_transactions')
      .selectAll()
      .where('member_id', '=', memberId)
      .orderBy('id', 'desc')
      .limit(limit);
    if (startingAfter) query = query.where('id', '<', startingAfter);
    return query.execute();
  }

  async balances(db: Executor, memberIds: string[]): Promise<Map<string, number>> {
    if (memberIds.length === 0) return new Map();
    const rows = await db
      .selectFrom('point_accounts')
      .select(['member_id', 'balance'])
      .where('member_id', 'in', memberIds)
      .execute();
    return new Map(rows.map((r) => [r.member_id, r.balance]));
  }

  async lots(db: Executor, memberId: string, openOnly: boolean): Promise<PointLotsTable[]> {
    let query = db.selectFrom('point_lots').selectAll().where('member_id', '=', memberId).orderBy('id', 'desc');
    if (openOnly) query = query.where('remaining', '>', 0);
    return query.limit(1000).execute();
  }
}
