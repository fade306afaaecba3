import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/demo/demo-seed.js';
import { startTestApp, type TestApp } from './helpers/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

describe('the demo mall', () => {
  it('seeds a 10,000-code Tencent-Video-like pool behind internal → 10% → everyone, and other memberships', async () => {
    const { tessera } = app;
    await seedDemo(tessera.db, tessera.services, tessera.clock, { members: 40 });
    const pools = await app.call('GET', '/v1/pools?limit=100');
    const tencent = pools.body.data.find((p: { name: string }) => p.name.startsWith('Tencent Video'));
    expect(tencent).toMatchObject({ total: 10_000, unitCost: { amount: 1500, currency: 'CNY' }, partnerId: 'tencent-video' });
    expect(pools.body.data.length).toBeGreaterThanOrEqual(5);

    const items = await app.call('GET', '/v1/catalog/items?limit=100');
    const card = items.body.data.find((i: { poolId: string }) => i.poolId === tencent.id);
    expect(card.rolloutId).toBeTruthy();
    const rollout = await app.call('GET', `/v1/rollouts/${card.rolloutId}`);
    expect(rollout.body.steps.map((s: { stage: string }) => s.stage)).toEqual(['internal', 'percentage', 'everyone']);
    expect(rollout.body.steps[2]).toMatchObject({ timeZone: 'Asia/Shanghai', localTime: expect.stringMatching(/-11-10T00:00$/) });
    expect(rollout.body.allowlistSize).toBe(5);

    const report = await app.call('GET', `/v1/pools/${tencent.id}/cost-report`);
    expect(report.body.totals[0].issuedCost + report.body.totals[0].stockValue).toBe(10_000 * 1500);
  });
});
