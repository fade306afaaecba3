import pg from 'pg';
import { createTessera } from '../src/main.js';
import { PG_CREDIT } from '../src/ledger/ledger-store.js';
import { openSqliteWriter } from '../src/platform/db.js';
import { newId } from '../src/platform/ids.js';
import { EARN, freshStore, MEMBERS, seedMembers, type BenchEngine, type FreshStore } from './common.js';

/** One side of a comparison: set up once, then run for a while, again and again, alternating with the other side. */
export interface Runner {
  /** Earns completed and the seconds they took. */
  run(ms: number): Promise<{ count: number; seconds: number }>;
  /** CPU time the database's server processes have used so far (PostgreSQL; 0 on SQLite, which runs inside Node). */
  databaseCpuMs(): Promise<number>;
  close(): Promise<void>;
}

/** Runs `step` from `callers` concurrent loops until the deadline; answers how many completed and how long it took. */
async function loadFor(callers: number, ms: number, step: (caller: number) => Promise<void>): Promise<{ count: number; seconds: number }> {
  const start = performance.now();
  const deadline = start + ms;
  let count = 0;
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      while (performance.now() < deadline) {
        await step(caller);
        count++;
      }
    }),
  );
  return { count, seconds: (performance.now() - start) / 1000 };
}

export interface ServiceRunner extends Runner {
  /** Earns per group commit so far. */
  averageBatch(): number;
}

/** Earns through the service: one concurrent caller per member, each looping on db.write(tx => ledger.earn(tx, member, …)). */
export async function serviceRunner(engine: BenchEngine): Promise<ServiceRunner> {
  const store = await freshStore(engine, 'svc');
  const tessera = await createTessera(store.config, { logger: false });
  const members = await seedMembers(tessera);
  const { db, services } = tessera;
  // Every job of one batch gets that batch's transaction: counting distinct ones counts commits.
  const seen = new WeakSet<object>();
  let batches = 0;
  let jobs = 0;
  const step = async (caller: number) => {
    await db.write((tx) => {
      jobs++;
      if (!seen.has(tx)) {
        seen.add(tx);
        batches++;
      }
      return services.ledger.earn(tx, members[caller]!, EARN);
    });
  };
  return {
    run: (ms) => loadFor(members.length, ms, step),
    databaseCpuMs: () => store.databaseCpuMs(),
    averageBatch: () => jobs / Math.max(1, batches),
    async close() {
      await tessera.close();
      await store.drop();
    },
  };
}

/** A fresh database with the schema and the members, made by Tessera itself and then closed. */
async function preparedStore(engine: BenchEngine): Promise<{ store: FreshStore; members: string[] }> {
  const store = await freshStore(engine, 'raw');
  const tessera = await createTessera(store.config, { logger: false });
  const members = await seedMembers(tessera, MEMBERS);
  await tessera.close();
  return { store, members };
}

// An earn's statements, as Kysely builds them for the service (see LedgerStore).
export const Q = {
  balance: 'update "point_accounts" set "balance" = "balance" + ?, "updated_at" = ? where "member_id" = ? returning "balance"',
  transaction:
    'insert into "ledger_transactions" ("id", "member_id", "kind", "points", "reason", "expires_at", "reverses_id", "reversed_by", "created_at") values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  entries:
    'insert into "ledger_entries" ("transaction_id", "line", "account", "member_id", "amount") values (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)',
  lot: 'insert into "point_lots" ("id", "member_id", "transaction_id", "points", "remaining", "expires_at", "created_at") values (?, ?, ?, ?, ?, ?, ?)',
};

/** `?` placeholders numbered for PostgreSQL. */
export const numbered = (text: string) => {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
};

/** The parameters of the four statements of one earn, with new ids as the service makes them. */
export function earnParams(memberId: string) {
  const now = Date.now();
  const id = newId('txn');
  const { points, reason } = EARN;
  return {
    balance: [points, now, memberId],
    transaction: [id, memberId, 'earn', points, reason, null, null, null, now],
    entries: [id, 1, `member:${memberId}`, memberId, points, id, 2, 'program:issuance', null, -points],
    lot: [newId('lot'), memberId, id, points, points, null, now],
  };
}

/**
 * The same writes in raw better-sqlite3: its own connection opened as Tessera opens its own
 * (WAL, synchronous=FULL), prepared statements, a commit every `batch` earns.
 */
