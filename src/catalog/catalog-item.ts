import type { CatalogItemsTable } from '../schema.js';

export type Period = 'day' | 'week' | 'month';

/** The lifetime counter of a member's redemptions of an item. */
export const LIFETIME = 'all';

export interface CatalogItem {
  id: string;
  name: string;
  description: string | null;
  pointsPrice: number;
  poolId: string;
  perMemberLimit: number | null;
  periodLimit: { count: number; period: Period } | null;
  timeZone: string;
  totalCap: number | null;
  /** Redemptions counted against the total cap (items with a cap only). */
  redeemedCount: number;
  availableFrom: string | null;
  availableUntil: string | null;
  rolloutId: string | null;
  status: 'active' | 'archived';
  /** What can be redeemed now: the pool's available codes, bounded by what the cap leaves. */
  stock: number;
  createdAt: string;
  updatedAt: string;
}

export type IneligibleCode =
  | 'inactive'
  | 'not_yet_available'
  | 'no_longer_available'
  | 'out_of_stock'
  | 'not_eligible'
  | 'limit_reached'
  | 'insufficient_points';

export interface Reason {
  code: IneligibleCode;
  message: string;
}

export interface MemberView {
  eligible: boolean;
  /** Every reason the member cannot redeem the item now; empty when they can. */
  reasons: Reason[];
  pointsBalance: number;
  redeemedByMember: number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toItem(row: CatalogItemsTable, poolAvailable: number): CatalogItem {
  const capLeft = row.total_cap === null ? Infinity : Math.max(0, row.total_cap - row.redeemed_count);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    pointsPrice: Number(row.points_price),
    poolId: row.pool_id,
    perMemberLimit: row.per_member_limit,
    periodLimit: row.period_limit !== null && row.period !== null ? { count: row.period_limit, period: row.period as Period } : null,
    timeZone: row.time_zone,
    totalCap: row.total_cap,
    redeemedCount: row.redeemed_count,
    availableFrom: iso(row.available_from === null ? null : Number(row.available_from)),
    availableUntil: iso(row.available_until === null ? null : Number(row.available_until)),
    rolloutId: row.rollout_id,
    status: row.status as CatalogItem['status'],
    stock: Math.min(poolAvailable, capLeft),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** Why the item is not on offer at `now`, whoever asks. */
export function availabilityProblem(row: CatalogItemsTable, now: number): Reason | undefined {
  if (row.status !== 'active') return { code: 'inactive', message: 'The item is no longer offered' };
  if (row.available_from !== null && now < Number(row.available_from)) {
    return { code: 'not_yet_available', message: `The item is offered from ${new Date(Number(row.available_from)).toISOString()}` };
  }
  if (row.available_until !== null && now >= Number(row.available_until)) {
    return { code: 'no_longer_available', message: `The item was offered until ${new Date(Number(row.available_until)).toISOString()}` };
  }
  return undefined;
}

/** The calendar period containing `now` in the item's time zone: day:2026-11-24, week:2026-W48, month:2026-11. */
export function periodKey(period: Period, now: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(now));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const y = get('year');
  const m = get('month');
  const d = get('day');
  const pad = (n: number) => String(n).padStart(2, '0');
  if (period === 'day') return `day:${y}-${pad(m)}-${pad(d)}`;
  if (period === 'month') return `month:${y}-${pad(m)}`;
  // ISO week: the week belongs to the year of its Thursday.
  const date = new Date(Date.UTC(y, m - 1, d));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `week:${date.getUTCFullYear()}-W${pad(week)}`;
}

