import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { Config } from '../src/platform/config.js';
import { ADMIN_KEY, EARN, MEMBERS } from './common.js';

export const CONNECTIONS = 64;

export interface HttpResult {
  perSecond: number;
  ok: number;
  failed: number;
  p50: number;
  p99: number;
  /** Every 2xx answered, warm-up included. */
  acknowledged: number;
  /** Ledger transactions in the database after the run (Tessera only): at least `acknowledged`. */
  stored?: number;
  /** CPU per answered request (µs): the server process, and PostgreSQL's processes for its database. */
  cpu: { server: number; database: number };
}

/** A server in a child process (bench/server.ts), so the load generator does not share its event loop. */
export interface BenchServer {
  port: number;
  members: string[];
  /** How many ledger transactions its database holds. */
  count(): Promise<number>;
  /** CPU time the server process has used so far (ms). */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

const serverScript = fileURLToPath(new URL('./server.ts', import.meta.url));

function nextMessage<T>(child: ChildProcess, pick: (m: unknown) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      const value = pick(message);
      if (value !== undefined) {
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(value);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`bench server exited (${code}) before answering`));
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

export async function startServer(mode: 'bare' | 'raw' | 'tessera' | 'app', config?: Config): Promise<BenchServer> {
  const child = fork(serverScript, config ? [mode, JSON.stringify(config)] : [mode], {
    // BENCH_SERVER_NODE_OPTIONS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the servers.
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_SERVER_NODE_OPTIONS?.split(' ').filter(Boolean) ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await nextMessage(child, (m) =>
    typeof m === 'object' && m !== null && 'port' in m ? (m as { port: number; members: string[] }) : undefined,
  );
  const members = ready.members.length > 0 ? ready.members : Array.from({ length: MEMBERS }, (_, i) => `mem_${i}`);
  return {
    port: ready.port,
    members,
    async count() {
      const answer = nextMessage(child, (m) =>
        typeof m === 'object' && m !== null && 'count' in m ? (m as { count: number }).count : undefined,
      );
      child.send('count');
      return answer;
    },
    async cpuMs() {
      const answer = nextMessage(child, (m) =>
        typeof m === 'object' && m !== null && 'cpu' in m ? (m as { cpu: number }).cpu : undefined,
      );
      child.send('cpu');
      return answer;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** One round of load: POST earn bodies spread over every member, round robin across the connections. */
export async function load(server: BenchServer, seconds: number): Promise<autocannon.Result> {
  const paths = server.members.map((id) => `/v1/members/${id}/points/earn`);
  let next = 0;
  return autocannon({
    url: `http://127.0.0.1:${server.port}`,
    connections: CONNECTIONS,
    duration: seconds,
    skipAggregateResult: true,
    requests: [
      {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(EARN),
        setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length]! }),
      },
    ],
  } as autocannon.Options);
}

type Aggregate = (results: autocannon.Result[], opts: { url: string; connections: number }) => autocannon.Result;

/** The rounds of one server taken together: throughput over their summed duration, latency from their merged histograms. */
export function combine(
  rounds: autocannon.Result[],
  warmup: autocannon.Result[],
  cpuMs: { server: number; database: number },
  stored?: number,
): HttpResult {
  const aggregate = (autocannon as unknown as { aggregateResult: Aggregate }).aggregateResult;
  const merged = aggregate(rounds, { url: 'http://127.0.0.1', connections: CONNECTIONS });
  const ok = rounds.reduce((sum, r) => sum + r['2xx'], 0);
  const seconds = rounds.reduce((sum, r) => sum + r.duration, 0);
  const failed = rounds.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0);
  const acknowledged = ok + warmup.reduce((sum, r) => sum + r['2xx'], 0);
  const cpu = { server: (cpuMs.server * 1000) / ok, database: (cpuMs.database * 1000) / ok };
  return { perSecond: ok / seconds, ok, failed, p50: merged.latency.p50, p99: merged.latency.p99, acknowledged, stored, cpu };
}