export async function rawSqliteRunner(batch: () => number): Promise<Runner> {
  const { store, members } = await preparedStore('sqlite');
  // Opened as Tessera opens its writer: WAL, synchronous=FULL, the same pragmas, checkpoints in a background thread.
  const writer = openSqliteWriter(store.location);
  const db = writer.connection;
  const begin = db.prepare('begin immediate');
  const commit = db.prepare('commit');
  const balance = db.prepare(Q.balance);
  const transaction = db.prepare(Q.transaction);
  const entries = db.prepare(Q.entries);
  const lot = db.prepare(Q.lot);
  let next = 0;
  return {
    async run(ms) {
      const size = batch();
      const start = performance.now();
      const deadline = start + ms;
      let count = 0;
      while (performance.now() < deadline) {
        begin.run();
        for (let i = 0; i < size; i++) {
          const p = earnParams(members[next++ % members.length]!);
          if (balance.get(p.balance) === undefined) throw new Error('no account');
          transaction.run(p.transaction);
          entries.run(p.entries);
          lot.run(p.lot);
        }
        commit.run();
        count += size;
        // Let timers run between commits, as the service's event loop does.
        await new Promise((resolve) => setImmediate(resolve));
      }
      return { count, seconds: (performance.now() - start) / 1000 };
    },
    databaseCpuMs: () => store.databaseCpuMs(),
    async close() {
      await writer.close();
      await store.drop();
    },
  };
}

/** An earn as the one statement Tessera sends on PostgreSQL (LedgerStore.credit). */
export function oneStatementParams(memberId: string) {
  const p = earnParams(memberId);
  const [id, , kind, points, reason, expiresAt, reversesId, reversedBy, now] = p.transaction;
  const [lotId] = p.lot;
  return [points, now, memberId, id, memberId, kind, points, reason, expiresAt, reversesId, reversedBy, now,
    ...p.entries.slice(2, 5), ...p.entries.slice(7, 10), lotId, memberId, id, points, points, null, now];
}

/**
 * The same writes in raw pg: as many connections as the group commit has writers, named
 * prepared statements, each connection committing `batch` earns per transaction for members of
 * its own; each earn either as the four plain statements or as the one statement Tessera sends.
 */
export async function rawPgRunner(batch: () => number, writers: number, shape: 'four statements' | 'one statement'): Promise<Runner> {
  const { store, members } = await preparedStore('postgres');
  const clients = Array.from({ length: writers }, () => new pg.Client({ connectionString: store.location }));
  await Promise.all(clients.map((c) => c.connect()));
  const statements = {
    balance: { name: 'bench_balance', text: numbered(Q.balance) },
    transaction: { name: 'bench_transaction', text: numbered(Q.transaction) },
    entries: { name: 'bench_entries', text: numbered(Q.entries) },
    lot: { name: 'bench_lot', text: numbered(Q.lot) },
    one: { name: 'bench_one', text: PG_CREDIT },
  };
  const owned = clients.map((_, w) => members.filter((_, i) => i % writers === w));
  const next = clients.map(() => 0);
  return {
    async run(ms) {
      const size = batch();
      const start = performance.now();
      const deadline = start + ms;
      let count = 0;
      await Promise.all(
        clients.map(async (client, w) => {
          const mine = owned[w]!;
          while (performance.now() < deadline) {
            await client.query('begin');
            for (let i = 0; i < size; i++) {
              const member = mine[next[w]!++ % mine.length]!;
              if (shape === 'one statement') {
                const earned = await client.query({ ...statements.one, values: oneStatementParams(member) });
                if (earned.rowCount !== 1) throw new Error('no account');
                continue;
              }
              const p = earnParams(member);
              const updated = await client.query({ ...statements.balance, values: p.balance });
              if (updated.rowCount !== 1) throw new Error('no account');
              await client.query({ ...statements.transaction, values: p.transaction });
              await client.query({ ...statements.entries, values: p.entries });
              await client.query({ ...statements.lot, values: p.lot });
            }
            await client.query('commit');
            count += size;
          }
        }),
      );
      return { count, seconds: (performance.now() - start) / 1000 };
    },
    databaseCpuMs: () => store.databaseCpuMs(),
    async close() {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      await store.drop();
    },
  };
}
