import type { Executor, RedemptionsTable, Tx } from '../schema.js';

export class RedemptionStore {
  async insert(tx: Tx, row: RedemptionsTable): Promise<void> {
    await tx.insertInto('redemptions').values(row).execute();
  }

  async find(db: Executor, id: string): Promise<RedemptionsTable | undefined> {
    return db.selectFrom('redemptions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listByMember(db: Executor, memberId: string, limit: number, startingAfter?: string): Promise<RedemptionsTable[]> {
    let query = db.selectFrom('redemptions').selectAll().where('member_id', '=', memberId).orderBy('id', 'desc').limit(limit);
    if (startingAfter) query = query.where('id', '<', startingAfter);
    return query.execute();
  }

  /** Marks a completed redemption reversed; false when it already was (a reversal is done once). */
  async markReversed(tx: Tx, id: string, reversalTransactionId: string, reason: string, now: number): Promise<boolean> {
    const result = await tx
      .updateTable('redemptions')
      .set({ status: 'reversed', reversal_transaction_id: reversalTransactionId, reversal_reason: reason, reversed_at: now })
      .where('id', '=', id)
      .where('status', '=', 'completed')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
