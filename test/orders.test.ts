import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember, startTestApp, type TestApp } from './helpers/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await app.call('POST', '/v1/earning-rules', { name: '1 point per yuan', kind: 'base', currency: 'CNY', pointsPerYuan: 1 });
  await app.call('POST', '/v1/earning-rules', { name: 'Double on electronics', kind: 'category', category: 'electronics', multiplierBp: 20_000 });
  await app.call('PUT', '/v1/loyalty/rules', { spendPerPoint: 100, perOrder: 0, perActiveDay: 0 });
});
afterAll(async () => {
  await app.close();
});

const cny = (amount: number) => ({ amount, currency: 'CNY' });
let seq = 0;
const order = (memberId: string, amount: number, extra: Record<string, unknown> = {}) =>
  app.call('POST', '/v1/orders', { memberId, externalId: `o-${++seq}`, amount: cny(amount), ...extra });
const balance = async (id: string) => (await app.call('GET', `/v1/members/${id}`)).body.pointsBalance as number;
const count = async (table: 'orders' | 'order_refunds' | 'ledger_transactions' | 'loyalty_events') =>
  Number((await app.tessera.db.read.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

describe('orders earn points by the rules', () => {
  it('earns points per yuan, rounded down, with the best category multiplier', async () => {
    const m = await createMember(app, 'earner');
    const plain = await order(m, 12_399);
    expect(plain.status).toBe(201);
    expect(plain.body).toMatchObject({ memberId: m, amount: cny(12_399), pointsEarned: 123, status: 'paid' });
    expect(plain.body.id).toMatch(/^ord_/);
    const doubled = await order(m, 10_000, { category: 'electronics' });
    expect(doubled.body.pointsEarned).toBe(200);
    expect(await balance(m)).toBe(323);
    const txn = await app.call('GET', `/v1/points/transactions/${doubled.body.earnTransactionId}`);
    expect(txn.body.points).toBe(200);
  });

  it('refuses a second order with the same externalId and writes nothing', async () => {
    const m = await createMember(app, 'dup-order');
    await app.call('POST', '/v1/orders', { memberId: m, externalId: 'same', amount: cny(1000) });
    const before = await count('ledger_transactions');
    const again = await app.call('POST', '/v1/orders', { memberId: m, externalId: 'same', amount: cny(1000) });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_exists');
    expect(await count('ledger_transactions')).toBe(before);
    expect(await balance(m)).toBe(10);
  });

  it('replays an order posted twice with the same Idempotency-Key', async () => {
    const m = await createMember(app, 'idem-order');
    const body = { memberId: m, externalId: 'idem-1', amount: cny(5000) };
    const a = await app.call('POST', '/v1/orders', body, { 'idempotency-key': 'k-order-1' });
    const b = await app.call('POST', '/v1/orders', body, { 'idempotency-key': 'k-order-1' });
    expect(b.status).toBe(201);
    expect(b.body).toEqual(a.body);
    expect(await balance(m)).toBe(50);
  });

  it('feeds spend statistics and the loyalty score shown on the member', async () => {
    const m = await createMember(app, 'spender');
    await order(m, 30_000);
    await order(m, 20_050);
    const stats = await app.call('GET', `/v1/members/${m}/spend`);
    expect(stats.body.data).toEqual([
      expect.objectContaining({ currency: 'CNY', orderCount: 2, grossAmount: 50_050, refundedAmount: 0, netAmount: 50_050 }),
    ]);
    const member = await app.call('GET', `/v1/members/${m}`);
    expect(member.body.loyaltyScore).toBe(500);
  });
});

describe('refunds take back the points once', () => {
  it('takes back proportional points over partial refunds, and all of them at the end', async () => {
    const m = await createMember(app, 'partial');
    const o = (await order(m, 10_000)).body; // 100 points
    const first = await app.call('POST', `/v1/orders/${o.id}/refund`, { amount: 3_333 });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ amount: cny(3_333), pointsReversed: 33, pointsDebited: 33, pointsDebt: 0 });
    expect(first.body.order).toMatchObject({ status: 'partially_refunded', refundedPoints: 33 });
    const second = await app.call('POST', `/v1/orders/${o.id}/refund`, { amount: 3_333 });
    expect(second.body.pointsReversed).toBe(33); // floor(66.66) - 33
    const rest = await app.call('POST', `/v1/orders/${o.id}/refund`);
    expect(rest.body).toMatchObject({ amount: cny(3_334), pointsReversed: 34 });
    expect(rest.body.order).toMatchObject({ status: 'refunded', refundedPoints: 100, refundedAmount: cny(10_000) });
    expect(await balance(m)).toBe(0);
    const again = await app.call('POST', `/v1/orders/${o.id}/refund`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_refunded');
    const got = await app.call('GET', `/v1/orders/${o.id}`);
    expect(got.body.refunds).toHaveLength(3);
    expect((await app.call('GET', `/v1/members/${m}`)).body.loyaltyScore).toBe(0);
  });

  it('records a debt for points already spent, and the next order settles it first', async () => {
    const m = await createMember(app, 'debtor');
    const o = (await order(m, 50_000)).body; // 500 points
    expect((await app.call('POST', `/v1/members/${m}/points/spend`, { points: 450, reason: 'mall' })).status).toBe(201);
    const refund = await app.call('POST', `/v1/orders/${o.id}/refund`, {});
    expect(refund.body).toMatchObject({ pointsReversed: 500, pointsDebited: 50, pointsDebt: 450 });
    expect(await balance(m)).toBe(0);
    expect((await app.call('GET', `/v1/members/${m}/points-debt`)).body.points).toBe(450);

    const next = await order(m, 30_000); // 300 points, all to the debt
    expect(next.body.pointsEarned).toBe(300);
    expect(await balance(m)).toBe(0);
    expect((await app.call('GET', `/v1/members/${m}/points-debt`)).body.points).toBe(150);
    await order(m, 20_000); // 200 points: 150 settle the rest
    expect(await balance(m)).toBe(50);
    const debt = await app.call('GET', `/v1/members/${m}/points-debt`);
    expect(debt.body.points).toBe(0);
    expect(debt.body.entries.map((e: { points: number }) => e.points)).toEqual([-150, -300, 450]);
  });

  it('settles a points debt from points earned or adjusted through the API too', async () => {
    const m = await createMember(app, 'debtor-api');
    const o = (await order(m, 50_000)).body; // 500 points
    expect((await app.call('POST', `/v1/members/${m}/points/spend`, { points: 500, reason: 'mall' })).status).toBe(201);
    expect((await app.call('POST', `/v1/orders/${o.id}/refund`, {})).body.pointsDebt).toBe(500);

    expect((await app.call('POST', `/v1/members/${m}/points/earn`, { points: 200, reason: 'campaign' })).status).toBe(201);
    expect(await balance(m)).toBe(0);
    expect((await app.call('GET', `/v1/members/${m}/points-debt`)).body.points).toBe(300);

    expect((await app.call('POST', `/v1/members/${m}/points/adjust`, { points: 400, reason: 'goodwill' })).status).toBe(201);
    expect(await balance(m)).toBe(100);
    expect((await app.call('GET', `/v1/members/${m}/points-debt`)).body.points).toBe(0);
  });

  it('refuses a refund larger than what is left, writing nothing', async () => {
    const m = await createMember(app, 'over-refund');
    const o = (await order(m, 1_000)).body;
    const before = await count('order_refunds');
    const res = await app.call('POST', `/v1/orders/${o.id}/refund`, { amount: 1_001 });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'refund_exceeds_order', param: 'amount' });
    expect(await count('order_refunds')).toBe(before);
    expect(await balance(m)).toBe(10);
  });
});

