import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/platform/clock.js';
import { simulate, type SimulationReport } from '../src/simulator/index.js';
import { startTestApp, type TestApp } from './helpers/app.js';

const END = Date.parse('2026-11-24T12:00:00Z');
const apps: TestApp[] = [];

afterAll(async () => {
  for (const app of apps) await app.close();
});

/** What the database holds after a simulation: counts and sums that must not depend on ids. */
async function figures(app: TestApp) {
  const db = app.tessera.db.read;
  const one = async (query: ReturnType<typeof sql<{ n: number | string | null }>>) => Number((await query.execute(db)).rows[0]?.n ?? 0);
  const perPartner = await sql<{ code: string; n: number | string }>`
    select p.code, count(*) as n from partner_activities a join partners p on p.id = a.partner_id group by p.code order by p.code`.execute(db);
  return {
    members: await one(sql`select count(*) as n from members`),
    orders: await one(sql`select count(*) as n from orders`),
    spend: await one(sql`select sum(amount) as n from orders`),
    points: await one(sql`select sum(balance) as n from point_accounts`),
    subscriptions88: await one(sql`select count(*) as n from subscriptions where price_amount = 8800`),
    subscriptions888: await one(sql`select count(*) as n from subscriptions where price_amount = 88800`),
    subscriptionsLive: await one(sql`select count(*) as n from subscriptions where ended_at is null`),
    redemptions: await one(sql`select count(*) as n from redemptions`),
    activities: Object.fromEntries(perPartner.rows.map((r) => [r.code, Number(r.n)])),
  };
}

async function run(options: { members: number; days: number; seed: number; conversion?: Record<string, number> }): Promise<{ app: TestApp; report: SimulationReport }> {
  const clock = new ManualClock(END);
  const app = await startTestApp({ clock });
  apps.push(app);
  const report = await simulate(app.tessera.db, app.tessera.services, clock, { ...options, endAt: END });
  return { app, report };
}

const comparable = (r: SimulationReport) => ({ ...r, seconds: 0, memberDaysPerSecond: 0 });

describe('tessera simulate', () => {
  it('gives the same ecosystem for the same seed, and another for another seed', async () => {
    const first = await run({ members: 150, days: 60, seed: 42 });
    const again = await run({ members: 150, days: 60, seed: 42 });
    const other = await run({ members: 150, days: 60, seed: 43 });
    const a = await figures(first.app);
    expect(a.members).toBe(150);
    expect(a.orders).toBeGreaterThan(50);
    expect(a.subscriptions88 + a.subscriptions888).toBeGreaterThan(5);
    expect(await figures(again.app)).toEqual(a);
    expect(comparable(again.report)).toEqual(comparable(first.report));
    expect(first.report.memberDays).toBeGreaterThan(0);
    const b = await figures(other.app);
    expect(b).not.toEqual(a);
    expect(b.spend).not.toBe(a.spend);
  });

  it('lands near 38 / 32 / 27 per 100 new members by default, as the analytics API reports it', async () => {
    const { app, report } = await run({ members: 600, days: 120, seed: 7 });
    // Members who joined early enough for their 30 days (activations come within 21) to have passed.
    const from = new Date(END - 120 * 86_400_000).toISOString();
    const to = new Date(END - 22 * 86_400_000).toISOString();
    const response = await app.call('GET', `/v1/analytics/conversion?from=${from}&to=${to}&withinDays=30`);
    expect(response.status).toBe(200);
    expect(response.body.cohortSize, JSON.stringify(response.body)).toBeGreaterThan(50);
    const per100 = Object.fromEntries(response.body.partners.map((p: { partnerCode: string; per100: number }) => [p.partnerCode, p.per100]));
    expect(Math.abs(per100.youku - 38)).toBeLessThanOrEqual(6);
    expect(Math.abs(per100.eleme - 32)).toBeLessThanOrEqual(6);
    expect(Math.abs(per100.taopiaopiao - 27)).toBeLessThanOrEqual(6);
    expect(report.redemptions.onDoubleEleven).toBeGreaterThan(0);

    // The other dashboards have numbers too.
    const members = await app.call('GET', `/v1/analytics/members?from=${from}&interval=week`);
    expect(members.body.totals.registered).toBe(600);
    expect(members.body.totals.subscribers).toBeGreaterThan(0);
    const spend = await app.call('GET', `/v1/analytics/spend?from=${from}`);
    expect(spend.body.members.perMember.amount).toBeGreaterThan(spend.body.nonMembers.perMember.amount);
  });

  it('takes configured conversion rates', async () => {
    const { report } = await run({ members: 80, days: 30, seed: 5, conversion: { youku: 100, eleme: 0 } });
    const joined = report.subscriptions.at88 + report.subscriptions.at888 + report.subscriptions.other + report.subscriptions.joint;
    expect(joined).toBeGreaterThan(0);
    expect(report.activations.eleme).toBe(0);
    expect(report.activations.youku).toBeGreaterThan(0);
  });
});
