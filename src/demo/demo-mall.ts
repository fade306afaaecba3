import type { Services } from '../main.js';
import type { Clock } from '../platform/clock.js';
import { AppError } from '../platform/errors.js';
import type { Db } from '../schema.js';

const DAY = 24 * 60 * 60 * 1000;
const CODE_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export interface MallReport {
  pools: number;
  codes: number;
  items: number;
  redemptions: number;
}

/** Partner memberships bought in bulk and offered in the points mall, Alipay style. */
const OFFERS = [
  { name: 'iQIYI VIP monthly card', partner: 'iqiyi', code: 'IQY', unit: 1500, codes: 600, points: 1500 },
  { name: 'Youku VIP monthly card', partner: 'youku', code: 'YK', unit: 1200, codes: 600, points: 1200 },
  { name: 'Mango TV monthly card', partner: 'mango-tv', code: 'MGT', unit: 1500, codes: 300, points: 1500 },
  { name: 'NetEase Cloud Music Black Vinyl monthly', partner: 'netease-music', code: 'NCM', unit: 800, codes: 400, points: 800 },
  { name: 'QQ Music Green Diamond monthly', partner: 'qq-music', code: 'QQM', unit: 1000, codes: 400, points: 1000 },
  { name: 'Ximalaya VIP monthly', partner: 'ximalaya', code: 'XMLY', unit: 1200, codes: 200, points: 1200 },
];

function codeMaker(next: () => number) {
  return (prefix: string, i: number) => {
    let body = '';
    for (let c = 0; c < 12; c++) body += CODE_CHARS[Math.floor(next() * CODE_CHARS.length)];
    return `${prefix}-${body}-${String(i).padStart(5, '0')}`;
  };
}

async function stockPool(
  db: Db,
  services: Services,
  pool: { name: string; partnerId: string; unitCost: number; lowStockThreshold: number },
  codes: string[],
  expiresAt: number,
  purchasedAt: number,
): Promise<string> {
  const created = await db.write((tx) =>
    services.pools.create(tx, {
      name: pool.name,
      partnerId: pool.partnerId,
      supplier: 'Bulk card wholesaler (demo)',
      unitCost: { amount: pool.unitCost, currency: 'CNY' },
      lowStockThreshold: pool.lowStockThreshold,
    }),
  );
  const batch = await db.write((tx) => services.pools.startBatch(tx, created.id, { expiresAt, purchasedAt }));
  for (let i = 0; i < codes.length; i += 5000) {
    await db.write((tx) => services.pools.addToBatch(tx, batch, codes.slice(i, i + 5000)));
  }
  return created.id;
}

/**
 * The demo's mall: a Tencent-Video-like monthly card pool (10,000 codes at 15 yuan each) offered
 * for points behind a gray release (staff → 10% → everyone, on the eve of Double Eleven in
 * Shanghai time), several other video and audio memberships, and a few exchanges already made.
 */
export async function seedMall(db: Db, services: Services, clock: Clock, next: () => number): Promise<MallReport> {
  const now = clock.now();
  const makeCode = codeMaker(next);
  const expiresAt = now + 365 * DAY;
  const purchasedAt = now - 7 * DAY;
  let codes = 0;

  const tencentCodes = Array.from({ length: 10_000 }, (_, i) => makeCode('TXV', i));
  const tencentPool = await stockPool(
    db,
    services,
    { name: 'Tencent Video VIP monthly card', partnerId: 'tencent-video', unitCost: 1500, lowStockThreshold: 500 },
    tencentCodes,
    expiresAt,
    purchasedAt,
  );
  codes += tencentCodes.length;

  // Staff: the first demo members, on the internal allowlist.
  const staff = (await services.members.list(100)).data.slice(-5).map((m) => m.id);
  const year = new Date(now + 8 * 60 * 60 * 1000).getUTCFullYear();
  const internalFrom = Math.min(now, Date.parse(`${year}-10-19T16:00:00Z`));
  const rollout = await db.write((tx) =>
    services.rollouts.create(
      tx,
      {
        name: 'Tencent Video card in the points mall',
        allowlist: staff,
        steps: [
          { stage: 'internal', startsAt: new Date(internalFrom).toISOString() },
          { stage: 'percentage', percentage: 10, startsAt: `${year}-11-01T00:00`, timeZone: 'Asia/Shanghai' },
          { stage: 'everyone', startsAt: `${year}-11-10T00:00`, timeZone: 'Asia/Shanghai' },
        ],
      },
      'demo-seed',
    ),
  );

  const items: string[] = [];
  const tencentItem = await db.write((tx) =>
    services.catalog.create(tx, {
      name: 'Tencent Video VIP monthly card',
      description: 'One month of Tencent Video VIP, delivered as an activation code.',
      pointsPrice: 1500,
      poolId: tencentPool,
      periodLimit: { count: 1, period: 'month' },
      timeZone: 'Asia/Shanghai',
      rolloutId: rollout.id,
    }),
  );
  items.push(tencentItem.id);

  for (const offer of OFFERS) {
    const list = Array.from({ length: offer.codes }, (_, i) => makeCode(offer.code, i));
    const poolId = await stockPool(
      db,
      services,
      { name: offer.name, partnerId: offer.partner, unitCost: offer.unit, lowStockThreshold: Math.floor(offer.codes / 10) },
      list,
      expiresAt,
      purchasedAt,
    );
    codes += list.length;
    const item = await db.write((tx) =>
      services.catalog.create(tx, { name: offer.name, pointsPrice: offer.points, poolId, perMemberLimit: 3, timeZone: 'Asia/Shanghai' }),
    );
    items.push(item.id);
  }

  // Some members have already exchanged points: whoever may, for a random item.
  let redemptions = 0;
  const members = (await services.members.list(100)).data;
  for (const member of members) {
    if (next() > 0.3) continue;
    const itemId = items[Math.floor(next() * items.length)]!;
    try {
      await db.write((tx) => services.redemptions.redeem(tx, { memberId: member.id, itemId }));
      redemptions++;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
    }
  }
  return { pools: OFFERS.length + 1, codes, items: items.length, redemptions };
}
