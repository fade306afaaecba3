import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLedger } from './helpers/ledger-invariants.js';
import { startTestApp, type TestApp } from './helpers/app.js';

const MEMBERS = 2000;
const CODES = 200;
const ATTEMPTS = Number(process.env.FLASH_ATTEMPTS ?? 20_000);
const CONCURRENCY = 128;
const EARNED = 1000;
const PRICE = 100;

let app: TestApp;
let base: URL;
beforeAll(async () => {
  app = await startTestApp();
  const address = await app.tessera.app.listen({ port: 0, host: '127.0.0.1' });
  base = new URL(address);
});
afterAll(async () => {
  await app.close();
});

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(path: string, body: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: Number(base.port) || (app.tessera.app.server.address() as AddressInfo).port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${app.adminKey}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('flash sale over real HTTP', () => {
  it(`${MEMBERS} members race ${ATTEMPTS} times for ${CODES} codes: exactly ${CODES} issued, losers lose nothing`, async () => {
    const { services, db } = app.tessera;
    const setupStarted = Date.now();
    const chunks = await Promise.all(
      Array.from({ length: MEMBERS / 100 }, (_, chunk) =>
        db.write(async (tx) => {
          const ids: string[] = [];
          for (let i = chunk * 100; i < (chunk + 1) * 100; i++) {
            const member = await services.members.create(tx, { externalId: `flash-${i}` });
            await services.ledger.earn(tx, member.id, { points: EARNED, reason: 'flash sale setup' });
            ids.push(member.id);
          }
          return ids;
        }),
      ),
    );
    const memberIds = chunks.flat();
    console.log(`[${app.database.engine}] setup members: ${Date.now() - setupStarted} ms`);
    const pool = await app.call('POST', '/v1/pools', { name: 'Tencent Video monthly (flash)', unitCost: { amount: 1500, currency: 'CNY' } });
    const codes = Array.from({ length: CODES }, (_, i) => `FLASH-${String(i).padStart(4, '0')}-${(i * 7919) % 10007}`);
    expect((await app.call('POST', `/v1/pools/${pool.body.id}/codes`, { codes })).body.imported).toBe(CODES);
    const item = await app.call('POST', '/v1/catalog/items', { name: 'Tencent Video monthly card', pointsPrice: PRICE, poolId: pool.body.id });

    const statuses = new Map<string, number>();
    const winners: Array<{ id: string; code: string; memberId: string }> = [];
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ATTEMPTS) {
          const attempt = next++;
          const memberId = memberIds[(attempt * 7 + Math.floor(attempt / MEMBERS)) % MEMBERS]!;
          const res = await post('/v1/redemptions', { memberId, itemId: item.body.id });
          const key = res.status === 201 ? '201' : `${res.status} ${res.body?.error?.code}`;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          if (res.status === 201) winners.push({ id: res.body.id, code: res.body.code, memberId });
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    console.log(`[${app.database.engine}] flash sale: ${ATTEMPTS} attempts in ${seconds.toFixed(1)} s (${Math.round(ATTEMPTS / seconds)}/s)`, Object.fromEntries(statuses));

    expect(Object.fromEntries(statuses)).toEqual({ '201': CODES, '409 out_of_stock': ATTEMPTS - CODES });
    expect(new Set(winners.map((w) => w.code)).size).toBe(CODES);
    for (const w of winners) expect(codes).toContain(w.code);
    expect((await app.call('GET', `/v1/pools/${pool.body.id}`)).body).toMatchObject({ total: CODES, issued: CODES, available: 0 });

    // Each issued code ↔ one redemption ↔ one debit of the price, of the same member.
    const links = await sql<{ n: number }>`
      select count(*) as n from pool_codes c
      join redemptions r on r.code_id = c.id and c.issued_ref = r.id
      join ledger_transactions t on t.id = r.transaction_id and t.member_id = r.member_id
      where c.pool_id = ${pool.body.id} and c.status = 'issued' and t.kind = 'spend' and t.points = ${-PRICE} and t.reversed_by is null`.execute(db.read);
    expect(Number(links.rows[0]!.n)).toBe(CODES);
    const spends = await sql<{ n: number }>`select count(*) as n from ledger_transactions where kind = 'spend'`.execute(db.read);
    expect(Number(spends.rows[0]!.n)).toBe(CODES);

    const wins = new Map<string, number>();
    for (const w of winners) wins.set(w.memberId, (wins.get(w.memberId) ?? 0) + 1);
    const balances = await services.ledger.balances(db.read, memberIds);
    let totalBalance = 0;
    for (const id of memberIds) {
      const balance = balances.get(id)!;
      totalBalance += balance;
      expect(balance).toBe(EARNED - PRICE * (wins.get(id) ?? 0));
    }
    expect(totalBalance + CODES * PRICE).toBe(MEMBERS * EARNED);
    expect(await checkLedger(db)).toEqual({ unbalancedTransactions: 0, negativeBalances: 0, mismatchedBalances: 0 });
    // About 10-40 s per engine here; the margin is for a machine busy with other suites.
  }, 180_000);
});
