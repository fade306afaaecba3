import type { Services } from '../main.js';
import type { Db } from '../schema.js';
import type { AgreementInput } from '../partners/index.js';

interface DemoPartner {
  code: string;
  name: string;
  requiresAccountLink?: boolean;
  agreements: AgreementInput[];
}

/**
 * The demo's partners: the ecosystem's own apps as official co-brands of 88VIP (kept out of the
 * competing JD PLUS), Tencent Video as JD PLUS's co-brand (kept out of 88VIP) whose cards are also
 * bought in bulk, and video and audio apps whose cards are only ever procured for the points mall.
 */
const PARTNERS: DemoPartner[] = [
  {
    code: 'youku',
    name: 'Youku',
    requiresAccountLink: true,
    agreements: [
      { kind: 'co_brand', revenueTerms: { wholesalePerMember: { amount: 1500, currency: 'CNY' } }, rules: { forbidPrograms: ['jd-plus'] }, note: '88VIP co-brand; not in a competing program' },
      { kind: 'procurement', note: 'monthly cards bought in bulk for the points mall' },
    ],
  },
  { code: 'eleme', name: 'Ele.me', agreements: [{ kind: 'co_brand', rules: { forbidPrograms: ['jd-plus'] }, note: '88VIP co-brand' }] },
  { code: 'xiami', name: 'Xiami Music', agreements: [{ kind: 'co_brand', note: '88VIP co-brand' }] },
  { code: 'taopiaopiao', name: 'Taopiaopiao', agreements: [{ kind: 'co_brand', rules: { forbidPrograms: ['jd-plus'] }, note: '88VIP co-brand' }] },
  {
    code: 'tencent-video',
    name: 'Tencent Video',
    agreements: [
      { kind: 'co_brand', revenueTerms: { sharePercent: 37.5 }, rules: { forbidPrograms: ['vip88'] }, note: 'JD PLUS joint card; never in 88VIP' },
      { kind: 'procurement', note: 'monthly cards bought in bulk for the points mall' },
    ],
  },
  ...(
    [
      ['iqiyi', 'iQIYI'],
      ['mango-tv', 'Mango TV'],
      ['netease-music', 'NetEase Cloud Music'],
      ['qq-music', 'QQ Music'],
      ['ximalaya', 'Ximalaya'],
    ] as const
  ).map(([code, name]) => ({
    code,
    name,
    agreements: [{ kind: 'procurement' as const, rules: { procurementOnly: true }, note: 'cards bought in bulk; no co-brand' }],
  })),
];

/** Registers the demo's partners and their agreements; a partner already there is left alone. */
export async function seedPartners(db: Db, services: Services): Promise<void> {
  await db.write(async (tx) => {
    for (const partner of PARTNERS) {
      const existing = await services.partners.get(partner.code, tx).catch(() => undefined);
      if (existing) continue;
      const created = await services.partners.create(tx, { code: partner.code, name: partner.name, requiresAccountLink: partner.requiresAccountLink ?? false });
      for (const agreement of partner.agreements) await services.partners.createAgreement(tx, created.id, agreement);
    }
  });
}
