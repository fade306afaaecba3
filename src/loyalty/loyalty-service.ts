import type { MemberService } from '../members/index.js';
import type { Clock } from '../platform/clock.js';
import { invalid, notFound } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Db, Executor, Tx } from '../schema.js';
import {
  DAY_MS,
  scoreOf,
  toChange,
  toRules,
  windowDays,
  type LoyaltyRules,
  type LoyaltyScoreChange,
  type LoyaltyStatus,
  type ScoreBreakdown,
} from './loyalty.js';
import { RULES_ID, type LoyaltyStore } from './loyalty-store.js';

/** Something that moves a member's score: an order, a refund, an activity or a hand adjustment. */
export interface LoyaltyEvent {
  kind: 'order' | 'refund' | 'activity' | 'adjustment';
  refId?: string | null;
  /** Signed spend in the rules' currency (minor units); other currencies count zero. */
  spend?: { amount: number; currency: string };
  ordersDelta?: number;
  scoreDelta?: number;
  activeDay?: boolean;
  note?: string | null;
  occurredAt: number;
}

export interface ScoreNow {
  score: number;
  breakdown: ScoreBreakdown;
  computedAt: number;
}

export class LoyaltyService {
  constructor(
    private readonly db: Db,
    private readonly store: LoyaltyStore,
    private readonly members: MemberService,
    private readonly clock: Clock,
  ) {}

  async rules(db: Executor = this.db.read): Promise<LoyaltyRules> {
    return toRules(await this.store.rules(db));
  }

  async setRules(tx: Tx, input: Partial<LoyaltyRules>): Promise<LoyaltyRules> {
    const next = { ...(await this.rules(tx)), ...input };
    if (next.spendPerPoint < 1) throw invalid('spendPerPoint must be at least 1', 'spendPerPoint');
    await this.store.saveRules(tx, {
      id: RULES_ID,
      window_days: next.windowDays,
      currency: next.currency,
      spend_per_point: next.spendPerPoint,
      per_order: next.perOrder,
      per_active_day: next.perActiveDay,
      max_score: next.maxScore,
      updated_at: this.clock.now(),
    });
    return next;
  }

  /**
   * Records what happened and brings the stored score up to date in the same transaction; with
   * `refresh: false` (bulk work) the caller refreshes each member once at the end instead.
   */
  async record(tx: Tx, memberId: string, event: LoyaltyEvent, reason: string, options: { refresh?: boolean; rules?: LoyaltyRules } = {}): Promise<number | null> {
    const rules = options.rules ?? (await this.rules(tx));
    const now = this.clock.now();
    const spend = event.spend && event.spend.currency === rules.currency ? event.spend.amount : 0;
    await this.store.insertEvent(tx, {
      id: newId('lev'),
      member_id: memberId,
      kind: event.kind,
      ref_id: event.refId ?? null,
      spend_delta: spend,
      orders_delta: event.ordersDelta ?? 0,
      score_delta: event.scoreDelta ?? 0,
      active_day: event.activeDay ? 1 : 0,
      note: event.note ?? null,
      occurred_at: event.occurredAt,
      created_at: now,
    });
    return options.refresh === false ? null : this.refresh(tx, memberId, reason, rules);
  }

  /** Recomputes the member's score at the clock's now and stores it, with a history line when it moved. */
  async refresh(tx: Tx, memberId: string, reason: string, rules?: LoyaltyRules): Promise<number> {
    const now = this.clock.now();
    const current = await this.store.lockScore(tx, memberId, now);
    const { score, breakdown } = await this.compute(tx, memberId, rules ?? (await this.rules(tx)), now);
    await this.store.saveScore(tx, { member_id: memberId, score, breakdown: JSON.stringify(breakdown), computed_at: now });
    if (score !== current.score) {
      await this.store.insertHistory(tx, {
        id: newId('lsh'),
        member_id: memberId,
        score,
        previous: current.score,
        reason,
        created_at: now,
      });
    }
    return score;
  }

  /** The score as of now, computed from the window without storing anything. */
  async scoreNow(db: Executor, memberId: string): Promise<ScoreNow> {
    const now = this.clock.now();
    const { score, breakdown } = await this.compute(db, memberId, await this.rules(db), now);
    return { score, breakdown, computedAt: now };
  }

