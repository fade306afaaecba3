import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * Partners and their agreements, partner-scoped API keys (two new columns on api_keys), the
 * activation of partner memberships, account links between a member and a partner's user, and
 * the activity partners report (the input of cross-platform conversion).
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('partners')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('requires_account_link', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('partner_agreements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('revenue_terms', 'text')
    .addColumn('rules', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'bigint', (c) => c.notNull())
    .addColumn('valid_until', 'bigint')
    .addColumn('note', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('partner_agreements_kind', sql`kind in ('co_brand', 'procurement')`)
    .execute();
  await db.schema.createIndex('partner_agreements_partner').on('partner_agreements').columns(['partner_id', 'id']).execute();

  // A partner's keys: the partner they act for and the scopes they hold (JSON array). Operator keys keep both null.
  await db.schema.alterTable('api_keys').addColumn('partner_id', 'text').execute();
  await db.schema.alterTable('api_keys').addColumn('scopes', 'text').execute();
  await db.schema.createIndex('api_keys_partner').on('api_keys').columns(['partner_id', 'revoked_at']).execute();

  await db.schema
    .createTable('partner_activations')
    .addColumn('entitlement_id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('benefit_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('retries', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('last_requested_at', 'bigint')
    .addColumn('partner_reference', 'text')
    .addColumn('reason', 'text')
    // JSON: what the request to the partner carries (membership, term), sent again on each attempt.
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint(
      'partner_activations_status',
      sql`status in ('awaiting_link', 'requested', 'confirmed', 'rejected', 'failed', 'closed')`,
    )
    .execute();
  await db.schema.createIndex('partner_activations_due').on('partner_activations').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('partner_activations_partner').on('partner_activations').columns(['partner_id', 'status', 'entitlement_id']).execute();
  await db.schema.createIndex('partner_activations_member').on('partner_activations').columns(['member_id', 'partner_id', 'status']).execute();

  await db.schema
    .createTable('partner_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('member_id', 'text', (c) => c.notNull().references('members.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('token_expires_at', 'bigint', (c) => c.notNull())
    .addColumn('partner_user_id', 'text')
    // Set only while the link is confirmed: one confirmed link per member and partner.
    .addColumn('confirmed_member_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('confirmed_at', 'bigint')
    .addCheckConstraint('partner_links_status', sql`status in ('pending', 'confirmed', 'superseded')`)
    // NULLs are distinct on both engines: only confirmed links take part.
    .addUniqueConstraint('partner_links_user', ['partner_id', 'partner_user_id'])
    .addUniqueConstraint('partner_links_member', ['partner_id', 'confirmed_member_id'])
    .execute();
  await db.schema.createIndex('partner_links_of_member').on('partner_links').columns(['member_id', 'id']).execute();

  await db.schema
    .createTable('partner_activities')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull())
    .addColumn('member_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('reported_at', 'bigint', (c) => c.notNull())
    .addColumn('external_id', 'text')
    .execute();
  await db.schema.createIndex('partner_activities_external').on('partner_activities').columns(['partner_id', 'external_id']).unique().execute();
  await db.schema.createIndex('partner_activities_member').on('partner_activities').columns(['partner_id', 'member_id', 'occurred_at']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['partner_activities', 'partner_links', 'partner_activations', 'partner_agreements']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await db.schema.dropIndex('api_keys_partner').ifExists().execute();
  await db.schema.alterTable('api_keys').dropColumn('scopes').execute();
  await db.schema.alterTable('api_keys').dropColumn('partner_id').execute();
  await db.schema.dropTable('partners').ifExists().execute();
}
