import { createHash } from 'node:crypto';
import type { RolloutStepsTable, RolloutsTable } from '../schema.js';

export type Stage = 'internal' | 'percentage' | 'everyone';
export const STAGES: readonly Stage[] = ['internal', 'percentage', 'everyone'];

export type EligibilityReason =
  | 'not_started'
  | 'allowlisted'
  | 'not_allowlisted'
  | 'in_percentage'
  | 'outside_percentage'
  | 'everyone';

export interface Step {
  stage: Stage;
  percentage: number | null;
  /** Epoch ms from which this step applies. */
  startsAt: number;
  /** As given: the wall-clock time and zone the operator scheduled it in, when one was given. */
  localTime: string | null;
  timeZone: string | null;
}

export interface Eligibility {
  eligible: boolean;
  reason: EligibilityReason;
  stage: Stage | null;
  percentage: number | null;
  /** The member's fixed place in 0..9999 for this rollout; eligible at p% when bucket < p × 100. */
  bucket: number;
}

export const BUCKETS = 10_000;

/**
 * A member's place in a rollout: a hash of rollout and member, so it is the same on every node
 * and every call, independent between rollouts, and a raised percentage only ever adds members.
 */
export function bucketOf(rolloutId: string, memberId: string): number {
  const digest = createHash('sha256').update(`${rolloutId}\u0000${memberId}`).digest();
  return digest.readUInt32BE(0) % BUCKETS;
}

export function inPercentage(bucket: number, percentage: number): boolean {
  return bucket < Math.round(percentage * (BUCKETS / 100));
}

/** The step in force at `now`: the last one started (steps ordered by start, then as given). */
export function currentStep(steps: readonly Step[], now: number): Step | undefined {
  let current: Step | undefined;
  for (const step of steps) if (step.startsAt <= now) current = step;
  return current;
}

/** Whether a member may have the thing at `now`, and why. Allowlisted members are in from the internal stage on. */
export function evaluate(rolloutId: string, steps: readonly Step[], now: number, memberId: string, allowlisted: boolean): Eligibility {
  const bucket = bucketOf(rolloutId, memberId);
  const step = currentStep(steps, now);
  const base = { stage: step?.stage ?? null, percentage: step?.percentage ?? null, bucket };
  if (!step) return { ...base, eligible: false, reason: 'not_started' };
  if (step.stage === 'everyone') return { ...base, eligible: true, reason: 'everyone' };
  if (allowlisted) return { ...base, eligible: true, reason: 'allowlisted' };
  if (step.stage === 'internal') return { ...base, eligible: false, reason: 'not_allowlisted' };
  return inPercentage(bucket, step.percentage ?? 0)
    ? { ...base, eligible: true, reason: 'in_percentage' }
    : { ...base, eligible: false, reason: 'outside_percentage' };
}

export const REASON_TEXT: Record<EligibilityReason, string> = {
  not_started: 'the rollout has not started yet',
  allowlisted: 'the member is on the internal allowlist',
  not_allowlisted: 'the rollout is internal and the member is not on its allowlist',
  in_percentage: "the member is inside the rollout's percentage",
  outside_percentage: "the member is outside the rollout's percentage",
  everyone: 'the rollout is open to everyone',
};

const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/** Offset of `timeZone` from UTC at the instant `utcMs`, in ms (Asia/Shanghai: +8 h). */
export function zoneOffset(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/**
 * The instant a wall-clock time happens in a zone ("2026-11-01T00:00" in Asia/Shanghai →
 * 2026-10-31T16:00Z). A time skipped by a DST jump resolves to the instant after the gap.
 * Answers undefined when the text is not a local date-time.
 */
export function zonedTimeToUtc(local: string, timeZone: string): number | undefined {
  const m = LOCAL_TIME.exec(local);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v))) as [number, number, number, number, number, number];
  const naive = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(naive);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  let guess = naive - zoneOffset(naive, timeZone);
  const second = naive - zoneOffset(guess, timeZone);
  if (second !== guess) guess = Math.max(guess, second);
  return guess;
}

export interface Rollout {
  id: string;
  name: string;
  current: { stage: Stage | null; percentage: number | null; since: string | null };
  steps: Array<{ stage: Stage; percentage: number | null; startsAt: string; localTime: string | null; timeZone: string | null }>;
  allowlistSize: number;
  createdAt: string;
  updatedAt: string;
}

export function toStep(row: RolloutStepsTable): Step {
  return {
    stage: row.stage as Stage,
    percentage: row.percentage,
    startsAt: Number(row.starts_at),
    localTime: row.local_time,
    timeZone: row.time_zone,
  };
}

export function toRollout(row: RolloutsTable, steps: Step[], allowlistSize: number, now: number): Rollout {
  const step = currentStep(steps, now);
  return {
    id: row.id,
    name: row.name,
    current: { stage: step?.stage ?? null, percentage: step?.percentage ?? null, since: step ? new Date(step.startsAt).toISOString() : null },
    steps: steps.map((s) => ({ ...s, startsAt: new Date(s.startsAt).toISOString() })),
    allowlistSize,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
