/**
 * `npx tsx bench/redemptions.ts`: redemptions per second in-process beside raw SQL doing the same
 * claim and debit, over HTTP beside a bare Fastify handler, and code import per second.
 * SQLite always; PostgreSQL too when DATABASE_URL is set. Progress on stderr, the table on stdout.
 * Over HTTP the app and bare Fastify each run in a child process (bench/server.ts), so the load
 * generator does not share their event loop. BENCH_VERBOSE=1 prints each load's 2xx and failures.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { createTessera, type Tessera } from '../src/main.js';
import { importCodeFile } from '../src/pools/index.js';
import { openSqliteWriter } from '../src/platform/db.js';
import { ADMIN_KEY, fmt, freshStore, progress, type BenchEngine } from './common.js';
import { startServer } from './http.js';

const MEMBERS = 1000;
const PRICE = 10;
const CODES = 150_000;
const SECONDS = 3;
const CONNECTIONS = 64;
const RAW_BATCH = 256;

interface Row {
  engine: BenchEngine;
  service: number;
  raw: number;
  http: number;
  bare: number;
  importPerSecond: number;
  /** SQLite: raw prepared inserts of the same rows (ready-made hashes and ciphertexts), same chunks. */
  rawImportPerSecond: number | undefined;
}

async function setUp(tessera: Tessera, dir: string): Promise<{ members: string[]; itemId: string; poolId: string; importPerSecond: number }> {
  const { db, services } = tessera;
  const chunks = await Promise.all(
    Array.from({ length: MEMBERS / 100 }, (_, c) =>
      db.write(async (tx) => {
        const ids: string[] = [];
        for (let i = c * 100; i < (c + 1) * 100; i++) {
          const m = await services.members.create(tx, { externalId: `bench-${i}` });
          await services.ledger.earn(tx, m.id, { points: 1_000_000, reason: 'bench' });
          ids.push(m.id);
        }
        return ids;
      }),
    ),
  );
  const pool = await db.write((tx) => services.pools.create(tx, { name: 'bench', unitCost: { amount: 1500, currency: 'CNY' } }));
  const file = path.join(dir, 'codes.txt');
  fs.writeFileSync(file, Array.from({ length: CODES }, (_, i) => `BENCH-${i.toString(36).toUpperCase().padStart(10, '0')}\n`).join(''));
  const started = performance.now();
  const report = await importCodeFile(db, services.pools, pool.id, file);
  const importPerSecond = report.imported / ((performance.now() - started) / 1000);
  const item = await db.write((tx) => services.catalog.create(tx, { name: 'bench card', pointsPrice: PRICE, poolId: pool.id }));
  return { members: chunks.flat(), itemId: item.id, poolId: pool.id, importPerSecond };
}

/** One caller per member, each redeeming again as soon as answered, for `seconds`. */
async function inProcess(tessera: Tessera, members: string[], itemId: string, seconds: number): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    members.map(async (memberId) => {
      while (performance.now() < until) {
        await tessera.db.write((tx) => tessera.services.redemptions.redeem(tx, { memberId, itemId }));
        done++;
      }
    }),
  );
  return done / seconds;
}

async function http(port: number, members: string[], itemId: string, seconds: number): Promise<number> {
  let next = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/redemptions',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        setupRequest: (request: object) => ({ ...request, body: JSON.stringify({ memberId: members[next++ % members.length], itemId }) }),
      },
    ],
  } as autocannon.Options);
  if (process.env.BENCH_VERBOSE) progress(`  2xx ${result['2xx']}, non-2xx ${result.non2xx}, errors ${result.errors}`);
  return result['2xx'] / result.duration;
}

/** Bare Fastify answering the same request, in a child process like the app. */
async function bareFastify(seconds: number): Promise<number> {
  const server = await startServer('bare');
  try {
    await http(server.port, ['mem_x'], 'item_x', 1);
    return await http(server.port, ['mem_x'], 'item_x', seconds);
  } finally {
    await server.stop();
  }
}

/** The same claim and debit as a redemption, as plain statements, a commit every RAW_BATCH. */
const RAW = {
  claim: `update pool_codes set status = 'issued', issued_at = $1, issued_ref = $2 where id = (select id from pool_codes where pool_id = $3 and status = 'available' and expires_at > $1 order by expires_at, id limit 1 SKIP) returning id`,
  debit: `update point_accounts set balance = balance - $1, updated_at = $2 where member_id = $3 and balance >= $1`,
  txn: `insert into ledger_transactions (id, member_id, kind, points, reason, expires_at, reverses_id, reversed_by, created_at) values ($1, $2, 'spend', $3, 'raw', null, null, null, $4)`,
  entry: `insert into ledger_entries (transaction_id, line, account, member_id, amount) values ($1, $2, $3, $4, $5)`,
  lot: `update point_lots set remaining = remaining - $1 where id = (select id from point_lots where member_id = $2 and remaining >= $1 limit 1) returning id`,
  move: `insert into lot_movements (transaction_id, lot_id, points) values ($1, $2, $3)`,
  redemption: `insert into redemptions (id, member_id, item_id, pool_id, code_id, transaction_id, points_spent, period_key, status, reversal_transaction_id, reversal_reason, created_at, reversed_at) values ($1, $2, $3, $4, $5, $6, $7, null, 'completed', null, null, $8, null)`,
};

