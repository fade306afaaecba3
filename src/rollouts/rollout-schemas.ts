import { Type, type TSchema } from '@sinclair/typebox';
import { commonErrors, IdParams, IsoDateTime, PageQuery, pageOf } from '../platform/schemas.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const StageSchema = Type.Union([Type.Literal('internal'), Type.Literal('percentage'), Type.Literal('everyone')]);
const MemberId = Type.String({ pattern: '^mem_[0-9A-Z]{26}$' });
const MemberIds = Type.Array(MemberId, { maxItems: 10_000 });

const StepInput = Type.Object(
  {
    stage: StageSchema,
    percentage: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    startsAt: Type.Optional(
      Type.String({
        minLength: 16,
        maxLength: 40,
        description: 'An instant with offset (2026-10-31T16:00:00Z), or a wall-clock time (2026-11-01T00:00) with timeZone. Unset: now.',
      }),
    ),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone, e.g. Asia/Shanghai.' })),
  },
  { additionalProperties: false },
);
const Steps = Type.Array(StepInput, { minItems: 1, maxItems: 20 });

export const RolloutSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    current: Type.Object({ stage: Nullable(StageSchema), percentage: Nullable(Type.Integer()), since: Nullable(IsoDateTime) }),
    steps: Type.Array(
      Type.Object({
        stage: StageSchema,
        percentage: Nullable(Type.Integer()),
        startsAt: IsoDateTime,
        localTime: Nullable(Type.String()),
        timeZone: Nullable(Type.String()),
      }),
    ),
    allowlistSize: Type.Integer(),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  },
  { $id: 'Rollout' },
);

export const EligibilitySchema = Type.Object(
  {
    rolloutId: Type.String(),
    memberId: Type.String(),
    eligible: Type.Boolean(),
    reason: Type.String(),
    explanation: Type.String(),
    stage: Nullable(StageSchema),
    percentage: Nullable(Type.Integer()),
    bucket: Type.Integer(),
  },
  { $id: 'RolloutEligibility' },
);

const tags = ['rollouts'];

export const createRolloutSchema = {
  tags,
  summary: 'Create a staged (gray) release: internal allowlist → percentage → everyone, each step schedulable',
  body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), allowlist: Type.Optional(MemberIds), steps: Steps }, { additionalProperties: false }),
  response: { 201: RolloutSchema, ...commonErrors },
};

export const scheduleSchema = {
  tags,
  summary: "Replace a rollout's schedule (audited)",
  params: IdParams,
  body: Type.Object({ steps: Steps }, { additionalProperties: false }),
  response: { 200: RolloutSchema, ...commonErrors },
};

export const allowlistSchema = {
  tags,
  summary: 'Add members to or remove them from the internal allowlist (audited)',
  params: IdParams,
  body: Type.Object({ add: Type.Optional(MemberIds), remove: Type.Optional(MemberIds) }, { additionalProperties: false, minProperties: 1 }),
  response: { 200: RolloutSchema, ...commonErrors },
};

export const getRolloutSchema = { tags, summary: 'Get a rollout and its stage now', params: IdParams, response: { 200: RolloutSchema, ...commonErrors } };

export const listRolloutsSchema = { tags, summary: 'List rollouts, newest first', querystring: PageQuery, response: { 200: pageOf(RolloutSchema), ...commonErrors } };

export const eligibilitySchema = {
  tags,
  summary: 'Is this member in the rollout now, and why',
  params: IdParams,
  querystring: Type.Object({ memberId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  response: { 200: EligibilitySchema, ...commonErrors },
};

export const changesSchema = {
  tags,
  summary: "A rollout's audit trail: who changed what, when",
  params: IdParams,
  response: {
    200: Type.Object({
      data: Type.Array(Type.Object({ id: Type.String(), rolloutId: Type.String(), actor: Type.String(), change: Type.Unknown(), createdAt: IsoDateTime })),
    }),
    ...commonErrors,
  },
};
