import type { Services } from '../main.js';
import type { Clock } from '../platform/clock.js';
import type { Db } from '../schema.js';
import { seedPartners } from './demo-partners.js';

const DAY = 24 * 60 * 60 * 1000;
const cny = (amount: number) => ({ amount, currency: 'CNY' });

export interface MembershipsReport {
  orders: number;
  subscriptions: number;
  jointSubscriptions: number;
}

/** The 88VIP-like programme: own-app benefits, the 5% discount, the plan at 88 / 888 yuan, an earning rule and the JD-PLUS-like joint card. */
export async function seedMembershipProgram(db: Db, services: Services): Promise<void> {
  await seedPartners(db, services);
  if (await services.plans.findIdByCode(db.read, 'vip88')) return;
  await db.write(async (tx) => {
    await services.loyalty.setRules(tx, { windowDays: 365, currency: 'CNY', spendPerPoint: 1000, perOrder: 2, perActiveDay: 1, maxScore: 100_000 });
    const ownApps = [
      { code: 'youku-vip', name: 'Youku VIP, annual', partner: 'youku', membership: 'Youku VIP annual' },
      { code: 'eleme-svip', name: 'Ele.me SVIP, annual', partner: 'eleme', membership: 'Ele.me SVIP annual' },
      { code: 'xiami-vip', name: 'Xiami Music VIP, annual', partner: 'xiami', membership: 'Xiami VIP annual' },
      { code: 'taopiaopiao-vip', name: 'Taopiaopiao member, annual', partner: 'taopiaopiao', membership: 'Taopiaopiao annual' },
    ];
    const benefitIds: string[] = [];
    for (const app of ownApps) benefitIds.push((await services.benefits.create(tx, { ...app, kind: 'partner_membership' })).id);
    benefitIds.push(
      (
        await services.benefits.create(tx, {
          code: 'tmall-selected-5',
          name: '5% off selected Tmall goods',
          kind: 'discount',
          percentBp: 500,
          categories: ['tmall-selected'],
          maxDiscount: cny(50_000),
        })
      ).id,
    );
    const plan = await services.plans.create(tx, {
      code: 'vip88',
      name: '88VIP',
      term: 'P1Y',
      currency: 'CNY',
      prices: [{ minLoyaltyScore: 1000, amount: cny(8_800) }, { amount: cny(88_800) }],
      benefitIds,
    });
    await services.orders.createRule(tx, { name: '1 point per yuan', kind: 'base', currency: 'CNY', pointsPerYuan: 1 });
    await services.orders.createRule(tx, { name: 'Double points on selected Tmall goods', kind: 'category', category: 'tmall-selected', multiplierBp: 20_000 });
    await services.orders.createRule(tx, { name: '88VIP members earn ×1.5', kind: 'plan', planId: plan.id, multiplierBp: 15_000 });

    const tencent = await services.benefits.create(tx, {
      code: 'tencent-video-annual',
      name: 'Tencent Video VIP, annual',
      kind: 'partner_membership',
      partner: 'tencent-video',
      membership: 'Tencent Video VIP annual',
    });
    const jdPlus = await services.plans.create(tx, { code: 'jd-plus', name: 'JD PLUS', term: 'P1Y', currency: 'CNY', prices: [{ amount: cny(14_900) }] });
    await services.joint.create(tx, {
      code: 'jd-plus-tencent-video',
      name: 'JD PLUS × Tencent Video annual card',
      planId: jdPlus.id,
      price: cny(13_600),
      benefitIds: [tencent.id],
      split: [
        { party: 'jd', percent: 62.5 },
        { party: 'tencent-video', percent: 37.5 },
      ],
    });
  });
}

/**
 * Shoppers' orders over the past year (so their loyalty scores are real), and subscriptions:
 * the loyal ones buy 88VIP at 88 yuan, a few others at 888, some take the joint card; partners
 * have activated most of the memberships they owe.
 */
export async function seedMembershipActivity(db: Db, services: Services, clock: Clock, next: () => number): Promise<MembershipsReport> {
  const report: MembershipsReport = { orders: 0, subscriptions: 0, jointSubscriptions: 0 };
  const vip = await services.plans.findIdByCode(db.read, 'vip88');
  const joint = await services.joint.findByCode(db.read, 'jd-plus-tencent-video');
  if (!vip || !joint) return report;
  const categories = ['tmall-selected', 'groceries', 'electronics', 'fashion', 'home'];
  let cursor: string | undefined;
  for (;;) {
    const page = await services.members.list(100, cursor);
    for (const member of page.data) {
      const heavy = next() < 0.35;
      const orders = heavy ? 10 + Math.floor(next() * 12) : 1 + Math.floor(next() * 5);
      const now = clock.now();
      await db.write(async (tx) => {
        for (let o = 0; o < orders; o++) {
          const amount = heavy ? 30_000 + Math.floor(next() * 120_000) : 2_000 + Math.floor(next() * 30_000);
          await services.orders.create(tx, {
            memberId: member.id,
            externalId: `demo-${member.externalId}-${o + 1}`,
            amount: cny(amount),
            category: categories[Math.floor(next() * categories.length)]!,
            paidAt: now - Math.floor(next() * 360 * DAY),
          });
          report.orders++;
        }
      });
      const wantsVip = heavy ? next() < 0.8 : next() < 0.08;
      const wantsJoint = next() < 0.12;
      await db.write(async (tx) => {
        if (wantsVip) {
          const sub = await services.subscriptions.create(tx, { memberId: member.id, planId: vip });
          report.subscriptions++;
          for (const e of sub.entitlements) {
            if (e.status !== 'pending' || next() >= 0.7) continue;
            // The partner confirms through its API, as a real one would.
            const partnerRef = e.kind === 'partner_membership' ? (await services.benefits.getBenefit(e.benefitId)).partner : undefined;
            const partner = partnerRef === undefined ? undefined : await services.partners.get(partnerRef, tx).catch(() => undefined);
            if (partner) await services.activations.confirm(tx, partner.id, e.id, { partnerReference: `demo-${e.id}` });
            else await services.benefits.markFulfilled(tx, e.id, { reference: `demo-${e.id}` }, 'activated by the partner');
          }
        }
        if (wantsJoint) {
          await services.joint.purchase(tx, joint.id, member.id);
          report.jointSubscriptions++;
        }
      });
    }
    if (!page.hasMore) break;
    cursor = page.data.at(-1)!.id;
  }
  return report;
}
