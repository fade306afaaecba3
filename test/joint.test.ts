import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSplit, divideByWeights, splitSale } from '../src/joint/index.js';
import { createMember, startTestApp, type TestApp } from './helpers/app.js';

const DAY = 86_400_000;
const cny = (amount: number) => ({ amount, currency: 'CNY' });

describe('revenue split arithmetic', () => {
  it('always sums to the price exactly and never goes negative', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000_000 }),
        fc.array(fc.integer({ min: 1, max: 999_999 }), { minLength: 1, maxLength: 7 }),
        (price, raw) => {
          // Percentages with four decimals that sum to exactly 100.
          const total = raw.reduce((a, b) => a + b, 0);
          const units = divideByWeights(1_000_000, raw);
          const shares = units.filter((u) => u > 0).map((u, i) => ({ party: `p${i}`, percent: u / 10_000 }));
          expect(checkSplit(shares, price)).toBeUndefined();
          const parts = splitSale(shares, price);
          expect(parts.reduce((a, b) => a + b, 0)).toBe(price);
          expect(parts.every((p) => p >= 0 && Number.isInteger(p))).toBe(true);
          void total;
        },
      ),
    );
  });

  it('splits thirds of 136 yuan to the fen', () => {
    const shares = [
      { party: 'operator', percent: 33.3333 },
      { party: 'jd', percent: 33.3333 },
      { party: 'tencent-video', percent: 33.3334 },
    ];
    expect(splitSale(shares, 13_600)).toEqual([4_533, 4_533, 4_534]);
    expect(splitSale([{ party: 'tencent', fixed: 3_000 }, { party: 'a', percent: 50 }, { party: 'b', percent: 50 }], 13_601)).toEqual([3_000, 5_301, 5_300]);
    expect(divideByWeights(1, [1, 1, 1])).toEqual([1, 0, 0]);
    expect(divideByWeights(100, [3, 3, 3])).toEqual([34, 33, 33]);
  });

  it('refuses splits that do not add up', () => {
    expect(checkSplit([{ party: 'a', percent: 50 }, { party: 'b', percent: 49.9999 }], 100)).toBeDefined();
    expect(checkSplit([{ party: 'a', percent: 50 }, { party: 'a', percent: 50 }], 100)).toBeDefined();
    expect(checkSplit([{ party: 'a', fixed: 60 }, { party: 'b', fixed: 50 }], 100)).toBeDefined();
    expect(checkSplit([{ party: 'a', fixed: 60 }], 100)).toBeDefined();
    expect(checkSplit([{ party: 'a', percent: 33.33333 }, { party: 'b', percent: 66.66667 }], 100)).toBeDefined();
    expect(checkSplit([{ party: 'a' }], 100)).toBeDefined();
  });
});

