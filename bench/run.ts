/**
 * `npm run bench`: the write path beside its baselines, measured in the same run on the same machine.
 * SQLite always; PostgreSQL too when DATABASE_URL is set (new databases are made from it and dropped).
 * Progress goes to stderr, the tables to stdout.
 *
 * The machine is shared (2 cores), so its speed drifts: each figure and its baseline run in
 * alternating rounds after a warm-up, each figure is the sum of its rounds, and CPU time per
 * earn is printed too, which drifts much less than throughput does.
 *
 * BENCH_ONLY=in-process|http runs half; BENCH_SERVER_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=…"
 * profiles the HTTP servers.
 */
import os from 'node:os';
import type autocannon from 'autocannon';
import { fmt, freshStore, ownCpuMs, progress, type BenchEngine, type FreshStore } from './common.js';
import { combine, CONNECTIONS, load, startServer, type BenchServer, type HttpResult } from './http.js';
import { rawPgRunner, rawSqliteRunner, serviceRunner, type Runner } from './in-process.js';

const IN_PROCESS = { warmupMs: 1000, rounds: 4, roundMs: 1250 };
const HTTP = { warmupSeconds: 2, rounds: 3, roundSeconds: 2.5 };
const PG_WRITERS = 4;

const TARGET = { inProcess: 0.7, http: 0.5 };

interface Measured {
  perSecond: number;
  earns: number;
  seconds: number;
  /** CPU per earn (µs): this Node process, and PostgreSQL's processes for the database. */
  cpu: { node: number; database: number };
}

interface Baseline extends Measured {
  label: string;
  /** Whether the target is judged against it (the other is shown for reference). */
  judged: boolean;
}

interface EngineReport {
  engine: BenchEngine;
  service?: Measured;
  baselines: Baseline[];
  /** Earns per group commit in the service; the raw baselines commit as many at a time. */
  batch: number;
  http?: HttpResult;
  bare?: HttpResult;
  /** Bare Fastify doing the same writes in raw SQL: what the writes alone cost over HTTP. */
  rawHttp?: HttpResult;
}

/** BENCH_ONLY=in-process or BENCH_ONLY=http runs half of it (while working on one). */
const only = process.env.BENCH_ONLY;

async function benchEngine(engine: BenchEngine): Promise<EngineReport> {
  const report: EngineReport = { engine, baselines: [], batch: NaN };
  if (only !== 'http') Object.assign(report, await benchInProcess(engine));
  if (only !== 'in-process') Object.assign(report, await benchHttp(engine));
  return report;
}

class Tally {
  earns = 0;
  seconds = 0;
  nodeMs = 0;
  databaseMs = 0;

  /** One round of `runner`, with the CPU it took here and in the database. */
  async round(runner: Runner, ms: number): Promise<number> {
    const node0 = ownCpuMs();
    const db0 = await runner.databaseCpuMs();
    const { count, seconds } = await runner.run(ms);
    this.nodeMs += ownCpuMs() - node0;
    this.databaseMs += (await runner.databaseCpuMs()) - db0;
    this.earns += count;
    this.seconds += seconds;
    return count / seconds;
  }

  result(): Measured {
    return {
      perSecond: this.earns / this.seconds,
      earns: this.earns,
      seconds: this.seconds,
      cpu: { node: (this.nodeMs * 1000) / this.earns, database: (this.databaseMs * 1000) / this.earns },
    };
  }
}

async function benchInProcess(engine: BenchEngine): Promise<Pick<EngineReport, 'service' | 'baselines' | 'batch'>> {
  progress(`${engine}: in-process: setting up the service (1,000 members, one concurrent caller each)`);
  const service = await serviceRunner(engine);
  const raws: Array<{ label: string; judged: boolean; runner: Runner; tally: Tally }> = [];
  try {
    await service.run(IN_PROCESS.warmupMs);
    const batch = () => Math.max(1, Math.round(service.averageBatch()));
    progress(`${engine}: in-process: setting up raw SQL (a commit every ${batch()} earns, as the group commit did)`);
    if (engine === 'sqlite') {
      raws.push({ label: `raw better-sqlite3, WAL + FULL, commit every ${batch()}`, judged: true, runner: await rawSqliteRunner(batch), tally: new Tally() });
    } else {
      const label = (what: string) => `raw pg, ${what}, ${PG_WRITERS} connections, commit every ${batch()}`;
      raws.push({ label: label('4 statements'), judged: true, runner: await rawPgRunner(batch, PG_WRITERS, 'four statements'), tally: new Tally() });
      raws.push({ label: label('our 1 statement'), judged: false, runner: await rawPgRunner(batch, PG_WRITERS, 'one statement'), tally: new Tally() });
    }
    for (const raw of raws) await raw.runner.run(IN_PROCESS.warmupMs);
    const ours = new Tally();
    for (let round = 1; round <= IN_PROCESS.rounds; round++) {
      const figures = [`service ${fmt(await ours.round(service, IN_PROCESS.roundMs))}`];
      for (const raw of raws) figures.push(`${raw.label.split(',').slice(0, 2).join(',')} ${fmt(await raw.tally.round(raw.runner, IN_PROCESS.roundMs))}`);
      progress(`${engine}: in-process round ${round}/${IN_PROCESS.rounds}, earns/s: ${figures.join('; ')}`);
    }
    return {
      service: ours.result(),
      baselines: raws.map((raw) => ({ label: raw.label, judged: raw.judged, ...raw.tally.result() })),
      batch: service.averageBatch(),
    };
  } finally {
    for (const raw of raws) await raw.runner.close();
    await service.close();
  }
}

