import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

const DAY = 24 * 60 * 60 * 1000;

async function count(table: 'pools' | 'pool_codes' | 'code_batches' | 'code_reveals' | 'outbox_events'): Promise<number> {
  const row = await app.tessera.db.read.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function newPool(body: Record<string, unknown> = {}) {
  const res = await app.call('POST', '/v1/pools', { name: 'Tencent Video monthly', unitCost: { amount: 1500, currency: 'CNY' }, ...body });
  expect(res.status).toBe(201);
  return res.body as { id: string };
}

const claim = (poolId: string, ref: string) =>
  app.tessera.db.write((tx) => app.tessera.services.pools.claimCode(tx, poolId, ref));

describe('code pools', () => {
  it('creates a pool and imports codes, counting duplicates within the request and across the pool', async () => {
    const pool = await newPool({ partnerId: 'tencent-video', supplier: 'Card wholesaler Ltd' });
    expect(pool).toMatchObject({ total: 0, issued: 0, available: 0, partnerId: 'tencent-video', unitCost: { amount: 1500, currency: 'CNY' } });
    expect(pool.id).toMatch(/^pool_/);

    const first = await app.call('POST', `/v1/pools/${pool.id}/codes`, { codes: ['AAA-1', 'AAA-2', 'AAA-3', 'AAA-2'] });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ imported: 3, duplicates: 1 });
    const second = await app.call('POST', `/v1/pools/${pool.id}/codes`, { codes: ['AAA-3', 'AAA-4'] });
    expect(second.body).toMatchObject({ imported: 1, duplicates: 1 });

    const got = await app.call('GET', `/v1/pools/${pool.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ total: 4, issued: 0, available: 4 });

    // The same code may live in another pool.
    const other = await newPool();
    expect((await app.call('POST', `/v1/pools/${other.id}/codes`, { codes: ['AAA-1'] })).body.imported).toBe(1);
  });

  it('stores codes encrypted with a keyed fingerprint, never in clear', async () => {
    const pool = await newPool();
    await app.call('POST', `/v1/pools/${pool.id}/codes`, { codes: ['SECRET-CODE-123'] });
    const rows = await app.tessera.db.read.selectFrom('pool_codes').selectAll().where('pool_id', '=', pool.id).execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain('SECRET-CODE-123');
    const listed = await app.call('GET', `/v1/pools/${pool.id}/codes`);
    expect(listed.body.data[0].maskedCode).toBe('***********-123'.replace('-123', '-123'));
    expect(listed.body.data[0].maskedCode).not.toContain('SECRET');
  });

  it('issues each code once, earliest expiry first, never an expired one', async () => {
    const pool = await newPool();
    const now = app.clock.now();
    await app.call('POST', `/v1/pools/${pool.id}/codes`, { codes: ['LATE-1'], expiresAt: new Date(now + 30 * DAY).toISOString() });
    await app.call('POST', `/v1/pools/${pool.id}/codes`, { codes: ['SOON-1'], expiresAt: new Date(now + 2 * DAY).toISOString() });
    await app.call('POST', `/v1/pools/${pool.id}/codes`, { codes: ['NEVER-1'] });

    expect((await claim(pool.id, 'ref-1'))?.code).toBe('SOON-1');
    app.clock.advance(31 * DAY);
    // LATE-1 has expired now: only the code without expiry is left.
    expect((await app.call('GET', `/v1/pools/${pool.id}`)).body).toMatchObject({ total: 3, issued: 1, available: 1, expired: 1 });
    expect((await claim(pool.id, 'ref-2'))?.code).toBe('NEVER-1');
    expect(await claim(pool.id, 'ref-3')).toBeUndefined();
    app.clock.advance(-31 * DAY);
  });

  it('raises one low-stock event when stock falls to the threshold, re-armed by a new import', async () => {
    const pool = await newPool({ lowStockThreshold: 2 });
    await app.call('POST', `/v1/pools/${pool.id}/codes`, { codes: ['L1', 'L2', 'L3', 'L4'] });
    const events = () =>
      app.tessera.db.read.selectFrom('outbox_events').selectAll().where('topic', '=', 'pool.low_stock').where('subject_id', '=', pool.id).execute();
    await claim(pool.id, 'low-1');
    expect(await events()).toHaveLength(0);
    await claim(pool.id, 'low-2');
    expect(await events()).toHaveLength(1);
    expect(JSON.parse((await events())[0]!.payload)).toMatchObject({ available: 2, threshold: 2 });
    await claim(pool.id, 'low-3');
    expect(await events()).toHaveLength(1);
    expect((await app.call('GET', `/v1/pools/${pool.id}`)).body.lowStock).toBe(true);
    await app.call('POST', `/v1/pools/${pool.id}/codes`, { codes: ['L5', 'L6', 'L7'] });
    await claim(pool.id, 'low-4');
    await claim(pool.id, 'low-5');
    expect(await events()).toHaveLength(2);
  });

  it('reveals a code to an admin and records who asked and why', async () => {
    const pool = await newPool();
    await app.call('POST', `/v1/pools/${pool.id}/codes`, { codes: ['REVEAL-ME-0001'] });
    const { body: list } = await app.call('GET', `/v1/pools/${pool.id}/codes`);
    const codeId = list.data[0].id as string;
    const res = await app.call('POST', `/v1/pools/${pool.id}/codes/${codeId}/reveal`, { reason: 'member support ticket 42' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ codeId, code: 'REVEAL-ME-0001' });
    const audit = await app.call('GET', `/v1/pools/${pool.id}/codes/${codeId}/reveals`);
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0]).toMatchObject({ codeId, reason: 'member support ticket 42' });
    expect(audit.body.data[0].actor).toBeTruthy();
    const wrongPool = await newPool();
    expect((await app.call('POST', `/v1/pools/${wrongPool.id}/codes/${codeId}/reveal`, { reason: 'x' })).status).toBe(404);
  });

  it('reports cost: issued × unit cost and stock value, per batch and per currency', async () => {
    const pool = await newPool();
    await app.call('POST', `/v1/pools/${pool.id}/codes`, { codes: ['C1', 'C2', 'C3'] });
    await app.call('POST', `/v1/pools/${pool.id}/codes`, { codes: ['D1', 'D2'], unitCost: { amount: 1200, currency: 'CNY' }, supplier: 'cheaper' });
    await claim(pool.id, 'cost-1');
    await claim(pool.id, 'cost-2');
    const batches = await app.call('GET', `/v1/pools/${pool.id}/batches`);
    expect(batches.body.data).toHaveLength(2);
    expect(batches.body.data[1]).toMatchObject({ supplier: 'cheaper', unitCost: { amount: 1200, currency: 'CNY' }, total: 2 });
    const report = await app.call('GET', `/v1/pools/${pool.id}/cost-report`);
    expect(report.status).toBe(200);
    expect(report.body.totals).toHaveLength(1);
    const total = report.body.totals[0];
    expect(total.currency).toBe('CNY');
    expect(total.issued + total.available).toBe(5);
    expect(total.issuedCost + total.stockValue).toBe(3 * 1500 + 2 * 1200);
  });

  it('answers bad input with a 4xx and a code, writing nothing', async () => {
    const pool = await newPool();
    const before = { pools: await count('pools'), codes: await count('pool_codes'), batches: await count('code_batches') };
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/v1/pools', {}, 400, 'parameter_missing'],
      ['POST', '/v1/pools', { name: '' }, 400, 'parameter_invalid'],
      ['POST', '/v1/pools', { name: 'x', extra: 1 }, 400, 'parameter_unknown'],
      ['POST', '/v1/pools', { name: 'x', unitCost: { amount: -1, currency: 'CNY' } }, 400, 'parameter_invalid'],
      ['POST', '/v1/pools', { name: 'x', unitCost: { amount: 1.5, currency: 'CNY' } }, 400, 'parameter_invalid'],
      ['POST', '/v1/pools', { name: 'x', unitCost: { amount: 100, currency: 'yuan' } }, 400, 'parameter_invalid'],
      ['POST', '/v1/pools', { name: 'x', lowStockThreshold: -1 }, 400, 'parameter_invalid'],
      ['POST', '/v1/pools', '{"name":', 400, 'invalid_json'],
      ['POST', `/v1/pools/${pool.id}/codes`, {}, 400, 'parameter_missing'],
      ['POST', `/v1/pools/${pool.id}/codes`, { codes: [] }, 400, 'parameter_invalid'],
      ['POST', `/v1/pools/${pool.id}/codes`, { codes: 'A1' }, 400, 'parameter_invalid'],
      ['POST', `/v1/pools/${pool.id}/codes`, { codes: ['A1', ''] }, 400, 'parameter_invalid'],
      ['POST', `/v1/pools/${pool.id}/codes`, { codes: ['A1', 'x'.repeat(300)] }, 400, 'parameter_invalid'],
      ['POST', `/v1/pools/${pool.id}/codes`, { codes: ['A1', '   '] }, 400, 'parameter_invalid'],
      ['POST', `/v1/pools/${pool.id}/codes`, { codes: ['A1', 'B\u0000'] }, 400, 'parameter_invalid'],
      ['POST', `/v1/pools/${pool.id}/codes`, { codes: [1, 2] }, 400, 'parameter_invalid'],
      ['POST', `/v1/pools/${pool.id}/codes`, { codes: ['A1'], expiresAt: 'tomorrow' }, 400, 'parameter_invalid'],
      ['POST', `/v1/pools/${pool.id}/codes`, { codes: ['A1'], expiresAt: '2020-01-01T00:00:00Z' }, 400, 'parameter_invalid'],
      ['POST', '/v1/pools/pool_nope/codes', { codes: ['A1'] }, 404, 'resource_missing'],
      ['GET', '/v1/pools/pool_nope', undefined, 404, 'resource_missing'],
      ['GET', '/v1/pools/pool_nope/cost-report', undefined, 404, 'resource_missing'],
      ['GET', `/v1/pools/${pool.id}/codes?status=gone`, undefined, 400, 'parameter_invalid'],
      ['POST', `/v1/pools/${pool.id}/codes/code_nope/reveal`, { reason: 'x' }, 404, 'resource_missing'],
      ['POST', `/v1/pools/${pool.id}/codes/code_nope/reveal`, {}, 400, 'parameter_missing'],
      ['POST', `/v1/pools/${pool.id}`, { lowStockThreshold: 'ten' }, 400, 'parameter_invalid'],
    ];
    for (const [method, url, body, status, code] of cases) {
      const res = await app.call(method, url, body);
      expect({ url, body, status: res.status, code: res.body?.error?.code }).toEqual({ url, body, status, code });
    }
    const unauth = await app.call('POST', '/v1/pools', { name: 'x' }, { authorization: 'Bearer nope' });
    expect(unauth.status).toBe(401);
    expect({ pools: await count('pools'), codes: await count('pool_codes'), batches: await count('code_batches') }).toEqual(before);
  });
});
