import type { Executor, PlansTable, PlanVersionsTable, Tx } from '../schema.js';

export class PlanStore {
  async insertPlan(tx: Tx, row: PlansTable): Promise<boolean> {
    const result = await tx
      .insertInto('plans')
      .values(row)
      .onConflict((oc) => oc.column('code').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async insertVersion(tx: Tx, row: PlanVersionsTable): Promise<void> {
    await tx.insertInto('plan_versions').values(row).execute();
  }

  async find(db: Executor, id: string): Promise<PlansTable | undefined> {
    return db.selectFrom('plans').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findByCode(db: Executor, code: string): Promise<PlansTable | undefined> {
    return db.selectFrom('plans').selectAll().where('code', '=', code).executeTakeFirst();
  }

  async list(db: Executor, limit: number, startingAfter?: string): Promise<PlansTable[]> {
    let query = db.selectFrom('plans').selectAll().orderBy('id', 'desc').limit(limit);
    if (startingAfter) query = query.where('id', '<', startingAfter);
    return query.execute();
  }

  async version(db: Executor, planId: string, version: number): Promise<PlanVersionsTable | undefined> {
    return db.selectFrom('plan_versions').selectAll().where('plan_id', '=', planId).where('version', '=', version).executeTakeFirst();
  }

  async versionById(db: Executor, id: string): Promise<PlanVersionsTable | undefined> {
    return db.selectFrom('plan_versions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async versions(db: Executor, planId: string): Promise<PlanVersionsTable[]> {
    return db.selectFrom('plan_versions').selectAll().where('plan_id', '=', planId).orderBy('version').execute();
  }

  /** Moves the plan to its next version; false when another change got there first. */
  async bumpVersion(tx: Tx, planId: string, from: number, now: number): Promise<boolean> {
    const result = await tx
      .updateTable('plans')
      .set({ current_version: from + 1, updated_at: now })
      .where('id', '=', planId)
      .where('current_version', '=', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
