import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

const DAY = 86_400_000;

/**
 * The analytics rollups (src/analytics): tables of their own, filled incrementally by a job
 * from the rows past a watermark, so the write paths of orders, the ledger and redemptions
 * gain nothing. Plus a few indexes for the figures read straight from their tables.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('analytics_watermarks')
    .addColumn('source', 'text', (c) => c.primaryKey())
    .addColumn('last_id', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // One row per source from the start, so a refresh can lock its row (PostgreSQL: for update).
  await db
    .insertInto('analytics_watermarks')
    .values(['members', 'subscriptions', 'orders', 'order_refunds', 'ledger_transactions'].map((source) => ({ source, last_id: '', updated_at: 0 })))
    .execute();

  // Ids folded lately (their id time within a few seconds of the newest): a row that commits after
  // a refresh passed its id (concurrent writers) is still folded once, and nothing twice.
  await db.schema
    .createTable('analytics_recent')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('analytics_recent_pk', ['source', 'id'])
    .execute();

  // UTC day number → the day number of its ISO week's Monday and of its month's first day.
  await db.schema
    .createTable('analytics_calendar')
    .addColumn('day', 'integer', (c) => c.primaryKey())
    .addColumn('week', 'integer', (c) => c.notNull())
    .addColumn('month', 'integer', (c) => c.notNull())
    .execute();
  const first = Date.UTC(2000, 0, 1) / DAY;
  const last = Date.UTC(2101, 0, 1) / DAY;
  let rows: Array<{ day: number; week: number; month: number }> = [];
  for (let day = first; day < last; day++) {
    const date = new Date(day * DAY);
    const weekday = (date.getUTCDay() + 6) % 7; // Monday 0
    rows.push({ day, week: day - weekday, month: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / DAY });
    if (rows.length === 2000 || day === last - 1) {
      await db.insertInto('analytics_calendar').values(rows).execute();
      rows = [];
    }
  }

  // Distinct buyers per bucket: grain 'd' | 'w' | 'm', bucket = the bucket's first day number.
  await db.schema
    .createTable('analytics_buyers')
    .addColumn('grain', 'text', (c) => c.notNull())
    .addColumn('bucket', 'integer', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('analytics_buyers_pk', ['grain', 'bucket', 'member_id'])
    .execute();
  await db.schema
    .createTable('analytics_buyer_counts')
    .addColumn('grain', 'text', (c) => c.notNull())
    .addColumn('bucket', 'integer', (c) => c.notNull())
    .addColumn('buyers', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('analytics_buyer_counts_pk', ['grain', 'bucket'])
    .execute();

  // Net spend per UTC day of payment, currency and segment ('member' | 'other': whether the
  // buyer had a live subscription when the order was paid).
  await db.schema
    .createTable('analytics_spend_days')
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('segment', 'text', (c) => c.notNull())
    .addColumn('orders', 'bigint', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('analytics_spend_days_pk', ['day', 'currency', 'segment'])
    .execute();

  // The members' signed point changes per UTC day and ledger transaction kind.
  await db.schema
    .createTable('analytics_points_days')
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('analytics_points_days_pk', ['day', 'kind'])
    .execute();

  // Member accounts created per UTC day.
  await db.schema
    .createTable('analytics_member_days')
    .addColumn('day', 'integer', (c) => c.primaryKey())
    .addColumn('registered', 'bigint', (c) => c.notNull())
    .execute();

  // When each member's first subscription started: the instant they joined the programme.
  await db.schema
    .createTable('analytics_joins')
    .addColumn('member_id', 'text', (c) => c.primaryKey())
    .addColumn('joined_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('analytics_joins_at').on('analytics_joins').columns(['joined_at', 'member_id']).execute();

  // Read straight from their tables, with these indexes.
  await db.schema
    .createIndex('subscriptions_lifetime')
    .on('subscriptions')
    .columns(['created_at', 'ended_at', 'member_id'])
    .execute();
  await db.schema
    .createIndex('pool_codes_issued')
    .on('pool_codes')
    .columns(['pool_id', 'issued_at', 'batch_id'])
    .where(sql.ref('issued_at'), 'is not', null)
    .execute();
  await db.schema.createIndex('redemptions_created').on('redemptions').columns(['created_at', 'member_id', 'points_spent']).execute();
  await db.schema
    .createIndex('partner_activities_conversion')
    .on('partner_activities')
    .columns(['member_id', 'kind', 'partner_id', 'occurred_at'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const index of ['partner_activities_conversion', 'redemptions_created', 'pool_codes_issued', 'subscriptions_lifetime', 'analytics_joins_at']) {
    await db.schema.dropIndex(index).ifExists().execute();
  }
  for (const table of [
    'analytics_joins',
    'analytics_member_days',
    'analytics_points_days',
    'analytics_spend_days',
    'analytics_buyer_counts',
    'analytics_buyers',
    'analytics_calendar',
    'analytics_recent',
    'analytics_watermarks',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
