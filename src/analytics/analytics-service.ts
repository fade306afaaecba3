import { idFloor } from '../platform/ids.js';
import type { Clock } from '../platform/clock.js';
import { notFound } from '../platform/errors.js';
import type { Db } from '../schema.js';
import {
  bucketIndex,
  bucketsOf,
  DAY,
  dayOf,
  iso,
  isoDay,
  parseRange,
  round,
  share,
  type Bucket,
  type Interval,
  type Money,
} from './analytics.js';
import { SOURCES, type AnalyticsStore, type DayCount } from './analytics-store.js';

export interface AnalyticsOptions {
  /** Cost of one point in minor units of `pointCostCurrency` (default 1: 1 point = 1 fen). */
  pointCost?: number;
  pointCostCurrency?: string;
  /** Rows folded per write transaction by a refresh. */
  chunk?: number;
}

export interface RangeQuery {
  from?: string | undefined;
  to?: string | undefined;
}

const GRAIN = { day: 'd', week: 'w', month: 'm' } as const;

/** How long after its id was made a row may still commit (a write transaction's lifetime, with a wide margin). */
const LATE_MS = 10_000;

/**
 * The smallest id of `sample`'s type made LATE_MS ago. Ids carry the real time they were made
 * (platform/ids.ts uses the system clock, not the injected one), so this is real time too.
 */
function lateFloor(sample: string): string {
  const cut = sample.indexOf('_');
  if (cut < 0) return sample;
  return idFloor(sample.slice(0, cut), Date.now() - LATE_MS);
}

const minId = (a: string, b: string) => (a < b ? a : b);
const KINDS = ['earn', 'spend', 'expire', 'adjust', 'reversal'] as const;
const KIND_FIELD: Record<(typeof KINDS)[number], 'earned' | 'spent' | 'expired' | 'adjusted' | 'reversed'> = {
  earn: 'earned',
  spend: 'spent',
  expire: 'expired',
  adjust: 'adjusted',
  reversal: 'reversed',
};

function perBucket(buckets: Bucket[], rows: DayCount[]): number[] {
  const out = buckets.map(() => 0);
  for (const row of rows) {
    const i = bucketIndex(buckets, row.day);
    if (i >= 0) out[i]! += row.n;
  }
  return out;
}

/**
 * The operator's figures. The heavy ones come from rollup tables this service keeps up to
 * date from the rows past a watermark (ULID ids sort by creation), refreshed by a job and on
 * demand before an answer, so the write paths of other domains gain nothing.
 */
export class AnalyticsService {
  private refreshing: Promise<number> | undefined;
  readonly pointCost: Money;
  private readonly chunk: number;

  constructor(
    private readonly db: Db,
    private readonly store: AnalyticsStore,
    private readonly clock: Clock,
    options: AnalyticsOptions = {},
  ) {
    this.pointCost = { amount: options.pointCost ?? 1, currency: options.pointCostCurrency ?? 'CNY' };
    this.chunk = options.chunk ?? 100_000;
  }

  /** Folds every row written since the last refresh into the rollups; the number of rows' chunks folded. One refresh at a time per process. */
  refresh(onProgress?: (source: string, chunks: number) => void): Promise<number> {
    if (!this.refreshing) {
      this.refreshing = this.runRefresh(onProgress).finally(() => {
        this.refreshing = undefined;
      });
    }
    return this.refreshing;
  }

  /**
   * Brings the rollups up to date when anything was written since; cheap when nothing was (a
   * few index look-ups per source). Checked again after a refresh: one already running (the
   * job's) may have passed a source before the latest rows arrived.
   */
  async ensureFresh(): Promise<void> {
    for (let round = 0; round < 3 && (await this.stale()); round++) await this.refresh();
  }

  private async stale(): Promise<boolean> {
    const marks = await this.store.lastIds(this.db.read);
    for (const source of SOURCES) {
      const max = await this.store.maxId(this.db.read, source);
      if (max === null) continue;
      const lo = marks.get(source) ?? '';
      if (max > lo || (await this.store.pending(this.db.read, source, minId(lo, lateFloor(max))))) return true;
    }
    return false;
  }

