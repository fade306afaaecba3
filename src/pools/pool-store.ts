import { CompiledQuery, sql } from 'kysely';
import type { Engine } from '../platform/db.js';
import type { CodeBatchesTable, Executor, PoolCodesTable, PoolsTable, Tx } from '../schema.js';
import type { StockLevels } from './pool.js';

const INSERT_CHUNK = 1000;

interface StockRow {
  batch_id: string;
  total: number;
  issued: number;
  available: number;
  expired: number;
  voided: number;
}

export class PoolStore {
  constructor(private readonly engine: Engine) {}

  /** Records the installation's code-key check value if none is, and answers the one recorded. */
  async codeKeyCheck(tx: Tx, checkValue: string, now: number): Promise<string> {
    await tx
      .insertInto('code_key_check')
      .values({ id: 1, check_value: checkValue, created_at: now })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    const row = await tx.selectFrom('code_key_check').select('check_value').where('id', '=', 1).executeTakeFirstOrThrow();
    return row.check_value;
  }

  async insertPool(tx: Tx, row: PoolsTable): Promise<void> {
    await tx.insertInto('pools').values(row).execute();
  }

  async findPool(db: Executor, id: string): Promise<PoolsTable | undefined> {
    return db.selectFrom('pools').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listPools(db: Executor, limit: number, startingAfter?: string): Promise<PoolsTable[]> {
    let query = db.selectFrom('pools').selectAll().orderBy('id', 'desc').limit(limit);
    if (startingAfter) query = query.where('id', '<', startingAfter);
    return query.execute();
  }

  async updateLowStockThreshold(tx: Tx, id: string, threshold: number | null): Promise<boolean> {
    const result = await tx
      .updateTable('pools')
      .set({ low_stock_threshold: threshold, low_stock_alerted_at: null })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Marks the low-stock alert raised; false when it already was (by this or another node). */
  async markLowStockAlerted(tx: Tx, id: string, now: number): Promise<boolean> {
    const result = await tx
      .updateTable('pools')
      .set({ low_stock_alerted_at: now })
      .where('id', '=', id)
      .where('low_stock_alerted_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async clearLowStockAlert(tx: Tx, id: string): Promise<void> {
    await tx.updateTable('pools').set({ low_stock_alerted_at: null }).where('id', '=', id).where('low_stock_alerted_at', 'is not', null).execute();
  }

  async insertBatch(tx: Tx, row: CodeBatchesTable): Promise<void> {
    await tx.insertInto('code_batches').values(row).execute();
  }

  async findBatch(db: Executor, id: string): Promise<CodeBatchesTable | undefined> {
    return db.selectFrom('code_batches').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async batchesOf(db: Executor, poolId: string): Promise<CodeBatchesTable[]> {
    return db.selectFrom('code_batches').selectAll().where('pool_id', '=', poolId).orderBy('id').execute();
  }

  async addToBatchCounts(tx: Tx, batchId: string, imported: number, duplicates: number): Promise<void> {
    await tx
      .updateTable('code_batches')
      .set((eb) => ({ imported: eb('imported', '+', imported), duplicates: eb('duplicates', '+', duplicates) }))
      .where('id', '=', batchId)
      .execute();
  }

  /** Inserts codes, skipping any whose fingerprint the pool already holds; answers how many went in. */
  async insertCodes(tx: Tx, rows: PoolCodesTable[]): Promise<number> {
    let inserted = 0;
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      // Plain SQL text: building a thousand-row insert through the query builder costs more than running it.
      const chunk = rows.slice(i, i + INSERT_CHUNK);
      const params: unknown[] = [];
      const tuples: string[] = [];
      for (const r of chunk) {
        const at = params.length;
        params.push(r.id, r.pool_id, r.batch_id, r.code_hash, r.code_cipher, r.status, r.expires_at, r.created_at);
        tuples.push(
          this.engine === 'postgres'
            ? `($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}, $${at + 6}, $${at + 7}, $${at + 8})`
            : '(?, ?, ?, ?, ?, ?, ?, ?)',
        );
      }
      const text =
        'insert into pool_codes (id, pool_id, batch_id, code_hash, code_cipher, status, expires_at, created_at) values ' +
        `${tuples.join(', ')} on conflict (pool_id, code_hash) do nothing`;
      const result = await tx.executeQuery(CompiledQuery.raw(text, params));
      inserted += Number(result.numAffectedRows ?? 0);
    }
    return inserted;
  }

  /**
   * Takes one issuable code (earliest expiry first) and marks it issued to `ref`, in one statement.
   * PostgreSQL: FOR UPDATE SKIP LOCKED, so concurrent claimers each take a different row and
   * never wait on one another. SQLite: the single writer already runs claims one at a time.
   */
  async claimCode(tx: Tx, poolId: string, ref: string, now: number): Promise<PoolCodesTable | undefined> {
    const lock = this.engine === 'postgres' ? sql` for update skip locked` : sql``;
    const result = await sql<PoolCodesTable>`
      update pool_codes set status = 'issued', issued_at = ${now}, issued_ref = ${ref}
      where id = (
        select id from pool_codes
        where pool_id = ${poolId} and status = 'available' and expires_at > ${now}
        order by expires_at, id
        limit 1${lock}
      )
      returning *`.execute(tx);
    return result.rows[0];
  }

  /** Available codes, counting no further than `upTo` (a bounded check for the low-stock threshold). */
  async countAvailableUpTo(db: Executor, poolId: string, now: number, upTo: number): Promise<number> {
    const result = await sql<{ n: number }>`
      select count(*) as n from (
        select 1 from pool_codes where pool_id = ${poolId} and status = 'available' and expires_at > ${now} limit ${upTo}
      ) t`.execute(db);
    return Number(result.rows[0]?.n ?? 0);
  }

  async findCode(db: Executor, id: string): Promise<PoolCodesTable | undefined> {
    return db.selectFrom('pool_codes').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** A code by fingerprint among the pools of the given partner references. */
  async findCodeOfPartners(db: Executor, partnerRefs: string[], hash: string): Promise<PoolCodesTable | undefined> {
    if (partnerRefs.length === 0) return undefined;
    return db
      .selectFrom('pool_codes')
      .selectAll('pool_codes')
      .where('pool_codes.code_hash', '=', hash)
      .where('pool_codes.pool_id', 'in', (eb) => eb.selectFrom('pools').select('pools.id').where('pools.partner_id', 'in', partnerRefs))
      .orderBy('pool_codes.id')
      .limit(1)
      .executeTakeFirst();
  }

  async findCodeByHash(db: Executor, poolId: string, hash: string): Promise<PoolCodesTable | undefined> {
    return db.selectFrom('pool_codes').selectAll().where('pool_id', '=', poolId).where('code_hash', '=', hash).executeTakeFirst();
  }

  /** Voids an issued or available code for good: it is never issued (again). */
  async voidCode(tx: Tx, id: string, now: number): Promise<boolean> {
    const result = await tx
      .updateTable('pool_codes')
      .set({ status: 'void', voided_at: now })
      .where('id', '=', id)
      .where('status', '!=', 'void')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async listCodes(
    db: Executor,
    poolId: string,
    options: { status?: string; limit: number; startingAfter?: string },
  ): Promise<PoolCodesTable[]> {
    let query = db.selectFrom('pool_codes').selectAll().where('pool_id', '=', poolId).orderBy('id', 'desc').limit(options.limit);
    if (options.status) query = query.where('status', '=', options.status as PoolCodesTable['status']);
    if (options.startingAfter) query = query.where('id', '<', options.startingAfter);
    return query.execute();
  }

  async insertReveal(tx: Tx, row: { id: string; code_id: string; actor: string; reason: string; created_at: number }): Promise<void> {
    await tx.insertInto('code_reveals').values(row).execute();
  }

  async revealsOf(db: Executor, codeId: string) {
    return db.selectFrom('code_reveals').selectAll().where('code_id', '=', codeId).orderBy('id').execute();
  }

  /** Stock per batch of a pool at `now`. */
  async stockByBatch(db: Executor, poolId: string, now: number): Promise<Map<string, StockLevels>> {
    const result = await sql<StockRow>`
      select batch_id,
        count(*) as total,
        coalesce(sum(case when status = 'issued' then 1 else 0 end), 0) as issued,
        coalesce(sum(case when status = 'available' and expires_at > ${now} then 1 else 0 end), 0) as available,
        coalesce(sum(case when status = 'available' and expires_at <= ${now} then 1 else 0 end), 0) as expired,
        coalesce(sum(case when status = 'void' then 1 else 0 end), 0) as voided
      from pool_codes where pool_id = ${poolId}
      group by batch_id`.execute(db);
    const out = new Map<string, StockLevels>();
    for (const r of result.rows) {
      out.set(r.batch_id, {
        total: Number(r.total),
        issued: Number(r.issued),
        available: Number(r.available),
        expired: Number(r.expired),
        voided: Number(r.voided),
      });
    }
    return out;
  }

  /** Issuable codes per pool, for listings of many pools at once. */
  async availableByPool(db: Executor, poolIds: string[], now: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (poolIds.length === 0) return out;
    const rows = await db
      .selectFrom('pool_codes')
      .select(['pool_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('pool_id', 'in', poolIds)
      .where('status', '=', 'available')
      .where('expires_at', '>', now)
      .groupBy('pool_id')
      .execute();
    for (const r of rows) out.set(r.pool_id, Number(r.n));
    return out;
  }
}
