import type { LedgerService } from '../ledger/index.js';
import type { Clock } from '../platform/clock.js';
import { conflict, notFound } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Db, Executor, Tx } from '../schema.js';
import { toMember, type Member } from './member.js';
import type { MemberStore } from './member-store.js';

/** Where members' loyalty scores come from (the loyalty domain); until one is set every score is 0. */
export type LoyaltyScoreSource = (db: Executor, memberIds: string[]) => Promise<Map<string, number>>;

export class MemberService {
  private loyaltyScores: LoyaltyScoreSource = async () => new Map();

  constructor(
    private readonly db: Db,
    private readonly store: MemberStore,
    private readonly ledger: LedgerService,
    private readonly clock: Clock,
  ) {}

  async create(tx: Tx, input: { externalId: string; displayName?: string }): Promise<Member> {
    const now = this.clock.now();
    const row = {
      id: newId('mem'),
      external_id: input.externalId,
      display_name: input.displayName ?? null,
      created_at: now,
      updated_at: now,
    };
    if (!(await this.store.insert(tx, row))) {
      const existing = await this.store.findByExternalId(tx, input.externalId);
      throw conflict(
        'already_exists',
        `A member with externalId '${input.externalId}' already exists${existing ? ` (${existing.id})` : ''}`,
        'externalId',
      );
    }
    await this.ledger.openAccount(tx, row.id);
    return toMember(row, 0);
  }

  useLoyaltyScores(source: LoyaltyScoreSource): void {
    this.loyaltyScores = source;
  }

  async get(id: string, db: Executor = this.db.read): Promise<Member> {
    const row = await this.store.find(db, id);
    if (!row) throw notFound('member', id, 'id');
    const balances = await this.ledger.balances(db, [id]);
    const scores = await this.loyaltyScores(db, [id]);
    return toMember(row, balances.get(id) ?? 0, scores.get(id) ?? 0);
  }

  async findByExternalId(externalId: string): Promise<Member | undefined> {
    const row = await this.store.findByExternalId(this.db.read, externalId);
    return row ? this.get(row.id) : undefined;
  }

  async list(limit: number, startingAfter?: string): Promise<{ data: Member[]; hasMore: boolean }> {
    const rows = await this.store.list(this.db.read, limit + 1, startingAfter);
    const page = rows.slice(0, limit);
    const balances = await this.ledger.balances(this.db.read, page.map((r) => r.id));
    const scores = await this.loyaltyScores(this.db.read, page.map((r) => r.id));
    return {
      data: page.map((r) => toMember(r, balances.get(r.id) ?? 0, scores.get(r.id) ?? 0)),
      hasMore: rows.length > limit,
    };
  }

  async updateDisplayName(tx: Tx, id: string, displayName: string | null): Promise<Member> {
    if (!(await this.store.updateDisplayName(tx, id, displayName, this.clock.now()))) {
      throw notFound('member', id, 'id');
    }
    return this.get(id, tx);
  }

  async exists(db: Executor, id: string): Promise<boolean> {
    return this.store.exists(db, id);
  }

  /** Of these ids, those that name a member: one query per thousand, for bulk work. */
  async existing(db: Executor, ids: string[]): Promise<Set<string>> {
    return this.store.existing(db, ids);
  }
}
