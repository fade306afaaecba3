/**
 * `npm run bench`: the write path beside its baselines, measured in the same run on the same machine.
 * SQLite always; PostgreSQL too when DATABASE_URL is set (a new database is made from it and dropped).
 * Progress goes to stderr, the tables to stdout.
 */
import os from 'node:os';
import type autocannon from 'autocannon';
import { fmt, freshStore, progress, type BenchEngine } from './common.js';
import { combine, CONNECTIONS, load, startServer, type HttpResult } from './http.js';
import { rawPgRunner, rawSqliteRunner, serviceRunner, type Runner } from './in-process.js';

/**
 * The machine is shared, so its speed drifts: each figure and its baseline run in alternating
 * rounds after a warm-up, and each figure is the sum of its rounds.
 */
const IN_PROCESS = { warmupMs: 1000, rounds: 4, roundMs: 1250 };
const HTTP = { warmupSeconds: 2, rounds: 3, roundSeconds: 2.5 };
const PG_WRITERS = 4;

const TARGET = { inProcess: 0.7, http: 0.5 };

interface InProcessResult {
  perSecond: number;
  earns: number;
  seconds: number;
}

interface EngineReport {
  engine: BenchEngine;
  service: InProcessResult;
  raw: InProcessResult;
  /** Earns per group commit in the service; the raw baseline commits as many at a time. */
  batch: number;
  http: HttpResult;
  bare: HttpResult;
}

/** BENCH_ONLY=in-process or BENCH_ONLY=http runs half of it (while working on one). */
const only = process.env.BENCH_ONLY;
const none: HttpResult = { perSecond: NaN, ok: 0, failed: 0, p50: NaN, p99: NaN, acknowledged: 0, stored: 0 };
const noneInProcess: InProcessResult = { perSecond: NaN, earns: 0, seconds: 0 };

async function benchEngine(engine: BenchEngine): Promise<EngineReport> {
  const inProcess = only === 'http' ? { service: noneInProcess, raw: noneInProcess, batch: NaN } : await benchInProcess(engine);
  const http = only === 'in-process' ? { http: none, bare: none } : await benchHttp(engine);
  return { engine, ...inProcess, ...http };
}

async function benchInProcess(engine: BenchEngine): Promise<{ service: InProcessResult; raw: InProcessResult; batch: number }> {
  progress(`${engine}: in-process: setting up the service (1,000 members, one concurrent caller each)`);
  const service = await serviceRunner(engine);
  let raw: Runner | undefined;
  try {
    await service.run(IN_PROCESS.warmupMs);
    const batch = () => Math.max(1, Math.round(service.averageBatch()));
    progress(`${engine}: in-process: setting up raw SQL (a commit every ${batch()} earns, as the group commit did)`);
    raw = engine === 'sqlite' ? await rawSqliteRunner(batch) : await rawPgRunner(batch, PG_WRITERS);
    await raw.run(IN_PROCESS.warmupMs);
    const totals = { service: { earns: 0, seconds: 0 }, raw: { earns: 0, seconds: 0 } };
    for (let round = 1; round <= IN_PROCESS.rounds; round++) {
      const s = await service.run(IN_PROCESS.roundMs);
      const r = await raw.run(IN_PROCESS.roundMs);
      totals.service.earns += s.count;
      totals.service.seconds += s.seconds;
      totals.raw.earns += r.count;
      totals.raw.seconds += r.seconds;
      progress(
        `${engine}: in-process round ${round}/${IN_PROCESS.rounds}: service ${fmt(s.count / s.seconds)} earns/s, raw SQL ${fmt(r.count / r.seconds)} earns/s`,
      );
    }
    const result = (t: { earns: number; seconds: number }) => ({ perSecond: t.earns / t.seconds, ...t });
    return { service: result(totals.service), raw: result(totals.raw), batch: service.averageBatch() };
  } finally {
    await raw?.close();
    await service.close();
  }
}

