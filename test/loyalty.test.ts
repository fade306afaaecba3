import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTessera } from '../src/main.js';
import type { PaymentGateway } from '../src/subscriptions/index.js';
import { freshDatabase } from './helpers/database.js';
import { createMember, startTestApp, type TestApp } from './helpers/app.js';
import { ManualClock } from '../src/platform/clock.js';

const DAY = 86_400_000;
const cny = (amount: number) => ({ amount, currency: 'CNY' });

describe('loyalty score', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
    const rules = await app.call('PUT', '/v1/loyalty/rules', { spendPerPoint: 1000, perOrder: 2, perActiveDay: 1, windowDays: 365 });
    expect(rules.status).toBe(200);
  });
  afterAll(async () => {
    await app.close();
  });

  it('is made of spend, orders and active days in the trailing window, with a breakdown and history', async () => {
    const m = await createMember(app, 'naughty');
    const now = app.clock.now();
    let n = 0;
    const order = (amount: number, paidAt: number) =>
      app.call('POST', '/v1/orders', { memberId: m, externalId: `lo-${++n}`, amount: cny(amount), paidAt: new Date(paidAt).toISOString() });
    expect((await order(500_000, now - 300 * DAY)).status).toBe(201); // 500 + 2 + 1 day
    await order(250_000, now - 10 * DAY); // 250 + 2 + 1 day
    await order(1_999, now - 10 * DAY); // 1 + 2, same day
    await app.call('POST', `/v1/members/${m}/loyalty/activities`, { kind: 'app-visit' }); // +1 day
    const status = await app.call('GET', `/v1/members/${m}/loyalty`);
    expect(status.status).toBe(200);
    expect(status.body.breakdown).toMatchObject({ spend: 751, orders: 6, activity: 3, adjustments: 0, netSpend: 751_999, orderCount: 3, activeDays: 3 });
    expect(status.body.score).toBe(760);
    expect((await app.call('GET', `/v1/members/${m}`)).body.loyaltyScore).toBe(760);
    const history = await app.call('GET', `/v1/members/${m}/loyalty/history?limit=2`);
    expect(history.body.data.map((h: { score: number }) => h.score)).toEqual([760, 759]);
    expect(history.body.hasMore).toBe(true);

    // 70 days on, the oldest order has left the window; the periodic recompute notices.
    app.clock.advance(70 * DAY);
    // The member shows the score of today at once, before any job ran.
    expect((await app.call('GET', `/v1/members/${m}`)).body.loyaltyScore).toBe(760 - 503);
    const result = await app.tessera.services.loyalty.recomputeAll();
    expect(result.changed).toBeGreaterThanOrEqual(1);
    expect((await app.call('GET', `/v1/members/${m}`)).body.loyaltyScore).toBe(760 - 503);
    const latest = (await app.call('GET', `/v1/members/${m}/loyalty/history?limit=1`)).body.data[0];
    expect(latest).toMatchObject({ score: 257, previous: 760, change: -503, reason: 'window moved' });
  });

  it('falls with a refund, counted where the order was', async () => {
    const m = await createMember(app, 'refunder');
    const o = await app.call('POST', '/v1/orders', { memberId: m, externalId: 'lr-1', amount: cny(100_000) });
    expect((await app.call('GET', `/v1/members/${m}`)).body.loyaltyScore).toBe(103);
    await app.call('POST', `/v1/orders/${o.body.id}/refund`, { amount: 40_000 });
    expect((await app.call('GET', `/v1/members/${m}`)).body.loyaltyScore).toBe(63);
    await app.call('POST', `/v1/orders/${o.body.id}/refund`, {});
    // The order no longer counts; the day the member was active still does.
    expect((await app.call('GET', `/v1/members/${m}`)).body.loyaltyScore).toBe(1);
  });

  it('is capped and floored by the rules', async () => {
    const m = await createMember(app, 'capped');
    await app.call('PUT', '/v1/loyalty/rules', { maxScore: 50 });
    const up = await app.call('POST', `/v1/members/${m}/loyalty/adjustments`, { points: 80, reason: 'bonus' });
    expect(up.body.score).toBe(50);
    const down = await app.call('POST', `/v1/members/${m}/loyalty/adjustments`, { points: -500, reason: 'fraud' });
    expect(down.body.score).toBe(0);
    await app.call('PUT', '/v1/loyalty/rules', { maxScore: 100_000 });
  });
});

describe('renewals that cannot be charged', () => {
  it('go past_due, recover on a later charge, and expire after the grace period', async () => {
    const database = await freshDatabase();
    const clock = new ManualClock(Date.UTC(2026, 10, 24, 12));
    const declined = new Set<string>();
    const payments: PaymentGateway = {
      charge: async (_tx, req) => (declined.has(req.memberId) ? { status: 'failed', method: 'card', reference: null, failureReason: 'declined' } : { status: 'succeeded', method: 'card', reference: `card:${req.periodId}` }),
      refund: async () => ({ status: 'succeeded', method: 'card', reference: 'r' }),
    };
    const t = await createTessera(database.config, { clock, logger: false, payments });
    try {
      const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
        const res = await t.app.inject({ method, url, payload, headers: { authorization: `Bearer ${database.config.adminKey}` } });
        return { status: res.statusCode, body: JSON.parse(res.body) };
      };
      const plan = (await call('POST', '/v1/plans', { code: 'monthly', name: 'Monthly', term: 'P1M', prices: [{ amount: cny(1_000) }] })).body;
      const members = [];
      for (const name of ['recovers', 'lapses', 'refused']) members.push((await call('POST', '/v1/members', { externalId: name })).body.id as string);
      declined.add(members[2]!);
      const refused = await call('POST', '/v1/subscriptions', { memberId: members[2], planId: plan.id });
      expect(refused.status).toBe(422);
      expect(refused.body.error.code).toBe('payment_failed');
      const subs = [];
      for (const m of members.slice(0, 2)) subs.push((await call('POST', '/v1/subscriptions', { memberId: m, planId: plan.id })).body);
      declined.add(members[0]!);
      declined.add(members[1]!);
      clock.set(Date.parse(subs[0].currentPeriod.end));
      const run = await t.services.subscriptions.runDue();
      expect(run.pastDue).toBe(2);
      expect((await call('GET', `/v1/subscriptions/${subs[0].id}`)).body.status).toBe('past_due');
      declined.delete(members[0]!);
      clock.advance(DAY);
      await t.services.subscriptions.runDue();
      const recovered = (await call('GET', `/v1/subscriptions/${subs[0].id}`)).body;
      expect(recovered.status).toBe('active');
      expect(recovered.payments.map((p: { status: string }) => p.status)).toEqual(['succeeded', 'failed', 'succeeded']);
      clock.advance(7 * DAY);
      await t.services.subscriptions.runDue();
      const lapsed = (await call('GET', `/v1/subscriptions/${subs[1].id}`)).body;
      expect(lapsed.status).toBe('expired');
      expect(lapsed.periods[1].status).toBe('void');
    } finally {
      await t.close();
      await database.drop();
    }
  });
});
