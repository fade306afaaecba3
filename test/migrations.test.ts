import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTessera, type Tessera } from '../src/main.js';
import { migrateToLatest } from '../src/migrations/index.js';
import { freshDatabase, type FreshDatabase } from './helpers/database.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The start-up steps of createTessera that touch the database (open, migrate, make the first
 * admin key), in a process of its own and without the HTTP layer, which only slows loading.
 * Each waits until all four are loaded (files in $BARRIER), so the four starts really overlap.
 */
const NODE_STARTING_AT_ONCE = `
import fs from 'node:fs';
import path from 'node:path';
const load = (file) => import(new URL(file, ${JSON.stringify(pathToFileURL(`${root}/`).href)}).href);
const { openDatabase } = await load('src/platform/db.ts');
const { migrateToLatest } = await load('src/migrations/index.ts');
const { ApiKeyService } = await load('src/auth/api-key-service.ts');
const { ApiKeyStore } = await load('src/auth/api-key-store.ts');
const { loadConfig } = await load('src/platform/config.ts');
const config = loadConfig();
const barrier = process.env.BARRIER;
fs.writeFileSync(path.join(barrier, String(process.pid)), '');
while (fs.readdirSync(barrier).length < 4) await new Promise((r) => setTimeout(r, 2));
const db = await openDatabase({ databaseUrl: config.databaseUrl, sqliteFile: path.join(config.dataDir, 'tessera.db'), pgWriters: config.pgWriters });
try {
  const applied = await migrateToLatest(db.admin, db.engine);
  const key = await new ApiKeyService(db, new ApiKeyStore(), { now: () => Date.now() }, config.adminKey).ensureInitialAdminKey();
  console.log(JSON.stringify({ applied: applied.length, madeKey: key !== undefined }));
} finally {
  await db.close();
}
`;

async function migrationRows(t: Tessera): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(t.db.read);
  return rows.rows.map((r) => r.name);
}

