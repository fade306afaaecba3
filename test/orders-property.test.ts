import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/platform/errors.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { checkLedger } from './helpers/ledger-invariants.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await app.call('POST', '/v1/earning-rules', { name: 'base', kind: 'base', currency: 'CNY', pointsPerYuan: 3 });
});
afterAll(async () => {
  await app.close();
});

type Step =
  | { kind: 'order'; amount: number }
  | { kind: 'refund'; order: number; share: number | null }
  | { kind: 'spend'; share: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('order' as const), amount: fc.integer({ min: 1, max: 200_000 }) }),
  fc.record({ kind: fc.constant('refund' as const), order: fc.nat(20), share: fc.option(fc.double({ min: 0.01, max: 1, noNaN: true }), { nil: null }) }),
  fc.record({ kind: fc.constant('spend' as const), share: fc.double({ min: 0.01, max: 1, noNaN: true }) }),
);

let run = 0;

describe('orders, refunds and spends against a model', () => {
  it('keep balance − debt = earned − reversed − spent, each order giving back exactly what it earned', async () => {
    const { orders, ledger, members } = app.tessera.services;
    const db = app.tessera.db;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        run++;
        const member = await db.write((tx) => members.create(tx, { externalId: `prop-${run}` }));
        const placed: Array<{ id: string; amount: number; refunded: number; earned: number; reversed: number }> = [];
        let earned = 0;
        let reversed = 0;
        let spent = 0;
        for (const [i, s] of steps.entries()) {
          if (s.kind === 'order') {
            const order = await db.write((tx) => orders.create(tx, { memberId: member.id, externalId: `prop-${run}-${i}`, amount: { amount: s.amount, currency: 'CNY' } }));
            expect(order.pointsEarned).toBe(Math.floor((s.amount * 3) / 100));
            placed.push({ id: order.id, amount: s.amount, refunded: 0, earned: order.pointsEarned, reversed: 0 });
            earned += order.pointsEarned;
          } else if (s.kind === 'refund' && placed.length > 0) {
            const o = placed[s.order % placed.length]!;
            const left = o.amount - o.refunded;
            const amount = s.share === null ? undefined : Math.max(1, Math.floor(left * s.share));
            try {
              const refund = await db.write((tx) => orders.refund(tx, o.id, { amount }));
              o.refunded += refund.amount.amount;
              o.reversed += refund.pointsReversed;
              reversed += refund.pointsReversed;
              expect(refund.pointsDebited + refund.pointsDebt).toBe(refund.pointsReversed);
              if (o.refunded === o.amount) expect(o.reversed).toBe(o.earned);
              expect(o.reversed).toBeLessThanOrEqual(o.earned);
            } catch (error) {
              expect(error).toBeInstanceOf(AppError);
              expect(left).toBe(0);
            }
          } else if (s.kind === 'spend') {
            const { pointsBalance } = await members.get(member.id);
            const points = Math.floor(pointsBalance * s.share);
            if (points > 0) {
              await db.write((tx) => ledger.spend(tx, member.id, { points, reason: 'mall' }));
              spent += points;
            }
          }
          const balance = (await members.get(member.id)).pointsBalance;
          const debt = (await orders.debt(member.id)).points;
          expect(balance).toBeGreaterThanOrEqual(0);
          expect(debt).toBeGreaterThanOrEqual(0);
          if (debt > 0) expect(balance).toBe(0);
          expect(balance - debt).toBe(earned - reversed - spent);
        }
      }),
      { numRuns: 25 },
    );
    expect(await checkLedger(db)).toEqual({ unbalancedTransactions: 0, negativeBalances: 0, mismatchedBalances: 0 });
  });
});
