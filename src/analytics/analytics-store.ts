import { sql, type RawBuilder } from 'kysely';
import type { Engine } from '../platform/db.js';
import type { Executor, Tx } from '../schema.js';

/** The tables the rollups are built from, in the order a refresh brings them up to date. */
export const SOURCES = ['members', 'subscriptions', 'orders', 'order_refunds', 'ledger_transactions'] as const;
export type Source = (typeof SOURCES)[number];

const n = (value: unknown) => Number(value ?? 0);

/** The row `alias` of a source has not been folded yet (it is not among the recently folded ids). */
const notFolded = (source: Source, alias: string) =>
  sql`not exists (select 1 from analytics_recent ar where ar.source = ${source} and ar.id = ${sql.ref(`${alias}.id`)})`;

/** Whether the buyer of order `o` had a live subscription when it was paid. */
const MEMBER_AT_PAYMENT = sql`case when exists (
  select 1 from subscriptions s
  where s.member_id = o.member_id and s.created_at <= o.paid_at and (s.ended_at is null or s.ended_at > o.paid_at)
) then 'member' else 'other' end`;

export interface DayCount {
  day: number;
  n: number;
}

/** Queries of the analytics domain: the rollups' upkeep and the figures. Raw SQL that both engines read alike. */
export class AnalyticsStore {
  constructor(private readonly engine: Engine) {}

  // ----- rollups -----

  async lastIds(db: Executor): Promise<Map<Source, string>> {
    const rows = await sql<{ source: Source; last_id: string }>`select source, last_id from analytics_watermarks`.execute(db);
    return new Map(rows.rows.map((r) => [r.source, r.last_id]));
  }

  async maxId(db: Executor, source: Source): Promise<string | null> {
    const rows = await sql<{ id: string | null }>`select max(id) as id from ${sql.table(source)}`.execute(db);
    return rows.rows[0]?.id ?? null;
  }

  /**
   * The watermark of a source, locked for the transaction on PostgreSQL (SQLite's single writer
   * serialises anyway); undefined while another node holds it. Skipping rather than waiting keeps
   * a refresh from stalling, or failing on the lock timeout, the group commit it shares with
   * requests: that node's fold is about to land anyway.
   */
  async lockWatermark(tx: Tx, source: Source): Promise<string | undefined> {
    const lock = this.engine === 'postgres' ? sql` for update skip locked` : sql``;
    const rows = await sql<{ last_id: string }>`select last_id from analytics_watermarks where source = ${source}${lock}`.execute(tx);
    return rows.rows[0]?.last_id;
  }

  /** The id that ends the next chunk of at most `size` rows past `after` not folded yet, or null when there is none. */
  async chunkEnd(tx: Tx, source: Source, after: string, size: number): Promise<string | null> {
    const nth = await sql<{ id: string }>`
      select x.id from ${sql.table(source)} x where x.id > ${after} and ${notFolded(source, 'x')} order by x.id limit 1 offset ${size - 1}`.execute(tx);
    if (nth.rows[0]) return nth.rows[0].id;
    const last = await sql<{ id: string | null }>`
      select max(x.id) as id from ${sql.table(source)} x where x.id > ${after} and ${notFolded(source, 'x')}`.execute(tx);
    return last.rows[0]?.id ?? null;
  }

  /** Whether any row past `after` is not folded yet. */
  async pending(db: Executor, source: Source, after: string): Promise<boolean> {
    const r = await sql<{ one: number }>`
      select 1 as one from ${sql.table(source)} x where x.id > ${after} and ${notFolded(source, 'x')} limit 1`.execute(db);
    return r.rows.length > 0;
  }

  /** Remembers the folded ids from `floor` on, and forgets the older ones. */
  async remember(tx: Tx, source: Source, lo: string, hi: string, floor: string): Promise<void> {
    await sql`
      insert into analytics_recent (source, id)
      select ${source}, x.id from ${sql.table(source)} x where x.id > ${lo} and x.id <= ${hi} and x.id >= ${floor}
      on conflict do nothing`.execute(tx);
    await sql`delete from analytics_recent where source = ${source} and id < ${floor}`.execute(tx);
  }

