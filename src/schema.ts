import type { Kysely, Transaction } from 'kysely';
import type { Database } from './platform/db.js';
import type { MembershipTables } from './schema-memberships.js';
import type { PartnerTables } from './schema-partners.js';

export type * from './schema-memberships.js';
export type * from './schema-partners.js';

/** Row shapes of every table. Times are epoch milliseconds; points and money are integers. */

export interface ApiKeysTable {
  id: string;
  key_hash: string;
  prefix: string;
  name: string;
  role: string;
  created_at: number;
  revoked_at: number | null;
  /** Partner keys: the partner they act for, and their scopes (JSON array); null on operator keys. */
  partner_id: string | null;
  scopes: string | null;
}

export interface IdempotencyKeysTable {
  scope: string;
  idem_key: string;
  request_hash: string;
  status_code: number;
  response_body: string;
  created_at: number;
}

export interface MembersTable {
  id: string;
  external_id: string;
  display_name: string | null;
  created_at: number;
  updated_at: number;
}

export interface PointAccountsTable {
  member_id: string;
  balance: number;
  updated_at: number;
}

export interface LedgerTransactionsTable {
  id: string;
  member_id: string;
  kind: string;
  points: number;
  reason: string;
  expires_at: number | null;
  reverses_id: string | null;
  reversed_by: string | null;
  created_at: number;
}

export interface LedgerEntriesTable {
  transaction_id: string;
  line: number;
  account: string;
  member_id: string | null;
  amount: number;
}

export interface PointLotsTable {
  id: string;
  member_id: string;
  transaction_id: string;
  points: number;
  remaining: number;
  expires_at: number | null;
  created_at: number;
}

export interface LotMovementsTable {
  transaction_id: string;
  lot_id: string;
  points: number;
}

export interface OutboxEventsTable {
  id: string;
  topic: string;
  subject_id: string;
  payload: string;
  created_at: number;
  delivered_at: number | null;
}

export interface PoolsTable {
  id: string;
  name: string;
  partner_id: string | null;
  supplier: string | null;
  unit_cost_amount: number | null;
  unit_cost_currency: string | null;
  low_stock_threshold: number | null;
  low_stock_alerted_at: number | null;
  created_at: number;
}

export interface CodeBatchesTable {
  id: string;
  pool_id: string;
  supplier: string | null;
  partner_id: string | null;
  unit_cost_amount: number | null;
  unit_cost_currency: string | null;
  purchased_at: number | null;
  expires_at: number | null;
  imported: number;
  duplicates: number;
  created_at: number;
}

export interface PoolCodesTable {
  id: string;
  pool_id: string;
  batch_id: string;
  code_hash: string;
  code_cipher: string;
  status: 'available' | 'issued' | 'void';
  expires_at: number;
  issued_at: number | null;
  issued_ref: string | null;
  voided_at: number | null;
  created_at: number;
}

export interface CodeRevealsTable {
  id: string;
  code_id: string;
  actor: string;
  reason: string;
  created_at: number;
}

export interface RolloutsTable {
  id: string;
  name: string;
  created_at: number;
  updated_at: number;
}

export interface RolloutStepsTable {
  rollout_id: string;
  seq: number;
  stage: string;
  percentage: number | null;
  starts_at: number;
  local_time: string | null;
  time_zone: string | null;
}

export interface RolloutAllowlistTable {
  rollout_id: string;
  member_id: string;
}

export interface RolloutChangesTable {
  id: string;
  rollout_id: string;
  actor: string;
  change: string;
  created_at: number;
}

export interface CatalogItemsTable {
  id: string;
  name: string;
  description: string | null;
  points_price: number;
  pool_id: string;
  per_member_limit: number | null;
  period_limit: number | null;
  period: string | null;
  time_zone: string;
  total_cap: number | null;
  redeemed_count: number;
  available_from: number | null;
  available_until: number | null;
  rollout_id: string | null;
  status: string;
  created_at: number;
  updated_at: number;
}

export interface RedemptionCountersTable {
  member_id: string;
  item_id: string;
  period_key: string;
  count: number;
}

export interface RedemptionsTable {
  id: string;
  member_id: string;
  item_id: string;
  pool_id: string;
  code_id: string;
  transaction_id: string;
  points_spent: number;
  period_key: string | null;
  status: string;
  reversal_transaction_id: string | null;
  reversal_reason: string | null;
  created_at: number;
  reversed_at: number | null;
}

export interface CodeKeyCheckTable {
  id: number;
  check_value: string;
  created_at: number;
}

export interface WebhookEndpointsTable {
  id: string;
  partner_id: string | null;
  url: string;
  description: string | null;
  /** JSON array of event types or wildcards (`redemption.*`, `*`). */
  event_types: string;
  status: string;
  disabled_reason: string | null;
  disabled_at: number | null;
  /** The `whsec_…` secret, sealed with the code vault; never stored in clear. */
  secret: string;
  previous_secret: string | null;
  previous_secret_until: number | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  event_id: string;
  endpoint_id: string;
  event_type: string;
  status: string;
  attempts: number;
  failures: number;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  lease_until: number | null;
  lease_owner: string | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string;
  attempt: number;
  outcome: string;
  status_code: number | null;
  duration_ms: number;
  response_body: string | null;
  error: string | null;
  signed_at: number;
  created_at: number;
}

export interface Tables extends MembershipTables, PartnerTables {
  code_key_check: CodeKeyCheckTable;
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
  members: MembersTable;
  point_accounts: PointAccountsTable;
  ledger_transactions: LedgerTransactionsTable;
  ledger_entries: LedgerEntriesTable;
  point_lots: PointLotsTable;
  lot_movements: LotMovementsTable;
  outbox_events: OutboxEventsTable;
  pools: PoolsTable;
  code_batches: CodeBatchesTable;
  pool_codes: PoolCodesTable;
  code_reveals: CodeRevealsTable;
  rollouts: RolloutsTable;
  rollout_steps: RolloutStepsTable;
  rollout_allowlist: RolloutAllowlistTable;
  rollout_changes: RolloutChangesTable;
  catalog_items: CatalogItemsTable;
  redemption_counters: RedemptionCountersTable;
  redemptions: RedemptionsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
}

export type Tx = Transaction<Tables>;
export type Reader = Kysely<Tables>;
/** Either: a query that may run inside a write or on its own. */
export type Executor = Kysely<Tables> | Transaction<Tables>;
export type Db = Database<Tables>;
