import { sql } from 'kysely';
import type { Db } from '../../src/schema.js';

export interface LedgerCheck {
  unbalancedTransactions: number;
  negativeBalances: number;
  /** Members whose stored balance differs from the sum of their entries or of their lots. */
  mismatchedBalances: number;
}

/** The invariants of SPEC.md over the whole ledger, computed straight from the tables. */
export async function checkLedger(db: Db): Promise<LedgerCheck> {
  const unbalanced = await sql<{ n: number }>`
    select count(*) as n from (
      select transaction_id from ledger_entries group by transaction_id having sum(amount) <> 0
    ) t`.execute(db.read);
  const negative = await sql<{ n: number }>`select count(*) as n from point_accounts where balance < 0`.execute(db.read);
  const mismatched = await sql<{ n: number }>`
    select count(*) as n from point_accounts a
    where a.balance <> coalesce((select sum(e.amount) from ledger_entries e where e.member_id = a.member_id), 0)
       or a.balance <> coalesce((select sum(l.remaining) from point_lots l where l.member_id = a.member_id), 0)`.execute(db.read);
  return {
    unbalancedTransactions: Number(unbalanced.rows[0]?.n ?? 0),
    negativeBalances: Number(negative.rows[0]?.n ?? 0),
    mismatchedBalances: Number(mismatched.rows[0]?.n ?? 0),
  };
}
