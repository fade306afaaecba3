import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * Loyalty events summed per member and UTC day, so that a score sums at most windowDays rows
 * however many orders the member placed. Filled from the events recorded so far.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('loyalty_days')
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('spend', 'bigint', (c) => c.notNull())
    .addColumn('orders', 'integer', (c) => c.notNull())
    .addColumn('adjustments', 'integer', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('loyalty_days_pk', ['member_id', 'day'])
    .execute();
  await sql`
    insert into loyalty_days (member_id, day, spend, orders, adjustments, active)
    select member_id, occurred_at / 86400000, sum(spend_delta), sum(orders_delta), sum(score_delta), max(active_day)
    from loyalty_events
    group by member_id, occurred_at / 86400000`.execute(db);
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('loyalty_days').ifExists().execute();
}
