import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember, startTestApp, type TestApp } from './helpers/app.js';

let app: TestApp;
let poolId: string;
let planId: string;
let benefitId: string;
const imported = ['TXV-AAAA-0001', 'TXV-AAAA-0002'];

async function subscribe(externalId: string) {
  const memberId = await createMember(app, externalId);
  const res = await app.call('POST', '/v1/subscriptions', { memberId, planId });
  expect(res.status).toBe(201);
  return { memberId, subscriptionId: res.body.id as string };
}

async function codeEntitlement(memberId: string) {
  const res = await app.call('GET', `/v1/members/${memberId}/entitlements`);
  expect(res.status).toBe(200);
  const found = res.body.data.find((e: { benefitId: string }) => e.benefitId === benefitId);
  expect(found).toBeDefined();
  return found;
}

async function poolStock() {
  const res = await app.call('GET', `/v1/pools/${poolId}`);
  return { issued: res.body.issued as number, available: res.body.available as number };
}

beforeAll(async () => {
  app = await startTestApp();
  const pool = await app.call('POST', '/v1/pools', { name: 'Tencent Video monthly', unitCost: { amount: 1500, currency: 'CNY' } });
  poolId = pool.body.id;
  expect((await app.call('POST', `/v1/pools/${poolId}/codes`, { codes: imported })).body.imported).toBe(2);
  const benefit = await app.call('POST', '/v1/benefits', { code: 'txv-card', name: 'Tencent Video monthly card', kind: 'pool_code', poolId });
  expect(benefit.status).toBe(201);
  benefitId = benefit.body.id;
  const plan = await app.call('POST', '/v1/plans', {
    code: 'plus',
    name: 'PLUS',
    term: 'P1M',
    prices: [{ amount: { amount: 1500, currency: 'CNY' } }],
    benefitIds: [benefitId],
  });
  expect(plan.status).toBe(201);
  planId = plan.body.id;
});
afterAll(async () => {
  await app.close();
});

