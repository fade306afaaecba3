import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTessera, type Tessera } from '../src/main.js';
import { createMember, startTestApp, type TestApp } from './helpers/app.js';

const DAY = 86_400_000;
let app: TestApp;
let plan: { id: string; versionId: string };
const benefit: Record<string, string> = {};

const cny = (amount: number) => ({ amount, currency: 'CNY' });
const count = async (table: 'subscriptions' | 'payments' | 'entitlements' | 'plans' | 'benefits' | 'plan_versions') =>
  Number((await app.tessera.db.read.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

async function memberWithScore(name: string, score: number): Promise<string> {
  const id = await createMember(app, name);
  if (score !== 0) {
    const res = await app.call('POST', `/v1/members/${id}/loyalty/adjustments`, { points: score, reason: 'test setup' });
    expect(res.status).toBe(201);
    expect(res.body.score).toBe(score);
  }
  return id;
}

async function subscribe(memberId: string, planId = plan.id) {
  const res = await app.call('POST', '/v1/subscriptions', { memberId, planId });
  if (res.status !== 201) throw new Error(`not subscribed: ${JSON.stringify(res.body)}`);
  return res.body;
}

beforeAll(async () => {
  app = await startTestApp();
  await app.call('PUT', '/v1/loyalty/rules', { spendPerPoint: 100, perOrder: 0, perActiveDay: 0 });
  for (const body of [
    { code: 'youku', name: 'Youku VIP', kind: 'partner_membership', partner: 'youku', membership: 'annual VIP' },
    { code: 'tmall-5', name: '5% off selected Tmall goods', kind: 'discount', percentBp: 500, categories: ['tmall-selected'] },
    { code: 'welcome-points', name: '100 welcome points', kind: 'points_grant', points: 100 },
  ]) {
    const res = await app.call('POST', '/v1/benefits', body);
    expect(res.status).toBe(201);
    benefit[body.code] = res.body.id;
  }
  const res = await app.call('POST', '/v1/plans', {
    code: '88vip',
    name: '88VIP',
    term: 'P1Y',
    prices: [
      { minLoyaltyScore: 1000, amount: cny(8_800) },
      { amount: cny(88_800) },
    ],
    benefitIds: [benefit.youku, benefit['tmall-5'], benefit['welcome-points']],
  });
  expect(res.status).toBe(201);
  plan = res.body;
});
afterAll(async () => {
  await app.close();
});

describe('quote: price by loyalty score', () => {
  it.each([
    [999, 88_800, null],
    [1000, 8_800, 1000],
    [1001, 8_800, 1000],
  ])('score %i pays %i', async (score, amount, min) => {
    const m = await memberWithScore(`quote-${score}`, score);
    const res = await app.call('GET', `/v1/plans/${plan.id}/quote?memberId=${m}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ planId: plan.id, memberId: m, price: cny(amount), loyaltyScore: score, planVersion: 1 });
    expect(res.body.rule.minLoyaltyScore).toBe(min);
    const member = await app.call('GET', `/v1/members/${m}`);
    expect(member.body.loyaltyScore).toBe(score);
  });

  it('answers not_eligible when no rule covers the score and there is no default', async () => {
    const p = await app.call('POST', '/v1/plans', { code: 'elite-only', name: 'Elite', term: 'P1M', prices: [{ minLoyaltyScore: 5000, amount: cny(100) }] });
    const m = await memberWithScore('low', 10);
    const res = await app.call('GET', `/v1/plans/${p.body.id}/quote?memberId=${m}`);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('not_eligible');
    const sub = await app.call('POST', '/v1/subscriptions', { memberId: m, planId: p.body.id });
    expect(sub.status).toBe(422);
  });
});

describe('subscriptions', () => {
  it('subscribes at the quoted price, records the rule and grants the benefits', async () => {
    const m = await memberWithScore('sub-1000', 1000);
    const sub = await subscribe(m);
    expect(sub).toMatchObject({ status: 'active', price: cny(8_800), loyaltyScoreUsed: 1000, memberId: m, planVersionId: plan.versionId });
    expect(sub.priceRule).toMatchObject({ index: 0, minLoyaltyScore: 1000 });
    expect(sub.periods).toHaveLength(1);
    expect(sub.payments).toEqual([expect.objectContaining({ kind: 'charge', amount: cny(8_800), method: 'manual', status: 'succeeded' })]);
    const byBenefit = Object.fromEntries(sub.entitlements.map((e: { benefitId: string; status: string }) => [e.benefitId, e.status]));
    expect(byBenefit).toEqual({ [benefit.youku!]: 'pending', [benefit['tmall-5']!]: 'fulfilled', [benefit['welcome-points']!]: 'fulfilled' });
    expect((await app.call('GET', `/v1/members/${m}`)).body.pointsBalance).toBe(100);

    const again = await app.call('POST', '/v1/subscriptions', { memberId: m, planId: plan.id });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_subscribed');

    const youku = sub.entitlements.find((e: { benefitId: string }) => e.benefitId === benefit.youku);
    const fulfilled = await app.call('POST', `/v1/entitlements/${youku.id}/fulfil`, { reference: 'youku-123' });
    expect(fulfilled.status).toBe(200);
    expect(fulfilled.body).toMatchObject({ status: 'fulfilled', detail: { reference: 'youku-123' } });
    expect(fulfilled.body.history.map((h: { status: string }) => h.status)).toEqual(['pending', 'fulfilled']);
  });

  it('checks discounts by category and amount', async () => {
    const m = await memberWithScore('discounter', 1000);
    await subscribe(m);
    const hit = await app.call('GET', `/v1/discounts/check?memberId=${m}&amount=12345&currency=CNY&category=tmall-selected`);
    expect(hit.status).toBe(200);
    expect(hit.body).toMatchObject({ applies: true, discount: cny(617), percentBp: 500, benefitId: benefit['tmall-5'] });
    const miss = await app.call('GET', `/v1/discounts/check?memberId=${m}&amount=12345&currency=CNY&category=groceries`);
    expect(miss.body).toMatchObject({ applies: false, discount: null });
    const stranger = await memberWithScore('no-plan', 0);
    expect((await app.call('GET', `/v1/discounts/check?memberId=${stranger}&amount=100&currency=CNY&category=tmall-selected`)).body.applies).toBe(false);
  });

  it('re-prices the renewal at the score then: down across the line and up across it', async () => {
    const falling = await memberWithScore('falling', 1000);
    const rising = await memberWithScore('rising', 999);
    const a = await subscribe(falling);
    const b = await subscribe(rising);
    expect(a.price).toEqual(cny(8_800));
    expect(b.price).toEqual(cny(88_800));
    // A year on, the setup scores have left the trailing window; what the members did since counts.
    app.clock.set(Date.parse(a.currentPeriod.end) + 1);
    expect((await app.call('GET', `/v1/plans/${plan.id}/quote?memberId=${falling}`)).body.loyaltyScore).toBe(0);
    await app.call('POST', `/v1/members/${falling}/loyalty/adjustments`, { points: 999, reason: 'fell' });
    await app.call('POST', `/v1/members/${rising}/loyalty/adjustments`, { points: 1000, reason: 'rose' });
    const run = await app.call('POST', '/v1/subscriptions/renewals/run');
    expect(run.status).toBe(200);
    expect(run.body.renewed).toBeGreaterThanOrEqual(2);
    const a2 = (await app.call('GET', `/v1/subscriptions/${a.id}`)).body;
    const b2 = (await app.call('GET', `/v1/subscriptions/${b.id}`)).body;
    expect(a2).toMatchObject({ status: 'active', price: cny(88_800), loyaltyScoreUsed: 999 });
    expect(b2).toMatchObject({ status: 'active', price: cny(8_800), loyaltyScoreUsed: 1000 });
    expect(a2.periods.map((p: { price: { amount: number } }) => p.price.amount)).toEqual([8_800, 88_800]);
    expect(a2.currentPeriod.start).toBe(a.currentPeriod.end);
    expect(a2.payments.filter((p: { kind: string }) => p.kind === 'charge')).toHaveLength(2);
    // Each term grants the benefits again.
    expect(a2.entitlements).toHaveLength(6);
    // Nothing more is due: a second run renews nothing.
    expect((await app.call('POST', '/v1/subscriptions/renewals/run')).body.renewed).toBe(0);
  });

  it('keeps a subscription on its plan version until renewal', async () => {
    const m = await memberWithScore('versioned', 1000);
    const sub = await subscribe(m);
    const v2 = await app.call('POST', `/v1/plans/${plan.id}/versions`, { prices: [{ minLoyaltyScore: 1000, amount: cny(9_900) }, { amount: cny(99_900) }] });
    expect(v2.status).toBe(201);
    expect(v2.body.version).toBe(2);
    expect((await app.call('GET', `/v1/subscriptions/${sub.id}`)).body.price).toEqual(cny(8_800));
    const quote = await app.call('GET', `/v1/plans/${plan.id}/quote?memberId=${m}`);
    expect(quote.body).toMatchObject({ price: cny(9_900), planVersion: 2 });
    app.clock.set(Date.parse(sub.currentPeriod.end));
    await app.call('POST', `/v1/members/${m}/loyalty/adjustments`, { points: 1000, reason: 'still loyal' });
    await app.tessera.services.subscriptions.runDue();
    const renewed = (await app.call('GET', `/v1/subscriptions/${sub.id}`)).body;
    expect(renewed).toMatchObject({ price: cny(9_900), planVersionId: v2.body.versionId });
    expect(renewed.periods[0].planVersionId).toBe(plan.versionId);
    // Back to the original prices for the tests that follow.
    await app.call('POST', `/v1/plans/${plan.id}/versions`, { prices: [{ minLoyaltyScore: 1000, amount: cny(8_800) }, { amount: cny(88_800) }] });
  });
});

describe('cancel and refund arithmetic', () => {
  it('cancels now with a prorated refund, rounded down to the fen', async () => {
    app.clock.set(Date.UTC(2030, 2, 1)); // a year without a 29 February
    const m = await memberWithScore('cancel-now', 1000);
    const sub = await subscribe(m);
    const start = Date.parse(sub.currentPeriod.start);
    const end = Date.parse(sub.currentPeriod.end);
    expect(end - start).toBe(365 * DAY);
    app.clock.set(start + 73 * DAY);
    const res = await app.call('POST', `/v1/subscriptions/${sub.id}/cancel`, { atPeriodEnd: false });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'canceled', refund: cny(7_040) }); // 8800 × 292/365
    expect(res.body.periods[0]).toMatchObject({ refundedAmount: 7_040, status: 'partially_refunded' });
    expect(res.body.payments.map((p: { kind: string; amount: { amount: number } }) => [p.kind, p.amount.amount])).toEqual([
      ['charge', 8_800],
      ['refund', 7_040],
    ]);
    const youku = res.body.entitlements.find((e: { benefitId: string }) => e.benefitId === benefit.youku);
    expect(youku.status).toBe('revoked');
    const discount = res.body.entitlements.find((e: { benefitId: string }) => e.benefitId === benefit['tmall-5']);
    expect(Date.parse(discount.validUntil)).toBe(app.clock.now());
    const again = await app.call('POST', `/v1/subscriptions/${sub.id}/cancel`, { atPeriodEnd: false });
    expect(again.status).toBe(409);
    // A new subscription is allowed once the old one is over.
    expect((await app.call('POST', '/v1/subscriptions', { memberId: m, planId: plan.id })).status).toBe(201);
  });

  it('rounds an awkward proration down and refunds in full on request', async () => {
    const m = await memberWithScore('awkward', 999);
    const sub = await subscribe(m); // 88800
    app.clock.set(Date.parse(sub.currentPeriod.start) + 100 * DAY + 12345);
    const end = Date.parse(sub.currentPeriod.end);
    const expected = Math.floor((88_800 * (end - app.clock.now())) / (end - Date.parse(sub.currentPeriod.start)));
    const res = await app.call('POST', `/v1/subscriptions/${sub.id}/cancel`, { atPeriodEnd: false });
    expect(res.body.refund).toEqual(cny(expected));

    const n = await memberWithScore('full-refund', 1000);
    const sub2 = await subscribe(n);
    app.clock.advance(30 * DAY);
    const full = await app.call('POST', `/v1/subscriptions/${sub2.id}/cancel`, { atPeriodEnd: false, refund: 'full' });
    expect(full.body.refund).toEqual(cny(8_800));
    expect(full.body.periods[0].status).toBe('refunded');
  });

  it('cancels at period end: no refund, no renewal, and the subscription ends then', async () => {
    const m = await memberWithScore('cancel-later', 1000);
    const sub = await subscribe(m);
    const res = await app.call('POST', `/v1/subscriptions/${sub.id}/cancel`, {});
    expect(res.body).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
    expect(res.body.payments).toHaveLength(1);
    app.clock.set(Date.parse(sub.currentPeriod.end) + 1000);
    await app.tessera.services.subscriptions.runDue();
    const ended = (await app.call('GET', `/v1/subscriptions/${sub.id}`)).body;
    expect(ended).toMatchObject({ status: 'canceled', endedAt: sub.currentPeriod.end });
    expect(ended.periods).toHaveLength(1);
  });
});

describe('trials', () => {
  it('starts a first subscription with a free trial and charges at its end', async () => {
    const p = await app.call('POST', '/v1/plans', { code: 'monthly-trial', name: 'Monthly', term: 'P1M', trial: 'P7D', prices: [{ amount: cny(1_500) }] });
    expect(p.status).toBe(201);
    const m = await memberWithScore('trialist', 0);
    const sub = await subscribe(m, p.body.id);
    expect(sub).toMatchObject({ status: 'trialing', price: cny(1_500), payments: [] });
    expect(Date.parse(sub.currentPeriod.end) - Date.parse(sub.currentPeriod.start)).toBe(7 * DAY);
    app.clock.set(Date.parse(sub.currentPeriod.end));
    await app.tessera.services.subscriptions.runDue();
    const active = (await app.call('GET', `/v1/subscriptions/${sub.id}`)).body;
    expect(active).toMatchObject({ status: 'active' });
    expect(active.payments).toEqual([expect.objectContaining({ kind: 'charge', amount: cny(1_500) })]);
    expect(active.currentPeriod.start).toBe(sub.currentPeriod.end);
  });
});

describe('two schedulers at once renew each subscription once', () => {
  it('on one node and across two nodes', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const m = await memberWithScore(`race-${i}`, i % 2 === 0 ? 1000 : 0);
      ids.push((await subscribe(m)).id);
    }
    const first = (await app.call('GET', `/v1/subscriptions/${ids[0]}`)).body;
    app.clock.set(Date.parse(first.currentPeriod.end) + 60_000);
    const second: Tessera = await createTessera(app.database.config, { clock: app.clock, logger: false });
    try {
      const results = await Promise.all([
        app.tessera.services.subscriptions.runDue({ batch: 7 }),
        app.tessera.services.subscriptions.runDue({ batch: 5 }),
        second.services.subscriptions.runDue({ batch: 3 }),
        second.services.subscriptions.runDue(),
      ]);
      expect(results.reduce((n, r) => n + r.renewed, 0)).toBeGreaterThanOrEqual(25);
    } finally {
      await second.close();
    }
    for (const id of ids) {
      const sub = (await app.call('GET', `/v1/subscriptions/${id}`)).body;
      expect(sub.periods).toHaveLength(2);
      expect(sub.payments.filter((p: { kind: string }) => p.kind === 'charge')).toHaveLength(2);
      expect(sub.currentPeriod.index).toBe(1);
    }
  });
});

describe('bad input to plans, quotes, subscriptions and benefits', () => {
  it('refuses bad plans, writing nothing', async () => {
    const before = await count('plans');
    const cases: Array<[unknown, number, string]> = [
      [{ name: 'x', term: 'P1Y', prices: [{ amount: cny(1) }] }, 400, 'parameter_missing'],
      [{ code: 'x', name: 'x', term: '1 year', prices: [{ amount: cny(1) }] }, 400, 'parameter_invalid'],
      [{ code: 'x', name: 'x', term: 'P0D', prices: [{ amount: cny(1) }] }, 400, 'parameter_invalid'],
      [{ code: 'x', name: 'x', term: 'P1Y', prices: [] }, 400, 'parameter_invalid'],
      [{ code: 'x', name: 'x', term: 'P1Y', prices: [{ amount: cny(-1) }] }, 400, 'parameter_invalid'],
      [{ code: 'x', name: 'x', term: 'P1Y', prices: [{ amount: cny(1.5) }] }, 400, 'parameter_invalid'],
      [{ code: 'x', name: 'x', term: 'P1Y', prices: [{ amount: cny(1) }, { amount: cny(2) }] }, 400, 'parameter_invalid'],
      [{ code: 'x', name: 'x', term: 'P1Y', prices: [{ amount: cny(1) }, { amount: { amount: 1, currency: 'USD' } }] }, 400, 'parameter_invalid'],
      [{ code: 'x', name: 'x', term: 'P1Y', prices: [{ minLoyaltyScore: -1, amount: cny(1) }] }, 400, 'parameter_invalid'],
      [{ code: 'x', name: 'x', term: 'P1Y', prices: [{ amount: cny(1) }], benefitIds: ['ben_nope'] }, 404, 'resource_missing'],
      [{ code: 'x', name: 'x', term: 'P1Y', prices: [{ amount: cny(1) }], extra: 1 }, 400, 'parameter_unknown'],
      [{ code: '88vip', name: 'x', term: 'P1Y', prices: [{ amount: cny(1) }] }, 409, 'already_exists'],
    ];
    for (const [body, status, code] of cases) {
      const res = await app.call('POST', '/v1/plans', body);
      expect([res.status, res.body.error?.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect(await count('plans')).toBe(before);
    const versions = await count('plan_versions');
    expect((await app.call('POST', `/v1/plans/${plan.id}/versions`, {})).status).toBe(400);
    expect((await app.call('POST', '/v1/plans/plan_nope/versions', { prices: [{ amount: cny(1) }] })).status).toBe(404);
    expect((await app.call('POST', `/v1/plans/${plan.id}/versions`, { prices: [{ amount: { amount: 1, currency: 'USD' } }] })).status).toBe(400);
    expect(await count('plan_versions')).toBe(versions);
  });

  it('refuses bad quotes', async () => {
    const m = await memberWithScore('quote-bad', 0);
    expect((await app.call('GET', `/v1/plans/${plan.id}/quote`)).status).toBe(400);
    expect((await app.call('GET', `/v1/plans/${plan.id}/quote?memberId=mem_nope`)).body.error).toMatchObject({ code: 'resource_missing', param: 'memberId' });
    expect((await app.call('GET', `/v1/plans/plan_nope/quote?memberId=${m}`)).status).toBe(404);
    expect((await app.call('GET', `/v1/plans/${plan.id}/quote?memberId=${m}&x=1`)).status).toBe(400);
  });

  it('refuses bad subscriptions and cancellations, writing nothing', async () => {
    const m = await memberWithScore('sub-bad', 0);
    const before = [await count('subscriptions'), await count('payments'), await count('entitlements')];
    const cases: Array<[unknown, number]> = [
      [{ memberId: m }, 400],
      [{ planId: plan.id }, 400],
      [{ memberId: m, planId: plan.id, price: 1 }, 400],
      [{ memberId: 'mem_nope', planId: plan.id }, 404],
      [{ memberId: m, planId: 'plan_nope' }, 404],
      [{ memberId: 5, planId: plan.id }, 400],
    ];
    for (const [body, status] of cases) {
      const res = await app.call('POST', '/v1/subscriptions', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(typeof res.body.error.code).toBe('string');
    }
    expect((await app.call('POST', '/v1/subscriptions', '{"memberId"')).status).toBe(400);
    expect([await count('subscriptions'), await count('payments'), await count('entitlements')]).toEqual(before);
    expect((await app.call('POST', '/v1/subscriptions/sub_nope/cancel', {})).status).toBe(404);
    const sub = await subscribe(m);
    for (const body of [{ atPeriodEnd: 'yes' }, { refund: 'half' }, { extra: 1 }]) {
      expect((await app.call('POST', `/v1/subscriptions/${sub.id}/cancel`, body)).status).toBe(400);
    }
    const refundLater = await app.call('POST', `/v1/subscriptions/${sub.id}/cancel`, { refund: 'full' });
    expect(refundLater.status).toBe(422);
    expect((await app.call('GET', `/v1/subscriptions/${sub.id}`)).body).toMatchObject({ status: 'active', cancelAtPeriodEnd: false });
  });

  it('refuses bad benefits, entitlement reports and discount checks', async () => {
    const before = await count('benefits');
    const cases: Array<[unknown, number]> = [
      [{ code: 'b', name: 'b', kind: 'discount' }, 400],
      [{ code: 'b', name: 'b', kind: 'discount', percentBp: 0 }, 400],
      [{ code: 'b', name: 'b', kind: 'discount', percentBp: 10_001 }, 400],
      [{ code: 'b', name: 'b', kind: 'discount', percentBp: 500, points: 5 }, 400],
      [{ code: 'b', name: 'b', kind: 'points_grant', points: -5 }, 400],
      [{ code: 'b', name: 'b', kind: 'partner_membership' }, 400],
      [{ code: 'b', name: 'b', kind: 'teleport' }, 400],
      [{ code: 'youku', name: 'b', kind: 'partner_membership', partner: 'x' }, 409],
    ];
    for (const [body, status] of cases) {
      const res = await app.call('POST', '/v1/benefits', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
    }
    expect(await count('benefits')).toBe(before);
    expect((await app.call('POST', '/v1/entitlements/ent_nope/fulfil', {})).status).toBe(404);
    expect((await app.call('POST', '/v1/entitlements/ent_nope/fail', {})).status).toBe(400);
    const m = await memberWithScore('disc-bad', 0);
    for (const q of ['', `memberId=${m}`, `memberId=${m}&amount=0&currency=CNY`, `memberId=${m}&amount=-5&currency=CNY`, `memberId=${m}&amount=1.5&currency=CNY`, `memberId=${m}&amount=5&currency=cny`]) {
      expect((await app.call('GET', `/v1/discounts/check?${q}`)).status, q).toBe(400);
    }
    expect((await app.call('GET', '/v1/discounts/check?memberId=mem_nope&amount=5&currency=CNY')).status).toBe(404);
  });

  it('refuses bad loyalty input', async () => {
    const m = await memberWithScore('loyal-bad', 0);
    expect((await app.call('POST', `/v1/members/${m}/loyalty/adjustments`, { points: 0, reason: 'x' })).status).toBe(400);
    expect((await app.call('POST', `/v1/members/${m}/loyalty/adjustments`, { points: 1.5, reason: 'x' })).status).toBe(400);
    expect((await app.call('POST', '/v1/members/mem_nope/loyalty/adjustments', { points: 1, reason: 'x' })).status).toBe(404);
    expect((await app.call('POST', `/v1/members/${m}/loyalty/activities`, {})).status).toBe(400);
    expect((await app.call('PUT', '/v1/loyalty/rules', { spendPerPoint: 0 })).status).toBe(400);
    expect((await app.call('PUT', '/v1/loyalty/rules', {})).status).toBe(400);
    expect((await app.call('GET', '/v1/members/mem_nope/loyalty')).status).toBe(404);
  });
});

describe('races and retries over HTTP', () => {
  it('lets one of many simultaneous subscribes for a member and plan through', async () => {
    const m = await memberWithScore('racer', 1000);
    const results = await Promise.all(Array.from({ length: 12 }, () => app.call('POST', '/v1/subscriptions', { memberId: m, planId: plan.id })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('already_subscribed');
    }
    const subs = (await app.call('GET', `/v1/members/${m}/subscriptions`)).body.data;
    expect(subs).toHaveLength(1);
    expect((await app.call('GET', `/v1/members/${m}`)).body.pointsBalance).toBe(100);
  });

  it('replays a subscribe sent twice with one Idempotency-Key', async () => {
    const m = await memberWithScore('idem-sub', 0);
    const first = await app.call('POST', '/v1/subscriptions', { memberId: m, planId: plan.id }, { 'idempotency-key': 'sub-key-1' });
    const again = await app.call('POST', '/v1/subscriptions', { memberId: m, planId: plan.id }, { 'idempotency-key': 'sub-key-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('refunds an order once when many refunds race', async () => {
    await app.call('POST', '/v1/earning-rules', { name: 'base', kind: 'base', currency: 'CNY', pointsPerYuan: 1 });
    const m = await memberWithScore('refund-racer', 0);
    const order = await app.call('POST', '/v1/orders', { memberId: m, externalId: 'race-order', amount: cny(10_000) });
    const results = await Promise.all(Array.from({ length: 10 }, () => app.call('POST', `/v1/orders/${order.body.id}/refund`, {})));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
    const got = (await app.call('GET', `/v1/orders/${order.body.id}`)).body;
    expect(got).toMatchObject({ status: 'refunded', refundedPoints: 100 });
    expect(got.refunds).toHaveLength(1);
  });

  it('multiplies order points for members of a plan', async () => {
    const rule = await app.call('POST', '/v1/earning-rules', { name: 'plan members ×1.5', kind: 'plan', planId: plan.id, multiplierBp: 15_000 });
    expect(rule.status).toBe(201);
    const member = await memberWithScore('plan-earner', 1000);
    const outsider = await memberWithScore('plan-outsider', 1000);
    await subscribe(member);
    const a = await app.call('POST', '/v1/orders', { memberId: member, externalId: 'pm-1', amount: cny(10_001) });
    const b = await app.call('POST', '/v1/orders', { memberId: outsider, externalId: 'pm-2', amount: cny(10_001) });
    expect(a.body.pointsEarned).toBe(150);
    expect(b.body.pointsEarned).toBe(100);
  });
});

describe('renewal edge cases and the API document', () => {
  it('lets a subscription lapse when no price covers the member at renewal', async () => {
    const p = await app.call('POST', '/v1/plans', { code: 'elite-monthly', name: 'Elite monthly', term: 'P1M', prices: [{ minLoyaltyScore: 500, amount: cny(1_000) }] });
    const m = await memberWithScore('elite', 500);
    const sub = await subscribe(m, p.body.id);
    await app.call('POST', `/v1/members/${m}/loyalty/adjustments`, { points: -1, reason: 'slipped' });
    app.clock.set(Date.parse(sub.currentPeriod.end));
    const run = await app.tessera.services.subscriptions.runDue();
    expect(run.ended).toBeGreaterThanOrEqual(1);
    const lapsed = (await app.call('GET', `/v1/subscriptions/${sub.id}`)).body;
    expect(lapsed).toMatchObject({ status: 'expired', endedAt: sub.currentPeriod.end });
    expect(lapsed.periods).toHaveLength(1);
  });

  it('describes the membership endpoints in the OpenAPI document', async () => {
    const res = await app.call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    for (const path of ['/v1/orders', '/v1/orders/{id}/refund', '/v1/plans/{id}/quote', '/v1/subscriptions', '/v1/discounts/check', '/v1/joint-products/{id}/purchase', '/v1/settlements/report', '/v1/members/{id}/loyalty']) {
      expect(res.body.paths[path], path).toBeDefined();
    }
  });
});