describe('bad input to orders', () => {
  it.each([
    ['missing memberId', { externalId: 'x', amount: cny(1) }, 400, 'parameter_missing'],
    ['zero amount', { memberId: 'mem_x', externalId: 'x', amount: cny(0) }, 400, 'parameter_invalid'],
    ['negative amount', { memberId: 'mem_x', externalId: 'x', amount: cny(-5) }, 400, 'parameter_invalid'],
    ['fractional amount', { memberId: 'mem_x', externalId: 'x', amount: cny(1.5) }, 400, 'parameter_invalid'],
    ['huge amount', { memberId: 'mem_x', externalId: 'x', amount: cny(1e20) }, 400, 'parameter_invalid'],
    ['amount as a string', { memberId: 'mem_x', externalId: 'x', amount: { amount: '100', currency: 'CNY' } }, 400, 'parameter_invalid'],
    ['bad currency', { memberId: 'mem_x', externalId: 'x', amount: { amount: 100, currency: 'yuan' } }, 400, 'parameter_invalid'],
    ['extra field', { memberId: 'mem_x', externalId: 'x', amount: cny(1), points: 5 }, 400, 'parameter_unknown'],
    ['bad paidAt', { memberId: 'mem_x', externalId: 'x', amount: cny(1), paidAt: 'yesterday' }, 400, 'parameter_invalid'],
    ['unknown member', { memberId: 'mem_nope', externalId: 'x', amount: cny(1) }, 404, 'resource_missing'],
  ])('%s → %s %s', async (_name, body, status, code) => {
    const before = await count('orders');
    const res = await app.call('POST', '/v1/orders', body);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(await count('orders')).toBe(before);
  });

  it('refuses a paidAt in the future and malformed JSON', async () => {
    const m = await createMember(app, 'future');
    const future = new Date(app.clock.now() + 86_400_000).toISOString();
    const res = await app.call('POST', '/v1/orders', { memberId: m, externalId: 'fut', amount: cny(100), paidAt: future });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('paidAt');
    const bad = await app.call('POST', '/v1/orders', '{"memberId":');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
  });

  it('answers 404 for refunds of unknown orders and 400 for bad refund bodies', async () => {
    expect((await app.call('POST', '/v1/orders/ord_nope/refund', {})).status).toBe(404);
    const m = await createMember(app, 'bad-refund');
    const o = (await order(m, 1_000)).body;
    for (const body of [{ amount: 0 }, { amount: -1 }, { amount: 1.5 }, { amount: '5' }, { extra: true }]) {
      const res = await app.call('POST', `/v1/orders/${o.id}/refund`, body);
      expect(res.status).toBe(400);
    }
    expect((await app.call('GET', `/v1/orders/${o.id}`)).body.refundedAmount.amount).toBe(0);
  });

  it('validates earning rules', async () => {
    const cases = [
      { name: 'x', kind: 'base', pointsPerYuan: 1 },
      { name: 'x', kind: 'base', currency: 'CNY' },
      { name: 'x', kind: 'category', multiplierBp: 10_000 },
      { name: 'x', kind: 'category', category: 'a', multiplierBp: 10_000, currency: 'CNY' },
      { name: 'x', kind: 'bonus' },
      { name: 'x', kind: 'base', currency: 'CNY', pointsPerYuan: -1 },
    ];
    for (const body of cases) {
      const res = await app.call('POST', '/v1/earning-rules', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const ghost = await app.call('POST', '/v1/earning-rules', { name: 'x', kind: 'plan', planId: 'plan_01JZZZZZZZZZZZZZZZZZZZZZZZ', multiplierBp: 15_000 });
    expect(ghost.status).toBe(404);
    expect(ghost.body.error).toMatchObject({ code: 'resource_missing', param: 'planId' });
    expect((await app.call('GET', '/v1/earning-rules')).body.data).toHaveLength(2);
  });
});

describe('orders under concurrency', () => {
  it('takes 40 simultaneous orders of one member, each earning once', async () => {
    const m = await createMember(app, 'busy-shopper');
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => app.call('POST', '/v1/orders', { memberId: m, externalId: `busy-${i}`, amount: cny(1_000 + i * 100) })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(201));
    const expected = results.reduce((sum, r) => sum + (r.body.pointsEarned as number), 0);
    expect(await balance(m)).toBe(expected);
    const stats = (await app.call('GET', `/v1/members/${m}/spend`)).body.data[0];
    expect(stats.orderCount).toBe(40);
    expect((await app.call('GET', `/v1/members/${m}`)).body.loyaltyScore).toBe(Math.floor(stats.grossAmount / 100));
  });
});