  /**
   * Members' scores as of now, for showing them: the stored score while it is current (computed
   * today, under today's rules), else computed afresh; a member never scored shows 0.
   */
  async scores(db: Executor, memberIds: string[]): Promise<Map<string, number>> {
    const rows = await this.store.scores(db, memberIds);
    if (rows.size === 0) return new Map();
    const rulesRow = await this.store.rules(db);
    const rules = toRules(rulesRow);
    const now = this.clock.now();
    const today = Math.floor(now / DAY_MS);
    const scores = new Map<string, number>();
    for (const [id, row] of rows) {
      const current = Math.floor(row.computed_at / DAY_MS) === today && (rulesRow?.updated_at ?? 0) <= row.computed_at;
      scores.set(id, current ? row.score : (await this.compute(db, id, rules, now)).score);
    }
    return scores;
  }

  async status(memberId: string): Promise<LoyaltyStatus> {
    await this.requireMember(this.db.read, memberId);
    const rules = await this.rules();
    const now = this.clock.now();
    const { score, breakdown } = await this.compute(this.db.read, memberId, rules, now);
    const history = (await this.store.history(this.db.read, memberId, 20)).map(toChange);
    return { memberId, score, breakdown, rules, computedAt: new Date(now).toISOString(), history };
  }

  async history(memberId: string, limit: number, startingAfter?: string): Promise<{ data: LoyaltyScoreChange[]; hasMore: boolean }> {
    await this.requireMember(this.db.read, memberId);
    const rows = await this.store.history(this.db.read, memberId, limit + 1, startingAfter);
    return { data: rows.slice(0, limit).map(toChange), hasMore: rows.length > limit };
  }

  async recordActivity(tx: Tx, memberId: string, input: { kind: string; occurredAt?: number }): Promise<LoyaltyStatusLite> {
    await this.requireMember(tx, memberId);
    const occurredAt = this.checkOccurredAt(input.occurredAt);
    const score = await this.record(tx, memberId, { kind: 'activity', activeDay: true, note: input.kind, occurredAt }, `activity: ${input.kind}`);
    return { memberId, score: score! };
  }

  async adjust(tx: Tx, memberId: string, input: { points: number; reason: string }): Promise<LoyaltyStatusLite> {
    await this.requireMember(tx, memberId);
    const score = await this.record(
      tx,
      memberId,
      { kind: 'adjustment', scoreDelta: input.points, note: input.reason, occurredAt: this.clock.now() },
      `adjustment: ${input.reason}`,
    );
    return { memberId, score: score! };
  }

  /** The periodic recompute: the window moves on even when nothing happens. */
  async recomputeAll(options: { batch?: number } = {}): Promise<{ members: number; changed: number }> {
    let after = '';
    let members = 0;
    let changed = 0;
    for (;;) {
      const ids = await this.store.scoredMembers(this.db.read, after, options.batch ?? 500);
      if (ids.length === 0) break;
      after = ids.at(-1)!;
      const before = await this.store.scores(this.db.read, ids);
      const results = await Promise.all(ids.map((id) => this.db.write((tx) => this.refresh(tx, id, 'window moved'))));
      results.forEach((score, i) => {
        if (score !== before.get(ids[i]!)?.score) changed++;
      });
      members += ids.length;
    }
    return { members, changed };
  }

  private checkOccurredAt(occurredAt: number | undefined): number {
    const now = this.clock.now();
    if (occurredAt === undefined) return now;
    if (occurredAt > now + 5 * 60_000) throw invalid('occurredAt must not be in the future', 'occurredAt');
    return occurredAt;
  }

  private async compute(db: Executor, memberId: string, rules: LoyaltyRules, now: number) {
    const { fromDay, toDay } = windowDays(rules, now);
    const totals = await this.store.windowTotals(db, memberId, fromDay, toDay);
    return scoreOf(rules, totals, now);
  }

  private async requireMember(db: Executor, memberId: string): Promise<void> {
    if (!(await this.members.exists(db, memberId))) throw notFound('member', memberId, 'id');
  }
}

export interface LoyaltyStatusLite {
  memberId: string;
  score: number;
}
