import type { Executor, MembersTable } from '../schema.js';

export class MemberStore {
  async insert(db: Executor, row: MembersTable): Promise<boolean> {
    const result = await db
      .insertInto('members')
      .values(row)
      .onConflict((oc) => oc.column('external_id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async findByExternalId(db: Executor, externalId: string): Promise<MembersTable | undefined> {
    return db.selectFrom('members').selectAll().where('external_id', '=', externalId).executeTakeFirst();
  }

  async find(db: Executor, id: string): Promise<MembersTable | undefined> {
    return db.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async exists(db: Executor, id: string): Promise<boolean> {
    const row = await db.selectFrom('members').select('id').where('id', '=', id).executeTakeFirst();
    return row !== undefined;
  }

  /** Of these ids, those that name a member. */
  async existing(db: Executor, ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let from = 0; from < ids.length; from += 1000) {
      const rows = await db.selectFrom('members').select('id').where('id', 'in', ids.slice(from, from + 1000)).execute();
      for (const { id } of rows) found.add(id);
    }
    return found;
  }

  /** Newest first; `startingAfter` is the last id of the previous page. */
  async list(db: Executor, limit: number, startingAfter?: string): Promise<MembersTable[]> {
    let query = db.selectFrom('members').selectAll().orderBy('id', 'desc').limit(limit);
    if (startingAfter) query = query.where('id', '<', startingAfter);
    return query.execute();
  }

  async updateDisplayName(db: Executor, id: string, displayName: string | null, now: number): Promise<boolean> {
    const result = await db
      .updateTable('members')
      .set({ display_name: displayName, updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
