import { sql } from 'kysely';
import { forUpdate, pgErrorCode, type Engine } from '../platform/db.js';
import type { Executor, PaymentsTable, SubscriptionPeriodsTable, SubscriptionsTable, Tx } from '../schema.js';
import { LIVE_STATUSES } from './subscription.js';

function isUniqueViolation(error: unknown): boolean {
  const code = pgErrorCode(error);
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export class SubscriptionStore {
  constructor(private readonly engine: Engine) {}

  /** False when the member already has a live subscription of the plan (the database's unique index decides). */
  async insert(tx: Tx, row: SubscriptionsTable): Promise<boolean> {
    const live = await this.liveFor(tx, row.member_id, row.plan_id);
    if (live) return false;
    try {
      await tx.insertInto('subscriptions').values(row).execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async liveFor(db: Executor, memberId: string, planId: string): Promise<SubscriptionsTable | undefined> {
    return db
      .selectFrom('subscriptions')
      .selectAll()
      .where('member_id', '=', memberId)
      .where('plan_id', '=', planId)
      .where('status', 'in', LIVE_STATUSES)
      .executeTakeFirst();
  }

  async livePlanIds(db: Executor, memberId: string): Promise<string[]> {
    const rows = await db
      .selectFrom('subscriptions')
      .select('plan_id')
      .where('member_id', '=', memberId)
      .where('status', 'in', LIVE_STATUSES)
      .execute();
    return rows.map((r) => r.plan_id);
  }

  async hasSubscribed(db: Executor, memberId: string, planId: string): Promise<boolean> {
    const row = await db.selectFrom('subscriptions').select('id').where('member_id', '=', memberId).where('plan_id', '=', planId).executeTakeFirst();
    return row !== undefined;
  }

  async find(db: Executor, id: string): Promise<SubscriptionsTable | undefined> {
    return db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async lock(tx: Tx, id: string): Promise<SubscriptionsTable | undefined> {
    const result = await sql<SubscriptionsTable>`select * from subscriptions where id = ${id}${forUpdate(this.engine)}`.execute(tx);
    return result.rows[0];
  }

  async ofMember(db: Executor, memberId: string, limit: number, startingAfter?: string): Promise<SubscriptionsTable[]> {
    let query = db.selectFrom('subscriptions').selectAll().where('member_id', '=', memberId).orderBy('id', 'desc').limit(limit);
    if (startingAfter) query = query.where('id', '<', startingAfter);
    return query.execute();
  }

  /** Live subscriptions whose period has ended by `now`, soonest first. */
  async due(db: Executor, statuses: string[], now: number, limit: number): Promise<Array<{ id: string; current_period_end: number }>> {
    return db
      .selectFrom('subscriptions')
      .select(['id', 'current_period_end'])
      .where('status', 'in', statuses)
      .where('current_period_end', '<=', now)
      .orderBy('current_period_end')
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** past_due subscriptions last tried at or before `triedBefore`. */
  async pastDue(db: Executor, triedBefore: number, limit: number): Promise<string[]> {
    const rows = await db
      .selectFrom('subscriptions')
      .select('id')
      .where('status', '=', 'past_due')
      .where('updated_at', '<=', triedBefore)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Moves a subscription on from the period that ends at `expectedEnd`, only if it still is in
   * that period and live. Two schedulers racing for one renewal: one update matches, the other
   * (waiting on the row lock on PostgreSQL, re-checking after it) matches nothing.
   */
  async advance(tx: Tx, id: string, expectedEnd: number, set: Partial<SubscriptionsTable>): Promise<boolean> {
    const result = await tx
      .updateTable('subscriptions')
      .set(set)
      .where('id', '=', id)
      .where('current_period_end', '=', expectedEnd)
      .where('status', 'in', ['active', 'trialing'])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async update(tx: Tx, id: string, set: Partial<SubscriptionsTable>): Promise<void> {
    await tx.updateTable('subscriptions').set(set).where('id', '=', id).execute();
  }

  async insertPeriod(tx: Tx, row: SubscriptionPeriodsTable): Promise<void> {
    await tx.insertInto('subscription_periods').values(row).execute();
  }

  async updatePeriod(tx: Tx, id: string, set: Partial<SubscriptionPeriodsTable>): Promise<void> {
    await tx.updateTable('subscription_periods').set(set).where('id', '=', id).execute();
  }

  async periods(db: Executor, subscriptionId: string): Promise<SubscriptionPeriodsTable[]> {
    return db.selectFrom('subscription_periods').selectAll().where('subscription_id', '=', subscriptionId).orderBy('period_index').execute();
  }

  async period(db: Executor, subscriptionId: string, index: number): Promise<SubscriptionPeriodsTable | undefined> {
    return db
      .selectFrom('subscription_periods')
      .selectAll()
      .where('subscription_id', '=', subscriptionId)
      .where('period_index', '=', index)
      .executeTakeFirst();
  }

  async insertPayment(tx: Tx, row: PaymentsTable): Promise<void> {
    await tx.insertInto('payments').values(row).execute();
  }

  async payments(db: Executor, subscriptionId: string): Promise<PaymentsTable[]> {
    return db.selectFrom('payments').selectAll().where('subscription_id', '=', subscriptionId).orderBy('id').execute();
  }
}
