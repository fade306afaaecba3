import { seedMall } from '../demo/demo-mall.js';
import { seedMembershipProgram } from '../demo/demo-memberships.js';
import type { Services } from '../main.js';
import type { ManualClock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Db } from '../schema.js';
import { Random } from './random.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Partners of the story and the share (per 100 new members) who become their active users within 30 days. */
export const DEFAULT_CONVERSION: Readonly<Record<string, { name: string; per100: number }>> = {
  youku: { name: 'Youku', per100: 38 },
  eleme: { name: 'Ele.me', per100: 32 },
  taopiaopiao: { name: 'Taopiaopiao', per100: 27 },
};

export interface SimulationOptions {
  members: number;
  days: number;
  seed: number;
  /** The simulation's last instant (default: the clock's now when it starts); it begins `days` before. */
  endAt?: number;
  /** Per 100 new members, by partner code; partners missing from the database are created. */
  conversion?: Record<string, number>;
  onProgress?: (day: number, days: number) => void;
}

export interface SimulationReport {
  members: number;
  days: number;
  memberDays: number;
  orders: number;
  spend: number;
  subscriptions: { at88: number; at888: number; other: number; joint: number };
  renewals: number;
  cancellations: number;
  redemptions: { attempts: number; succeeded: number; onDoubleEleven: number };
  activations: Record<string, number>;
  seconds: number;
  memberDaysPerSecond: number;
}

interface SimMember {
  id: string | null;
  index: number;
  signupDay: number;
  /** Orders per day: heavy-tailed across members. */
  rate: number;
  /** Log of the member's median order size in fen. */
  mu: number;
  /** How keen on the membership: scales the daily chance to subscribe. */
  affinity: number;
  subscriptionId: string | null;
  leaving: boolean;
  joined: boolean;
  /** The simulator's own tally, to guess the member's loyalty score (spend ÷ 10 yuan + 2 per order + 1 per active day). */
  spend: number;
  orders: number;
  activeDays: number;
}

interface PendingActivation {
  at: number;
  partnerId: string;
  code: string;
  member: SimMember;
}

const CATEGORIES = ['tmall-selected', 'groceries', 'electronics', 'fashion', 'home'] as const;

function isDoubleEleven(dayStart: number): boolean {
  // The Shanghai date of the day's business hours.
  const d = new Date(dayStart + 12 * HOUR);
  return d.getUTCMonth() === 10 && d.getUTCDate() === 11;
}

async function attempt<T>(work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError) return undefined;
    throw error;
  }
}

/**
 * Grows a synthetic ecosystem through the services, on a manual clock moved day by day:
 * sign-ups, orders (log-normal sizes, heavy-tailed activity), loyalty scores rising with them,
 * 88VIP subscriptions at 88 or 888 yuan by score and some joint cards, cancellations and
 * renewals, exchanges in the points mall with a rush on Double Eleven, and partners reporting
 * members who became their active users. The same seed gives the same counts and sums.
 */