  private async runRefresh(onProgress?: (source: string, chunks: number) => void): Promise<number> {
    let chunks = 0;
    for (const source of SOURCES) {
      for (;;) {
        const moved = await this.db.write(async (tx) => {
          const lo = await this.store.lockWatermark(tx, source);
          if (lo === undefined) return false;
          const max = await this.store.maxId(tx, source);
          if (max === null) return false;
          // Rows whose ids are a few seconds old may still be committing (concurrent writers):
          // those are looked at again, and the ids folded among them are remembered.
          const floor = lateFloor(max);
          const start = minId(lo, floor);
          const hi = await this.store.chunkEnd(tx, source, start, this.chunk);
          if (hi === null) return false;
          await this.store.fold(tx, source, start, hi);
          await this.store.remember(tx, source, start, hi, floor);
          await this.store.setWatermark(tx, source, hi > lo ? hi : lo, this.clock.now());
          return true;
        });
        if (!moved) break;
        chunks++;
        onProgress?.(source, chunks);
      }
    }
    return chunks;
  }

  async members(query: RangeQuery & { interval?: Interval | undefined }) {
    const interval = query.interval ?? 'day';
    const range = parseRange(query, this.clock.now(), 30);
    const buckets = bucketsOf(range, interval);
    await this.ensureFresh();
    const read = this.db.read;
    const first = buckets[0]!;
    const last = buckets[buckets.length - 1]!;
    const startMs = first.startDay * DAY;
    const endMs = last.endDay * DAY;
    const [registeredBase, registered, subsBase, starts, ends, joins, buyers] = await Promise.all([
      this.store.registeredBefore(read, first.startDay),
      this.store.registeredPerDay(read, first.startDay, last.endDay),
      this.store.liveSubscriptionsAt(read, startMs),
      this.store.subscriptionStartsPerDay(read, startMs, endMs),
      this.store.subscriptionEndsPerDay(read, startMs, endMs),
      this.store.joinsPerDay(read, startMs, endMs),
      this.store.buyers(read, GRAIN[interval], first.startDay, last.endDay),
    ]);
    const newRegistered = perBucket(buckets, registered);
    const started = perBucket(buckets, starts);
    const ended = perBucket(buckets, ends);
    const joined = perBucket(buckets, joins);
    const active = perBucket(buckets, buyers.map((b) => ({ day: b.bucket, n: b.n })));
    let total = registeredBase;
    let live = subsBase;
    const series = buckets.map((b, i) => {
      total += newRegistered[i]!;
      live += started[i]! - ended[i]!;
      return {
        start: iso(b.startDay * DAY),
        end: iso(b.endDay * DAY),
        registered: total,
        newRegistered: newRegistered[i]!,
        subscribers: live,
        newSubscribers: joined[i]!,
        active: active[i]!,
      };
    });
    return {
      from: iso(range.from),
      to: iso(range.to),
      interval,
      totals: {
        registered: total,
        subscribers: live,
        newRegistered: newRegistered.reduce((a, b) => a + b, 0),
        newSubscribers: joined.reduce((a, b) => a + b, 0),
      },
      series,
    };
  }

  async retention(query: RangeQuery & { planId?: string | undefined }) {
    const range = parseRange(query, this.clock.now(), 365);
    if (query.planId !== undefined && !(await this.store.planExists(this.db.read, query.planId))) throw notFound('plan', query.planId, 'planId');
    const rows = await this.store.cohorts(this.db.read, range.from, range.to, query.planId);
    const byMonth = new Map<number, { size: number; live: number; atLeast: Map<number, number> }>();
    for (const row of rows) {
      const cohort = byMonth.get(row.month) ?? { size: 0, live: 0, atLeast: new Map<number, number>() };
      cohort.size += row.n;
      if (row.live) cohort.live += row.n;
      for (let k = 1; k <= row.periodIndex; k++) cohort.atLeast.set(k, (cohort.atLeast.get(k) ?? 0) + row.n);
      byMonth.set(row.month, cohort);
    }
    const cohorts = [...byMonth.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([month, c]) => ({
        cohort: isoDay(month).slice(0, 7),
        start: iso(month * DAY),
        size: c.size,
        live: c.live,
        liveShare: share(c.live, c.size),
        renewals: [...c.atLeast.entries()].sort((a, b) => a[0] - b[0]).map(([term, renewed]) => ({ term, renewed, share: share(renewed, c.size) })),
      }));
    return { from: iso(range.from), to: iso(range.to), planId: query.planId ?? null, cohorts };
  }

