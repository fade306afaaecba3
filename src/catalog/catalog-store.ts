import { sql } from 'kysely';
import type { CatalogItemsTable, Executor, Tx } from '../schema.js';

const NO_LIMIT = 2_147_483_647;

export class CatalogStore {
  async insert(tx: Tx, row: CatalogItemsTable): Promise<void> {
    await tx.insertInto('catalog_items').values(row).execute();
  }

  async find(db: Executor, id: string): Promise<CatalogItemsTable | undefined> {
    return db.selectFrom('catalog_items').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async list(db: Executor, options: { limit: number; startingAfter?: string; activeOnly: boolean }): Promise<CatalogItemsTable[]> {
    let query = db.selectFrom('catalog_items').selectAll().orderBy('id', 'desc').limit(options.limit);
    if (options.startingAfter) query = query.where('id', '<', options.startingAfter);
    if (options.activeOnly) query = query.where('status', '=', 'active');
    return query.execute();
  }

  async update(tx: Tx, id: string, changes: Partial<CatalogItemsTable>): Promise<boolean> {
    const result = await tx.updateTable('catalog_items').set(changes).where('id', '=', id).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** The member's redemptions of the item per counter key (lifetime and periods). */
  async memberCounts(db: Executor, memberId: string, itemIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (itemIds.length === 0) return out;
    const rows = await db
      .selectFrom('redemption_counters')
      .select(['item_id', 'period_key', 'count'])
      .where('member_id', '=', memberId)
      .where('item_id', 'in', itemIds)
      .execute();
    for (const r of rows) out.set(`${r.item_id}\u0000${r.period_key}`, r.count);
    return out;
  }

  /**
   * Counts one more redemption of the item by the member under `key`, unless that would exceed
   * `limit`; answers false then. One atomic upsert: on PostgreSQL the row (or the conflicting
   * insert) holds concurrent redemptions of the same member and item until this one commits.
   */
  async countRedemption(tx: Tx, memberId: string, itemId: string, key: string, limit: number | null): Promise<boolean> {
    const result = await sql<{ count: number }>`
      insert into redemption_counters (member_id, item_id, period_key, count) values (${memberId}, ${itemId}, ${key}, 1)
      on conflict (member_id, item_id, period_key) do update set count = redemption_counters.count + 1
      where redemption_counters.count < ${limit ?? NO_LIMIT}
      returning count`.execute(tx);
    return result.rows.length === 1;
  }

  async uncountRedemption(tx: Tx, memberId: string, itemId: string, key: string): Promise<void> {
    await tx
      .updateTable('redemption_counters')
      .set((eb) => ({ count: eb('count', '-', 1) }))
      .where('member_id', '=', memberId)
      .where('item_id', '=', itemId)
      .where('period_key', '=', key)
      .where('count', '>', 0)
      .execute();
  }

  /** Takes one unit of a capped item's total; false when the cap is reached. */
  async takeFromCap(tx: Tx, itemId: string): Promise<boolean> {
    const result = await tx
      .updateTable('catalog_items')
      .set((eb) => ({ redeemed_count: eb('redeemed_count', '+', 1) }))
      .where('id', '=', itemId)
      .where((eb) => eb('total_cap', 'is', null).or('redeemed_count', '<', eb.ref('total_cap')))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async returnToCap(tx: Tx, itemId: string): Promise<void> {
    await tx
      .updateTable('catalog_items')
      .set((eb) => ({ redeemed_count: eb('redeemed_count', '-', 1) }))
      .where('id', '=', itemId)
      .where('redeemed_count', '>', 0)
      .execute();
  }
}