async function benchHttp(engine: BenchEngine): Promise<{ http: HttpResult; bare: HttpResult }> {
  const store = await freshStore(engine, 'http');
  progress(`${engine}: HTTP: starting Tessera and a bare Fastify, each in a child process`);
  const ours = await startServer('tessera', store.config);
  const bare = await startServer('bare');
  try {
    const warm = { ours: [] as autocannon.Result[], bare: [] as autocannon.Result[] };
    const rounds = { ours: [] as autocannon.Result[], bare: [] as autocannon.Result[] };
    progress(`${engine}: HTTP: warming both up (${HTTP.warmupSeconds}s each)`);
    warm.bare.push(await load(bare, HTTP.warmupSeconds));
    warm.ours.push(await load(ours, HTTP.warmupSeconds));
    for (let round = 1; round <= HTTP.rounds; round++) {
      const b = await load(bare, HTTP.roundSeconds);
      const o = await load(ours, HTTP.roundSeconds);
      rounds.bare.push(b);
      rounds.ours.push(o);
      progress(
        `${engine}: HTTP round ${round}/${HTTP.rounds} at ${CONNECTIONS} connections: bare ${fmt(b['2xx'] / b.duration)} req/s, ` +
          `Tessera ${fmt(o['2xx'] / o.duration)} earns/s`,
      );
    }
    const stored = await ours.count();
    return { http: combine(rounds.ours, warm.ours, stored), bare: combine(rounds.bare, warm.bare) };
  } finally {
    await ours.stop();
    await bare.stop();
    await store.drop();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 || c === 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ').trimEnd())
    .join('\n');
}

function render(report: EngineReport): { text: string; sound: boolean } {
  const { engine, service, raw, batch, http, bare } = report;
  const inRatio = service.perSecond / raw.perSecond;
  const httpRatio = http.perSecond / bare.perSecond;
  const rawLabel =
    engine === 'sqlite'
      ? `raw better-sqlite3, WAL + FULL, commit every ${Math.round(batch)}`
      : `raw pg, ${PG_WRITERS} connections, commit every ${Math.round(batch)}`;
  const rows = [
    ['figure', 'ours', 'baseline', '', 'ratio', 'target', 'met'],
    [
      'in-process earns/s',
      fmt(service.perSecond),
      rawLabel,
      fmt(raw.perSecond),
      `${inRatio.toFixed(2)}×`,
      `≥ ${TARGET.inProcess.toFixed(2)}×`,
      inRatio >= TARGET.inProcess ? 'yes' : 'NO',
    ],
    [
      `HTTP earns/s, ${CONNECTIONS} connections`,
      fmt(http.perSecond),
      'bare Fastify JSON handler',
      fmt(bare.perSecond),
      `${httpRatio.toFixed(2)}×`,
      `≥ ${TARGET.http.toFixed(2)}×`,
      httpRatio >= TARGET.http ? 'yes' : 'NO',
    ],
    ['HTTP latency p50 / p99 (ms)', `${http.p50} / ${http.p99}`, '', `${bare.p50} / ${bare.p99}`, '', '', ''],
  ];
  const stored = http.stored ?? 0;
  const sound = http.failed === 0 && bare.failed === 0 && stored >= http.acknowledged;
  const notes = [
    `in-process: ${fmt(service.earns)} earns by 1,000 concurrent callers in ${service.seconds.toFixed(1)}s, ` +
      `${fmt(batch, 1)} earns per group commit; raw SQL ${fmt(raw.earns)} earns in ${raw.seconds.toFixed(1)}s ` +
      `(${IN_PROCESS.rounds} alternating rounds each)`,
    `HTTP: ${fmt(http.ok)} earns answered 201 (${http.failed} failed) in ${HTTP.rounds} rounds alternating with bare Fastify, ${fmt(stored)} ledger transactions stored for ` +
      `${fmt(http.acknowledged)} acknowledged incl. warm-up${stored >= http.acknowledged ? '' : '  ← MISSING WRITES'}; ` +
      `bare ${fmt(bare.ok)} (${bare.failed} failed)`,
  ];
  const title = `${engine === 'sqlite' ? 'SQLite (WAL, synchronous=FULL)' : 'PostgreSQL (synchronous_commit on)'}`;
  return { text: `${title}\n${table(rows)}\n${notes.map((n) => `  · ${n}`).join('\n')}`, sound };
}

async function main() {
  const engines: BenchEngine[] = process.env.DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
  progress(`bench: ${engines.join(' and ')}; ${os.cpus().length} CPUs, node ${process.version}`);
  const reports: EngineReport[] = [];
  for (const engine of engines) reports.push(await benchEngine(engine));

  const rendered = reports.map(render);
  console.log(`\nTessera write path · ${os.cpus().length} CPUs · node ${process.version} · earn = 1 update + 3 inserts (4 rows)\n`);
  console.log(rendered.map((r) => r.text).join('\n\n'));
  if (!process.env.DATABASE_URL) console.log('\n(PostgreSQL skipped: set DATABASE_URL to bench it too.)');
  if (!rendered.every((r) => r.sound)) {
    console.log('\nFAILED: requests failed or acknowledged writes are missing; the figures above do not count.');
    process.exitCode = 1;
  }
}

await main();
