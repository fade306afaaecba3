/**
 * `npm run bench`: the write path beside its baselines, measured in the same run on the same machine.
 * SQLite always; PostgreSQL too when DATABASE_URL is set (a new database is made from it and dropped).
 * Progress goes to stderr, the tables to stdout.
 */
import os from 'node:os';
import { fmt, freshStore, progress, type BenchEngine } from './common.js';
import { CONNECTIONS, httpEarns, type HttpResult } from './http.js';
import { rawPgEarns, rawSqliteEarns, serviceEarns, type InProcessResult } from './in-process.js';

const IN_PROCESS_MS = 5000;
const IN_PROCESS_WARMUP_MS = 1000;
const HTTP_SECONDS = 8;
const HTTP_WARMUP_SECONDS = 2;
const PG_WRITERS = 4;

const TARGET = { inProcess: 0.7, http: 0.5 };

interface EngineReport {
  engine: BenchEngine;
  service: InProcessResult;
  raw: InProcessResult;
  http: HttpResult;
  bare: HttpResult;
}

/** BENCH_ONLY=in-process or BENCH_ONLY=http runs half of it (while working on one). */
const only = process.env.BENCH_ONLY;
const none: HttpResult = { perSecond: NaN, ok: 0, failed: 0, p50: NaN, p99: NaN, acknowledged: 0, stored: 0 };
const noneInProcess: InProcessResult = { perSecond: NaN, earns: 0, seconds: 0, avgBatch: NaN };

async function benchEngine(engine: BenchEngine): Promise<EngineReport> {
  if (only === 'http') return { engine, service: noneInProcess, raw: noneInProcess, ...(await benchHttp(engine)) };
  const service = await serviceEarns(engine, IN_PROCESS_MS, IN_PROCESS_WARMUP_MS);
  progress(`${engine}: in-process, service: ${fmt(service.perSecond)} earns/s, ${fmt(service.avgBatch, 1)} per commit`);
  const batch = Math.max(1, Math.round(service.avgBatch));
  const raw =
    engine === 'sqlite'
      ? await rawSqliteEarns(IN_PROCESS_MS, IN_PROCESS_WARMUP_MS, batch)
      : await rawPgEarns(IN_PROCESS_MS, IN_PROCESS_WARMUP_MS, batch, PG_WRITERS);
  progress(`${engine}: in-process, raw SQL: ${fmt(raw.perSecond)} earns/s`);
  if (only === 'in-process') return { engine, service, raw, http: none, bare: none };
  return { engine, service, raw, ...(await benchHttp(engine)) };
}

async function benchHttp(engine: BenchEngine): Promise<{ http: HttpResult; bare: HttpResult }> {
  const bare = await httpEarns(`${engine}: HTTP, bare Fastify`, 'bare', undefined, HTTP_SECONDS, HTTP_WARMUP_SECONDS);
  progress(`${engine}: HTTP, bare Fastify: ${fmt(bare.perSecond)} req/s`);
  const store = await freshStore(engine, 'http');
  let http: HttpResult;
  try {
    http = await httpEarns(`${engine}: HTTP, Tessera`, 'tessera', store.config, HTTP_SECONDS, HTTP_WARMUP_SECONDS);
  } finally {
    await store.drop();
  }
  progress(`${engine}: HTTP, Tessera: ${fmt(http.perSecond)} earns/s`);
  return { http, bare };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 || c === 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ').trimEnd())
    .join('\n');
}

function render(report: EngineReport): { text: string; sound: boolean } {
  const { engine, service, raw, http, bare } = report;
  const inRatio = service.perSecond / raw.perSecond;
  const httpRatio = http.perSecond / bare.perSecond;
  const rawLabel =
    engine === 'sqlite'
      ? `raw better-sqlite3, WAL + FULL, commit every ${raw.avgBatch}`
      : `raw pg, ${PG_WRITERS} connections, commit every ${raw.avgBatch}`;
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
      `${fmt(service.avgBatch, 1)} earns per group commit; raw SQL ${fmt(raw.earns)} earns in ${raw.seconds.toFixed(1)}s`,
    `HTTP: ${fmt(http.ok)} earns answered 201 (${http.failed} failed), ${fmt(stored)} ledger transactions stored for ` +
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