class OutOfCodes extends Error {}

/** A $n statement for better-sqlite3: plain ? placeholders, the arguments repeated in their order. */
function sqliteStatement(db: BetterSqlite3.Database, text: string) {
  const order: number[] = [];
  const statement = db.prepare(text.replace(' SKIP', '').replace(/\$(\d+)/g, (_, n: string) => (order.push(Number(n) - 1), '?')));
  const bind = (args: unknown[]) => order.map((i) => args[i]);
  return { get: (...args: unknown[]) => statement.get(...bind(args)), run: (...args: unknown[]) => statement.run(...bind(args)) };
}

async function rawSqlite(file: string, members: string[], itemId: string, poolId: string, seconds: number): Promise<number> {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const st = Object.fromEntries(Object.entries(RAW).map(([k, v]) => [k, sqliteStatement(db, v)])) as Record<keyof typeof RAW, ReturnType<typeof sqliteStatement>>;
  let n = 0;
  const until = performance.now() + seconds * 1000;
  const one = () => {
    const now = Date.now();
    const member = members[n % members.length]!;
    const id = `raw_${n}`;
    const code = st.claim.get(now, id, poolId) as { id: string } | undefined;
    if (!code) throw new OutOfCodes();
    st.debit.run(PRICE, now, member);
    const txn = `rtx_${n}`;
    st.txn.run(txn, member, -PRICE, now);
    st.entry.run(txn, 1, `member:${member}`, member, -PRICE);
    st.entry.run(txn, 2, 'program:redemption', null, PRICE);
    const lot = st.lot.get(PRICE, member) as { id: string };
    st.move.run(txn, lot.id, -PRICE);
    st.redemption.run(id, member, itemId, poolId, code.id, txn, PRICE, now);
  };
  const batch = db.transaction(() => {
    for (let i = 0; i < RAW_BATCH; i++) {
      one();
      n++;
    }
  });
  const started = performance.now();
  let done = 0;
  try {
    while (performance.now() < until) {
      batch();
      done = n;
      await new Promise((r) => setImmediate(r));
    }
  } catch (error) {
    if (!(error instanceof OutOfCodes)) throw error;
  }
  db.close();
  return done / ((performance.now() - started) / 1000);
}

async function rawPg(url: string, members: string[], itemId: string, poolId: string, seconds: number, writers = 4): Promise<number> {
  let n = 0;
  const until = performance.now() + seconds * 1000;
  const pgText = (s: string) => s.replace(' SKIP', ' for update skip locked');
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      // Each writer its own members, so that raw batches never wait on one another's rows.
      const mine = members.filter((_, i) => i % writers === w);
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined);
      await client.connect();
      while (performance.now() < until) {
        await client.query('begin');
        for (let i = 0; i < RAW_BATCH; i++) {
          const k = n++;
          const now = Date.now();
          const member = mine[k % mine.length]!;
          const id = `raw_${k}`;
          const txn = `rtx_${k}`;
          const code = await client.query(pgText(RAW.claim), [now, id, poolId]);
          if (code.rows.length === 0) throw new Error('the bench pool ran out of codes: raise CODES');
          await client.query(RAW.debit, [PRICE, now, member]);
          await client.query(RAW.txn, [txn, member, -PRICE, now]);
          await client.query(RAW.entry, [txn, 1, `member:${member}`, member, -PRICE]);
          await client.query(RAW.entry, [txn, 2, 'program:redemption', null, PRICE]);
          const lot = await client.query(RAW.lot, [PRICE, member]);
          await client.query(RAW.move, [txn, lot.rows[0].id, -PRICE]);
          await client.query(RAW.redemption, [id, member, itemId, poolId, code.rows[0].id, txn, PRICE, now]);
        }
        await client.query('commit');
      }
      await client.end();
    }),
  );
  return n / seconds;
}

/**
 * What the import's writes alone cost: the same number of pool_codes rows, with hashes and
 * ciphertexts of the same sizes made beforehand, inserted by one prepared statement in the
 * import's chunks of 5,000 per commit.
 */
