import { Type } from '@sinclair/typebox';
import { Currency, MoneySchema, PositiveMoney } from '../orders/index.js';
import { commonErrors, ErrorSchema, IdParams, IsoDateTime, PageQuery, pageOf } from '../platform/schemas.js';

const Duration = Type.String({ minLength: 2, maxLength: 40, description: 'ISO 8601 duration: P1Y, P1M, P30D' });
const PriceRule = Type.Object(
  {
    minLoyaltyScore: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
    amount: Type.Union([PositiveMoney, Type.Object({ amount: Type.Literal(0), currency: Currency }, { additionalProperties: false })]),
  },
  { additionalProperties: false },
);
const Prices = Type.Array(PriceRule, { minItems: 1, maxItems: 50 });
const BenefitIds = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50, uniqueItems: true });

export const PlanSchema = Type.Object({
  id: Type.String(),
  code: Type.String(),
  name: Type.String(),
  term: Type.String(),
  currency: Type.String(),
  trial: Type.Union([Type.String(), Type.Null()]),
  version: Type.Integer(),
  versionId: Type.String(),
  prices: Type.Array(Type.Object({ minLoyaltyScore: Type.Union([Type.Integer(), Type.Null()]), amount: MoneySchema })),
  benefitIds: Type.Array(Type.String()),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});

export const QuoteSchema = Type.Object({
  planId: Type.String(),
  planVersion: Type.Integer(),
  memberId: Type.String(),
  price: MoneySchema,
  rule: Type.Object({ index: Type.Integer(), minLoyaltyScore: Type.Union([Type.Integer(), Type.Null()]), description: Type.String() }),
  loyaltyScore: Type.Integer(),
  quotedAt: IsoDateTime,
});

export const createPlanSchema = {
  tags: ['plans'],
  summary: 'Create a plan with loyalty-score price rules',
  body: Type.Object(
    {
      code: Type.String({ minLength: 1, maxLength: 100 }),
      name: Type.String({ minLength: 1, maxLength: 200 }),
      term: Duration,
      currency: Type.Optional(Currency),
      trial: Type.Optional(Duration),
      prices: Prices,
      benefitIds: Type.Optional(BenefitIds),
    },
    { additionalProperties: false },
  ),
  response: { 201: PlanSchema, 409: ErrorSchema, ...commonErrors },
};

export const newVersionSchema = {
  tags: ['plans'],
  summary: 'Change prices or benefits: a new version for new subscriptions and renewals',
  params: IdParams,
  body: Type.Object({ prices: Type.Optional(Prices), benefitIds: Type.Optional(BenefitIds) }, { additionalProperties: false, minProperties: 1 }),
  response: { 201: PlanSchema, 409: ErrorSchema, ...commonErrors },
};

export const getPlanSchema = {
  tags: ['plans'],
  summary: 'A plan at its current version',
  params: IdParams,
  response: { 200: PlanSchema, ...commonErrors },
};

export const listPlansSchema = {
  tags: ['plans'],
  summary: 'Plans, newest first',
  querystring: PageQuery,
  response: { 200: pageOf(PlanSchema), ...commonErrors },
};

export const planVersionsSchema = {
  tags: ['plans'],
  summary: 'Every version of a plan',
  params: IdParams,
  response: { 200: Type.Object({ data: Type.Array(PlanSchema) }), ...commonErrors },
};

export const quoteSchema = {
  tags: ['plans'],
  summary: 'The price a member would pay now, the rule that chose it and the score it used',
  params: IdParams,
  querystring: Type.Object({ memberId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  response: { 200: QuoteSchema, 422: ErrorSchema, ...commonErrors },
};
