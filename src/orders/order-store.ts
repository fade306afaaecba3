import { sql } from 'kysely';
import { forUpdate, type Engine } from '../platform/db.js';
import { runStatementMany } from '../platform/statements.js';
import type {
  EarningRulesTable,
  Executor,
  MemberSpendStatsTable,
  OrderRefundsTable,
  OrdersTable,
  PointsDebtEntriesTable,
  Tx,
} from '../schema.js';

const INSERT_ORDER = `insert into orders (id, member_id, external_id, amount, currency, category, paid_at, points_earned, earn_transaction_id, refunded_amount, refunded_points, status, created_at, updated_at)
  values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (external_id) do nothing returning id`;

const ROWS_PER_INSERT = 100;
const INSERT_ORDERS =
  INSERT_ORDER.slice(0, INSERT_ORDER.indexOf('values')) +
  'values ' +
  Array.from({ length: ROWS_PER_INSERT }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ') +
  ' on conflict (external_id) do nothing returning id';

function pushOrderParams(params: unknown[], r: OrdersTable): unknown[] {
  params.push(
    r.id, r.member_id, r.external_id, r.amount, r.currency, r.category, r.paid_at, r.points_earned,
    r.earn_transaction_id, r.refunded_amount, r.refunded_points, r.status, r.created_at, r.updated_at,
  );
  return params;
}

export class OrderStore {
  constructor(private readonly engine: Engine) {}

  async insertRule(tx: Tx, row: EarningRulesTable): Promise<void> {
    await tx.insertInto('earning_rules').values(row).execute();
  }

  async rules(db: Executor, activeOnly: boolean): Promise<EarningRulesTable[]> {
    let query = db.selectFrom('earning_rules').selectAll().orderBy('id');
    if (activeOnly) query = query.where('active', '=', 1);
    return query.execute();
  }

  async findRule(db: Executor, id: string): Promise<EarningRulesTable | undefined> {
    return db.selectFrom('earning_rules').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async deactivateRule(tx: Tx, id: string): Promise<boolean> {
    const result = await tx.updateTable('earning_rules').set({ active: 0 }).where('id', '=', id).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** False when an order with that externalId exists already. */
  async insertOrder(tx: Tx, row: OrdersTable): Promise<boolean> {
    const result = await tx
      .insertInto('orders')
      .values(row)
      .onConflict((oc) => oc.column('external_id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /**
   * Many orders in a few multi-row statements; answers the ids actually inserted (an externalId
   * already taken, in the table or earlier in `rows`, inserts nothing).
   */
  async insertOrders(tx: Tx, rows: OrdersTable[]): Promise<Set<string>> {
    const inserted = new Set<string>();
    if (this.engine === 'sqlite') {
      // In-process, cached prepared statements of a hundred rows beat both one row at a time
      // and compiling a fresh 14,000-parameter statement per thousand rows.
      const full = rows.length - (rows.length % ROWS_PER_INSERT);
      const sets: unknown[][] = [];
      for (let i = 0; i < full; i += ROWS_PER_INSERT) {
        const params: unknown[] = [];
        for (let j = i; j < i + ROWS_PER_INSERT; j++) pushOrderParams(params, rows[j]!);
        sets.push(params);
      }
      for (let i = full; i < rows.length; i++) sets.push(pushOrderParams([], rows[i]!));
      const many = await runStatementMany<{ id: string }>(tx, INSERT_ORDERS, sets.slice(0, full / ROWS_PER_INSERT));
      const single = await runStatementMany<{ id: string }>(tx, INSERT_ORDER, sets.slice(full / ROWS_PER_INSERT));
      for (const done of [...many, ...single]) for (const { id } of done) inserted.add(id);
      return inserted;
    }
    // 14 columns × 1000 rows stays under both engines' limits on bound parameters.
    for (let from = 0; from < rows.length; from += 1000) {
      const done = await tx
        .insertInto('orders')
        .values(rows.slice(from, from + 1000))
        .onConflict((oc) => oc.column('external_id').doNothing())
        .returning('id')
        .execute();
      for (const { id } of done) inserted.add(id);
    }
    return inserted;
  }

  /** Of these members, those that owe points. */
  async membersInDebt(db: Executor, ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let from = 0; from < ids.length; from += 1000) {
      const rows = await db.selectFrom('points_debts').select('member_id').where('member_id', 'in', ids.slice(from, from + 1000)).where('points', '>', 0).execute();
      for (const { member_id } of rows) found.add(member_id);
    }
    return found;
  }

  async findOrder(db: Executor, id: string): Promise<OrdersTable | undefined> {
    return db.selectFrom('orders').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findByExternalId(db: Executor, externalId: string): Promise<OrdersTable | undefined> {
    return db.selectFrom('orders').selectAll().where('external_id', '=', externalId).executeTakeFirst();
  }

  /** The order, held until commit: refunds of one order take turns. */
  async lockOrder(tx: Tx, id: string): Promise<OrdersTable | undefined> {
    const result = await sql<OrdersTable>`select * from orders where id = ${id}${forUpdate(this.engine)}`.execute(tx);
    return result.rows[0];
  }

  async updateOrder(tx: Tx, id: string, set: Partial<OrdersTable>): Promise<void> {
    await tx.updateTable('orders').set(set).where('id', '=', id).execute();
  }

  async insertRefund(tx: Tx, row: OrderRefundsTable): Promise<void> {
    await tx.insertInto('order_refunds').values(row).execute();
  }

  async refundsOf(db: Executor, orderId: string): Promise<OrderRefundsTable[]> {
    return db.selectFrom('order_refunds').selectAll().where('order_id', '=', orderId).orderBy('id').execute();
  }

  async ordersOf(db: Executor, memberId: string, limit: number, startingAfter?: string): Promise<OrdersTable[]> {
    let query = db.selectFrom('orders').selectAll().where('member_id', '=', memberId).orderBy('id', 'desc').limit(limit);
    if (startingAfter) query = query.where('id', '<', startingAfter);
    return query.execute();
  }

  /** The member's outstanding points debt, held until commit; 0 (and nothing held) when the member never owed any. */
  async lockDebt(tx: Tx, memberId: string): Promise<number> {
    const result = await sql<{ points: number }>`select points from points_debts where member_id = ${memberId}${forUpdate(this.engine)}`.execute(tx);
    return Number(result.rows[0]?.points ?? 0);
  }

  /** Makes the member's debt row (at 0) if there is none, so that changeDebt has a row to change. */
  async openDebt(tx: Tx, memberId: string, now: number): Promise<void> {
    await tx
      .insertInto('points_debts')
      .values({ member_id: memberId, points: 0, updated_at: now })
      .onConflict((oc) => oc.column('member_id').doNothing())
      .execute();
  }

  async changeDebt(tx: Tx, entry: PointsDebtEntriesTable): Promise<void> {
    await tx
      .updateTable('points_debts')
      .set((eb) => ({ points: eb('points', '+', entry.points), updated_at: entry.created_at }))
      .where('member_id', '=', entry.member_id)
      .execute();
    await tx.insertInto('points_debt_entries').values(entry).execute();
  }

  async debt(db: Executor, memberId: string): Promise<number> {
    const row = await db.selectFrom('points_debts').select('points').where('member_id', '=', memberId).executeTakeFirst();
    return Number(row?.points ?? 0);
  }

  async debtEntries(db: Executor, memberId: string, limit: number): Promise<PointsDebtEntriesTable[]> {
    return db.selectFrom('points_debt_entries').selectAll().where('member_id', '=', memberId).orderBy('id', 'desc').limit(limit).execute();
  }

  async addSpend(
    tx: Tx,
    memberId: string,
    currency: string,
    change: { orders: number; refunds: number; gross: number; refunded: number; at: number | null; firstAt?: number },
    now: number,
  ): Promise<void> {
    const firstAt = change.firstAt ?? change.at;
    await tx
      .insertInto('member_spend_stats')
      .values({
        member_id: memberId,
        currency,
        order_count: change.orders,
        refund_count: change.refunds,
        gross_amount: change.gross,
        refunded_amount: change.refunded,
        first_order_at: firstAt,
        last_order_at: change.at,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['member_id', 'currency']).doUpdateSet((eb) => ({
          order_count: eb('member_spend_stats.order_count', '+', change.orders),
          refund_count: eb('member_spend_stats.refund_count', '+', change.refunds),
          gross_amount: eb('member_spend_stats.gross_amount', '+', change.gross),
          refunded_amount: eb('member_spend_stats.refunded_amount', '+', change.refunded),
          first_order_at:
            firstAt === null
              ? eb.ref('member_spend_stats.first_order_at')
              : sql<number>`case when member_spend_stats.first_order_at is null or member_spend_stats.first_order_at > cast(${firstAt} as bigint) then cast(${firstAt} as bigint) else member_spend_stats.first_order_at end`,
          last_order_at:
            change.at === null
              ? eb.ref('member_spend_stats.last_order_at')
              : sql<number>`case when member_spend_stats.last_order_at is null or member_spend_stats.last_order_at < cast(${change.at} as bigint) then cast(${change.at} as bigint) else member_spend_stats.last_order_at end`,
          updated_at: now,
        })),
      )
      .execute();
  }

  async spendStats(db: Executor, memberId: string): Promise<MemberSpendStatsTable[]> {
    return db.selectFrom('member_spend_stats').selectAll().where('member_id', '=', memberId).orderBy('currency').execute();
  }
}
