import type { ApiKeysTable, Executor, Tx } from '../schema.js';

export class ApiKeyStore {
  async insert(tx: Tx, row: ApiKeysTable): Promise<void> {
    await tx.insertInto('api_keys').values(row).execute();
  }

  async findActiveByHash(db: Executor, keyHash: string): Promise<ApiKeysTable | undefined> {
    return db
      .selectFrom('api_keys')
      .selectAll()
      .where('key_hash', '=', keyHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
  }

  async countActiveAdmins(db: Executor): Promise<number> {
    const row = await db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role', '=', 'admin')
      .where('partner_id', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async find(db: Executor, id: string): Promise<ApiKeysTable | undefined> {
    return db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async countActiveOfPartner(db: Executor, partnerId: string): Promise<number> {
    const row = await db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('partner_id', '=', partnerId)
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async listOfPartner(db: Executor, partnerId: string): Promise<ApiKeysTable[]> {
    return db.selectFrom('api_keys').selectAll().where('partner_id', '=', partnerId).orderBy('id', 'desc').execute();
  }

  async list(db: Executor): Promise<ApiKeysTable[]> {
    return db.selectFrom('api_keys').selectAll().orderBy('id', 'desc').execute();
  }

  async revoke(tx: Tx, id: string, now: number): Promise<ApiKeysTable | undefined> {
    return tx
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
  }
}
