import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import {
  Kysely,
  PostgresDialect,
  RawNode,
  SelectQueryNode,
  SqliteDialect,
  sql,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type Transaction,
  type UnknownRow,
} from 'kysely';
import pg from 'pg';
import { GroupCommit } from './group-commit.js';
import { bindDirect, preparedName, type DirectRunner } from './statements.js';

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
function withStatementCache(db: BetterSqlite3.Database, options: { immediate?: boolean } = {}) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sqlText: string) {
      // The writer takes the write lock when its transaction begins: a deferred transaction that
      // reads first cannot write if another process (the CLI, another server) committed meanwhile
      // (SQLITE_BUSY at once, no waiting), while BEGIN IMMEDIATE waits its turn (busy_timeout).
      const text = options.immediate && sqlText === 'begin' ? 'begin immediate' : sqlText;
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

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Switching a new file to WAL needs an exclusive lock for a moment, and SQLite answers
 * SQLITE_BUSY at once, busy timeout or not, to a node starting beside another that holds it:
 * such a node waits a little and tries again.
 */
function useWal(db: BetterSqlite3.Database): void {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
      Atomics.wait(pause, 0, 0, 5 + Math.floor(Math.random() * 20));
    }
  }
}

/** A connection as Tessera opens it (reader and writer alike). */
export function openSqliteConnection(file: string): BetterSqlite3.Database {
  const db = new BetterSqlite3(file, { timeout: 10_000 });
  useWal(db);
  // FULL: a commit is on disk (WAL fsync) before we answer the request that made it.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  // Savepoint journals (one per group-committed job) in memory rather than in temporary files.
  db.pragma('temp_store = MEMORY');
  return db;
}

/**
 * The writer's connection. Checkpoints (copying the WAL back into the database file, with its
 * own fsyncs) run in a background thread, so they do not stall the event loop inside a commit;
 * the writer checkpoints by itself only if that thread falls far behind. Commits are as durable
 * as ever: each is in the fsynced WAL before anyone hears of it. (`npm run bench` opens its
 * raw-SQL baseline with this too.)
 */
export function openSqliteWriter(file: string): { connection: BetterSqlite3.Database; close(): Promise<void> } {
  const connection = openSqliteConnection(file);
  if (file === ':memory:') return { connection, close: async () => void connection.close() };
  connection.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
  const checkpointer = new Worker(CHECKPOINTER, {
    eval: true,
    workerData: { module: requireHere.resolve('better-sqlite3'), file, everyMs: CHECKPOINT_EVERY_MS },
  });
  checkpointer.unref();
  const exited = new Promise((resolve) => checkpointer.once('exit', resolve));
  checkpointer.on('error', () => undefined); // the writer's own fallback checkpoints take over
  return {
    connection,
    async close() {
      checkpointer.postMessage('stop');
      const timer = setTimeout(() => void checkpointer.terminate(), 5000);
      await exited;
      clearTimeout(timer);
      connection.close();
    },
  };
}

const CHECKPOINT_EVERY_MS = 100;
const FALLBACK_CHECKPOINT_PAGES = 20_000;
const requireHere = createRequire(import.meta.url);
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file);
db.pragma('synchronous = FULL');
// PASSIVE: copies what it can without waiting for, or blocking, the writer and the readers.
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {}
}, workerData.everyMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

const PG_INT8 = 20;
const PG_NUMERIC = 1700;

/** Points and money are integers well inside 2^53, so bigint and sums come back as numbers. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === PG_INT8 || oid === PG_NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * Kysely sends every query unnamed, so PostgreSQL parses and plans it each time. The hot
 * statements of statements.ts go as named prepared statements instead: once per connection.
 */
class PreparingClient extends pg.Client {
  constructor(config?: pg.ClientConfig) {
    super(config);
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    this.query = ((...args: unknown[]) => {
      const [text, values] = args;
      const name = args.length === 2 && typeof text === 'string' && Array.isArray(values) ? preparedName(text) : undefined;
      return name ? query({ name, text, values }) : query(...args);
    }) as pg.Client['query'];
  }
}

