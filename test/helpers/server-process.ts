import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FreshDatabase } from './database.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `tessera serve` in a child process, as an operator would run it. */
export interface ServerProcess {
  child: ChildProcess;
  base: string;
  exited: Promise<number | null>;
  output: () => string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts the real server on the test's database and waits until /health answers. Every server
 * started goes into `started`, for `killAll` at the end of the file.
 */
export async function startServerProcess(database: FreshDatabase, adminKey: string, started: ServerProcess[]): Promise<ServerProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    TESSERA_DEMO: '0',
    TESSERA_ADMIN_KEY: adminKey,
    TESSERA_DATA_DIR: database.config.dataDir,
    LOG_LEVEL: 'warn',
  };
  if (database.config.databaseUrl) env.DATABASE_URL = database.config.databaseUrl;
  else delete env.DATABASE_URL;
  // `node --import tsx` rather than the tsx binary: one process, so SIGKILL reaches the server itself.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const server: ServerProcess = { child, base: `http://127.0.0.1:${port}`, exited, output: () => output };
  started.push(server);
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (gone) throw new Error(`the server exited before it was ready:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the server did not answer /health:\n${output}`);
    try {
      if ((await fetch(`${server.base}/health`)).status === 200) return server;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function killAll(started: ServerProcess[]): Promise<void> {
  for (const server of started) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  await Promise.all(started.map((s) => s.exited));
}
