import type { Executor, RolloutChangesTable, RolloutStepsTable, RolloutsTable, Tx } from '../schema.js';

export class RolloutStore {
  async insert(tx: Tx, row: RolloutsTable): Promise<void> {
    await tx.insertInto('rollouts').values(row).execute();
  }

  async find(db: Executor, id: string): Promise<RolloutsTable | undefined> {
    return db.selectFrom('rollouts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async list(db: Executor, limit: number, startingAfter?: string): Promise<RolloutsTable[]> {
    let query = db.selectFrom('rollouts').selectAll().orderBy('id', 'desc').limit(limit);
    if (startingAfter) query = query.where('id', '<', startingAfter);
    return query.execute();
  }

  async touch(tx: Tx, id: string, now: number): Promise<void> {
    await tx.updateTable('rollouts').set({ updated_at: now }).where('id', '=', id).execute();
  }

  async steps(db: Executor, rolloutId: string): Promise<RolloutStepsTable[]> {
    return db.selectFrom('rollout_steps').selectAll().where('rollout_id', '=', rolloutId).orderBy('starts_at').orderBy('seq').execute();
  }

  async replaceSteps(tx: Tx, rolloutId: string, rows: RolloutStepsTable[]): Promise<void> {
    await tx.deleteFrom('rollout_steps').where('rollout_id', '=', rolloutId).execute();
    if (rows.length > 0) await tx.insertInto('rollout_steps').values(rows).execute();
  }

  async addToAllowlist(tx: Tx, rolloutId: string, memberIds: string[]): Promise<void> {
    for (let i = 0; i < memberIds.length; i += 1000) {
      await tx
        .insertInto('rollout_allowlist')
        .values(memberIds.slice(i, i + 1000).map((member_id) => ({ rollout_id: rolloutId, member_id })))
        .onConflict((oc) => oc.columns(['rollout_id', 'member_id']).doNothing())
        .execute();
    }
  }

  async removeFromAllowlist(tx: Tx, rolloutId: string, memberIds: string[]): Promise<void> {
    for (let i = 0; i < memberIds.length; i += 1000) {
      await tx.deleteFrom('rollout_allowlist').where('rollout_id', '=', rolloutId).where('member_id', 'in', memberIds.slice(i, i + 1000)).execute();
    }
  }

  async isAllowlisted(db: Executor, rolloutId: string, memberId: string): Promise<boolean> {
    const row = await db
      .selectFrom('rollout_allowlist')
      .select('member_id')
      .where('rollout_id', '=', rolloutId)
      .where('member_id', '=', memberId)
      .executeTakeFirst();
    return row !== undefined;
  }

  async allowlistSize(db: Executor, rolloutId: string): Promise<number> {
    const row = await db
      .selectFrom('rollout_allowlist')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('rollout_id', '=', rolloutId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insertChange(tx: Tx, row: RolloutChangesTable): Promise<void> {
    await tx.insertInto('rollout_changes').values(row).execute();
  }

  async changes(db: Executor, rolloutId: string): Promise<RolloutChangesTable[]> {
    return db.selectFrom('rollout_changes').selectAll().where('rollout_id', '=', rolloutId).orderBy('id').execute();
  }
}
