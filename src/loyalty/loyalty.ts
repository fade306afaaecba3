import type { LoyaltyRulesTable, LoyaltyScoreHistoryTable } from '../schema.js';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** How the score ("naughty value") is made from a member's trailing window of spend and activity. */
export interface LoyaltyRules {
  windowDays: number;
  /** Spend counts in this currency only. */
  currency: string;
  /** Net spend (minor units) that earns one score point: 1000 = one point per 10 yuan. */
  spendPerPoint: number;
  perOrder: number;
  perActiveDay: number;
  maxScore: number;
}

export const DEFAULT_LOYALTY_RULES: LoyaltyRules = {
  windowDays: 365,
  currency: 'CNY',
  spendPerPoint: 1000,
  perOrder: 2,
  perActiveDay: 1,
  maxScore: 100_000,
};

/** What the window holds, summed from the member's loyalty events. */
export interface WindowTotals {
  netSpend: number;
  orders: number;
  activeDays: number;
  adjustments: number;
}

export interface ScoreBreakdown {
  spend: number;
  orders: number;
  activity: number;
  adjustments: number;
  /** What the cap or the floor at zero took off (negative) or added. */
  capped: number;
  netSpend: number;
  orderCount: number;
  activeDays: number;
  windowStart: string;
  windowEnd: string;
}

export interface LoyaltyScoreChange {
  id: string;
  score: number;
  previous: number;
  change: number;
  reason: string;
  createdAt: string;
}

export interface LoyaltyStatus {
  memberId: string;
  score: number;
  breakdown: ScoreBreakdown;
  rules: LoyaltyRules;
  computedAt: string;
  history: LoyaltyScoreChange[];
}

export function toRules(row: LoyaltyRulesTable | undefined): LoyaltyRules {
  if (!row) return DEFAULT_LOYALTY_RULES;
  return {
    windowDays: row.window_days,
    currency: row.currency,
    spendPerPoint: row.spend_per_point,
    perOrder: row.per_order,
    perActiveDay: row.per_active_day,
    maxScore: row.max_score,
  };
}

/**
 * The window is the last `windowDays` whole UTC days, today included: it moves a day at a time,
 * so a score is the same all day and a periodic recompute catches every change.
 */
export function windowDays(rules: LoyaltyRules, now: number): { fromDay: number; toDay: number } {
  const toDay = Math.floor(now / DAY_MS);
  return { fromDay: toDay - rules.windowDays, toDay };
}

export function windowStart(rules: LoyaltyRules, now: number): number {
  return (windowDays(rules, now).fromDay + 1) * DAY_MS;
}

/** The score and how it was made: a pure function of the rules and the window's totals. */
export function scoreOf(rules: LoyaltyRules, totals: WindowTotals, now: number): { score: number; breakdown: ScoreBreakdown } {
  const spend = Math.floor(Math.max(0, totals.netSpend) / rules.spendPerPoint);
  const orders = rules.perOrder * Math.max(0, totals.orders);
  const activity = rules.perActiveDay * Math.max(0, totals.activeDays);
  const raw = spend + orders + activity + totals.adjustments;
  const score = Math.min(rules.maxScore, Math.max(0, raw));
  return {
    score,
    breakdown: {
      spend,
      orders,
      activity,
      adjustments: totals.adjustments,
      capped: score - raw,
      netSpend: totals.netSpend,
      orderCount: Math.max(0, totals.orders),
      activeDays: totals.activeDays,
      windowStart: new Date(windowStart(rules, now)).toISOString(),
      windowEnd: new Date((windowDays(rules, now).toDay + 1) * DAY_MS).toISOString(),
    },
  };
}

export function toChange(row: LoyaltyScoreHistoryTable): LoyaltyScoreChange {
  return {
    id: row.id,
    score: row.score,
    previous: row.previous,
    change: row.score - row.previous,
    reason: row.reason,
    createdAt: new Date(row.created_at).toISOString(),
  };
}