  async setWatermark(tx: Tx, source: Source, lastId: string, now: number): Promise<void> {
    await sql`update analytics_watermarks set last_id = ${lastId}, updated_at = ${now} where source = ${source}`.execute(tx);
  }

  /** Folds the rows (lo, hi] of a source into the rollups. */
  async fold(tx: Tx, source: Source, lo: string, hi: string): Promise<void> {
    switch (source) {
      case 'members':
        await sql`
          insert into analytics_member_days (day, registered)
          select m.created_at / 86400000, count(*) from members m where m.id > ${lo} and m.id <= ${hi} and ${notFolded(source, 'm')} group by 1
          on conflict (day) do update set registered = analytics_member_days.registered + excluded.registered`.execute(tx);
        return;
      case 'subscriptions':
        await sql`
          insert into analytics_joins (member_id, joined_at)
          select s.member_id, min(s.created_at) from subscriptions s where s.id > ${lo} and s.id <= ${hi} and ${notFolded(source, 's')} group by s.member_id
          on conflict (member_id) do update set joined_at =
            case when excluded.joined_at < analytics_joins.joined_at then excluded.joined_at else analytics_joins.joined_at end`.execute(tx);
        return;
      case 'orders':
        await this.foldOrders(tx, lo, hi);
        return;
      case 'order_refunds':
        await sql`
          insert into analytics_spend_days (day, currency, segment, orders, amount)
          select o.paid_at / 86400000, o.currency, ${MEMBER_AT_PAYMENT}, 0, 0 - sum(r.amount)
          from order_refunds r join orders o on o.id = r.order_id
          where r.id > ${lo} and r.id <= ${hi} and ${notFolded(source, 'r')}
          group by 1, 2, 3
          on conflict (day, currency, segment) do update set amount = analytics_spend_days.amount + excluded.amount`.execute(tx);
        return;
      case 'ledger_transactions':
        await sql`
          insert into analytics_points_days (day, kind, points)
          select t.created_at / 86400000, t.kind, sum(t.points) from ledger_transactions t where t.id > ${lo} and t.id <= ${hi} and ${notFolded(source, 't')} group by 1, 2
          on conflict (day, kind) do update set points = analytics_points_days.points + excluded.points`.execute(tx);
        return;
    }
  }

  private async foldOrders(tx: Tx, lo: string, hi: string): Promise<void> {
    await sql`
      insert into analytics_spend_days (day, currency, segment, orders, amount)
      select o.paid_at / 86400000, o.currency, ${MEMBER_AT_PAYMENT}, count(*), sum(o.amount)
      from orders o where o.id > ${lo} and o.id <= ${hi} and ${notFolded('orders', 'o')}
      group by 1, 2, 3
      on conflict (day, currency, segment) do update set
        orders = analytics_spend_days.orders + excluded.orders, amount = analytics_spend_days.amount + excluded.amount`.execute(tx);
    const grains: Array<[string, RawBuilder<unknown>]> = [
      ['d', sql`c.day`],
      ['w', sql`c.week`],
      ['m', sql`c.month`],
    ];
    for (const [grain, column] of grains) {
      await sql`
        insert into analytics_buyers (grain, bucket, member_id)
        select distinct cast(${grain} as text), ${column}, o.member_id
        from orders o join analytics_calendar c on c.day = o.paid_at / 86400000
        where o.id > ${lo} and o.id <= ${hi} and ${notFolded('orders', 'o')}
        on conflict do nothing`.execute(tx);
      const touched = await sql<{ bucket: number }>`
        select distinct ${column} as bucket from orders o join analytics_calendar c on c.day = o.paid_at / 86400000
        where o.id > ${lo} and o.id <= ${hi} and ${notFolded('orders', 'o')}`.execute(tx);
      const buckets = touched.rows.map((r) => n(r.bucket));
      for (let i = 0; i < buckets.length; i += 500) {
        const part = buckets.slice(i, i + 500);
        await sql`
          insert into analytics_buyer_counts (grain, bucket, buyers)
          select grain, bucket, count(*) from analytics_buyers where grain = ${grain} and bucket in (${sql.join(part)}) group by grain, bucket
          on conflict (grain, bucket) do update set buyers = excluded.buyers`.execute(tx);
      }
    }
  }

