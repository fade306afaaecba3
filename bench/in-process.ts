import pg from 'pg';
import { createTessera } from '../src/main.js';
import { openSqliteConnection } from '../src/platform/db.js';
import { newId } from '../src/platform/ids.js';
import { EARN, freshStore, progress, seedMembers, type BenchEngine } from './common.js';

export interface InProcessResult {
  perSecond: number;
  earns: number;
  seconds: number;
  /** Jobs per group commit, measured while the load ran. */
  avgBatch: number;
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

/** Earns through the service: many concurrent callers of db.write(tx => ledger.earn(tx, member, …)). */
export async function serviceEarns(engine: BenchEngine, ms: number, warmupMs: number): Promise<InProcessResult> {
  const store = await freshStore(engine, 'svc');
  const tessera = await createTessera(store.config, { logger: false });
  try {
    const members = await seedMembers(tessera);
    const { db, services } = tessera;
    const seen = new WeakSet<object>();
    let batches = 0;
    let jobs = 0;
    let counting = false;
    const step = async (caller: number) => {
      await db.write((tx) => {
        if (counting) {
          jobs++;
          if (!seen.has(tx)) {
            seen.add(tx);
            batches++;
          }
        }
        return services.ledger.earn(tx, members[caller]!, EARN);
      });
    };
    progress(`${engine}: in-process, service: warming up with ${members.length} concurrent callers`);
    await loadFor(members.length, warmupMs, step);
    progress(`${engine}: in-process, service: measuring for ${ms / 1000}s`);
    counting = true;
    const { count, seconds } = await loadFor(members.length, ms, step);
    counting = false;
    return { perSecond: count / seconds, earns: count, seconds, avgBatch: jobs / Math.max(1, batches) };
  } finally {
    await tessera.close();
    await store.drop();
  }
}

/** A fresh database with the schema and the members, made by Tessera itself and then closed. */
async function preparedStore(engine: BenchEngine) {
  const store = await freshStore(engine, 'raw');
  const tessera = await createTessera(store.config, { logger: false });
  const members = await seedMembers(tessera);
  await tessera.close();
  return { store, members };
}

// The statements Kysely sends for an earn, written out by hand.
const Q = {
  balance: 'update "point_accounts" set "balance" = "balance" + ?, "updated_at" = ? where "member_id" = ? returning "balance"',
  transaction:
    'insert into "ledger_transactions" ("id", "member_id", "kind", "points", "reason", "expires_at", "reverses_id", "reversed_by", "created_at") values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  entries:
    'insert into "ledger_entries" ("transaction_id", "line", "account", "member_id", "amount") values (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)',
  lot: 'insert into "point_lots" ("id", "member_id", "transaction_id", "points", "remaining", "expires_at", "created_at") values (?, ?, ?, ?, ?, ?, ?)',
};

/** `?` placeholders numbered for PostgreSQL. */
const numbered = (text: string) => {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
};

/** The parameters of the four statements of one earn, with new ids like the service makes. */
function earnParams(memberId: string) {
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
 * The same writes in raw better-sqlite3: its own connection, WAL + synchronous=FULL, prepared
 * statements, one commit per `batch` earns (the batch size the group commit reached).
 */
export async function rawSqliteEarns(ms: number, warmupMs: number, batch: number): Promise<InProcessResult> {
  const { store, members } = await preparedStore('sqlite');
  // Opened exactly as Tessera opens its own: WAL, synchronous=FULL, the same pragmas.
  const db = openSqliteConnection(store.location);
  try {
    const begin = db.prepare('begin');
    const commit = db.prepare('commit');
    const balance = db.prepare(Q.balance);
    const transaction = db.prepare(Q.transaction);
    const entries = db.prepare(Q.entries);
    const lot = db.prepare(Q.lot);
    let next = 0;
    const run = async (duration: number) => {
      const start = performance.now();
      const deadline = start + duration;
      let count = 0;
      while (performance.now() < deadline) {
        begin.run();
        for (let i = 0; i < batch; i++) {
          const p = earnParams(members[next++ % members.length]!);
          if (balance.get(p.balance) === undefined) throw new Error('no account');
          transaction.run(p.transaction);
          entries.run(p.entries);
          lot.run(p.lot);
        }
        commit.run();
        count += batch;
        // Let timers run between commits, as the service's event loop would.
        await new Promise((resolve) => setImmediate(resolve));
      }
      return { count, seconds: (performance.now() - start) / 1000 };
    };
    progress(`sqlite: in-process, raw SQL: warming up`);
    await run(warmupMs);
    progress(`sqlite: in-process, raw SQL: measuring for ${ms / 1000}s, a commit every ${batch} earns`);
    const { count, seconds } = await run(ms);
    return { perSecond: count / seconds, earns: count, seconds, avgBatch: batch };
  } finally {
    db.close();
    await store.drop();
  }
}

/**
 * The same writes in raw pg: `writers` connections (as many as the group commit has), named
 * prepared statements, each committing `batch` earns per transaction.
 */
export async function rawPgEarns(ms: number, warmupMs: number, batch: number, writers: number): Promise<InProcessResult> {
  const { store, members } = await preparedStore('postgres');
  const clients = Array.from({ length: writers }, () => new pg.Client({ connectionString: store.location }));
  try {
    await Promise.all(clients.map((c) => c.connect()));
    const statements = Object.fromEntries(Object.entries(Q).map(([name, text]) => [name, { name: `bench_${name}`, text: numbered(text) }])) as Record<
      keyof typeof Q,
      { name: string; text: string }
    >;
    const run = async (duration: number) => {
      const start = performance.now();
      const deadline = start + duration;
      let count = 0;
      await Promise.all(
        clients.map(async (client, w) => {
          // Each connection has members of its own, as each caller of the service has.
          const mine = members.filter((_, i) => i % writers === w);
          let next = 0;
          while (performance.now() < deadline) {
            await client.query('begin');
            for (let i = 0; i < batch; i++) {
              const p = earnParams(mine[next++ % mine.length]!);
              const updated = await client.query({ ...statements.balance, values: p.balance });
              if (updated.rowCount !== 1) throw new Error('no account');
              await client.query({ ...statements.transaction, values: p.transaction });
              await client.query({ ...statements.entries, values: p.entries });
              await client.query({ ...statements.lot, values: p.lot });
            }
            await client.query('commit');
            count += batch;
          }
        }),
      );
      return { count, seconds: (performance.now() - start) / 1000 };
    };
    progress(`postgres: in-process, raw SQL: warming up`);
    await run(warmupMs);
    progress(`postgres: in-process, raw SQL: measuring for ${ms / 1000}s, ${writers} connections, a commit every ${batch} earns`);
    const { count, seconds } = await run(ms);
    return { perSecond: count / seconds, earns: count, seconds, avgBatch: batch };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await store.drop();
  }
}