export async function simulate(db: Db, services: Services, clock: ManualClock, options: SimulationOptions): Promise<SimulationReport> {
  const started = Date.now();
  const random = new Random(options.seed);
  const endAt = options.endAt ?? clock.now();
  const start = Math.floor((endAt - options.days * DAY) / DAY) * DAY;
  clock.set(start);
  const run = newId('sim').slice(-8).toLowerCase();

  await seedMembershipProgram(db, services);
  const planId = await services.plans.findIdByCode(db.read, 'vip88');
  const joint = await services.joint.findByCode(db.read, 'jd-plus-tencent-video');
  if (!planId) throw new Error('The 88VIP-like plan (vip88) is missing');
  let items = (await services.catalog.list({ limit: 100 })).data.filter((i) => i.rolloutId === null && i.status === 'active');
  if (items.length === 0) {
    await seedMall(db, services, clock, () => random.next());
    items = (await services.catalog.list({ limit: 100 })).data.filter((i) => i.rolloutId === null && i.status === 'active');
  }
  items.sort((a, b) => a.pointsPrice - b.pointsPrice || a.name.localeCompare(b.name));
  const cheapest = items[0]?.pointsPrice ?? Number.POSITIVE_INFINITY;

  const conversion = options.conversion ?? Object.fromEntries(Object.entries(DEFAULT_CONVERSION).map(([code, p]) => [code, p.per100]));
  // Each partner converts its share of the joiners in turn (an accumulator started at a random
  // phase), so any run of joiners converts within one member of the configured rate.
  const partners: Array<{ id: string; code: string; per100: number; due: number }> = [];
  for (const [code, per100] of Object.entries(conversion).sort((a, b) => a[0].localeCompare(b[0]))) {
    const existing = await attempt(() => services.partners.get(code));
    const partner = existing ?? (await db.write((tx) => services.partners.create(tx, { code, name: DEFAULT_CONVERSION[code]?.name ?? code })));
    partners.push({ id: partner.id, code, per100, due: random.next() });
  }

  // Sign-ups grow over the period (more joining towards the end), each member with their own habits.
  // A quarter are heavy shoppers (the 88VIP kind: an order most days, baskets of a few hundred
  // yuan, so their loyalty score passes 1,000 within weeks); the rest order now and then.
  const members: SimMember[] = Array.from({ length: options.members }, (_, index) => {
    const heavy = random.chance(0.25);
    const rate = heavy ? Math.min(2, random.logNormal(Math.log(0.5), 0.4)) : Math.min(1, random.logNormal(-3.3, 1.0));
    return {
      id: null,
      index,
      signupDay: Math.min(options.days - 1, Math.floor(options.days * Math.pow(random.next(), 0.8))),
      rate,
      mu: heavy ? Math.log(25_000) + 0.4 * random.normal() : Math.log(8_000) + 0.5 * random.normal(),
      affinity: random.logNormal(0, 0.6),
      subscriptionId: null,
      leaving: false,
      joined: false,
      spend: 0,
      orders: 0,
      activeDays: 0,
    };
  });
  const bySignup = new Map<number, SimMember[]>();
  for (const m of members) {
    const day = bySignup.get(m.signupDay);
    if (day) day.push(m);
    else bySignup.set(m.signupDay, [m]);
  }

  const report: SimulationReport = {
    members: options.members,
    days: options.days,
    memberDays: 0,
    orders: 0,
    spend: 0,
    subscriptions: { at88: 0, at888: 0, other: 0, joint: 0 },
    renewals: 0,
    cancellations: 0,
    redemptions: { attempts: 0, succeeded: 0, onDoubleEleven: 0 },
    activations: Object.fromEntries(partners.map((p) => [p.code, 0])),
    seconds: 0,
    memberDaysPerSecond: 0,
  };
  const active: SimMember[] = [];
  let pending: PendingActivation[] = [];
  let orderSeq = 0;

  for (let day = 0; day < options.days; day++) {
    const dayStart = start + day * DAY;
    const rush = isDoubleEleven(dayStart);

    // Sign-ups, in the morning.
    const joining = bySignup.get(day) ?? [];
    if (joining.length > 0) {
      clock.set(dayStart + 8 * HOUR);
      await db.write(async (tx) => {
        for (const m of joining) {
          m.id = (await services.members.create(tx, { externalId: `sim-${options.seed}-${run}-${m.index + 1}`, displayName: `Simulated member ${m.index + 1}` })).id;
        }
      });
      active.push(...joining);
    }
    report.memberDays += active.length;

    // Orders through the day: more of them on Double Eleven.
    clock.set(dayStart + 22 * HOUR);
    const orders: Array<{ member: SimMember; amount: number; paidAt: number; category: string }> = [];
    for (const m of active) {
      const count = random.poisson(m.rate * (rush ? 4 : 1));
      for (let k = 0; k < count; k++) {
        const amount = Math.max(100, Math.min(5_000_000, Math.round(random.logNormal(m.mu, 0.9))));
        orders.push({ member: m, amount, paidAt: dayStart + 9 * HOUR + random.int(13 * HOUR), category: random.pick(CATEGORIES) });
        m.spend += amount;
        m.orders++;
      }
      if (count > 0) m.activeDays++;
    }
    if (orders.length > 0) {
      await db.write(async (tx) => {
        for (const o of orders) {
          await services.orders.create(tx, {
            memberId: o.member.id!,
            externalId: `sim-${run}-${++orderSeq}`,
            amount: { amount: o.amount, currency: 'CNY' },
            category: o.category,
            paidAt: o.paidAt,
          });
        }
      });
      report.orders += orders.length;
      report.spend += orders.reduce((s, o) => s + o.amount, 0);
    }

    // Subscriptions in the evening: keener and higher-scored members more likely; the price follows the score.
    clock.set(dayStart + 22 * HOUR + 30 * 60_000);
    for (const m of active) {
      if (m.subscriptionId !== null || m.leaving) continue;
      // Loyal members wait for the 88-yuan price (score ≥ 1,000); others buy now and then at 888.
      const score = Math.floor(m.spend / 1_000) + 2 * m.orders + m.activeDays;
      if (!random.chance((score >= 1_000 ? 0.08 : 0.003) * m.affinity * (rush ? 3 : 1))) continue;
      const useJoint = joint !== undefined && random.chance(0.1);
      const sub = await attempt(() =>
        db.write((tx) => (useJoint ? services.joint.purchase(tx, joint.id, m.id!) : services.subscriptions.create(tx, { memberId: m.id!, planId }))),
      );
      if (!sub) continue;
      m.subscriptionId = sub.id;
      if (useJoint) report.subscriptions.joint++;
      else if (sub.price.amount === 8_800) report.subscriptions.at88++;
      else if (sub.price.amount === 88_800) report.subscriptions.at888++;
      else report.subscriptions.other++;
      if (!m.joined) {
        m.joined = true;
        const joinedAt = clock.now();
        for (const p of partners) {
          p.due += p.per100 / 100;
          if (p.due < 1) continue;
          p.due -= 1;
          // Most become active in the first days; all within three weeks.
          const delay = Math.floor(random.next() * random.next() * 21 * DAY);
          pending.push({ at: joinedAt + 60_000 + delay, partnerId: p.id, code: p.code, member: m });
        }
      }
    }

    // Some cancel: mostly at the period's end (they churn at renewal), a few at once.
    clock.set(dayStart + 23 * HOUR);
    for (const m of active) {
      if (m.subscriptionId === null || m.leaving || !random.chance(0.002)) continue;
      const atPeriodEnd = random.chance(0.7);
      const subId = m.subscriptionId;
      const done = await attempt(() => db.write((tx) => services.subscriptions.cancel(tx, subId, { atPeriodEnd })));
      if (!done) continue;
      report.cancellations++;
      if (atPeriodEnd) m.leaving = true;
      else m.subscriptionId = null;
    }

    // Exchanges in the points mall, rushing on Double Eleven.
    clock.set(dayStart + 23 * HOUR + 15 * 60_000);
    for (const m of active) {
      if (!random.chance(rush ? 0.3 : 0.02)) continue;
      const { pointsBalance } = await services.members.get(m.id!);
      if (pointsBalance < cheapest) continue;
      const affordable = items.filter((i) => i.pointsPrice <= pointsBalance);
      const item = random.pick(affordable);
      report.redemptions.attempts++;
      const receipt = await attempt(() => db.write((tx) => services.redemptions.redeem(tx, { memberId: m.id!, itemId: item.id })));
      if (receipt) {
        report.redemptions.succeeded++;
        if (rush) report.redemptions.onDoubleEleven++;
      }
    }

    // Partners report the members who became their active users that day.
    const dayEnd = dayStart + DAY;
    const due = pending.filter((a) => a.at < dayEnd);
    pending = pending.filter((a) => a.at >= dayEnd);
    if (due.length > 0) {
      clock.set(dayStart + 23 * HOUR + 30 * 60_000);
      const reportAt = due.reduce((latest, a) => Math.max(latest, a.at), clock.now());
      clock.set(reportAt);
      await db.write(async (tx) => {
        for (const a of due) {
          await services.partners.reportActivity(tx, a.partnerId, {
            memberId: a.member.id!,
            kind: 'became_active',
            occurredAt: a.at,
            externalId: `sim-${run}-${a.code}-${a.member.index + 1}`,
          });
          report.activations[a.code] = (report.activations[a.code] ?? 0) + 1;
        }
      });
    }

    // Renewals and ends due by the day's end.
    clock.set(dayEnd - 1);
    const renewed = await services.subscriptions.runDue();
    report.renewals += renewed.renewed;
    for (const m of active) {
      if (m.leaving && m.subscriptionId !== null && renewed.ended + renewed.expired > 0) {
        const sub = await services.subscriptions.get(m.subscriptionId);
        if (sub.status === 'canceled' || sub.status === 'expired') {
          m.subscriptionId = null;
          m.leaving = false;
        }
      }
    }
    options.onProgress?.(day + 1, options.days);
  }

  clock.set(Math.max(clock.now(), endAt));
  report.seconds = (Date.now() - started) / 1000;
  report.memberDaysPerSecond = Math.round(report.memberDays / Math.max(report.seconds, 0.001));
  return report;
}
