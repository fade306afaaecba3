import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Engine } from '../platform/db.js';
import * as core from './2026-11-24-0001-core.js';

/** Ordered by name; a new change is a new file added here, never an edit of a shipped one. */
const migrations: Record<string, Migration> = {
  '2026-11-24-0001-core': core,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

// Any fixed number: every node of one installation takes the same lock.
const MIGRATION_LOCK = 7_263_140_001;

/**
 * Runs pending migrations. On PostgreSQL a session advisory lock makes nodes that start at
 * the same moment take turns, so each migration runs once and the rest find nothing to do.
 */
export async function migrateToLatest<DB>(db: Kysely<DB>, engine: Engine): Promise<string[]> {
  const run = async (target: Kysely<DB>) => {
    const { error, results } = await new Migrator({ db: target, provider }).migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  };
  if (engine !== 'postgres') return run(db);
  return db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(connection);
    try {
      return await run(connection);
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(connection);
    }
  });
}
