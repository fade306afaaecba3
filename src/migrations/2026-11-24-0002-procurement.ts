import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** Code pools and their batches, the points mall, redemptions, rollouts and the outbox. */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('outbox_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .execute();
  await db.schema.createIndex('outbox_events_pending').on('outbox_events').columns(['delivered_at', 'id']).execute();

  await db.schema
    .createTable('pools')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('partner_id', 'text')
    .addColumn('supplier', 'text')
    .addColumn('unit_cost_amount', 'bigint')
    .addColumn('unit_cost_currency', 'text')
    .addColumn('low_stock_threshold', 'integer')
    .addColumn('low_stock_alerted_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('code_batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pool_id', 'text', (c) => c.notNull().references('pools.id'))
    .addColumn('supplier', 'text')
    .addColumn('partner_id', 'text')
    .addColumn('unit_cost_amount', 'bigint')
    .addColumn('unit_cost_currency', 'text')
    .addColumn('purchased_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .addColumn('imported', 'integer', (c) => c.notNull())
    .addColumn('duplicates', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('code_batches_pool').on('code_batches').columns(['pool_id', 'id']).execute();

  await db.schema
    .createTable('pool_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('pool_id', 'text', (c) => c.notNull().references('pools.id'))
    .addColumn('batch_id', 'text', (c) => c.notNull().references('code_batches.id'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('code_cipher', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // Never null: a code without expiry carries the far-future sentinel, so one index serves the claim.
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('issued_at', 'bigint')
    .addColumn('issued_ref', 'text', (c) => c.unique())
    .addColumn('voided_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('pool_codes_status', sql`status in ('available', 'issued', 'void')`)
    .addUniqueConstraint('pool_codes_unique_code', ['pool_id', 'code_hash'])
    .execute();
  await db.schema.createIndex('pool_codes_claim').on('pool_codes').columns(['pool_id', 'status', 'expires_at', 'id']).execute();
  await db.schema.createIndex('pool_codes_batch').on('pool_codes').columns(['batch_id', 'status']).execute();

  await db.schema
    .createTable('code_reveals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code_id', 'text', (c) => c.notNull().references('pool_codes.id'))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('code_reveals_code').on('code_reveals').columns(['code_id', 'id']).execute();

  await db.schema
    .createTable('rollouts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('rollout_steps')
    .addColumn('rollout_id', 'text', (c) => c.notNull().references('rollouts.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('percentage', 'integer')
    .addColumn('starts_at', 'bigint', (c) => c.notNull())
    .addColumn('local_time', 'text')
    .addColumn('time_zone', 'text')
    .addPrimaryKeyConstraint('rollout_steps_pk', ['rollout_id', 'seq'])
    .execute();
  await db.schema
    .createTable('rollout_allowlist')
    .addColumn('rollout_id', 'text', (c) => c.notNull().references('rollouts.id'))
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('rollout_allowlist_pk', ['rollout_id', 'member_id'])
    .execute();
  await db.schema
    .createTable('rollout_changes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('rollout_id', 'text', (c) => c.notNull().references('rollouts.id'))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('change', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rollout_changes_rollout').on('rollout_changes').columns(['rollout_id', 'id']).execute();

  await db.schema
    .createTable('catalog_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('points_price', 'bigint', (c) => c.notNull())
    .addColumn('pool_id', 'text', (c) => c.notNull().references('pools.id'))
    .addColumn('per_member_limit', 'integer')
    .addColumn('period_limit', 'integer')
    .addColumn('period', 'text')
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('total_cap', 'integer')
    .addColumn('redeemed_count', 'integer', (c) => c.notNull())
    .addColumn('available_from', 'bigint')
    .addColumn('available_until', 'bigint')
    .addColumn('rollout_id', 'text', (c) => c.references('rollouts.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('catalog_items_cap', sql`total_cap is null or redeemed_count <= total_cap`)
    .execute();

  await db.schema
    .createTable('redemption_counters')
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('period_key', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('redemption_counters_pk', ['member_id', 'item_id', 'period_key'])
    .execute();

  await db.schema
    .createTable('redemptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('item_id', 'text', (c) => c.notNull().references('catalog_items.id'))
    .addColumn('pool_id', 'text', (c) => c.notNull().references('pools.id'))
    // Unique: a code belongs to one redemption, a debit to one redemption.
    .addColumn('code_id', 'text', (c) => c.notNull().unique().references('pool_codes.id'))
    .addColumn('transaction_id', 'text', (c) => c.notNull().unique())
    .addColumn('points_spent', 'bigint', (c) => c.notNull())
    .addColumn('period_key', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reversal_transaction_id', 'text', (c) => c.unique())
    .addColumn('reversal_reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('reversed_at', 'bigint')
    .execute();
  await db.schema.createIndex('redemptions_member').on('redemptions').columns(['member_id', 'id']).execute();
  await db.schema.createIndex('redemptions_item').on('redemptions').columns(['item_id', 'id']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of [
    'redemptions',
    'redemption_counters',
    'catalog_items',
    'rollout_changes',
    'rollout_allowlist',
    'rollout_steps',
    'rollouts',
    'code_reveals',
    'pool_codes',
    'code_batches',
    'pools',
    'outbox_events',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
