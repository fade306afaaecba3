import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Tessera } from '../src/main.js';
import type { Config } from '../src/platform/config.js';

export type BenchEngine = 'sqlite' | 'postgres';

/** How many members the writes are spread over. */
export const MEMBERS = 1000;
/** What every earn carries: the same in the service, the raw SQL and the HTTP bodies. */
export const EARN = { points: 10, reason: 'bench' } as const;
export const ADMIN_KEY = `bench-admin-${randomBytes(8).toString('hex')}`;

const started = Date.now();
/** A progress line on stderr, so stdout keeps only the tables. */
export function progress(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(5);
  process.stderr.write(`[${seconds}s] ${message}\n`);
}

export interface FreshStore {
  config: Config;
  /** The SQLite file (sqlite) or the connection string of the new database (postgres). */
  location: string;
  /** PostgreSQL: CPU time its server processes have used so far (ms); 0 on SQLite, where the database runs inside Node. */
  databaseCpuMs(): Promise<number>;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** A temporary data dir, and on PostgreSQL a new database made from DATABASE_URL, dropped afterwards. */
export async function freshStore(engine: BenchEngine, label: string): Promise<FreshStore> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `tessera-bench-${label}-`));
  const config: Config = {
    port: 0,
    host: '127.0.0.1',
    databaseUrl: undefined,
    dataDir,
    adminKey: ADMIN_KEY,
    demo: false,
    logLevel: 'warn',
    pgWriters: 4,
  };
  if (engine === 'sqlite') {
    return {
      config,
      location: path.join(dataDir, 'tessera.db'),
      databaseCpuMs: async () => 0,
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const root = process.env.DATABASE_URL!;
  const name = `tessera_bench_${label}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: root });
  try {
    await admin.connect();
    await admin.query(`create database ${name}`);
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  } finally {
    await admin.end().catch(() => undefined);
  }
  const url = withDatabase(root, name);
  let monitor: pg.Client | undefined;
  return {
    config: { ...config, databaseUrl: url },
    location: url,
    async databaseCpuMs() {
      if (!monitor) {
        monitor = new pg.Client({ connectionString: root });
        await monitor.connect();
      }
      const { rows } = await monitor.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [name]);
      return rows.reduce((sum, { pid }) => sum + processCpuMs(pid), 0);
    },
    async drop() {
      await monitor?.end();
      const client = new pg.Client({ connectionString: root });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates the members the load is spread over; returns their ids. */
export async function seedMembers(tessera: Tessera, count = MEMBERS): Promise<string[]> {
  const { db, services } = tessera;
  const members = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      db.write((tx) => services.members.create(tx, { externalId: `bench-${i}` })),
    ),
  );
  return members.map((m) => m.id);
}

/** CPU time (user + system) a process on this machine has used, from /proc; 0 if it is gone. */
function processCpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  } catch {
    return 0;
  }
}

/** CPU time (user + system) this process has used, in ms. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