async function rawSqliteImport(file: string, poolId: string): Promise<number> {
  // Opened as Tessera's writer is (WAL, FULL, checkpoints in a background thread).
  const writer = openSqliteWriter(file);
  const db = writer.connection;
  const batchId = 'batch_raw_import';
  const now = Date.now();
  db.prepare(
    'insert into code_batches (id, pool_id, supplier, partner_id, unit_cost_amount, unit_cost_currency, purchased_at, expires_at, imported, duplicates, created_at) values (?, ?, null, null, null, null, ?, null, 0, 0, ?)',
  ).run(batchId, poolId, now, now);
  const rows = Array.from({ length: CODES }, (_, i) => [
    `code_raw_${i.toString().padStart(20, '0')}`,
    randomBytes(32).toString('base64url'),
    randomBytes(12 + 16 + 17).toString('base64'),
  ]);
  // The fastest raw form found: one prepared 500-row statement, run ten times per commit.
  const ROWS = 500;
  const insert = db.prepare(
    'insert into pool_codes (id, pool_id, batch_id, code_hash, code_cipher, status, expires_at, created_at) values ' +
      Array.from({ length: ROWS }, () => "(?, ?, ?, ?, ?, 'available', 253402300799999, ?)").join(', ') +
      ' on conflict (pool_id, code_hash) do nothing',
  );
  const chunk = db.transaction((from: number) => {
    for (let i = from; i < from + 5000; i += ROWS) {
      const params: unknown[] = [];
      for (let j = i; j < i + ROWS; j++) params.push(rows[j]![0], poolId, batchId, rows[j]![1], rows[j]![2], now);
      insert.run(params);
    }
  });
  const started = performance.now();
  for (let from = 0; from < CODES; from += 5000) chunk(from);
  const perSecond = CODES / ((performance.now() - started) / 1000);
  await writer.close();
  return perSecond;
}

async function benchEngine(engine: BenchEngine): Promise<Row> {
  const store = await freshStore(engine, 'redeem');
  try {
    const tessera = await createTessera(store.config, { logger: false });
    progress(`${engine}: ${MEMBERS} members, importing ${fmt(CODES)} codes`);
    const { members, itemId, poolId, importPerSecond } = await setUp(tessera, store.config.dataDir);
    progress(`${engine}: in-process redemptions for ${SECONDS} s`);
    await inProcess(tessera, members, itemId, 0.5);
    const service = await inProcess(tessera, members, itemId, SECONDS);
    await tessera.close();
    // The server in a child process, so that the load generator does not share its event loop.
    progress(`${engine}: HTTP redemptions for ${SECONDS} s`);
    const server = await startServer('app', store.config);
    let overHttp: number;
    try {
      await http(server.port, members, itemId, 1);
      overHttp = await http(server.port, members, itemId, SECONDS);
    } finally {
      await server.stop();
    }
    progress(`${engine}: bare Fastify for ${SECONDS} s`);
    const bare = await bareFastify(SECONDS);
    progress(`${engine}: raw SQL claim and debit for ${SECONDS} s`);
    const raw =
      engine === 'sqlite'
        ? await rawSqlite(store.location, members, itemId, poolId, SECONDS)
        : await rawPg(store.location, members, itemId, poolId, SECONDS);
    let rawImportPerSecond: number | undefined;
    if (engine === 'sqlite') {
      progress(`${engine}: raw SQL inserts of ${fmt(CODES)} code rows`);
      rawImportPerSecond = await rawSqliteImport(store.location, poolId);
    }
    return { engine, service, raw, http: overHttp, bare, importPerSecond, rawImportPerSecond };
  } finally {
    await store.drop();
  }
}

const rows: Row[] = [await benchEngine('sqlite')];
if (process.env.DATABASE_URL) rows.push(await benchEngine('postgres'));
console.log('');
console.log('| engine | redemptions/s in-process | raw SQL claim + debit /s | ratio | redemptions/s over HTTP | bare Fastify /s | ratio | codes imported/s | raw SQL inserts of those rows /s | ratio |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const rawImport = r.rawImportPerSecond === undefined ? '| — | —' : `| ${fmt(r.rawImportPerSecond)} | ${(r.importPerSecond / r.rawImportPerSecond).toFixed(2)}`;
  console.log(
    `| ${r.engine} | ${fmt(r.service)} | ${fmt(r.raw)} | ${(r.service / r.raw).toFixed(2)} | ${fmt(r.http)} | ${fmt(r.bare)} | ${(r.http / r.bare).toFixed(2)} | ${fmt(r.importPerSecond)} ${rawImport} |`,
  );
}
console.log('\nTargets of issue 4: HTTP ≥ 0.5× bare Fastify on SQLite; ≥ 5,000 redemptions/s on PostgreSQL; ≥ 200,000 codes imported/s on SQLite.');