  async spend(query: RangeQuery & { currency?: string | undefined }) {
    const currency = query.currency ?? 'CNY';
    const range = parseRange(query, this.clock.now(), 30);
    await this.ensureFresh();
    const read = this.db.read;
    const toDay = Math.ceil(range.to / DAY);
    const [segments, subscribers, registered] = await Promise.all([
      this.store.spend(read, dayOf(range.from), toDay, currency),
      this.store.subscribersDuring(read, range.from, range.to),
      this.store.registeredBefore(read, toDay),
    ]);
    const side = (segment: string, count: number) => {
      const s = segments.get(segment) ?? { orders: 0, amount: 0 };
      return {
        count,
        orders: s.orders,
        spend: { amount: s.amount, currency },
        perMember: { amount: count > 0 ? Math.round(s.amount / count) : 0, currency },
      };
    };
    const members = side('member', subscribers);
    const nonMembers = side('other', Math.max(0, registered - subscribers));
    return {
      from: iso(range.from),
      to: iso(range.to),
      currency,
      members,
      nonMembers,
      ratio: nonMembers.perMember.amount > 0 ? round(members.perMember.amount / nonMembers.perMember.amount, 2) : null,
    };
  }

  async pointsLiability(query: RangeQuery & { interval?: Interval | undefined }) {
    const interval = query.interval ?? 'day';
    const now = this.clock.now();
    const range = parseRange(query, now, 30);
    const buckets = bucketsOf(range, interval);
    await this.ensureFresh();
    const read = this.db.read;
    const first = buckets[0]!;
    const [outstanding, flows, expiring] = await Promise.all([
      this.store.outstandingPoints(read),
      this.store.pointsPerDayAndKind(read, first.startDay),
      this.store.expiringPoints(read, now, now + 30 * DAY),
    ]);
    const rows = buckets.map(() => ({ earned: 0, spent: 0, expired: 0, adjusted: 0, reversed: 0, net: 0 }));
    // Outstanding at a bucket's end = now − everything that moved after it.
    const after = buckets.map(() => 0);
    for (const flow of flows) {
      const i = bucketIndex(buckets, flow.day);
      if (i >= 0) {
        const field = KIND_FIELD[flow.kind as (typeof KINDS)[number]];
        if (field) rows[i]![field] += flow.points;
        rows[i]!.net += flow.points;
      }
      for (let j = 0; j < buckets.length; j++) if (flow.day >= buckets[j]!.endDay) after[j]! += flow.points;
    }
    const value = (points: number) => ({ amount: points * this.pointCost.amount, currency: this.pointCost.currency });
    return {
      asOf: iso(now),
      from: iso(range.from),
      to: iso(range.to),
      interval,
      outstanding,
      costPerPoint: this.pointCost,
      value: value(outstanding),
      expiringWithin30Days: expiring,
      series: buckets.map((b, i) => ({
        start: iso(b.startDay * DAY),
        end: iso(b.endDay * DAY),
        ...rows[i]!,
        outstanding: outstanding - after[i]!,
        value: value(outstanding - after[i]!),
      })),
    };
  }

  async benefitCost(query: RangeQuery & { currency?: string | undefined }) {
    const currency = query.currency ?? 'CNY';
    const range = parseRange(query, this.clock.now(), 30);
    const read = this.db.read;
    const [pools, batches, shares, sellers, members] = await Promise.all([
      this.store.pools(read),
      this.store.batches(read),
      this.store.revenueShares(read, range.from, range.to, currency),
      this.store.jointSellers(read),
      this.store.subscribersDuring(read, range.from, range.to),
    ]);
    const byPool: Array<{ poolId: string; name: string; issued: number; cost: Money }> = [];
    let issued = 0;
    let codeCost = 0;
    for (const pool of pools) {
      let poolIssued = 0;
      let poolCost = 0;
      for (const row of await this.store.issuedByBatch(read, pool.id, range.from, range.to)) {
        const batch = batches.get(row.batchId);
        const unit = batch?.unitCost !== null && batch?.unitCost !== undefined ? batch : { unitCost: pool.unitCost, currency: pool.currency };
        poolIssued += row.n;
        if (unit.unitCost !== null && unit.currency === currency) poolCost += row.n * unit.unitCost;
      }
      if (poolIssued > 0) byPool.push({ poolId: pool.id, name: pool.name, issued: poolIssued, cost: { amount: poolCost, currency } });
      issued += poolIssued;
      codeCost += poolCost;
    }
    const parties = new Map<string, number>();
    for (const s of shares) {
      if (sellers.get(s.productId) === s.party) continue;
      parties.set(s.party, (parties.get(s.party) ?? 0) + s.amount);
    }
    const shareTotal = [...parties.values()].reduce((a, b) => a + b, 0);
    const total = codeCost + shareTotal;
    return {
      from: iso(range.from),
      to: iso(range.to),
      currency,
      members,
      codes: { issued, cost: { amount: codeCost, currency }, byPool },
      revenueShares: {
        amount: { amount: shareTotal, currency },
        byParty: [...parties.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([party, amount]) => ({ party, amount: { amount, currency } })),
      },
      total: { amount: total, currency },
      perMember: { amount: members > 0 ? Math.round(total / members) : 0, currency },
    };
  }

