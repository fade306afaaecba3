import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Engine } from '../platform/db.js';
import * as core from './2026-11-24-0001-core.js';
import * as procurement from './2026-11-24-0002-procurement.js';
import * as memberships from './2026-11-24-0003-memberships.js';
import * as loyaltyDays from './2026-11-24-0004-loyalty-days.js';
import * as codeKeyCheck from './2026-11-24-0005-code-key-check.js';
import * as partners from './2026-11-24-0006-partners.js';
import * as webhooks from './2026-11-24-0007-webhooks.js';
import * as analytics from './2026-11-24-0008-analytics.js';
import * as pendingCodes from './2026-11-24-0009-pending-codes.js';

/** Ordered by name; a new change is a new file added here, never an edit of a shipped one. */
const migrations: Record<string, Migration> = {
  '2026-11-24-0001-core': core,
  '2026-11-24-0002-procurement': procurement,
  '2026-11-24-0003-memberships': memberships,
  '2026-11-24-0004-loyalty-days': loyaltyDays,
  '2026-11-24-0005-code-key-check': codeKeyCheck,
  '2026-11-24-0006-partners': partners,
  '2026-11-24-0007-webhooks': webhooks,
  '2026-11-24-0008-analytics': analytics,
  '2026-11-24-0009-pending-codes': pendingCodes,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

// Any fixed number: every node of one installation takes the same lock.
const MIGRATION_LOCK = 7_263_140_001;

// SQLite migrations of this process, one after another: better-sqlite3 is synchronous, so a
// second connection waiting for the write lock would block the very thread that holds it.
let sqliteMigrationTurn: Promise<unknown> = Promise.resolve();

/**
 * Runs pending migrations. On PostgreSQL a session advisory lock makes nodes that start at
 * the same moment take turns, so each migration runs once and the rest find nothing to do.
 * On SQLite, BEGIN IMMEDIATE does the same across processes: the migration table is read only
 * once the write lock is held (Kysely's own SQLite migrator takes no lock at all).
 */
export async function migrateToLatest<DB>(db: Kysely<DB>, engine: Engine): Promise<string[]> {
  const run = async (target: Kysely<DB>, disableTransactions = false) => {
    const { error, results } = await new Migrator({ db: target, provider, disableTransactions }).migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  };
  if (engine !== 'postgres') {
    const turn = sqliteMigrationTurn.then(() =>
      db.connection().execute(async (connection) => {
        await sql`begin immediate`.execute(connection);
        try {
          const applied = await run(connection, true);
          await sql`commit`.execute(connection);
          return applied;
        } catch (error) {
          await sql`rollback`.execute(connection);
          throw error;
        }
      }),
    );
    sqliteMigrationTurn = turn.catch(() => undefined);
    return turn;
  }
  return db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(connection);
    try {
      return await run(connection);
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(connection);
    }
  });
}
