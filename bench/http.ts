import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { Config } from '../src/platform/config.js';
import { ADMIN_KEY, EARN, progress } from './common.js';

export const CONNECTIONS = 64;

export interface HttpResult {
  perSecond: number;
  ok: number;
  failed: number;
  p50: number;
  p99: number;
  /** Every 201 answered, warm-up included. */
  acknowledged: number;
  /** Ledger transactions in the database after the run (tessera only): at least `acknowledged`. */
  stored?: number;
}

interface Started {
  child: ChildProcess;
  port: number;
  members: string[];
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

async function startServer(mode: 'bare' | 'tessera', config?: Config): Promise<Started> {
  const child = fork(serverScript, config ? [mode, JSON.stringify(config)] : [mode], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await nextMessage(child, (m) =>
    typeof m === 'object' && m !== null && 'port' in m ? (m as { port: number; members: string[] }) : undefined,
  );
  return { child, port: ready.port, members: ready.members };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send('stop');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function load(port: number, members: string[], seconds: number): Promise<autocannon.Result> {
  const paths = members.map((id) => `/v1/members/${id}/points/earn`);
  let next = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(EARN),
        // Spread the bodies over every member, round robin across the connections.
        setupRequest: (request) => ({ ...request, path: paths[next++ % paths.length]! }),
      },
    ],
  });
}

function summarize(result: autocannon.Result, warmup: autocannon.Result, stored?: number): HttpResult {
  const ok = result['2xx'];
  const failed = result.non2xx + result.errors + result.timeouts;
  const acknowledged = ok + warmup['2xx'];
  return { perSecond: ok / result.duration, ok, failed, p50: result.latency.p50, p99: result.latency.p99, acknowledged, stored };
}

/** Warm-up then a measured run against one server in a child process. */
export async function httpEarns(
  label: string,
  mode: 'bare' | 'tessera',
  config: Config | undefined,
  seconds: number,
  warmupSeconds: number,
): Promise<HttpResult> {
  progress(`${label}: starting the server in a child process`);
  const server = await startServer(mode, config);
  try {
    const members = server.members.length > 0 ? server.members : Array.from({ length: 1000 }, (_, i) => `mem_${i}`);
    progress(`${label}: warming up for ${warmupSeconds}s`);
    const warmup = await load(server.port, members, warmupSeconds);
    progress(`${label}: measuring for ${seconds}s at ${CONNECTIONS} connections`);
    const result = await load(server.port, members, seconds);
    let stored: number | undefined;
    if (mode === 'tessera') {
      server.child.send('count');
      stored = await nextMessage(server.child, (m) =>
        typeof m === 'object' && m !== null && 'count' in m ? (m as { count: number }).count : undefined,
      );
    }
    return summarize(result, warmup, stored);
  } finally {
    await stopServer(server.child);
  }
}