interface HttpSide {
  name: string;
  server: BenchServer;
  store?: FreshStore;
  warm: autocannon.Result[];
  rounds: autocannon.Result[];
  cpu: { server: number; database: number };
}

async function benchHttp(engine: BenchEngine): Promise<{ http: HttpResult; bare: HttpResult; rawHttp: HttpResult }> {
  progress(`${engine}: HTTP: starting Tessera, a bare Fastify, and a bare Fastify writing raw SQL, each in a child process`);
  const sides: HttpSide[] = [];
  const side = async (name: string, mode: 'bare' | 'raw' | 'tessera') => {
    const store = mode === 'bare' ? undefined : await freshStore(engine, `http_${mode}`);
    try {
      const server = await startServer(mode, store?.config);
      sides.push({ name, server, store, warm: [], rounds: [], cpu: { server: 0, database: 0 } });
    } catch (error) {
      await store?.drop();
      throw error;
    }
  };
  try {
    await side('bare', 'bare');
    await side('raw SQL', 'raw');
    await side('Tessera', 'tessera');
    progress(`${engine}: HTTP: warming each up (${HTTP.warmupSeconds}s each)`);
    for (const s of sides) s.warm.push(await load(s.server, HTTP.warmupSeconds));
    for (let round = 1; round <= HTTP.rounds; round++) {
      const figures: string[] = [];
      for (const s of sides) {
        const [server0, db0] = [await s.server.cpuMs(), (await s.store?.databaseCpuMs()) ?? 0];
        const result = await load(s.server, HTTP.roundSeconds);
        s.cpu.server += (await s.server.cpuMs()) - server0;
        s.cpu.database += ((await s.store?.databaseCpuMs()) ?? 0) - db0;
        s.rounds.push(result);
        figures.push(`${s.name} ${fmt(result['2xx'] / result.duration)}`);
      }
      progress(`${engine}: HTTP round ${round}/${HTTP.rounds} at ${CONNECTIONS} connections, 2xx/s: ${figures.join('; ')}`);
    }
    const [bare, raw, ours] = sides as [HttpSide, HttpSide, HttpSide];
    const stored = await ours.server.count();
    return {
      http: combine(ours.rounds, ours.warm, ours.cpu, stored),
      bare: combine(bare.rounds, bare.warm, bare.cpu),
      rawHttp: combine(raw.rounds, raw.warm, raw.cpu),
    };
  } finally {
    for (const s of sides) {
      await s.server.stop();
      await s.store?.drop();
    }
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 || c === 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ').trimEnd())
    .join('\n');
}

const ratioCells = (ratio: number, target: number, judged = true) => [
  `${ratio.toFixed(2)}×`,
  judged ? `≥ ${target.toFixed(2)}×` : '(reference)',
  judged ? (ratio >= target ? 'yes' : 'NO') : '',
];

/** CPU per earn, Node + database, in µs. */
const cpuCell = (node: number, database: number, engine: BenchEngine) =>
  engine === 'postgres' ? `${fmt(node)} + ${fmt(database)}` : fmt(node);

function render(report: EngineReport): { text: string; sound: boolean } {
  const { engine, service, baselines, batch, http, bare, rawHttp } = report;
  const rows = [['figure', 'ours', 'baseline', '', 'ratio', 'target', 'met']];
  const notes: string[] = [];
  let sound = true;
  if (service) {
    for (const [i, base] of baselines.entries()) {
      rows.push([
        i === 0 ? 'in-process earns/s' : '',
        i === 0 ? fmt(service.perSecond) : '',
        base.label,
        fmt(base.perSecond),
        ...ratioCells(service.perSecond / base.perSecond, TARGET.inProcess, base.judged),
      ]);
    }
    const cpuLabel = engine === 'postgres' ? '  CPU µs per earn, Node + PostgreSQL' : '  CPU µs per earn';
    for (const [i, base] of baselines.entries()) {
      rows.push([
        i === 0 ? cpuLabel : '',
        i === 0 ? cpuCell(service.cpu.node, service.cpu.database, engine) : '',
        baselines.length > 1 ? base.label.split(',')[1]!.trim() : '',
        cpuCell(base.cpu.node, base.cpu.database, engine),
        '',
        '',
        '',
      ]);
    }
    notes.push(
      `in-process: ${fmt(service.earns)} earns by 1,000 concurrent callers of db.write(tx => ledger.earn(tx, …)) in ` +
        `${service.seconds.toFixed(1)}s, ${fmt(batch, 1)} earns per group commit; ` +
        baselines.map((b) => `${b.label.split(',').slice(0, 2).join(',')}: ${fmt(b.earns)} earns in ${b.seconds.toFixed(1)}s`).join('; ') +
        ` (${IN_PROCESS.rounds} alternating rounds each)`,
    );
  }
  if (http && bare && rawHttp) {
    const rawLabel = `bare Fastify + the same writes, raw SQL${engine === 'postgres' ? ' (1 statement)' : ''}, group-committed`;
    rows.push([
      `HTTP earns/s, ${CONNECTIONS} connections`,
      fmt(http.perSecond),
      'bare Fastify JSON handler',
      fmt(bare.perSecond),
      ...ratioCells(http.perSecond / bare.perSecond, TARGET.http),
    ]);
    rows.push(['', '', rawLabel, fmt(rawHttp.perSecond), ...ratioCells(http.perSecond / rawHttp.perSecond, TARGET.http, false)]);
    rows.push(['  latency p50 / p99 (ms)', `${http.p50} / ${http.p99}`, 'bare Fastify', `${bare.p50} / ${bare.p99}`, '', '', '']);
    rows.push(['', '', 'raw SQL', `${rawHttp.p50} / ${rawHttp.p99}`, '', '', '']);
    const cpuLabel = engine === 'postgres' ? '  CPU µs per request, server + PostgreSQL' : '  CPU µs per request, server';
    rows.push([cpuLabel, cpuCell(http.cpu.server, http.cpu.database, engine), 'bare Fastify', fmt(bare.cpu.server), '', '', '']);
    rows.push(['', '', 'raw SQL', cpuCell(rawHttp.cpu.server, rawHttp.cpu.database, engine), '', '', '']);
    const stored = http.stored ?? 0;
    sound = http.failed === 0 && bare.failed === 0 && rawHttp.failed === 0 && stored >= http.acknowledged;
    notes.push(
      `HTTP: ${fmt(http.ok)} earns answered 201, ${http.failed} failed, in ${HTTP.rounds} rounds alternating with bare Fastify ` +
        `(${fmt(bare.ok)} answered, ${bare.failed} failed) and raw SQL (${fmt(rawHttp.ok)}, ${rawHttp.failed} failed); every 201 came after its commit: ${fmt(stored)} ledger transactions ` +
        `stored for ${fmt(http.acknowledged)} acknowledged, warm-up included${stored >= http.acknowledged ? '' : '  ← MISSING WRITES'}`,
    );
  }
  const title = engine === 'sqlite' ? 'SQLite (WAL, synchronous=FULL)' : 'PostgreSQL (synchronous_commit on)';
  return { text: `${title}\n${table(rows)}\n${notes.map((n) => `  · ${n}`).join('\n')}`, sound };
}

async function main() {
  const engines: BenchEngine[] = process.env.DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
  progress(`bench: ${engines.join(' and ')}; ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}, node ${process.version}`);
  const reports: EngineReport[] = [];
  for (const engine of engines) reports.push(await benchEngine(engine));

  const rendered = reports.map(render);
  console.log(
    `\nTessera write path · ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)} · node ${process.version} · ` +
      `an earn = 1 update + 3 inserts (4 rows), answered only after its commit\n`,
  );
  console.log(rendered.map((r) => r.text).join('\n\n'));
  if (!process.env.DATABASE_URL) console.log('\n(PostgreSQL skipped: set DATABASE_URL to bench it too.)');
  if (!rendered.every((r) => r.sound)) {
    console.log('\nFAILED: requests failed or acknowledged writes are missing; the figures above do not count.');
    process.exitCode = 1;
  }
}

await main();
