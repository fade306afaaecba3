import { Type } from '@sinclair/typebox';
import { commonErrors, IdParams, IsoDateTime, PageQuery, pageOf } from '../platform/schemas.js';

export const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217, e.g. CNY' });

export const LoyaltyRulesSchema = Type.Object(
  {
    windowDays: Type.Integer({ minimum: 1, maximum: 3660 }),
    currency: Currency,
    spendPerPoint: Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Net spend in minor units that earns one score point.' }),
    perOrder: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    perActiveDay: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    maxScore: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
  },
  { $id: 'LoyaltyRules' },
);

export const UpdateRulesBody = Type.Partial(LoyaltyRulesSchema, { additionalProperties: false, minProperties: 1 });

const Breakdown = Type.Object({
  spend: Type.Integer(),
  orders: Type.Integer(),
  activity: Type.Integer(),
  adjustments: Type.Integer(),
  capped: Type.Integer(),
  netSpend: Type.Integer(),
  orderCount: Type.Integer(),
  activeDays: Type.Integer(),
  windowStart: IsoDateTime,
  windowEnd: IsoDateTime,
});

export const ScoreChangeSchema = Type.Object(
  {
    id: Type.String(),
    score: Type.Integer(),
    previous: Type.Integer(),
    change: Type.Integer(),
    reason: Type.String(),
    createdAt: IsoDateTime,
  },
  { $id: 'LoyaltyScoreChange' },
);

export const LoyaltyStatusSchema = Type.Object({
  memberId: Type.String(),
  score: Type.Integer(),
  breakdown: Breakdown,
  rules: LoyaltyRulesSchema,
  computedAt: IsoDateTime,
  history: Type.Array(ScoreChangeSchema),
});

const ScoreLite = Type.Object({ memberId: Type.String(), score: Type.Integer() });

export const getRulesSchema = {
  tags: ['loyalty'],
  summary: 'The loyalty score rules',
  response: { 200: LoyaltyRulesSchema, ...commonErrors },
};

export const updateRulesSchema = {
  tags: ['loyalty'],
  summary: 'Change the loyalty score rules (scores follow on the next event or recompute)',
  body: UpdateRulesBody,
  response: { 200: LoyaltyRulesSchema, ...commonErrors },
};

export const statusSchema = {
  tags: ['loyalty'],
  summary: "A member's loyalty score now, with its breakdown and recent history",
  params: IdParams,
  response: { 200: LoyaltyStatusSchema, ...commonErrors },
};

export const historySchema = {
  tags: ['loyalty'],
  summary: "Every change of a member's stored score, newest first",
  params: IdParams,
  querystring: PageQuery,
  response: { 200: pageOf(ScoreChangeSchema), ...commonErrors },
};

export const activitySchema = {
  tags: ['loyalty'],
  summary: 'Record an activity of the member (a visit, a review) that counts toward the score',
  params: IdParams,
  body: Type.Object(
    { kind: Type.String({ minLength: 1, maxLength: 64 }), occurredAt: Type.Optional(IsoDateTime) },
    { additionalProperties: false },
  ),
  response: { 201: ScoreLite, ...commonErrors },
};

export const adjustSchema = {
  tags: ['loyalty'],
  summary: "Adjust a member's score by hand (signed), inside the window",
  params: IdParams,
  body: Type.Object(
    {
      points: Type.Integer({ minimum: -1_000_000, maximum: 1_000_000, not: { const: 0 } }),
      reason: Type.String({ minLength: 1, maxLength: 200 }),
    },
    { additionalProperties: false },
  ),
  response: { 201: ScoreLite, ...commonErrors },
};
