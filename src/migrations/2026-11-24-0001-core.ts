import { sql, type Kysely } from 'kysely';

// Migrations see the database untyped: they describe how it got here, not what the code expects now.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('idem_key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('response_body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'idem_key'])
    .execute();
  await db.schema.createIndex('idempotency_keys_created').on('idempotency_keys').column('created_at').execute();

  await db.schema
    .createTable('members')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('external_id', 'text', (c) => c.notNull().unique())
    .addColumn('display_name', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('point_accounts')
    .addColumn('member_id', 'text', (c) => c.primaryKey().references('members.id'))
    .addColumn('balance', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    // The database itself refuses a negative balance, whatever the code above it does.
    .addCheckConstraint('point_accounts_balance_not_negative', sql`balance >= 0`)
    .execute();

  await db.schema
    .createTable('ledger_transactions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    // Unique: a transaction can be reversed once, even by two reversals racing.
    .addColumn('reverses_id', 'text', (c) => c.unique().references('ledger_transactions.id'))
    .addColumn('reversed_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('ledger_transactions_member')
    .on('ledger_transactions')
    .columns(['member_id', 'id'])
    .execute();

  await db.schema
    .createTable('ledger_entries')
    .addColumn('transaction_id', 'text', (c) => c.notNull().references('ledger_transactions.id'))
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('account', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text')
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('ledger_entries_pk', ['transaction_id', 'line'])
    .execute();
  await db.schema.createIndex('ledger_entries_account').on('ledger_entries').column('account').execute();

  await db.schema
    .createTable('point_lots')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('transaction_id', 'text', (c) => c.notNull().references('ledger_transactions.id'))
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addColumn('remaining', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('point_lots_remaining_range', sql`remaining >= 0 and remaining <= points`)
    .execute();
  await db.schema.createIndex('point_lots_member').on('point_lots').columns(['member_id', 'remaining']).execute();
  await db.schema.createIndex('point_lots_due').on('point_lots').columns(['expires_at', 'remaining']).execute();

  await db.schema
    .createTable('lot_movements')
    .addColumn('transaction_id', 'text', (c) => c.notNull().references('ledger_transactions.id'))
    .addColumn('lot_id', 'text', (c) => c.notNull().references('point_lots.id'))
    .addColumn('points', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('lot_movements_pk', ['transaction_id', 'lot_id'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of [
    'lot_movements',
    'point_lots',
    'ledger_entries',
    'ledger_transactions',
    'point_accounts',
    'members',
    'idempotency_keys',
    'api_keys',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
