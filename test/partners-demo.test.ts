import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/demo/demo-seed.js';
import { startTestApp, type TestApp } from './helpers/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await seedDemo(app.tessera.db, app.tessera.services, app.tessera.clock, { members: 30 });
});
afterAll(async () => {
  await app.close();
});

describe('the demo ecosystem with partners', () => {
  it('registers the partners with their agreements, and the seed respects them', async () => {
    const partners = await app.call('GET', '/v1/partners?limit=100');
    const codes = partners.body.data.map((p: { code: string }) => p.code);
    for (const code of ['youku', 'eleme', 'xiami', 'taopiaopiao', 'tencent-video', 'iqiyi']) expect(codes).toContain(code);
    const youku = await app.call('GET', '/v1/partners/youku');
    expect(youku.body.requiresAccountLink).toBe(true);
    const agreements = await app.call('GET', '/v1/partners/tencent-video/agreements');
    expect(agreements.body.data.map((a: { kind: string }) => a.kind).sort()).toEqual(['co_brand', 'procurement']);

    // Tencent Video may not join 88VIP; iQIYI is procurement only.
    const tencentBenefit = (await app.call('GET', '/v1/benefits')).body.data.find((b: { code: string }) => b.code === 'tencent-video-annual');
    const vip = (await app.call('GET', '/v1/plans')).body.data.find((p: { code: string }) => p.code === 'vip88');
    const refused = await app.call('POST', `/v1/plans/${vip.id}/versions`, { benefitIds: [tencentBenefit.id] });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('exclusivity_violation');
    const coBrand = await app.call('POST', '/v1/benefits', { code: 'iqiyi-vip', name: 'iQIYI VIP', kind: 'partner_membership', partner: 'iqiyi' });
    expect(coBrand.body.error.code).toBe('exclusivity_violation');

    // Memberships went through the activation flow: confirmed ones, and Youku's waiting for account links.
    const confirmed = await app.call('GET', '/v1/activations?status=confirmed&limit=100');
    const waiting = await app.call('GET', '/v1/activations?status=awaiting_link&limit=100');
    expect(confirmed.body.data.length + waiting.body.data.length).toBeGreaterThan(0);
    const youkuId = youku.body.id;
    for (const a of waiting.body.data) expect(a.partnerId).toBe(youkuId);
  });
});
