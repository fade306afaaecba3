import { Type } from '@sinclair/typebox';
import { EntitlementSchema } from '../benefits/index.js';
import { MoneySchema } from '../orders/index.js';
import { commonErrors, ErrorSchema, IdParams, IsoDateTime, PageQuery, pageOf } from '../platform/schemas.js';

const Status = Type.Union(['trialing', 'active', 'past_due', 'canceled', 'expired'].map((s) => Type.Literal(s)));
const PriceRule = Type.Object({ index: Type.Integer(), minLoyaltyScore: Type.Union([Type.Integer(), Type.Null()]), description: Type.String() });

export const SubscriptionSchema = Type.Object({
  id: Type.String(),
  memberId: Type.String(),
  planId: Type.String(),
  planVersionId: Type.String(),
  jointProductId: Type.Union([Type.String(), Type.Null()]),
  status: Status,
  price: MoneySchema,
  priceRule: PriceRule,
  loyaltyScoreUsed: Type.Integer(),
  currentPeriod: Type.Object({ index: Type.Integer(), start: IsoDateTime, end: IsoDateTime }),
  cancelAtPeriodEnd: Type.Boolean(),
  canceledAt: Type.Union([IsoDateTime, Type.Null()]),
  endedAt: Type.Union([IsoDateTime, Type.Null()]),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});

const PeriodSchema = Type.Object({
  id: Type.String(),
  index: Type.Integer(),
  kind: Type.Union([Type.Literal('trial'), Type.Literal('paid')]),
  start: IsoDateTime,
  end: IsoDateTime,
  planVersionId: Type.String(),
  price: MoneySchema,
  priceRule: PriceRule,
  loyaltyScoreUsed: Type.Integer(),
  paymentId: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  refundedAmount: Type.Integer(),
});

const PaymentSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('charge'), Type.Literal('refund')]),
  amount: MoneySchema,
  method: Type.String(),
  status: Type.String(),
  reference: Type.Union([Type.String(), Type.Null()]),
  periodId: Type.Union([Type.String(), Type.Null()]),
  createdAt: IsoDateTime,
});

export const SubscriptionDetailSchema = Type.Intersect([
  SubscriptionSchema,
  Type.Object({
    periods: Type.Array(PeriodSchema),
    payments: Type.Array(PaymentSchema),
    entitlements: Type.Array(EntitlementSchema),
    refund: Type.Optional(Type.Union([MoneySchema, Type.Null()])),
  }),
]);

const Id = Type.String({ minLength: 1, maxLength: 64 });

export const createSubscriptionSchema = {
  tags: ['subscriptions'],
  summary: "Subscribe a member to a plan at the member's quoted price; grants the term's benefits",
  body: Type.Object({ memberId: Id, planId: Id }, { additionalProperties: false }),
  response: { 201: SubscriptionDetailSchema, 409: ErrorSchema, 422: ErrorSchema, ...commonErrors },
};

export const getSubscriptionSchema = {
  tags: ['subscriptions'],
  summary: 'A subscription with its periods, payments and entitlements',
  params: IdParams,
  response: { 200: SubscriptionDetailSchema, ...commonErrors },
};

export const memberSubscriptionsSchema = {
  tags: ['subscriptions'],
  summary: "A member's subscriptions, newest first",
  params: IdParams,
  querystring: PageQuery,
  response: { 200: pageOf(SubscriptionSchema), ...commonErrors },
};

export const cancelSubscriptionSchema = {
  tags: ['subscriptions'],
  summary: 'Cancel at period end (default) or now, with a prorated, full or no refund',
  params: IdParams,
  body: Type.Object(
    {
      atPeriodEnd: Type.Optional(Type.Boolean()),
      refund: Type.Optional(Type.Union([Type.Literal('prorated'), Type.Literal('full'), Type.Literal('none')])),
    },
    { additionalProperties: false },
  ),
  response: { 200: SubscriptionDetailSchema, 409: ErrorSchema, 422: ErrorSchema, ...commonErrors },
};

export const runRenewalsSchema = {
  tags: ['subscriptions'],
  summary: 'Run the renewal job now (it also runs on a schedule)',
  response: {
    200: Type.Object({ renewed: Type.Integer(), ended: Type.Integer(), pastDue: Type.Integer(), expired: Type.Integer(), skipped: Type.Integer() }),
    ...commonErrors,
  },
};