  async stock(query: RangeQuery & { poolId?: string | undefined }) {
    const now = this.clock.now();
    const range = parseRange(query, now, 30);
    const buckets = bucketsOf(range, 'day');
    const read = this.db.read;
    const first = buckets[0]!;
    const startMs = first.startDay * DAY;
    const pools = await this.store.pools(read, query.poolId);
    if (query.poolId !== undefined && pools.length === 0) throw notFound('pool', query.poolId, 'poolId');
    const out = [];
    for (const pool of pools) {
      const until = Math.max(now, buckets[buckets.length - 1]!.endDay * DAY);
      const [onHand, issued, expired, imports, last7] = await Promise.all([
        this.store.onHand(read, pool.id, now),
        this.store.issuedPerDay(read, pool.id, startMs, until),
        this.store.expiredPerDay(read, pool.id, startMs, now),
        this.store.importsPerDay(read, pool.id, startMs),
        this.store.issuedPerDay(read, pool.id, now - 7 * DAY, now),
      ]);
      const issuedInBucket = perBucket(buckets, issued);
      // On hand at a day's end = now + issued since − imported since + expired (unissued) since.
      const series = buckets.map((b, i) => {
        const end = b.endDay;
        const since = (rows: DayCount[]) => rows.reduce((sum, r) => (r.day >= end ? sum + r.n : sum), 0);
        const endMs = end * DAY;
        const later = endMs >= now;
        return {
          date: isoDay(b.startDay),
          issued: issuedInBucket[i]!,
          onHand: later ? onHand : onHand + since(issued.filter((r) => r.day * DAY < now)) - since(imports) + since(expired),
        };
      });
      const burned = last7.reduce((a, r) => a + r.n, 0);
      const burnPerDay = round(burned / 7, 2);
      out.push({
        poolId: pool.id,
        name: pool.name,
        partnerId: pool.partnerId,
        onHand,
        issuedLast7Days: burned,
        burnPerDay,
        daysLeft: burned > 0 ? Math.floor((onHand * 7) / burned) : null,
        series,
      });
    }
    return { from: iso(range.from), to: iso(range.to), asOf: iso(now), pools: out };
  }

  async redemptionFunnel(query: RangeQuery) {
    const now = this.clock.now();
    const range = parseRange(query, now, 30);
    await this.ensureFresh();
    const read = this.db.read;
    const cheapest = await this.store.cheapestItem(read, now);
    const [registered, balances, redeemed] = await Promise.all([
      this.store.registeredBefore(read, dayOf(now) + 1),
      this.store.balances(read, cheapest ?? Number.MAX_SAFE_INTEGER),
      this.store.redemptions(read, range.from, range.to),
    ]);
    return {
      from: iso(range.from),
      to: iso(range.to),
      asOf: iso(now),
      cheapestItemPoints: cheapest,
      stages: { members: registered, withPoints: balances.withPoints, couldAfford: cheapest === null ? 0 : balances.couldAfford, redeemed: redeemed.redeemers },
      redemptions: redeemed.redemptions,
      pointsSpent: redeemed.points,
      attempts: null,
      attemptsNote: 'Refused redemption attempts (out of stock, not eligible, insufficient points) leave no row, so attempts versus successes cannot be told from the data.',
    };
  }

  async conversion(query: RangeQuery & { withinDays?: number | undefined }) {
    const withinDays = query.withinDays ?? 30;
    const now = this.clock.now();
    // By default the latest 90 days of joiners whose N days have all passed: a younger cohort is still converting.
    const range = parseRange(query, now, 90, now - withinDays * DAY);
    await this.ensureFresh();
    const read = this.db.read;
    const [partners, cohortSize, converted] = await Promise.all([
      this.store.partners(read),
      this.store.cohortSize(read, range.from, range.to),
      this.store.conversions(read, range.from, range.to, withinDays * DAY),
    ]);
    return {
      from: iso(range.from),
      to: iso(range.to),
      withinDays,
      complete: range.to + withinDays * DAY <= now,
      cohortSize,
      partners: partners.map((p) => {
        const n = converted.get(p.id) ?? 0;
        return { partnerId: p.id, partnerCode: p.code, name: p.name, converted: n, cohortSize, per100: cohortSize > 0 ? round((n * 100) / cohortSize, 1) : 0 };
      }),
    };
  }
}
