import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { GroupCommit } from './group-commit.js';

export type Engine = 'sqlite' | 'postgres';

export interface Database<DB> {
  readonly engine: Engine;
  /** For reads outside a write. On SQLite this is its own connection, so reads never queue behind a commit. */
  readonly read: Kysely<DB>;
  /** The only way to change data: group-committed, durable before it resolves. */
  readonly write: <T>(work: (tx: Transaction<DB>) => Promise<T>) => Promise<T>;
  /** The connection the writer uses; migrations and maintenance only. */
  readonly admin: Kysely<DB>;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string;
  sqliteFile?: string;
  pgWriters?: number;
  pgPoolSize?: number;
}

/**
 * better-sqlite3 prepares a statement on every call through Kysely; caching them by SQL text
 * removes most of the per-query cost on the hot write path.
 */
function withStatementCache(db: BetterSqlite3.Database) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(text: string) {
      let statement = cache.get(text);
      if (!statement) {
        if (cache.size > 1000) cache.clear();
        statement = db.prepare(text);
        cache.set(text, statement);
      }
      return statement;
    },
    close() {
      db.close();
    },
  };
}

function openSqliteConnection(file: string): BetterSqlite3.Database {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  // FULL: a commit is on disk (WAL fsync) before we answer the request that made it.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 10000');
  db.pragma('foreign_keys = ON');
  return db;
}

const PG_INT8 = 20;
const PG_NUMERIC = 1700;

/** Points and money are integers well inside 2^53, so bigint and sums come back as numbers. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === PG_INT8 || oid === PG_NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

export function pgErrorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

export async function openDatabase<DB>(options: OpenOptions): Promise<Database<DB>> {
  if (options.databaseUrl) {
    const writers = options.pgWriters ?? 4;
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: (options.pgPoolSize ?? 10) + writers,
      types: pgTypes,
    });
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    const writer = new GroupCommit<DB>(db, {
      writers,
      maxBatch: 256,
      isRetryable: (e) => ['40001', '40P01'].includes(pgErrorCode(e) ?? ''),
    });
    return {
      engine: 'postgres',
      read: db,
      admin: db,
      write: (work) => writer.run(work),
      async close() {
        await writer.close();
        await db.destroy();
      },
    };
  }

  const file = options.sqliteFile ?? ':memory:';
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const writerConnection = openSqliteConnection(file);
  const readerConnection = file === ':memory:' ? writerConnection : openSqliteConnection(file);
  const writeDb = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(writerConnection) }) });
  const readDb =
    readerConnection === writerConnection
      ? writeDb
      : new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(readerConnection) }) });
  const writer = new GroupCommit<DB>(writeDb, { writers: 1, maxBatch: 1000, isRetryable: () => false });
  return {
    engine: 'sqlite',
    read: readDb,
    admin: writeDb,
    write: (work) => writer.run(work),
    async close() {
      await writer.close();
      if (readDb !== writeDb) await readDb.destroy();
      await writeDb.destroy();
    },
  };
}

/** Row lock for the rest of the transaction on PostgreSQL; SQLite's single writer already serializes. */
export function forUpdate(engine: Engine) {
  return engine === 'postgres' ? sql` for update` : sql``;
}