  // ----- figures -----

  async registeredBefore(db: Executor, day: number): Promise<number> {
    const r = await sql<{ n: number }>`select coalesce(sum(registered), 0) as n from analytics_member_days where day < ${day}`.execute(db);
    return n(r.rows[0]?.n);
  }

  async registeredPerDay(db: Executor, fromDay: number, toDay: number): Promise<DayCount[]> {
    const r = await sql<{ day: number; n: number }>`
      select day, registered as n from analytics_member_days where day >= ${fromDay} and day < ${toDay}`.execute(db);
    return r.rows.map((x) => ({ day: n(x.day), n: n(x.n) }));
  }

  /** Subscriptions live at `at`: started before it and not ended by then. */
  async liveSubscriptionsAt(db: Executor, at: number): Promise<number> {
    const r = await sql<{ n: number }>`
      select count(*) as n from subscriptions where created_at < ${at} and (ended_at is null or ended_at >= ${at})`.execute(db);
    return n(r.rows[0]?.n);
  }

  async subscriptionStartsPerDay(db: Executor, from: number, to: number): Promise<DayCount[]> {
    const r = await sql<{ day: number; n: number }>`
      select created_at / 86400000 as day, count(*) as n from subscriptions where created_at >= ${from} and created_at < ${to} group by 1`.execute(db);
    return r.rows.map((x) => ({ day: n(x.day), n: n(x.n) }));
  }

  async subscriptionEndsPerDay(db: Executor, from: number, to: number): Promise<DayCount[]> {
    const r = await sql<{ day: number; n: number }>`
      select ended_at / 86400000 as day, count(*) as n from subscriptions where ended_at >= ${from} and ended_at < ${to} and created_at < ${to} group by 1`.execute(db);
    return r.rows.map((x) => ({ day: n(x.day), n: n(x.n) }));
  }

  async joinsPerDay(db: Executor, from: number, to: number): Promise<DayCount[]> {
    const r = await sql<{ day: number; n: number }>`
      select joined_at / 86400000 as day, count(*) as n from analytics_joins where joined_at >= ${from} and joined_at < ${to} group by 1`.execute(db);
    return r.rows.map((x) => ({ day: n(x.day), n: n(x.n) }));
  }

  async buyers(db: Executor, grain: 'd' | 'w' | 'm', fromBucket: number, toBucket: number): Promise<Array<{ bucket: number; n: number }>> {
    const r = await sql<{ bucket: number; n: number }>`
      select bucket, buyers as n from analytics_buyer_counts where grain = ${grain} and bucket >= ${fromBucket} and bucket < ${toBucket}`.execute(db);
    return r.rows.map((x) => ({ bucket: n(x.bucket), n: n(x.n) }));
  }

  async cohorts(db: Executor, from: number, to: number, planId: string | undefined): Promise<Array<{ month: number; periodIndex: number; live: number; n: number }>> {
    const plan = planId === undefined ? sql`` : sql` and s.plan_id = ${planId}`;
    const r = await sql<{ month: number; period_index: number; live: number; n: number }>`
      select c.month, s.period_index, case when s.ended_at is null then 1 else 0 end as live, count(*) as n
      from subscriptions s join analytics_calendar c on c.day = s.created_at / 86400000
      where s.created_at >= ${from} and s.created_at < ${to}${plan}
      group by c.month, s.period_index, case when s.ended_at is null then 1 else 0 end`.execute(db);
    return r.rows.map((x) => ({ month: n(x.month), periodIndex: n(x.period_index), live: n(x.live), n: n(x.n) }));
  }

  async spend(db: Executor, fromDay: number, toDay: number, currency: string): Promise<Map<string, { orders: number; amount: number }>> {
    const r = await sql<{ segment: string; orders: number; amount: number }>`
      select segment, coalesce(sum(orders), 0) as orders, coalesce(sum(amount), 0) as amount from analytics_spend_days
      where day >= ${fromDay} and day < ${toDay} and currency = ${currency} group by segment`.execute(db);
    return new Map(r.rows.map((x) => [x.segment, { orders: n(x.orders), amount: n(x.amount) }]));
  }

