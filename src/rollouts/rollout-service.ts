import { isValidTimeZone } from '../platform/time-zone.js';
import type { MemberService } from '../members/index.js';
import type { Clock } from '../platform/clock.js';
import { invalid, notFound } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Db, Executor, RolloutStepsTable, Tx } from '../schema.js';
import {
  REASON_TEXT,
  evaluate,
  toRollout,
  toStep,
  zonedTimeToUtc,
  type Eligibility,
  type Rollout,
  type Stage,
} from './rollout.js';
import type { RolloutStore } from './rollout-store.js';

export interface StepInput {
  stage: Stage;
  percentage?: number;
  /** An ISO instant ("2026-10-31T16:00:00Z"), or a wall-clock time ("2026-11-01T00:00") with timeZone. Unset: now. */
  startsAt?: string;
  timeZone?: string;
}

export interface CreateRolloutInput {
  name: string;
  allowlist?: string[];
  steps: StepInput[];
}

export interface EligibilityAnswer extends Eligibility {
  rolloutId: string;
  memberId: string;
  explanation: string;
}

const HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;

export class RolloutService {
  constructor(
    private readonly db: Db,
    private readonly store: RolloutStore,
    private readonly members: MemberService,
    private readonly clock: Clock,
  ) {}

  async create(tx: Tx, input: CreateRolloutInput, actor: string): Promise<Rollout> {
    const now = this.clock.now();
    const id = newId('rol');
    const steps = this.stepRows(id, input.steps, now);
    await this.store.insert(tx, { id, name: input.name, created_at: now, updated_at: now });
    await this.store.replaceSteps(tx, id, steps);
    const allowlist = [...new Set(input.allowlist ?? [])];
    await this.store.addToAllowlist(tx, id, allowlist);
    await this.audit(tx, id, actor, { action: 'create', name: input.name, steps: input.steps, allowlistAdded: allowlist.length });
    return this.get(id, tx);
  }

  async get(id: string, db: Executor = this.db.read): Promise<Rollout> {
    const row = await this.store.find(db, id);
    if (!row) throw notFound('rollout', id, 'id');
    const steps = (await this.store.steps(db, id)).map(toStep);
    return toRollout(row, steps, await this.store.allowlistSize(db, id), this.clock.now());
  }

  async exists(db: Executor, id: string): Promise<boolean> {
    return (await this.store.find(db, id)) !== undefined;
  }

  async list(limit: number, startingAfter?: string): Promise<{ data: Rollout[]; hasMore: boolean }> {
    const rows = await this.store.list(this.db.read, limit + 1, startingAfter);
    const data = await Promise.all(rows.slice(0, limit).map((r) => this.get(r.id)));
    return { data, hasMore: rows.length > limit };
  }

  /** Replaces the schedule: the stages and when each begins. */
  async schedule(tx: Tx, id: string, steps: StepInput[], actor: string): Promise<Rollout> {
    await this.require(tx, id);
    const now = this.clock.now();
    await this.store.replaceSteps(tx, id, this.stepRows(id, steps, now));
    await this.store.touch(tx, id, now);
    await this.audit(tx, id, actor, { action: 'schedule', steps });
    return this.get(id, tx);
  }

  async changeAllowlist(tx: Tx, id: string, change: { add?: string[]; remove?: string[] }, actor: string): Promise<Rollout> {
    await this.require(tx, id);
    const add = [...new Set(change.add ?? [])];
    const remove = [...new Set(change.remove ?? [])];
    await this.store.addToAllowlist(tx, id, add);
    await this.store.removeFromAllowlist(tx, id, remove);
    await this.store.touch(tx, id, this.clock.now());
    await this.audit(tx, id, actor, { action: 'allowlist', add, remove });
    return this.get(id, tx);
  }

  async changes(id: string) {
    await this.require(this.db.read, id);
    return (await this.store.changes(this.db.read, id)).map((r) => ({
      id: r.id,
      rolloutId: r.rollout_id,
      actor: r.actor,
      change: JSON.parse(r.change) as unknown,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  /** Whether the member is in the rollout now, and why. */
  async eligibility(id: string, memberId: string, db: Executor = this.db.read): Promise<EligibilityAnswer> {
    await this.require(db, id);
    if (!(await this.members.exists(db, memberId))) throw notFound('member', memberId, 'memberId');
    const steps = (await this.store.steps(db, id)).map(toStep);
    const allowlisted = await this.store.isAllowlisted(db, id, memberId);
    const result = evaluate(id, steps, this.clock.now(), memberId, allowlisted);
    return { rolloutId: id, memberId, ...result, explanation: REASON_TEXT[result.reason] };
  }

  private async require(db: Executor, id: string): Promise<void> {
    if (!(await this.store.find(db, id))) throw notFound('rollout', id, 'id');
  }

  private async audit(tx: Tx, rolloutId: string, actor: string, change: Record<string, unknown>): Promise<void> {
    await this.store.insertChange(tx, {
      id: newId('rchg'),
      rollout_id: rolloutId,
      actor,
      change: JSON.stringify(change),
      created_at: this.clock.now(),
    });
  }

  private stepRows(rolloutId: string, steps: StepInput[], now: number): RolloutStepsTable[] {
    return steps.map((step, i) => {
      const param = `steps.${i}`;
      if (step.stage === 'percentage' && step.percentage === undefined) {
        throw invalid('A percentage stage needs a percentage', `${param}.percentage`, 'parameter_missing');
      }
      if (step.stage !== 'percentage' && step.percentage !== undefined) {
        throw invalid(`A ${step.stage} stage takes no percentage`, `${param}.percentage`);
      }
      if (step.timeZone !== undefined && !isValidTimeZone(step.timeZone)) {
        throw invalid(`Unknown time zone '${step.timeZone}' (use an IANA name such as Asia/Shanghai)`, `${param}.timeZone`);
      }
      let startsAt = now;
      let localTime: string | null = null;
      if (step.startsAt !== undefined) {
        if (HAS_OFFSET.test(step.startsAt)) {
          startsAt = Date.parse(step.startsAt);
          if (Number.isNaN(startsAt)) throw invalid(`startsAt '${step.startsAt}' is not a date-time`, `${param}.startsAt`);
        } else {
          if (step.timeZone === undefined) {
            throw invalid('A wall-clock startsAt needs a timeZone (or give an offset, e.g. Z)', `${param}.timeZone`, 'parameter_missing');
          }
          const at = zonedTimeToUtc(step.startsAt, step.timeZone);
          if (at === undefined) throw invalid(`startsAt '${step.startsAt}' is not a date-time like 2026-11-01T00:00`, `${param}.startsAt`);
          startsAt = at;
          localTime = step.startsAt;
        }
      }
      return {
        rollout_id: rolloutId,
        seq: i + 1,
        stage: step.stage,
        percentage: step.percentage ?? null,
        starts_at: startsAt,
        local_time: localTime,
        time_zone: step.timeZone ?? null,
      };
    });
  }
}
