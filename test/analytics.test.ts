import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalyticsService, AnalyticsStore } from '../src/analytics/index.js';
import { newId } from '../src/platform/ids.js';
import { startTestApp, type TestApp } from './helpers/app.js';

/**
 * A hand-made month (November 2026, UTC) whose every figure can be checked by hand:
 *   Nov 2 10:00  members A, B, C sign up; A subscribes (joins) to the 100-yuan plan
 *   Nov 3        orders: A 100.00 and 20.00, B 50.00
 *   Nov 5 10:00  C subscribes
 *   Nov 6        orders: C 300.00, B 10.00 (refunded in full the same day)
 *   Nov 7        A earns 500 points, B 2,000
 *   Nov 20       B redeems the 1,000-point item: one code (unit cost 3.00) leaves a pool of 5
 *   partners youku and eleme report became_active: A youku Nov 10, A eleme Oct 30 (before joining),
 *   C eleme Nov 6, B youku Nov 4 (B never joined), C youku Nov 20 (15 days after joining)
 * Queries at Nov 24 12:00.
 */
let app: TestApp;
const ids: Record<string, string> = {};
const at = (iso: string) => app.clock.set(Date.parse(iso));
const cny = (amount: number) => ({ amount, currency: 'CNY' });

async function ok(method: string, url: string, body?: unknown, status = 201) {
  const r = await app.call(method, url, body);
  if (r.status !== status) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const get = async (url: string) => {
  const r = await app.call('GET', url);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

beforeAll(async () => {
  app = await startTestApp();
  // Empty data first: zeros, not errors (checked in the test below, on this same empty database).
});

afterAll(async () => {
  await app.close();
});

describe('analytics on an empty database', () => {
  it('answers zeros, not errors', async () => {
    at('2026-11-24T12:00:00Z');
    const members = await get('/v1/analytics/members?from=2026-11-01&to=2026-11-08');
    expect(members.series).toHaveLength(7);
    expect(members.totals).toEqual({ registered: 0, subscribers: 0, newRegistered: 0, newSubscribers: 0 });
    expect(members.series.every((s: { active: number }) => s.active === 0)).toBe(true);
    const spend = await get('/v1/analytics/spend');
    expect(spend.members).toEqual({ count: 0, orders: 0, spend: cny(0), perMember: cny(0) });
    expect(spend.ratio).toBeNull();
    const liability = await get('/v1/analytics/points-liability');
    expect(liability.outstanding).toBe(0);
    expect(liability.value).toEqual(cny(0));
    expect((await get('/v1/analytics/retention')).cohorts).toEqual([]);
    const cost = await get('/v1/analytics/benefit-cost');
    expect(cost.total).toEqual(cny(0));
    expect(cost.perMember).toEqual(cny(0));
    expect((await get('/v1/analytics/stock')).pools).toEqual([]);
    const funnel = await get('/v1/analytics/redemption-funnel');
    expect(funnel.stages).toEqual({ members: 0, withPoints: 0, couldAfford: 0, redeemed: 0 });
    expect(funnel.cheapestItemPoints).toBeNull();
    const conversion = await get('/v1/analytics/conversion');
    expect(conversion.cohortSize).toBe(0);
    expect(conversion.partners).toEqual([]);
  });
});

describe('analytics on a hand-made month', () => {
  beforeAll(async () => {
    at('2026-11-02T10:00:00Z');
    const plan = await ok('POST', '/v1/plans', { code: 'gold', name: 'Gold', term: 'P1Y', prices: [{ amount: cny(10_000) }] });
    for (const name of ['A', 'B', 'C']) ids[name] = (await ok('POST', '/v1/members', { externalId: `analytics-${name}` })).id;
    await ok('POST', '/v1/subscriptions', { memberId: ids.A, planId: plan.id });
    at('2026-11-03T10:00:00Z');
    await ok('POST', '/v1/orders', { memberId: ids.A, externalId: 'a-1', amount: cny(10_000), paidAt: '2026-11-03T09:00:00Z' });
    await ok('POST', '/v1/orders', { memberId: ids.A, externalId: 'a-2', amount: cny(2_000), paidAt: '2026-11-03T09:30:00Z' });
    await ok('POST', '/v1/orders', { memberId: ids.B, externalId: 'b-1', amount: cny(5_000), paidAt: '2026-11-03T09:45:00Z' });
    at('2026-11-05T10:00:00Z');
    await ok('POST', '/v1/subscriptions', { memberId: ids.C, planId: plan.id });
    at('2026-11-06T10:00:00Z');
    await ok('POST', '/v1/orders', { memberId: ids.C, externalId: 'c-1', amount: cny(30_000), paidAt: '2026-11-06T09:00:00Z' });
    const refunded = await ok('POST', '/v1/orders', { memberId: ids.B, externalId: 'b-2', amount: cny(1_000), paidAt: '2026-11-06T09:10:00Z' });
    await ok('POST', `/v1/orders/${refunded.id}/refund`, {});
    at('2026-11-07T10:00:00Z');
    await ok('POST', `/v1/members/${ids.A}/points/earn`, { points: 500, reason: 'welcome' });
    await ok('POST', `/v1/members/${ids.B}/points/earn`, { points: 2_000, reason: 'welcome' });
    const pool = await ok('POST', '/v1/pools', { name: 'Video cards', unitCost: cny(300) });
    ids.pool = pool.id;
    await ok('POST', `/v1/pools/${pool.id}/codes`, { codes: ['V-1', 'V-2', 'V-3', 'V-4', 'V-5'] });
    const item = await ok('POST', '/v1/catalog/items', { name: 'Video card', pointsPrice: 1_000, poolId: pool.id });
    at('2026-11-20T10:00:00Z');
    await ok('POST', '/v1/redemptions', { memberId: ids.B, itemId: item.id });

    const partners = app.tessera.services.partners;
    const youku = await app.tessera.db.write((tx) => partners.create(tx, { code: 'youku', name: 'Youku' }));
    const eleme = await app.tessera.db.write((tx) => partners.create(tx, { code: 'eleme', name: 'Ele.me' }));
    ids.youku = youku.id;
    ids.eleme = eleme.id;
    at('2026-11-24T12:00:00Z');
    const report = (partnerId: string, memberId: string, occurredAt: string, externalId: string) =>
      app.tessera.db.write((tx) => partners.reportActivity(tx, partnerId, { memberId, kind: 'became_active', occurredAt: Date.parse(occurredAt), externalId }));
    await report(youku.id, ids.A!, '2026-11-10T00:00:00Z', 'y-a');
    await report(eleme.id, ids.A!, '2026-10-30T00:00:00Z', 'e-a');
    await report(eleme.id, ids.C!, '2026-11-06T00:00:00Z', 'e-c');
    await report(youku.id, ids.B!, '2026-11-04T00:00:00Z', 'y-b');
    await report(youku.id, ids.C!, '2026-11-20T00:00:00Z', 'y-c-active');
    // Rolled up one row per write transaction: chunking must not change a figure.
    await new AnalyticsService(app.tessera.db, new AnalyticsStore(app.tessera.db.engine), app.clock, { chunk: 1 }).refresh();
  });

  it('members: registered, subscribers, joins and buyers per day and per week', async () => {
    const body = await get('/v1/analytics/members?from=2026-11-01&to=2026-11-08&interval=day');
    const pick = (key: string) => body.series.map((s: Record<string, number>) => s[key]);
    expect(body.series[0].start).toBe('2026-11-01T00:00:00.000Z');
    expect(pick('registered')).toEqual([0, 3, 3, 3, 3, 3, 3]);
    expect(pick('newRegistered')).toEqual([0, 3, 0, 0, 0, 0, 0]);
    expect(pick('subscribers')).toEqual([0, 1, 1, 1, 2, 2, 2]);
    expect(pick('newSubscribers')).toEqual([0, 1, 0, 0, 1, 0, 0]);
    expect(pick('active')).toEqual([0, 0, 2, 0, 0, 2, 0]);
    expect(body.totals).toEqual({ registered: 3, subscribers: 2, newRegistered: 3, newSubscribers: 2 });

    const weekly = await get('/v1/analytics/members?from=2026-11-02&to=2026-11-16&interval=week');
    expect(weekly.series.map((s: { start: string; active: number }) => [s.start.slice(0, 10), s.active])).toEqual([
      ['2026-11-02', 3],
      ['2026-11-09', 0],
    ]);
    const monthly = await get('/v1/analytics/members?from=2026-11-01&to=2026-12-01&interval=month');
    expect(monthly.series).toHaveLength(1);
    expect(monthly.series[0]).toMatchObject({ registered: 3, newRegistered: 3, subscribers: 2, newSubscribers: 2, active: 3 });
  });

  it('spend per member beside non-members, net of the refund', async () => {
    const body = await get('/v1/analytics/spend?from=2026-11-01&to=2026-11-08');
    expect(body.members).toEqual({ count: 2, orders: 3, spend: cny(42_000), perMember: cny(21_000) });
    expect(body.nonMembers).toEqual({ count: 1, orders: 2, spend: cny(5_000), perMember: cny(5_000) });
    expect(body.ratio).toBe(4.2);
    const usd = await get('/v1/analytics/spend?from=2026-11-01&to=2026-11-08&currency=USD');
    expect(usd.members.spend).toEqual({ amount: 0, currency: 'USD' });
  });

  it('points liability: outstanding, its cost value and the flows', async () => {
    const body = await get('/v1/analytics/points-liability?from=2026-11-06&to=2026-11-24');
    expect(body.outstanding).toBe(1_500);
    expect(body.costPerPoint).toEqual(cny(1));
    expect(body.value).toEqual(cny(1_500));
    const nov7 = body.series.find((s: { start: string }) => s.start.startsWith('2026-11-07'));
    expect(nov7).toMatchObject({ earned: 2_500, spent: 0, net: 2_500, outstanding: 2_500 });
    const nov20 = body.series.find((s: { start: string }) => s.start.startsWith('2026-11-20'));
    expect(nov20).toMatchObject({ earned: 0, spent: -1_000, net: -1_000, outstanding: 1_500 });
    expect(body.series[0]).toMatchObject({ outstanding: 0 });
  });

  it('retention of the November cohort', async () => {
    const body = await get('/v1/analytics/retention?from=2026-01-01&to=2026-12-01');
    expect(body.cohorts).toEqual([{ cohort: '2026-11', start: '2026-11-01T00:00:00.000Z', size: 2, live: 2, liveShare: 1, renewals: [] }]);
  });

  it('benefit cost per member: the issued code at its unit cost', async () => {
    const body = await get('/v1/analytics/benefit-cost?from=2026-11-01&to=2026-11-24');
    expect(body.members).toBe(2);
    expect(body.codes).toEqual({ issued: 1, cost: cny(300), byPool: [{ poolId: ids.pool, name: 'Video cards', issued: 1, cost: cny(300) }] });
    expect(body.revenueShares.amount).toEqual(cny(0));
    expect(body.total).toEqual(cny(300));
    expect(body.perMember).toEqual(cny(150));
  });

  it('stock burn-down and days of stock left', async () => {
    const body = await get(`/v1/analytics/stock?from=2026-11-18&to=2026-11-22&poolId=${ids.pool}`);
    expect(body.pools).toHaveLength(1);
    const pool = body.pools[0];
    expect(pool).toMatchObject({ poolId: ids.pool, onHand: 4, issuedLast7Days: 1, burnPerDay: 0.14, daysLeft: 28 });
    expect(pool.series).toEqual([
      { date: '2026-11-18', issued: 0, onHand: 5 },
      { date: '2026-11-19', issued: 0, onHand: 5 },
      { date: '2026-11-20', issued: 1, onHand: 4 },
      { date: '2026-11-21', issued: 0, onHand: 4 },
    ]);
  });

  it('the redemption funnel', async () => {
    const body = await get('/v1/analytics/redemption-funnel?from=2026-11-01&to=2026-11-24');
    expect(body.cheapestItemPoints).toBe(1_000);
    expect(body.stages).toEqual({ members: 3, withPoints: 2, couldAfford: 1, redeemed: 1 });
    expect(body.redemptions).toBe(1);
    expect(body.pointsSpent).toBe(1_000);
    expect(body.attempts).toBeNull();
  });

  it('cross-platform conversion per partner within N days of joining', async () => {
    const body = await get('/v1/analytics/conversion?from=2026-11-01&to=2026-12-01');
    expect(body.withinDays).toBe(30);
    expect(body.complete).toBe(false);
    expect(body.cohortSize).toBe(2);
    expect(body.partners).toEqual([
      { partnerId: ids.eleme, partnerCode: 'eleme', name: 'Ele.me', converted: 1, cohortSize: 2, per100: 50 },
      { partnerId: ids.youku, partnerCode: 'youku', name: 'Youku', converted: 2, cohortSize: 2, per100: 100 },
    ]);
    const within3 = await get('/v1/analytics/conversion?from=2026-11-01&to=2026-12-01&withinDays=3');
    expect(within3.partners.map((p: { partnerCode: string; converted: number }) => [p.partnerCode, p.converted])).toEqual([
      ['eleme', 1],
      ['youku', 0],
    ]);
    // Only C joined on Nov 5.
    const c = await get('/v1/analytics/conversion?from=2026-11-05&to=2026-11-06');
    expect(c.cohortSize).toBe(1);
    expect(c.partners.map((p: { per100: number }) => p.per100)).toEqual([100, 100]);
  });

  it('sees writes made after an earlier answer at once', async () => {
    await get('/v1/analytics/members?from=2026-11-01&to=2026-11-08');
    at('2026-11-24T12:00:00Z');
    await ok('POST', '/v1/orders', { memberId: ids.B, externalId: 'b-3', amount: cny(700), paidAt: '2026-11-04T09:00:00Z' });
    const body = await get('/v1/analytics/members?from=2026-11-04&to=2026-11-05');
    expect(body.series[0].active).toBe(1);
    const spend = await get('/v1/analytics/spend?from=2026-11-01&to=2026-11-08');
    expect(spend.nonMembers.spend).toEqual(cny(5_700));
  });
});

describe('a row that commits after a refresh passed its id', () => {
  it('is still folded in, once', async () => {
    // A concurrent writer made its id first and commits last (PostgreSQL runs several writers).
    const lateId = newId('ord');
    at('2026-11-24T12:00:00Z');
    await ok('POST', '/v1/orders', { memberId: ids.C, externalId: 'c-late-1', amount: cny(100), paidAt: '2026-11-09T09:00:00Z' });
    const before = await get('/v1/analytics/spend?from=2026-11-09&to=2026-11-10');
    expect(before.members.orders).toBe(1);
    const now = app.clock.now();
    await app.tessera.db.write((tx) =>
      tx.insertInto('orders').values({
        id: lateId, member_id: ids.C!, external_id: 'c-late-0', amount: 200, currency: 'CNY', category: null, paid_at: Date.parse('2026-11-09T08:00:00Z'),
        points_earned: 0, earn_transaction_id: null, refunded_amount: 0, refunded_points: 0, status: 'paid', created_at: now, updated_at: now,
      }).execute(),
    );
    const after = await get('/v1/analytics/spend?from=2026-11-09&to=2026-11-10');
    expect(after.members).toMatchObject({ orders: 2, spend: cny(300) });
    await app.tessera.services.analytics.refresh();
    const again = await get('/v1/analytics/spend?from=2026-11-09&to=2026-11-10');
    expect(again.members).toMatchObject({ orders: 2, spend: cny(300) });
  });
});

describe('analytics bad input', () => {
  const cases: Array<[string, string, string]> = [
    ['/v1/analytics/members?from=yesterday', 'parameter_invalid', 'from'],
    ['/v1/analytics/members?to=2026-13-01', 'parameter_invalid', 'to'],
    ['/v1/analytics/members?from=2026-02-30', 'parameter_invalid', 'from'],
    ['/v1/analytics/spend?from=2026-11-10&to=2026-11-01', 'range_invalid', 'from'],
    ['/v1/analytics/conversion?from=2026-11-10&to=2026-11-10', 'range_invalid', 'from'],
    ['/v1/analytics/members?interval=fortnight', 'parameter_invalid', 'interval'],
    ['/v1/analytics/points-liability?interval=year', 'parameter_invalid', 'interval'],
    ['/v1/analytics/members?from=2020-01-01&to=2026-01-01&interval=day', 'range_too_large', 'interval'],
    ['/v1/analytics/conversion?withinDays=0', 'parameter_invalid', 'withinDays'],
    ['/v1/analytics/conversion?withinDays=abc', 'parameter_invalid', 'withinDays'],
    ['/v1/analytics/spend?currency=cny', 'parameter_invalid', 'currency'],
    ['/v1/analytics/stock?colour=red', 'parameter_unknown', 'colour'],
    ['/v1/analytics/retention?from=1999-12-31', 'parameter_invalid', 'from'],
  ];
  for (const [url, code, param] of cases) {
    it(`${url} → 400 ${code}`, async () => {
      const r = await app.call('GET', url);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe(code);
      expect(r.body.error.param).toBe(param);
    });
  }

  it('an analyst key may read every figure', async () => {
    const key = await ok('POST', '/v1/api-keys', { name: 'dashboards', role: 'analyst' });
    for (const path of ['members', 'retention', 'spend', 'points-liability', 'benefit-cost', 'stock', 'redemption-funnel', 'conversion']) {
      const r = await app.call('GET', `/v1/analytics/${path}`, undefined, { authorization: `Bearer ${key.secret}` });
      expect(r.status, path).toBe(200);
    }
  });

  it('an unknown pool or plan is a 404', async () => {
    const pool = await app.call('GET', '/v1/analytics/stock?poolId=pool_nope');
    expect(pool.status).toBe(404);
    expect(pool.body.error).toMatchObject({ code: 'resource_missing', param: 'poolId' });
    const plan = await app.call('GET', '/v1/analytics/retention?planId=pln_nope');
    expect(plan.status).toBe(404);
    expect(plan.body.error).toMatchObject({ code: 'resource_missing', param: 'planId' });
  });

  it('needs a key', async () => {
    const r = await app.call('GET', '/v1/analytics/members', undefined, { authorization: '' });
    expect(r.status).toBe(401);
  });
});
