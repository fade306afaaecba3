import type { Services } from '../main.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../schema.js';
import { seedMall } from './demo-mall.js';
import { seedMembershipActivity, seedMembershipProgram } from './demo-memberships.js';

const DAY = 24 * 60 * 60 * 1000;

/** A small deterministic generator, so every fresh install shows the same demo. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SeedReport {
  members: number;
  transactions: number;
}

/**
 * The demo ecosystem's members and their points: shoppers who earned on orders (some points
 * expiring), spent some in the mall, and one whose lapsed points were expired.
 */
export async function seedDemo(
  db: Db,
  services: Services,
  clock: Clock,
  options: { members?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<SeedReport | undefined> {
  const existing = await services.members.list(1);
  if (existing.data.length > 0) return undefined;
  const total = options.members ?? 200;
  const next = random(88);
  await seedMembershipProgram(db, services);
  let transactions = 0;
  for (let i = 0; i < total; i++) {
    await db.write(async (tx) => {
      const member = await services.members.create(tx, {
        externalId: `demo-shopper-${String(i + 1).padStart(4, '0')}`,
        displayName: `Demo shopper ${i + 1}`,
      });
      const orders = 1 + Math.floor(next() * 6);
      for (let o = 0; o < orders; o++) {
        const points = 50 + Math.floor(next() * 950);
        const expires = next() < 0.5 ? clock.now() + (30 + Math.floor(next() * 335)) * DAY : null;
        await services.ledger.earn(tx, member.id, { points, reason: `demo order ${o + 1}`, expiresAt: expires });
        transactions++;
      }
      if (next() < 0.4) {
        const { pointsBalance } = await services.members.get(member.id, tx);
        const spend = Math.floor(pointsBalance * next() * 0.8);
        if (spend > 0) {
          await services.ledger.spend(tx, member.id, { points: spend, reason: 'demo mall exchange' });
          transactions++;
        }
      }
    });
    options.onProgress?.(i + 1, total);
  }
  await seedMall(db, services, clock, next);
  await seedMembershipActivity(db, services, clock, next);
  return { members: total, transactions };
}