async function tableCount(t: Tessera, table: string): Promise<number> {
  const rows =
    t.db.engine === 'postgres'
      ? await sql<{ n: number }>`select count(*) as n from information_schema.tables where table_schema = current_schema() and table_name = ${table}`.execute(t.db.read)
      : await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = ${table}`.execute(t.db.read);
  return Number(rows.rows[0]?.n ?? 0);
}

async function expectMigratedOnce(t: Tessera): Promise<void> {
  const names = await migrationRows(t);
  expect(names.length).toBeGreaterThan(0);
  expect(new Set(names).size).toBe(names.length);
  // Nothing is left to run.
  expect(await migrateToLatest(t.db.admin, t.db.engine)).toEqual([]);
  for (const table of ['members', 'point_accounts', 'ledger_transactions', 'ledger_entries', 'point_lots', 'idempotency_keys', 'api_keys']) {
    expect(await tableCount(t, table), table).toBe(1);
  }
}

describe('several nodes starting at once on a fresh database', () => {
  it('four createTessera at once: all start, every migration ran once', async () => {
    const database = await freshDatabase();
    const nodes: Tessera[] = [];
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 4 }, () => createTessera(database.config, { logger: false })),
      );
      for (const r of results) if (r.status === 'fulfilled') nodes.push(r.value);
      expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      await expectMigratedOnce(nodes[0]!);
      // Every node works on the one schema. (One after another: in one process, two SQLite
      // connections writing at once would wait on each other on the one thread.)
      const members = [];
      for (const [i, node] of nodes.entries()) {
        members.push(await node.db.write((tx) => node.services.members.create(tx, { externalId: `node-${i}` })));
      }
      expect(new Set(members.map((m) => m.id)).size).toBe(4);
      for (const node of nodes) expect((await node.services.members.list(10)).data.length).toBe(4);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
      await database.drop();
    }
  });

  it('four processes starting at once: all start, every migration ran once, one admin key is made', async () => {
    const database = await freshDatabase();
    const barrier = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-barrier-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, TESSERA_DATA_DIR: database.config.dataDir, TESSERA_DEMO: '0', BARRIER: barrier };
      // No TESSERA_ADMIN_KEY: a first start makes an admin key, and only one node may.
      delete env.TESSERA_ADMIN_KEY;
      if (database.config.databaseUrl) env.DATABASE_URL = database.config.databaseUrl;
      else delete env.DATABASE_URL;
      const runs = await Promise.all(
        Array.from(
          { length: 4 },
          () =>
            new Promise<{ code: number | null; output: string }>((resolve) => {
              const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', NODE_STARTING_AT_ONCE], {
                cwd: root,
                env,
                stdio: ['ignore', 'pipe', 'pipe'],
              });
              let output = '';
              child.stdout.on('data', (c: Buffer) => (output += c.toString()));
              child.stderr.on('data', (c: Buffer) => (output += c.toString()));
              child.once('exit', (code) => resolve({ code, output }));
            }),
        ),
      );
      const outputs = runs.map((r) => r.output).join('\n---\n');
      for (const run of runs) expect(run.code, outputs).toBe(0);
      const reports = runs.map((r) => JSON.parse(r.output.trim().split('\n').at(-1)!) as { applied: number; madeKey: boolean });
      expect(reports.filter((r) => r.madeKey), outputs).toHaveLength(1);

      const t = await createTessera({ ...database.config, adminKey: undefined }, { logger: false });
      try {
        await expectMigratedOnce(t);
        // Each migration was applied by exactly one of the four.
        expect(reports.reduce((sum, r) => sum + r.applied, 0)).toBe((await migrationRows(t)).length);
        expect((await t.services.apiKeys.list()).filter((k) => k.role === 'admin' && k.revokedAt === null)).toHaveLength(1);
        expect(t.initialAdminKey).toBeUndefined();
      } finally {
        await t.close();
      }
    } finally {
      fs.rmSync(barrier, { recursive: true, force: true });
      await database.drop();
    }
  }, 90_000);
});

describe('the database itself guards the ledger', () => {
  let database: FreshDatabase;
  let t: Tessera;
  let memberId: string;
  beforeAll(async () => {
    database = await freshDatabase();
    t = await createTessera(database.config, { logger: false });
    const member = await t.db.write((tx) => t.services.members.create(tx, { externalId: 'guarded' }));
    memberId = member.id;
    await t.db.write((tx) => t.services.ledger.earn(tx, memberId, { points: 40, reason: 'guarded earn' }));
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  const balance = async () => (await t.services.ledger.balances(t.db.read, [memberId])).get(memberId);

  it('refuses a negative balance, from raw SQL and from inside a write', async () => {
    await expect(sql`update point_accounts set balance = -1 where member_id = ${memberId}`.execute(t.db.admin)).rejects.toThrow(/check|constraint/i);
    await expect(sql`update point_accounts set balance = -1`.execute(t.db.admin)).rejects.toThrow(/check|constraint/i);
    await expect(
      t.db.write((tx) => sql`update point_accounts set balance = balance - 41 where member_id = ${memberId}`.execute(tx)),
    ).rejects.toThrow(/check|constraint/i);
    expect(await balance()).toBe(40);
    // And a lot cannot hold less than nothing, or more than it was given.
    await expect(sql`update point_lots set remaining = -1 where member_id = ${memberId}`.execute(t.db.admin)).rejects.toThrow(/check|constraint/i);
    await expect(sql`update point_lots set remaining = points + 1 where member_id = ${memberId}`.execute(t.db.admin)).rejects.toThrow(/check|constraint/i);
  });

  it('refuses a second reversal row for the same transaction', async () => {
    const earned = await t.db.write((tx) => t.services.ledger.earn(tx, memberId, { points: 15, reason: 'to reverse' }));
    const reversal = await t.db.write((tx) => t.services.ledger.reverse(tx, earned.id, 'first'));
    expect(reversal.reversesId).toBe(earned.id);
    const before = await balance();

    const now = Date.now();
    await expect(
      t.db.write((tx) =>
        tx
          .insertInto('ledger_transactions')
          .values({
            id: 'txn_second_reversal',
            member_id: memberId,
            kind: 'reversal',
            points: -15,
            reason: 'second',
            expires_at: null,
            reverses_id: earned.id,
            reversed_by: null,
            created_at: now,
          })
          .execute(),
      ),
    ).rejects.toThrow(/unique|duplicate/i);
    const found = await t.db.read.selectFrom('ledger_transactions').select('id').where('reverses_id', '=', earned.id).execute();
    expect(found.map((r) => r.id)).toEqual([reversal.id]);

    // Through the service the second attempt is a clean conflict, not a crash.
    await expect(t.db.write((tx) => t.services.ledger.reverse(tx, earned.id, 'again'))).rejects.toMatchObject({ status: 409, code: 'already_reversed' });
    expect(await balance()).toBe(before);
  });
});