  /** Members with a live subscription at some moment of [from, to). */
  async subscribersDuring(db: Executor, from: number, to: number): Promise<number> {
    const r = await sql<{ n: number }>`
      select count(distinct member_id) as n from subscriptions where created_at < ${to} and (ended_at is null or ended_at > ${from})`.execute(db);
    return n(r.rows[0]?.n);
  }

  async outstandingPoints(db: Executor): Promise<number> {
    const r = await sql<{ n: number }>`select coalesce(sum(balance), 0) as n from point_accounts`.execute(db);
    return n(r.rows[0]?.n);
  }

  async pointsPerDayAndKind(db: Executor, fromDay: number): Promise<Array<{ day: number; kind: string; points: number }>> {
    const r = await sql<{ day: number; kind: string; points: number }>`
      select day, kind, points from analytics_points_days where day >= ${fromDay}`.execute(db);
    return r.rows.map((x) => ({ day: n(x.day), kind: x.kind, points: n(x.points) }));
  }

  async expiringPoints(db: Executor, from: number, to: number): Promise<number> {
    const r = await sql<{ n: number }>`
      select coalesce(sum(remaining), 0) as n from point_lots where expires_at >= ${from} and expires_at < ${to} and remaining > 0`.execute(db);
    return n(r.rows[0]?.n);
  }

  async pools(db: Executor, poolId?: string): Promise<Array<{ id: string; name: string; partnerId: string | null; unitCost: number | null; currency: string | null }>> {
    const where = poolId === undefined ? sql`` : sql` where id = ${poolId}`;
    const r = await sql<{ id: string; name: string; partner_id: string | null; unit_cost_amount: number | null; unit_cost_currency: string | null }>`
      select id, name, partner_id, unit_cost_amount, unit_cost_currency from pools${where} order by id`.execute(db);
    return r.rows.map((x) => ({ id: x.id, name: x.name, partnerId: x.partner_id, unitCost: x.unit_cost_amount === null ? null : n(x.unit_cost_amount), currency: x.unit_cost_currency }));
  }

  async batches(db: Executor): Promise<Map<string, { unitCost: number | null; currency: string | null }>> {
    const r = await sql<{ id: string; unit_cost_amount: number | null; unit_cost_currency: string | null }>`
      select id, unit_cost_amount, unit_cost_currency from code_batches`.execute(db);
    return new Map(r.rows.map((x) => [x.id, { unitCost: x.unit_cost_amount === null ? null : n(x.unit_cost_amount), currency: x.unit_cost_currency }]));
  }

  async issuedByBatch(db: Executor, poolId: string, from: number, to: number): Promise<Array<{ batchId: string; n: number }>> {
    const r = await sql<{ batch_id: string; n: number }>`
      select batch_id, count(*) as n from pool_codes where pool_id = ${poolId} and issued_at >= ${from} and issued_at < ${to} group by batch_id`.execute(db);
    return r.rows.map((x) => ({ batchId: x.batch_id, n: n(x.n) }));
  }

  async issuedPerDay(db: Executor, poolId: string, from: number, to: number): Promise<DayCount[]> {
    const r = await sql<{ day: number; n: number }>`
      select issued_at / 86400000 as day, count(*) as n from pool_codes where pool_id = ${poolId} and issued_at >= ${from} and issued_at < ${to} group by 1`.execute(db);
    return r.rows.map((x) => ({ day: n(x.day), n: n(x.n) }));
  }

  async onHand(db: Executor, poolId: string, now: number): Promise<number> {
    const r = await sql<{ n: number }>`
      select count(*) as n from pool_codes where pool_id = ${poolId} and status = 'available' and expires_at > ${now}`.execute(db);
    return n(r.rows[0]?.n);
  }

  /** Available codes that expired (stopped being on hand) per day in [from, to). */
  async expiredPerDay(db: Executor, poolId: string, from: number, to: number): Promise<DayCount[]> {
    const r = await sql<{ day: number; n: number }>`
      select expires_at / 86400000 as day, count(*) as n from pool_codes
      where pool_id = ${poolId} and status = 'available' and expires_at > ${from} and expires_at <= ${to} group by 1`.execute(db);
    return r.rows.map((x) => ({ day: n(x.day), n: n(x.n) }));
  }