describe('pool_code benefits are fulfilled from the pool', () => {
  it('hands each new member one code at activation, through the pool claim', async () => {
    const first = await subscribe('code-1');
    const second = await subscribe('code-2');
    const a = await codeEntitlement(first.memberId);
    const b = await codeEntitlement(second.memberId);
    for (const e of [a, b]) {
      expect(e.status).toBe('fulfilled');
      expect(e.detail).toMatchObject({ poolId, codeId: expect.stringMatching(/^code_|^cod_/) });
      expect(e.detail.maskedCode).toMatch(/\*/);
      expect(JSON.stringify(e)).not.toContain('TXV-AAAA-000');
    }
    expect(a.detail.codeId).not.toBe(b.detail.codeId);
    expect(await poolStock()).toEqual({ issued: 2, available: 0 });
  });

  it('reveals the code to an admin, audited, and never keeps it in the idempotency record', async () => {
    const { memberId } = await subscribe('code-reveal-later');
    // the pool is empty now: this one waits; reveal the first member's instead
    const firstMember = (await app.call('GET', '/v1/members?limit=100')).body.data.find((m: { externalId: string }) => m.externalId === 'code-1');
    const e = await codeEntitlement(firstMember.id);
    const headers = { 'idempotency-key': 'reveal-1' };
    const res = await app.call('POST', `/v1/entitlements/${e.id}/reveal`, { reason: 'member called support' }, headers);
    expect(res.status).toBe(200);
    expect(imported).toContain(res.body.code);
    const replay = await app.call('POST', `/v1/entitlements/${e.id}/reveal`, { reason: 'member called support' }, headers);
    expect(replay.status).toBe(200);
    expect(replay.body.code).toBeNull();
    const reveals = await app.call('GET', `/v1/pools/${poolId}/codes/${e.detail.codeId}/reveals`);
    expect(reveals.status).toBe(200);
    expect(reveals.body.length ?? reveals.body.data.length).toBe(1);
    const stored = await app.tessera.db.read.selectFrom('idempotency_keys').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(res.body.code);
    // a waiting entitlement has no code to reveal
    const waiting = await codeEntitlement(memberId);
    expect((await app.call('POST', `/v1/entitlements/${waiting.id}/reveal`, { reason: 'x' })).body.error.code).toBe('invalid_state');
  });

  it('keeps an entitlement pending while the pool is empty and fulfils it when stock arrives', async () => {
    const { memberId } = await subscribe('code-3');
    const canceled = await subscribe('code-4');
    const waiting = await codeEntitlement(memberId);
    expect(waiting.status).toBe('pending');
    const history = (await app.call('GET', `/v1/entitlements/${waiting.id}`)).body.history;
    expect(history.map((h: { note: string }) => h.note).join(' | ')).toContain('waiting for stock');

    // a retry with the pool still empty changes nothing and adds no repeated notes
    await app.tessera.services.benefits.fulfilPendingCodes();
    const again = (await app.call('GET', `/v1/entitlements/${waiting.id}`)).body;
    expect(again.status).toBe('pending');
    expect(again.history.length).toBe(history.length);

    // a canceled subscription's waiting code is revoked and never handed over later
    expect((await app.call('POST', `/v1/subscriptions/${canceled.subscriptionId}/cancel`, { atPeriodEnd: false })).status).toBe(200);
    expect((await codeEntitlement(canceled.memberId)).status).toBe('revoked');

    expect((await app.call('POST', `/v1/pools/${poolId}/codes`, { codes: ['TXV-BBBB-0001', 'TXV-BBBB-0002', 'TXV-BBBB-0003'] })).body.imported).toBe(3);
    const run = await app.tessera.services.benefits.fulfilPendingCodes();
    // code-reveal-later and code-3 were waiting; code-4's was revoked
    expect(run).toEqual({ fulfilled: 2, waiting: 0 });
    expect((await codeEntitlement(memberId)).status).toBe('fulfilled');
    expect((await codeEntitlement(canceled.memberId)).status).toBe('revoked');
    expect(await poolStock()).toEqual({ issued: 4, available: 1 });
  });

  it('refuses a pool_code benefit whose pool does not exist, writing nothing', async () => {
    const before = (await app.call('GET', '/v1/benefits')).body.data.length;
    const res = await app.call('POST', '/v1/benefits', { code: 'ghost', name: 'Ghost', kind: 'pool_code', poolId: 'pool_01JZZZZZZZZZZZZZZZZZZZZZZZ' });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'resource_missing', param: 'poolId' });
    expect((await app.call('GET', '/v1/benefits')).body.data.length).toBe(before);
  });

  it('shares a pool with the points mall under real concurrency: every code to one holder, never more than the pool', async () => {
    const pool = await app.call('POST', '/v1/pools', { name: 'Shared card pool' });
    const codes = Array.from({ length: 25 }, (_, i) => `SHARED-${String(i).padStart(4, '0')}`);
    expect((await app.call('POST', `/v1/pools/${pool.body.id}/codes`, { codes })).body.imported).toBe(25);
    const benefit = await app.call('POST', '/v1/benefits', { code: 'shared-card', name: 'Shared card', kind: 'pool_code', poolId: pool.body.id });
    const plan = await app.call('POST', '/v1/plans', { code: 'shared', name: 'Shared', term: 'P1M', prices: [{ amount: { amount: 100, currency: 'CNY' } }], benefitIds: [benefit.body.id] });
    const item = await app.call('POST', '/v1/catalog/items', { name: 'Shared card', pointsPrice: 10, poolId: pool.body.id });
    expect([benefit.status, plan.status, item.status]).toEqual([201, 201, 201]);
    const subscribers = await Promise.all(Array.from({ length: 20 }, (_, i) => createMember(app, `shared-sub-${i}`)));
    const shoppers = await Promise.all(Array.from({ length: 20 }, (_, i) => createMember(app, `shared-shop-${i}`, 10)));

    await app.tessera.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.tessera.app.server.address() as { port: number };
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${app.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { id?: string; error?: { code: string } } };
    };
    const answers = await Promise.all([
      ...subscribers.map((memberId) => post('/v1/subscriptions', { memberId, planId: plan.body.id })),
      ...shoppers.map((memberId) => post('/v1/redemptions', { memberId, itemId: item.body.id })),
    ]);
    const subscribed = answers.slice(0, 20);
    const redeemed = answers.slice(20);
    expect(subscribed.every((a) => a.status === 201)).toBe(true);
    expect(redeemed.every((a) => a.status === 201 || (a.status === 409 && a.body.error?.code === 'out_of_stock'))).toBe(true);

    const issued = await app.tessera.db.read
      .selectFrom('pool_codes')
      .select(['id', 'issued_ref'])
      .where('pool_id', '=', pool.body.id)
      .where('status', '!=', 'available')
      .execute();
    const entitlements = await app.tessera.db.read.selectFrom('entitlements').selectAll().where('benefit_id', '=', benefit.body.id).execute();
    const handedOver = entitlements.filter((e) => e.status === 'fulfilled');
    const redemptions = await app.tessera.db.read.selectFrom('redemptions').select(['id', 'code_id']).where('pool_id', '=', pool.body.id).execute();
    // Never more than the pool, all of it issued, each code to exactly one redemption or entitlement.
    expect(issued).toHaveLength(25);
    expect(handedOver.length + redemptions.length).toBe(25);
    const holders = new Set([...handedOver.map((e) => e.id), ...redemptions.map((r) => r.id)]);
    expect(new Set(issued.map((c) => c.issued_ref))).toEqual(holders);
    expect(new Set([...handedOver.map((e) => (JSON.parse(e.detail) as { codeId: string }).codeId), ...redemptions.map((r) => r.code_id)]).size).toBe(25);
    // Entitlements that lost the race wait for stock; shoppers who lost it kept their points.
    expect(entitlements.filter((e) => e.status === 'pending')).toHaveLength(20 - handedOver.length);
    for (const [i, answer] of redeemed.entries()) {
      const balance = (await app.call('GET', `/v1/members/${shoppers[i]}/points`)).body.balance;
      expect(balance).toBe(answer.status === 201 ? 0 : 10);
    }
  });
});
