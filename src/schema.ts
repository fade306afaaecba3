import type { Kysely, Transaction } from 'kysely';
import type { Database } from './platform/db.js';

/** Row shapes of every table. Times are epoch milliseconds; points and money are integers. */

export interface ApiKeysTable {
  id: string;
  key_hash: string;
  prefix: string;
  name: string;
  role: string;
  created_at: number;
  revoked_at: number | null;
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

export interface Tables {
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
  members: MembersTable;
  point_accounts: PointAccountsTable;
  ledger_transactions: LedgerTransactionsTable;
  ledger_entries: LedgerEntriesTable;
  point_lots: PointLotsTable;
  lot_movements: LotMovementsTable;
}

export type Tx = Transaction<Tables>;
export type Reader = Kysely<Tables>;
/** Either: a query that may run inside a write or on its own. */
export type Executor = Kysely<Tables> | Transaction<Tables>;
export type Db = Database<Tables>;
