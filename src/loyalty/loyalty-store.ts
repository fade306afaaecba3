import { sql } from 'kysely';
import { forUpdate, type Engine } from '../platform/db.js';
import type {
  Executor,
  LoyaltyEventsTable,
  LoyaltyRulesTable,
  LoyaltyScoreHistoryTable,
  LoyaltyScoresTable,
  Tx,
} from '../schema.js';
import { DAY_MS, type WindowTotals } from './loyalty.js';

export const RULES_ID = 'default';

export class LoyaltyStore {
  constructor(private readonly engine: Engine) {}

  async rules(db: Executor): Promise<LoyaltyRulesTable | undefined> {
    return db.selectFrom('loyalty_rules').selectAll().where('id', '=', RULES_ID).executeTakeFirst();
  }

  async saveRules(tx: Tx, row: LoyaltyRulesTable): Promise<void> {
    await tx
      .insertInto('loyalty_rules')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet({ ...row, id: undefined }))
      .execute();
  }

  /** Logs the event and adds it to the member's day. */
  async insertEvent(tx: Tx, row: LoyaltyEventsTable): Promise<void> {
    await tx.insertInto('loyalty_events').values(row).execute();
    const day = Math.floor(row.occurred_at / DAY_MS);
    await tx
      .insertInto('loyalty_days')
      .values({ member_id: row.member_id, day, spend: row.spend_delta, orders: row.orders_delta, adjustments: row.score_delta, active: row.active_day })
      .onConflict((oc) =>
        oc.columns(['member_id', 'day']).doUpdateSet((eb) => ({
          spend: eb('loyalty_days.spend', '+', row.spend_delta),
          orders: eb('loyalty_days.orders', '+', row.orders_delta),
          adjustments: eb('loyalty_days.adjustments', '+', row.score_delta),
          active: row.active_day === 1 ? 1 : eb.ref('loyalty_days.active'),
        })),
      )
      .execute();
  }

  /** Sums of the member's days with fromDay < day <= toDay. */
  async windowTotals(db: Executor, memberId: string, fromDay: number, toDay: number): Promise<WindowTotals> {
    const row = await db
      .selectFrom('loyalty_days')
      .select([
        sql<number>`coalesce(sum(spend), 0)`.as('net_spend'),
        sql<number>`coalesce(sum(orders), 0)`.as('orders'),
        sql<number>`coalesce(sum(adjustments), 0)`.as('adjustments'),
        sql<number>`coalesce(sum(active), 0)`.as('active_days'),
      ])
      .where('member_id', '=', memberId)
      .where('day', '>', fromDay)
      .where('day', '<=', toDay)
      .executeTakeFirstOrThrow();
    return {
      netSpend: Number(row.net_spend),
      orders: Number(row.orders),
      adjustments: Number(row.adjustments),
      activeDays: Number(row.active_days),
    };
  }

  /** The member's stored score, holding its row until commit (created at 0 when missing). */
  async lockScore(tx: Tx, memberId: string, now: number): Promise<LoyaltyScoresTable> {
    const select = () => sql<LoyaltyScoresTable>`select * from loyalty_scores where member_id = ${memberId}${forUpdate(this.engine)}`.execute(tx);
    const found = (await select()).rows[0];
    if (found) return found;
    await tx
      .insertInto('loyalty_scores')
      .values({ member_id: memberId, score: 0, breakdown: '{}', computed_at: now })
      .onConflict((oc) => oc.column('member_id').doNothing())
      .execute();
    return (await select()).rows[0]!;
  }

  async saveScore(tx: Tx, row: LoyaltyScoresTable): Promise<void> {
    await tx
      .updateTable('loyalty_scores')
      .set({ score: row.score, breakdown: row.breakdown, computed_at: row.computed_at })
      .where('member_id', '=', row.member_id)
      .execute();
  }

  async insertHistory(tx: Tx, row: LoyaltyScoreHistoryTable): Promise<void> {
    await tx.insertInto('loyalty_score_history').values(row).execute();
  }

  async scores(db: Executor, memberIds: string[]): Promise<Map<string, LoyaltyScoresTable>> {
    if (memberIds.length === 0) return new Map();
    const rows = await db.selectFrom('loyalty_scores').selectAll().where('member_id', 'in', memberIds).execute();
    return new Map(rows.map((r) => [r.member_id, r]));
  }

  async history(db: Executor, memberId: string, limit: number, startingAfter?: string): Promise<LoyaltyScoreHistoryTable[]> {
    let query = db.selectFrom('loyalty_score_history').selectAll().where('member_id', '=', memberId).orderBy('id', 'desc').limit(limit);
    if (startingAfter) query = query.where('id', '<', startingAfter);
    return query.execute();
  }

  /** Members with a stored score, in id order, for the periodic recompute. */
  async scoredMembers(db: Executor, afterId: string, limit: number): Promise<string[]> {
    const rows = await db
      .selectFrom('loyalty_scores')
      .select('member_id')
      .where('member_id', '>', afterId)
      .orderBy('member_id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.member_id);
  }
}