  async importsPerDay(db: Executor, poolId: string, from: number): Promise<DayCount[]> {
    const r = await sql<{ day: number; n: number }>`
      select created_at / 86400000 as day, sum(imported) as n from code_batches where pool_id = ${poolId} and created_at >= ${from} group by 1`.execute(db);
    return r.rows.map((x) => ({ day: n(x.day), n: n(x.n) }));
  }

  async revenueShares(db: Executor, from: number, to: number, currency: string): Promise<Array<{ party: string; productId: string; amount: number }>> {
    const r = await sql<{ party: string; joint_product_id: string; amount: number }>`
      select party, joint_product_id, sum(amount) as amount from settlement_entries
      where created_at >= ${from} and created_at < ${to} and currency = ${currency} group by party, joint_product_id`.execute(db);
    return r.rows.map((x) => ({ party: x.party, productId: x.joint_product_id, amount: n(x.amount) }));
  }

  async jointSellers(db: Executor): Promise<Map<string, string>> {
    const r = await sql<{ id: string; split: string }>`select id, split from joint_products`.execute(db);
    return new Map(r.rows.map((x) => [x.id, (JSON.parse(x.split) as Array<{ party: string }>)[0]?.party ?? '']));
  }

  async balances(db: Executor, threshold: number): Promise<{ accounts: number; withPoints: number; couldAfford: number }> {
    const r = await sql<{ accounts: number; with_points: number; could_afford: number }>`
      select count(*) as accounts,
        coalesce(sum(case when balance > 0 then 1 else 0 end), 0) as with_points,
        coalesce(sum(case when balance >= ${threshold} then 1 else 0 end), 0) as could_afford
      from point_accounts`.execute(db);
    const row = r.rows[0];
    return { accounts: n(row?.accounts), withPoints: n(row?.with_points), couldAfford: n(row?.could_afford) };
  }

  async cheapestItem(db: Executor, now: number): Promise<number | null> {
    const r = await sql<{ n: number | null }>`
      select min(points_price) as n from catalog_items
      where status = 'active' and (available_from is null or available_from <= ${now}) and (available_until is null or available_until > ${now})`.execute(db);
    const v = r.rows[0]?.n;
    return v === null || v === undefined ? null : n(v);
  }

  async redemptions(db: Executor, from: number, to: number): Promise<{ redeemers: number; redemptions: number; points: number }> {
    const r = await sql<{ redeemers: number; redemptions: number; points: number }>`
      select count(distinct member_id) as redeemers, count(*) as redemptions, coalesce(sum(points_spent), 0) as points
      from redemptions where created_at >= ${from} and created_at < ${to}`.execute(db);
    const row = r.rows[0];
    return { redeemers: n(row?.redeemers), redemptions: n(row?.redemptions), points: n(row?.points) };
  }

  async cohortSize(db: Executor, from: number, to: number): Promise<number> {
    const r = await sql<{ n: number }>`select count(*) as n from analytics_joins where joined_at >= ${from} and joined_at < ${to}`.execute(db);
    return n(r.rows[0]?.n);
  }

  async conversions(db: Executor, from: number, to: number, withinMs: number): Promise<Map<string, number>> {
    const r = await sql<{ partner_id: string; n: number }>`
      select pa.partner_id, count(distinct pa.member_id) as n
      from analytics_joins j
      join partner_activities pa on pa.member_id = j.member_id and pa.kind = 'became_active'
        and pa.occurred_at >= j.joined_at and pa.occurred_at < j.joined_at + ${withinMs}
      where j.joined_at >= ${from} and j.joined_at < ${to}
      group by pa.partner_id`.execute(db);
    return new Map(r.rows.map((x) => [x.partner_id, n(x.n)]));
  }

  async planExists(db: Executor, planId: string): Promise<boolean> {
    const r = await sql<{ one: number }>`select 1 as one from plans where id = ${planId}`.execute(db);
    return r.rows.length > 0;
  }

  async partners(db: Executor): Promise<Array<{ id: string; code: string; name: string }>> {
    const r = await sql<{ id: string; code: string; name: string }>`select id, code, name from partners order by code, id`.execute(db);
    return r.rows;
  }
}
