import type { LedgerTransactionsTable, PointLotsTable } from '../schema.js';

/** The program's side of every points movement; each member has an account of their own. */
export const PROGRAM_ACCOUNT = {
  issuance: 'program:issuance',
  redemption: 'program:redemption',
  expiry: 'program:expiry',
  adjustment: 'program:adjustment',
} as const;

export const memberAccount = (memberId: string) => `member:${memberId}`;

export type TransactionKind = 'earn' | 'spend' | 'expire' | 'adjust' | 'reversal';

/** One movement's upper bound: large enough for any program, small enough that sums stay exact. */
export const MAX_POINTS = 1_000_000_000;

export interface Entry {
  account: string;
  amount: number;
}

export interface LedgerTransaction {
  id: string;
  memberId: string;
  kind: TransactionKind;
  /** Signed change of the member's balance. */
  points: number;
  reason: string;
  expiresAt: string | null;
  reversesId: string | null;
  reversedBy: string | null;
  createdAt: string;
  entries: Entry[];
}

export interface Lot {
  id: string;
  transactionId: string;
  points: number;
  remaining: number;
  expiresAt: string | null;
  createdAt: string;
}

export interface LotTake {
  lotId: string;
  points: number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toTransaction(row: LedgerTransactionsTable, entries: Entry[]): LedgerTransaction {
  return {
    id: row.id,
    memberId: row.member_id,
    kind: row.kind as TransactionKind,
    points: row.points,
    reason: row.reason,
    expiresAt: iso(row.expires_at),
    reversesId: row.reverses_id,
    reversedBy: row.reversed_by,
    createdAt: new Date(row.created_at).toISOString(),
    entries,
  };
}

export function toLot(row: PointLotsTable): Lot {
  return {
    id: row.id,
    transactionId: row.transaction_id,
    points: row.points,
    remaining: row.remaining,
    expiresAt: iso(row.expires_at),
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/**
 * Which lots pay for `points`, earliest expiry first (lots that never expire last).
 * `lots` must already be in that order; `preferred` is drained first (a reversed earn takes back its own lot).
 */
export function allocate(
  lots: ReadonlyArray<{ id: string; remaining: number }>,
  points: number,
  preferred?: string,
): LotTake[] {
  const ordered = preferred
    ? [...lots.filter((l) => l.id === preferred), ...lots.filter((l) => l.id !== preferred)]
    : lots;
  const takes: LotTake[] = [];
  let left = points;
  for (const lot of ordered) {
    if (left === 0) break;
    const take = Math.min(lot.remaining, left);
    if (take > 0) {
      takes.push({ lotId: lot.id, points: take });
      left -= take;
    }
  }
  if (left > 0) throw new Error(`lots hold ${points - left} points, ${points} needed: balance and lots disagree`);
  return takes;
}

/** Two entries that sum to zero: the member's side and the program's. */
export function entriesFor(memberId: string, points: number, programAccount: string): Entry[] {
  return [
    { account: memberAccount(memberId), amount: points },
    { account: programAccount, amount: -points },
  ];
}