describe('joint memberships over HTTP', () => {
  let app: TestApp;
  let product: { id: string };
  let planId: string;

  beforeAll(async () => {
    app = await startTestApp();
    const card = await app.call('POST', '/v1/benefits', { code: 'tencent-video-annual', name: 'Tencent Video annual VIP', kind: 'partner_membership', partner: 'tencent-video' });
    const plan = await app.call('POST', '/v1/plans', { code: 'jd-plus', name: 'JD PLUS', term: 'P1Y', prices: [{ amount: cny(14_900) }] });
    planId = plan.body.id;
    const res = await app.call('POST', '/v1/joint-products', {
      code: 'jd-plus-tencent',
      name: 'JD PLUS × Tencent Video',
      planId,
      price: cny(13_600),
      benefitIds: [card.body.id],
      split: [
        { party: 'operator', percent: 33.3333 },
        { party: 'jd', percent: 33.3333 },
        { party: 'tencent-video', percent: 33.3334 },
      ],
    });
    expect(res.status).toBe(201);
    product = res.body;
  });
  afterAll(async () => {
    await app.close();
  });

  it('sells the bundle at its price, grants the partner benefit and records the split', async () => {
    const m = await createMember(app, 'joint-buyer');
    const res = await app.call('POST', `/v1/joint-products/${product.id}/purchase`, { memberId: m });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ price: cny(13_600), jointProductId: product.id, planId, status: 'active' });
    expect(res.body.entitlements).toHaveLength(1);
    const entries = await app.call('GET', `/v1/settlements/entries?limit=10`);
    const amounts = entries.body.data.map((e: { party: string; amount: { amount: number } }) => [e.party, e.amount.amount]).sort();
    expect(amounts).toEqual([['jd', 4_533], ['operator', 4_533], ['tencent-video', 4_534]]);

    // Cancel after 100 days with a prorated refund: each party gives back its share, to the fen.
    app.clock.advance(100 * DAY);
    const cancel = await app.call('POST', `/v1/subscriptions/${res.body.id}/cancel`, { atPeriodEnd: false });
    const refund = cancel.body.refund.amount as number;
    expect(refund).toBe(Math.floor((13_600 * 265) / 365));
    const report = await app.call('GET', '/v1/settlements/report');
    const byParty = Object.fromEntries(report.body.data.map((l: { party: string }) => [l.party, l]));
    const refunds = ['operator', 'jd', 'tencent-video'].map((p) => byParty[p].refunds as number);
    expect(refunds.reduce((a, b) => a + b, 0)).toBe(-refund);
    const nets = ['operator', 'jd', 'tencent-video'].map((p) => byParty[p].net as number);
    expect(nets.reduce((a, b) => a + b, 0)).toBe(13_600 - refund);
    expect(byParty['tencent-video']).toMatchObject({ sales: 4_534, currency: 'CNY', entries: 2 });
    const one = await app.call('GET', '/v1/settlements/report?party=jd');
    expect(one.body.data).toHaveLength(1);
  });

  it('renews the bundle at the bundle price and splits again', async () => {
    const m = await createMember(app, 'joint-renewer');
    const sub = (await app.call('POST', `/v1/joint-products/${product.id}/purchase`, { memberId: m })).body;
    app.clock.set(Date.parse(sub.currentPeriod.end));
    await app.tessera.services.subscriptions.runDue();
    const renewed = (await app.call('GET', `/v1/subscriptions/${sub.id}`)).body;
    expect(renewed.periods.map((p: { price: { amount: number } }) => p.price.amount)).toEqual([13_600, 13_600]);
    const entries = await app.tessera.db.read.selectFrom('settlement_entries').selectAll().where('subscription_id', '=', sub.id).execute();
    expect(entries).toHaveLength(6);
    expect(entries.reduce((a, e) => a + Number(e.amount), 0)).toBe(27_200);
  });

  it('refuses bad joint products and purchases, writing nothing', async () => {
    const count = async () => Number((await app.tessera.db.read.selectFrom('joint_products').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const base = { code: 'bad', name: 'Bad', planId, price: cny(10_000) };
    const cases: Array<[unknown, number]> = [
      [{ ...base, split: [{ party: 'a', percent: 60 }, { party: 'b', percent: 30 }] }, 400],
      [{ ...base, split: [{ party: 'a', percent: 33.33333 }, { party: 'b', percent: 66.66667 }] }, 400],
      [{ ...base, split: [{ party: 'a', fixed: 20_000 }] }, 400],
      [{ ...base, split: [] }, 400],
      [{ ...base, split: [{ party: 'a', percent: -10 }, { party: 'b', percent: 110 }] }, 400],
      [{ ...base, split: [{ party: 'a', fixed: 1.5, percent: 100 }] }, 400],
      [{ ...base, price: { amount: 100, currency: 'USD' }, split: [{ party: 'a', percent: 100 }] }, 400],
      [{ ...base, planId: 'plan_nope', split: [{ party: 'a', percent: 100 }] }, 404],
      [{ ...base, code: 'jd-plus-tencent', split: [{ party: 'a', percent: 100 }] }, 409],
    ];
    for (const [body, status] of cases) {
      const res = await app.call('POST', '/v1/joint-products', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(typeof res.body.error.code).toBe('string');
    }
    expect(await count()).toBe(before);
    expect((await app.call('POST', '/v1/joint-products/jnt_nope/purchase', { memberId: 'mem_x' })).status).toBe(404);
    expect((await app.call('POST', `/v1/joint-products/${product.id}/purchase`, { memberId: 'mem_nope' })).status).toBe(404);
    expect((await app.call('POST', `/v1/joint-products/${product.id}/purchase`, {})).status).toBe(400);
    expect((await app.call('GET', '/v1/settlements/report?from=2030-01-01T00:00:00Z&to=2029-01-01T00:00:00Z')).status).toBe(400);
    expect((await app.call('GET', '/v1/settlements/report?from=yesterday')).status).toBe(400);
  });
});
