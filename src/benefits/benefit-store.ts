import { sql } from 'kysely';
import type { BenefitsTable, EntitlementEventsTable, EntitlementsTable, Executor, Tx } from '../schema.js';

export class BenefitStore {
  async insertBenefit(tx: Tx, row: BenefitsTable): Promise<boolean> {
    const result = await tx
      .insertInto('benefits')
      .values(row)
      .onConflict((oc) => oc.column('code').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async benefits(db: Executor, ids?: string[]): Promise<BenefitsTable[]> {
    if (ids && ids.length === 0) return [];
    let query = db.selectFrom('benefits').selectAll().orderBy('id');
    if (ids) query = query.where('id', 'in', ids);
    return query.execute();
  }

  async findByCode(db: Executor, code: string): Promise<BenefitsTable | undefined> {
    return db.selectFrom('benefits').selectAll().where('code', '=', code).executeTakeFirst();
  }

  /** False when this term already has this benefit. */
  async insertEntitlement(tx: Tx, row: EntitlementsTable): Promise<boolean> {
    const result = await tx
      .insertInto('entitlements')
      .values(row)
      .onConflict((oc) => oc.columns(['period_id', 'benefit_id']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async insertEvent(tx: Tx, row: EntitlementEventsTable): Promise<void> {
    await tx.insertInto('entitlement_events').values(row).execute();
  }

  async find(db: Executor, id: string): Promise<EntitlementsTable | undefined> {
    return db.selectFrom('entitlements').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Moves an entitlement from one status to another; false when it was not in `from` any more. */
  async transition(tx: Tx, id: string, from: string[], to: string, set: Partial<EntitlementsTable>): Promise<boolean> {
    const result = await tx
      .updateTable('entitlements')
      .set({ ...set, status: to })
      .where('id', '=', id)
      .where('status', 'in', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async lastEvent(db: Executor, entitlementId: string): Promise<EntitlementEventsTable | undefined> {
    return db.selectFrom('entitlement_events').selectAll().where('entitlement_id', '=', entitlementId).orderBy('id', 'desc').limit(1).executeTakeFirst();
  }

  /**
   * Pending pool_code entitlements still inside their term, oldest first. The literals (not
   * parameters) let both engines match the partial index `entitlements_pending_codes`.
   */
  async pendingPoolCodes(db: Executor, at: number, limit: number): Promise<Array<{ id: string }>> {
    return db
      .selectFrom('entitlements')
      .select('id')
      .where(sql<boolean>`status = 'pending' and kind = 'pool_code'`)
      .where('valid_until', '>', at)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  async events(db: Executor, entitlementId: string): Promise<EntitlementEventsTable[]> {
    return db.selectFrom('entitlement_events').selectAll().where('entitlement_id', '=', entitlementId).orderBy('id').execute();
  }

  async ofSubscription(db: Executor, subscriptionId: string): Promise<EntitlementsTable[]> {
    return db.selectFrom('entitlements').selectAll().where('subscription_id', '=', subscriptionId).orderBy('id').execute();
  }

  async ofPeriod(db: Executor, periodId: string): Promise<EntitlementsTable[]> {
    return db.selectFrom('entitlements').selectAll().where('period_id', '=', periodId).orderBy('id').execute();
  }

  async ofMember(db: Executor, memberId: string, validAt: number | undefined, limit: number, startingAfter?: string): Promise<EntitlementsTable[]> {
    let query = db.selectFrom('entitlements').selectAll().where('member_id', '=', memberId).orderBy('id', 'desc').limit(limit);
    if (validAt !== undefined) {
      query = query.where('valid_from', '<=', validAt).where('valid_until', '>', validAt).where('status', 'in', ['pending', 'fulfilled']);
    }
    if (startingAfter) query = query.where('id', '<', startingAfter);
    return query.execute();
  }

  async activeDiscounts(db: Executor, memberId: string, at: number): Promise<EntitlementsTable[]> {
    return db
      .selectFrom('entitlements')
      .selectAll()
      .where('member_id', '=', memberId)
      .where('kind', '=', 'discount')
      .where('status', '=', 'fulfilled')
      .where('valid_from', '<=', at)
      .where('valid_until', '>', at)
      .execute();
  }
}
