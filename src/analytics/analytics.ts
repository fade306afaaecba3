import { AppError, invalid } from '../platform/errors.js';

export const DAY = 86_400_000;
export const MAX_BUCKETS = 1000;

export type Interval = 'day' | 'week' | 'month';

export interface Money {
  amount: number;
  currency: string;
}

export interface Range {
  from: number;
  to: number;
}

export interface Bucket {
  /** First UTC day number of the bucket, and the first day number after it. */
  startDay: number;
  endDay: number;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A date (midnight UTC) or an ISO date-time with a zone, as epoch ms; 400 otherwise. */
export function parseInstant(text: string, param: string): number {
  const ok = DATE_ONLY.test(text) || DATE_TIME.test(text);
  const ms = ok ? Date.parse(DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw invalid(`'${param}' must be a date (2026-11-01) or an ISO 8601 date-time with a zone (2026-11-01T00:00:00Z)`, param);
  }
  if (DATE_ONLY.test(text) && new Date(ms).toISOString().slice(0, 10) !== text) {
    throw invalid(`'${param}' is not a calendar date: '${text}'`, param);
  }
  if (ms < Date.UTC(2000, 0, 1) || ms > Date.UTC(2100, 0, 1)) throw invalid(`'${param}' must lie between 2000 and 2100`, param);
  return ms;
}

/** The range of a request: [from, to), to defaulting to now and from to `to` minus the default span. */
export function parseRange(query: { from?: string | undefined; to?: string | undefined }, now: number, defaultDays: number, defaultTo = now): Range {
  const to = query.to === undefined ? defaultTo : parseInstant(query.to, 'to');
  const from = query.from === undefined ? to - defaultDays * DAY : parseInstant(query.from, 'from');
  if (from >= to) throw new AppError(400, 'range_invalid', `'from' must be before 'to'`, 'from');
  return { from, to };
}

export const dayOf = (ms: number) => Math.floor(ms / DAY);

/** The first day number of the bucket that holds `day`. */
export function bucketStart(day: number, interval: Interval): number {
  if (interval === 'day') return day;
  const date = new Date(day * DAY);
  if (interval === 'week') return day - ((date.getUTCDay() + 6) % 7);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / DAY;
}

function nextBucket(start: number, interval: Interval): number {
  if (interval === 'day') return start + 1;
  if (interval === 'week') return start + 7;
  const date = new Date(start * DAY);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / DAY;
}

/** Whole buckets that overlap [from, to); 400 `range_too_large` past MAX_BUCKETS. */
export function bucketsOf(range: Range, interval: Interval): Bucket[] {
  const buckets: Bucket[] = [];
  const lastDay = dayOf(range.to - 1);
  for (let start = bucketStart(dayOf(range.from), interval); start <= lastDay; ) {
    const end = nextBucket(start, interval);
    buckets.push({ startDay: start, endDay: end });
    if (buckets.length > MAX_BUCKETS) {
      throw new AppError(400, 'range_too_large', `A series may have at most ${MAX_BUCKETS} buckets; use a shorter range or a longer interval`, 'interval');
    }
    start = end;
  }
  return buckets;
}

/** Index of the bucket holding `day`, or -1; buckets are sorted and contiguous. */
export function bucketIndex(buckets: Bucket[], day: number): number {
  let lo = 0;
  let hi = buckets.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const b = buckets[mid]!;
    if (day < b.startDay) hi = mid - 1;
    else if (day >= b.endDay) lo = mid + 1;
    else return mid;
  }
  return -1;
}

export const iso = (ms: number) => new Date(ms).toISOString();
export const isoDay = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);
export const round = (value: number, decimals: number) => {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
};
export const share = (part: number, whole: number, decimals = 4) => (whole > 0 ? round(part / whole, decimals) : 0);
