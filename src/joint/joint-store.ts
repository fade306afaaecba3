import { sql } from 'kysely';
import type { Executor, JointProductsTable, SettlementEntriesTable, Tx } from '../schema.js';

export class JointStore {
  async insert(tx: Tx, row: JointProductsTable): Promise<boolean> {
    const result = await tx
      .insertInto('joint_products')
      .values(row)
      .onConflict((oc) => oc.column('code').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async find(db: Executor, id: string): Promise<JointProductsTable | undefined> {
    return db.selectFrom('joint_products').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findByCode(db: Executor, code: string): Promise<JointProductsTable | undefined> {
    return db.selectFrom('joint_products').selectAll().where('code', '=', code).executeTakeFirst();
  }

  async list(db: Executor): Promise<JointProductsTable[]> {
    return db.selectFrom('joint_products').selectAll().orderBy('id').execute();
  }

  async insertEntries(tx: Tx, rows: SettlementEntriesTable[]): Promise<void> {
    if (rows.length > 0) await tx.insertInto('settlement_entries').values(rows).execute();
  }

  async entriesOfPayment(db: Executor, paymentId: string): Promise<SettlementEntriesTable[]> {
    return db.selectFrom('settlement_entries').selectAll().where('payment_id', '=', paymentId).orderBy('id').execute();
  }

  async entries(db: Executor, filter: { party?: string; from?: number; to?: number }, limit: number, startingAfter?: string): Promise<SettlementEntriesTable[]> {
    let query = db.selectFrom('settlement_entries').selectAll().orderBy('id', 'desc').limit(limit);
    if (filter.party) query = query.where('party', '=', filter.party);
    if (filter.from !== undefined) query = query.where('created_at', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('created_at', '<', filter.to);
    if (startingAfter) query = query.where('id', '<', startingAfter);
    return query.execute();
  }

  async report(db: Executor, filter: { party?: string; from?: number; to?: number }) {
    let query = db
      .selectFrom('settlement_entries')
      .select([
        'party',
        'currency',
        sql<number>`coalesce(sum(case when kind = 'sale' then amount else 0 end), 0)`.as('sales'),
        sql<number>`coalesce(sum(case when kind = 'refund' then amount else 0 end), 0)`.as('refunds'),
        sql<number>`coalesce(sum(amount), 0)`.as('net'),
        sql<number>`count(*)`.as('entries'),
      ])
      .groupBy(['party', 'currency'])
      .orderBy('party')
      .orderBy('currency');
    if (filter.party) query = query.where('party', '=', filter.party);
    if (filter.from !== undefined) query = query.where('created_at', '>=', filter.from);
    if (filter.to !== undefined) query = query.where('created_at', '<', filter.to);
    return query.execute();
  }
}
