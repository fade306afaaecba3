import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * Pool-code entitlements that found their pool empty are retried by a job; a partial index
 * keeps that look-up to the few waiting rows however many entitlements were ever granted.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createIndex('entitlements_pending_codes')
    .on('entitlements')
    .columns(['id'])
    .where(sql.ref('status'), '=', 'pending')
    .where(sql.ref('kind'), '=', 'pool_code')
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('entitlements_pending_codes').ifExists().execute();
}
