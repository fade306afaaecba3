import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTessera } from '../src/main.js';
import { freshDatabase, type FreshDatabase } from './helpers/database.js';
import { killAll, startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { checkLedger } from './helpers/ledger-invariants.js';

// The real server in a child process, killed with SIGKILL in the middle of a stream of
// concurrent writes: every write it acknowledged must be there after a restart, and the
// ledger must still balance.

type Server = ServerProcess;

interface Acked {
  id: string;
  memberId: string;
  points: number;
  kind: 'earn' | 'spend';
  key?: string;
  body: { points: number; reason: string };
}

let database: FreshDatabase;
let adminKey: string;
const started: Server[] = [];

const startServer = () => startServerProcess(database, adminKey, started);

async function post(server: Server, url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.base}${url}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever came back
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

async function get(server: Server, url: string) {
  const res = await fetch(`${server.base}${url}`, { headers: { authorization: `Bearer ${adminKey}` } });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever came back
  return { status: res.status, body: (await res.json()) as any };
}

/**
 * Eight loops writing at once (earns, and spends that may be refused), half of them with an
 * Idempotency-Key; SIGKILL once `killAfter` writes are acknowledged. Answers what was
 * acknowledged and how many requests were still unanswered at the kill.
 */
async function writeUntilKilled(server: Server, members: string[], cycle: number, killAfter: number) {
  const acked: Acked[] = [];
  const unexpected: string[] = [];
  let killed = false;
  let inFlight = 0;
  let inFlightAtKill = 0;
  let refused = 0;

  const loop = async (loopIndex: number) => {
    for (let n = 0; ; n++) {
      if (killed) return;
      const memberId = members[(loopIndex + n) % members.length]!;
      const kind: Acked['kind'] = loopIndex % 4 === 3 ? 'spend' : 'earn';
      const body = { points: 1 + ((loopIndex * 7 + n) % 9), reason: `crash ${cycle}/${loopIndex}/${n}` };
      const key = loopIndex % 2 === 0 ? `crash-${cycle}-${loopIndex}-${n}` : undefined;
      inFlight++;
      let answer: Awaited<ReturnType<typeof post>>;
      try {
        answer = await post(server, `/v1/members/${memberId}/points/${kind}`, body, key ? { 'idempotency-key': key } : {});
      } catch (error) {
        if (!killed) unexpected.push(`request failed before the kill: ${String(error)}`);
        return;
      } finally {
        inFlight--;
      }
      if (answer.status === 201) {
        expect(answer.body).toMatchObject({ memberId, kind, points: kind === 'earn' ? body.points : -body.points });
        acked.push({ id: answer.body.id, memberId, points: answer.body.points, kind, key, body });
        if (!killed && acked.length >= killAfter) {
          killed = true;
          inFlightAtKill = inFlight;
          server.child.kill('SIGKILL');
        }
      } else if (answer.status === 422 && answer.body.error?.code === 'insufficient_points') {
        refused++;
      } else {
        unexpected.push(`${answer.status} ${JSON.stringify(answer.body)}`);
        if (unexpected.length > 5) return;
      }
    }
  };

  await Promise.all(Array.from({ length: 8 }, (_, i) => loop(i)));
  if (!killed) server.child.kill('SIGKILL'); // every loop gave up: stop the server all the same
  const code = await server.exited;
  expect(unexpected, server.output()).toEqual([]);
  expect(killed).toBe(true);
  expect(code).toBeNull(); // killed by the signal, not exited
  return { acked, inFlightAtKill, refused };
}

beforeAll(async () => {
  database = await freshDatabase();
  adminKey = database.config.adminKey!;
});
afterAll(async () => {
  await killAll(started);
  await database?.drop();
});

describe('SIGKILL during a stream of writes', () => {
  it('keeps every acknowledged write and a balanced ledger, across two crashes', async () => {
    let server = await startServer();
    const members: string[] = [];
    for (let i = 0; i < 4; i++) {
      const created = await post(server, '/v1/members', { externalId: `crash-member-${i}` });
      expect(created.status).toBe(201);
      members.push(created.body.id);
      expect((await post(server, `/v1/members/${created.body.id}/points/earn`, { points: 100, reason: 'opening' })).status).toBe(201);
    }

    const acked: Acked[] = [];
    let unanswered = 0;
    for (let cycle = 1; cycle <= 2; cycle++) {
      const result = await writeUntilKilled(server, members, cycle, 150);
      acked.push(...result.acked);
      unanswered += result.inFlightAtKill;

      server = await startServer();
      // Every acknowledged write is there, as it was answered.
      const found = await Promise.all(acked.map((a) => get(server, `/v1/points/transactions/${a.id}`)));
      found.forEach((f, i) => {
        expect(f.status, `acknowledged ${acked[i]!.id} is missing after the crash`).toBe(200);
        expect(f.body).toMatchObject({ memberId: acked[i]!.memberId, points: acked[i]!.points, kind: acked[i]!.kind });
      });
      // An acknowledged Idempotency-Key survives the crash and replays the same transaction.
      const keyed = result.acked.filter((a) => a.key !== undefined).slice(-20);
      expect(keyed.length).toBeGreaterThan(0);
      for (const a of keyed) {
        const replay = await post(server, `/v1/members/${a.memberId}/points/${a.kind}`, a.body, { 'idempotency-key': a.key! });
        expect(replay.status).toBe(201);
        expect(replay.body.id).toBe(a.id);
        expect(replay.headers.get('idempotent-replayed')).toBe('true');
      }
    }

    // The restarted server takes writes again.
    const after = await post(server, `/v1/members/${members[0]}/points/earn`, { points: 5, reason: 'after the crashes' });
    expect(after.status).toBe(201);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const tessera = await createTessera(database.config, { logger: false });
    try {
      expect(await checkLedger(tessera.db)).toEqual({ unbalancedTransactions: 0, negativeBalances: 0, mismatchedBalances: 0 });
      const rows = await tessera.db.read
        .selectFrom('ledger_transactions')
        .select(['id', 'member_id', 'points', 'reason'])
        .where('reason', 'like', 'crash %')
        .execute();
      const inDb = new Set(rows.map((r) => r.id));
      for (const a of acked) expect(inDb.has(a.id)).toBe(true);
      // Beyond the acknowledged writes, at most those still unanswered at a kill committed.
      const ackedIds = new Set(acked.map((a) => a.id));
      const unacknowledged = rows.filter((r) => !ackedIds.has(r.id));
      expect(unacknowledged.length).toBeLessThanOrEqual(unanswered);
      // Each balance is the opening points plus the stream's transactions, acknowledged or not.
      for (const memberId of members) {
        const fromRows = rows.filter((r) => r.member_id === memberId).reduce((s, r) => s + r.points, 0);
        const extra = memberId === members[0] ? 5 : 0;
        const balance = (await tessera.services.ledger.balances(tessera.db.read, [memberId])).get(memberId);
        expect(balance).toBe(100 + fromRows + extra);
      }
    } finally {
      await tessera.close();
    }
  }, 120_000);

  it('PostgreSQL ending the server\'s connections does not bring it down', async (context) => {
    if (!database.config.databaseUrl) return context.skip();
    const server = await startServer();
    const created = await post(server, '/v1/members', { externalId: 'outlives-its-connections' });
    expect(created.status).toBe(201);
    const earn = () => post(server, `/v1/members/${created.body.id}/points/earn`, { points: 3, reason: 'around a disconnect' });
    await Promise.all(Array.from({ length: 16 }, earn));

    // As a database restart or an administrator would: every connection of the server, ended.
    const admin = new pg.Client({ connectionString: database.config.databaseUrl });
    await admin.connect();
    try {
      const ended = await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
      );
      expect(ended.rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.child.exitCode, server.output()).toBeNull();
    expect(server.child.signalCode).toBeNull();
    // The pool connects afresh: reads and writes work again.
    expect((await get(server, `/v1/members/${created.body.id}/points`)).body.balance).toBe(48);
    expect((await earn()).status).toBe(201);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 60_000);
});
