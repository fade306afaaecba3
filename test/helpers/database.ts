import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../../src/platform/config.js';

export type TestEngine = 'sqlite' | 'postgres';

export function testEngine(): TestEngine {
  return process.env.TESSERA_TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
}

export interface FreshDatabase {
  engine: TestEngine;
  /** Config for a Tessera on this database. */
  config: Config;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** A database of its own for one test file: a temporary SQLite file, or a new PostgreSQL database. */
export async function freshDatabase(engine: TestEngine = testEngine()): Promise<FreshDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-test-'));
  const base: Config = {
    port: 0,
    host: '127.0.0.1',
    databaseUrl: undefined,
    dataDir,
    adminKey: `test-admin-${randomBytes(8).toString('hex')}`,
    demo: false,
    logLevel: 'warn',
    pgWriters: 4,
  };
  if (engine === 'sqlite') {
    return { engine, config: base, drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  }
  const root = process.env.TEST_DATABASE_URL;
  if (!root) throw new Error('TEST_DATABASE_URL is required for the postgres test engine');
  const name = `tessera_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: root });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    engine,
    config: { ...base, databaseUrl: withDatabase(root, name) },
    async drop() {
      const client = new pg.Client({ connectionString: root });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