/**
 * Counts, for one group-commit batch on PostgreSQL, the statements that may have changed rows:
 * every statement but plain reads and inserts, updates and deletes that changed none.
 */
class ChangeCounter implements KyselyPlugin {
  count = 0;
  private readonly reads = new WeakSet<object>();

  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    const plainRead = SelectQueryNode.is(node)
      ? node.with === undefined // a WITH clause may hold writes
      : RawNode.is(node) && /^\s*select\b/i.test(node.sqlFragments[0] ?? '');
    if (plainRead) this.reads.add(queryId);
    return node;
  }

  async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (!this.reads.has(queryId) && (result.numAffectedRows === undefined || result.numAffectedRows > 0n)) this.count++;
    return result;
  }
}

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
      Client: PreparingClient,
    });
    // An idle connection that breaks (the server restarts, an administrator or a proxy ends it) is
    // dropped by the pool, which reconnects on demand; without a listener its 'error' would be
    // unhandled and end the whole process.
    pool.on('error', () => undefined);
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
    const writer = new GroupCommit<DB>(db, {
      writers,
      maxBatch: 256,
      combineSavepointCommands: true,
      watch: {
        watch(tx) {
          const counter = new ChangeCounter();
          return { tx: tx.withPlugin(counter), changes: () => counter.count };
        },
        // Any error inside a PostgreSQL transaction aborts it, and then even this fails.
        async usable(tx) {
          try {
            await sql`select 1`.execute(tx);
            return true;
          } catch {
            return false;
          }
        },
      },
      // 55P03: a lock wait outlived lock_timeout, below.
      isRetryable: (e) => ['40001', '40P01', '55P03'].includes(pgErrorCode(e) ?? ''),
      // Batches of different writers hold their rows until commit, so two batches that touch the
      // same members in opposite orders deadlock, and PostgreSQL only notices after
      // deadlock_timeout (1 s), stalling both. A row held longer than a batch takes is that case:
      // the waiting job gives up quickly and is retried in a later batch.
      beginBatch: async (tx) => {
        await sql`set local lock_timeout = '50ms'`.execute(tx);
      },
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
  const { connection: writerConnection, close: closeWriter } = openSqliteWriter(file);
  const readerConnection = file === ':memory:' ? writerConnection : openSqliteConnection(file);
  const writerStatements = { ...withStatementCache(writerConnection, { immediate: true }), close: () => undefined };
  const writeDb = new Kysely<DB>({ dialect: new SqliteDialect({ database: writerStatements }) });
  const readDb =
    readerConnection === writerConnection
      ? writeDb
      : new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(readerConnection) }) });
  // A batch's transaction holds the one writer connection, so its hand-written statements
  // (statements.ts) may run on that connection directly, skipping Kysely's per-query machinery.
  const direct: DirectRunner = (text, parameters) => {
    const statement = writerStatements.prepare(text);
    if (statement.reader) return statement.all(parameters);
    statement.run(parameters);
    return [];
  };
  // Every row an INSERT, UPDATE or DELETE changed on this connection, triggers and foreign-key actions included.
  const totalChanges = writerConnection.prepare('select total_changes()').pluck();
  const writer = new GroupCommit<DB>(writeDb, {
    writers: 1,
    maxBatch: 1000,
    isRetryable: () => false,
    bindTransaction: (tx) => bindDirect(tx, direct),
    watch: {
      watch: (tx) => ({ tx, changes: () => totalChanges.get() as number }),
      // A failed statement is undone on its own in SQLite; only a few errors (disk full, I/O) end the transaction.
      usable: async () => writerConnection.inTransaction,
    },
  });
  return {
    engine: 'sqlite',
    read: readDb,
    admin: writeDb,
    write: (work) => writer.run(work),
    async close() {
      await writer.close();
      if (readDb !== writeDb) await readDb.destroy();
      await writeDb.destroy();
      await closeWriter();
    },
  };
}

/** Row lock for the rest of the transaction on PostgreSQL; SQLite's single writer already serializes. */
export function forUpdate(engine: Engine) {
  return engine === 'postgres' ? sql` for update` : sql``;
}
