import type { RedemptionsTable } from '../schema.js';

export interface Redemption {
  id: string;
  memberId: string;
  itemId: string;
  poolId: string;
  codeId: string;
  /** The code in clear only in the answer to the redemption itself and to an admin's reveal; masked elsewhere. */
  code?: string;
  maskedCode?: string;
  pointsSpent: number;
  transactionId: string;
  status: 'completed' | 'reversed';
  reversalTransactionId: string | null;
  reversalReason: string | null;
  createdAt: string;
  reversedAt: string | null;
}

export function toRedemption(row: RedemptionsTable): Redemption {
  return {
    id: row.id,
    memberId: row.member_id,
    itemId: row.item_id,
    poolId: row.pool_id,
    codeId: row.code_id,
    pointsSpent: Number(row.points_spent),
    transactionId: row.transaction_id,
    status: row.status as Redemption['status'],
    reversalTransactionId: row.reversal_transaction_id,
    reversalReason: row.reversal_reason,
    createdAt: new Date(row.created_at).toISOString(),
    reversedAt: row.reversed_at === null ? null : new Date(row.reversed_at).toISOString(),
  };
}
