import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * Orders and their refunds, points debts, spend statistics, the loyalty score, plans and their
 * price versions, benefits, subscriptions with their periods and payments, entitlements, joint
 * products and the money settlement ledger.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('earning_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('currency', 'text')
    .addColumn('points_per_yuan', 'integer')
    .addColumn('category', 'text')
    .addColumn('plan_id', 'text')
    .addColumn('multiplier_bp', 'integer')
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('orders')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('external_id', 'text', (c) => c.notNull().unique())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('category', 'text')
    .addColumn('paid_at', 'bigint', (c) => c.notNull())
    .addColumn('points_earned', 'bigint', (c) => c.notNull())
    .addColumn('earn_transaction_id', 'text')
    .addColumn('refunded_amount', 'bigint', (c) => c.notNull())
    .addColumn('refunded_points', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('orders_refund_range', sql`refunded_amount >= 0 and refunded_amount <= amount`)
    .execute();
  await db.schema.createIndex('orders_member').on('orders').columns(['member_id', 'id']).execute();

  await db.schema
    .createTable('order_refunds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('order_id', 'text', (c) => c.notNull().references('orders.id'))
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('points_reversed', 'bigint', (c) => c.notNull())
    .addColumn('points_debited', 'bigint', (c) => c.notNull())
    .addColumn('points_debt', 'bigint', (c) => c.notNull())
    .addColumn('transaction_id', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('order_refunds_order').on('order_refunds').columns(['order_id', 'id']).execute();

  await db.schema
    .createTable('points_debts')
    .addColumn('member_id', 'text', (c) => c.primaryKey().references('members.id'))
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('points_debts_not_negative', sql`points >= 0`)
    .execute();

  await db.schema
    .createTable('points_debt_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('order_id', 'text')
    .addColumn('refund_id', 'text')
    .addColumn('transaction_id', 'text')
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('points_debt_entries_member').on('points_debt_entries').columns(['member_id', 'id']).execute();

  await db.schema
    .createTable('member_spend_stats')
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('order_count', 'bigint', (c) => c.notNull())
    .addColumn('refund_count', 'bigint', (c) => c.notNull())
    .addColumn('gross_amount', 'bigint', (c) => c.notNull())
    .addColumn('refunded_amount', 'bigint', (c) => c.notNull())
    .addColumn('first_order_at', 'bigint')
    .addColumn('last_order_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('member_spend_stats_pk', ['member_id', 'currency'])
    .execute();

  await db.schema
    .createTable('loyalty_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('window_days', 'integer', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('spend_per_point', 'bigint', (c) => c.notNull())
    .addColumn('per_order', 'integer', (c) => c.notNull())
    .addColumn('per_active_day', 'integer', (c) => c.notNull())
    .addColumn('max_score', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('loyalty_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('ref_id', 'text')
    .addColumn('spend_delta', 'bigint', (c) => c.notNull())
    .addColumn('orders_delta', 'integer', (c) => c.notNull())
    .addColumn('score_delta', 'integer', (c) => c.notNull())
    .addColumn('active_day', 'integer', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('loyalty_events_member').on('loyalty_events').columns(['member_id', 'occurred_at']).execute();

  await db.schema
    .createTable('loyalty_scores')
    .addColumn('member_id', 'text', (c) => c.primaryKey().references('members.id'))
    .addColumn('score', 'integer', (c) => c.notNull())
    .addColumn('breakdown', 'text', (c) => c.notNull())
    .addColumn('computed_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('loyalty_score_history')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('score', 'integer', (c) => c.notNull())
    .addColumn('previous', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('loyalty_score_history_member').on('loyalty_score_history').columns(['member_id', 'id']).execute();

  await db.schema
    .createTable('plans')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('term', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('trial', 'text')
    .addColumn('current_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('plan_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('prices', 'text', (c) => c.notNull())
    .addColumn('benefit_ids', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('plan_versions_plan_version', ['plan_id', 'version'])
    .execute();

  await db.schema
    .createTable('benefits')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('joint_products')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id'))
    .addColumn('price_amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('benefit_ids', 'text', (c) => c.notNull())
    .addColumn('split', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id'))
    .addColumn('plan_version_id', 'text', (c) => c.notNull())
    .addColumn('joint_product_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('price_amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('price_rule', 'text', (c) => c.notNull())
    .addColumn('score_used', 'integer', (c) => c.notNull())
    .addColumn('anchor_at', 'bigint', (c) => c.notNull())
    .addColumn('period_index', 'integer', (c) => c.notNull())
    .addColumn('current_period_start', 'bigint', (c) => c.notNull())
    .addColumn('current_period_end', 'bigint', (c) => c.notNull())
    .addColumn('cancel_at_period_end', 'integer', (c) => c.notNull())
    .addColumn('canceled_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .addColumn('past_due_since', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // One live subscription per member and plan, held by the database against any race.
  await sql`create unique index subscriptions_one_live on subscriptions (member_id, plan_id) where status in ('trialing', 'active', 'past_due')`.execute(db);
  await db.schema.createIndex('subscriptions_due').on('subscriptions').columns(['status', 'current_period_end']).execute();
  await db.schema.createIndex('subscriptions_member').on('subscriptions').columns(['member_id', 'id']).execute();

  await db.schema
    .createTable('subscription_periods')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subscription_id', 'text', (c) => c.notNull().references('subscriptions.id'))
    .addColumn('period_index', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('starts_at', 'bigint', (c) => c.notNull())
    .addColumn('ends_at', 'bigint', (c) => c.notNull())
    .addColumn('plan_version_id', 'text', (c) => c.notNull())
    .addColumn('price_amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('price_rule', 'text', (c) => c.notNull())
    .addColumn('score_used', 'integer', (c) => c.notNull())
    .addColumn('payment_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('refunded_amount', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('subscription_periods_once', ['subscription_id', 'period_index'])
    .addCheckConstraint('subscription_periods_refund_range', sql`refunded_amount >= 0 and refunded_amount <= price_amount`)
    .execute();

  await db.schema
    .createTable('payments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('subscription_id', 'text')
    .addColumn('period_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reference', 'text')
    .addColumn('refunds_payment_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('payments_subscription').on('payments').columns(['subscription_id', 'id']).execute();

  await db.schema
    .createTable('entitlements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('period_id', 'text', (c) => c.notNull())
    .addColumn('benefit_id', 'text', (c) => c.notNull().references('benefits.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'bigint', (c) => c.notNull())
    .addColumn('valid_until', 'bigint', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('entitlements_once_per_term', ['period_id', 'benefit_id'])
    .execute();
  await db.schema.createIndex('entitlements_member').on('entitlements').columns(['member_id', 'kind', 'valid_until']).execute();
  await db.schema.createIndex('entitlements_subscription').on('entitlements').columns(['subscription_id']).execute();

  await db.schema
    .createTable('entitlement_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('entitlement_id', 'text', (c) => c.notNull().references('entitlements.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('entitlement_events_entitlement').on('entitlement_events').columns(['entitlement_id', 'id']).execute();

  await db.schema
    .createTable('settlement_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('party', 'text', (c) => c.notNull())
    .addColumn('joint_product_id', 'text', (c) => c.notNull())
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('payment_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('settlement_entries_party').on('settlement_entries').columns(['party', 'created_at']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of [
    'settlement_entries',
    'entitlement_events',
    'entitlements',
    'payments',
    'subscription_periods',
    'subscriptions',
    'joint_products',
    'benefits',
    'plan_versions',
    'plans',
    'loyalty_score_history',
    'loyalty_scores',
    'loyalty_events',
    'loyalty_rules',
    'member_spend_stats',
    'points_debt_entries',
    'points_debts',
    'order_refunds',
    'orders',
    'earning_rules',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
