import { Type } from '@sinclair/typebox';
import { commonErrors, ErrorSchema, IdParams, IsoDateTime, PageQuery, pageOf } from '../platform/schemas.js';

/** The largest amount of one order or price, in minor units (a hundred billion yuan). */
export const MAX_AMOUNT = 10_000_000_000_000;

export const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217, e.g. CNY' });

export const MoneySchema = Type.Object(
  {
    amount: Type.Integer({ minimum: 0, maximum: MAX_AMOUNT, description: 'Minor units (fen for CNY).' }),
    currency: Currency,
  },
  { additionalProperties: false },
);

export const PositiveMoney = Type.Object(
  { amount: Type.Integer({ minimum: 1, maximum: MAX_AMOUNT }), currency: Currency },
  { additionalProperties: false },
);

const Category = Type.String({ minLength: 1, maxLength: 100 });

export const RefundSchema = Type.Object(
  {
    id: Type.String(),
    orderId: Type.String(),
    amount: MoneySchema,
    pointsReversed: Type.Integer(),
    pointsDebited: Type.Integer(),
    pointsDebt: Type.Integer({ description: 'Points the member had already spent: recorded as a debt.' }),
    transactionId: Type.Union([Type.String(), Type.Null()]),
    reason: Type.String(),
    createdAt: IsoDateTime,
  },
  { $id: 'OrderRefund' },
);

export const OrderSchema = Type.Object(
  {
    id: Type.String(),
    memberId: Type.String(),
    externalId: Type.String(),
    amount: MoneySchema,
    category: Type.Union([Type.String(), Type.Null()]),
    paidAt: IsoDateTime,
    pointsEarned: Type.Integer(),
    earnTransactionId: Type.Union([Type.String(), Type.Null()]),
    refundedAmount: MoneySchema,
    refundedPoints: Type.Integer(),
    status: Type.Union([Type.Literal('paid'), Type.Literal('partially_refunded'), Type.Literal('refunded')]),
    createdAt: IsoDateTime,
    refunds: Type.Optional(Type.Array(RefundSchema)),
  },
  { $id: 'Order' },
);

export const EarningRuleSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    kind: Type.Union([Type.Literal('base'), Type.Literal('category'), Type.Literal('plan')]),
    currency: Type.Union([Type.String(), Type.Null()]),
    pointsPerYuan: Type.Union([Type.Integer(), Type.Null()]),
    category: Type.Union([Type.String(), Type.Null()]),
    planId: Type.Union([Type.String(), Type.Null()]),
    multiplierBp: Type.Union([Type.Integer(), Type.Null()]),
    active: Type.Boolean(),
    createdAt: IsoDateTime,
  },
  { $id: 'EarningRule' },
);

export const createOrderSchema = {
  tags: ['orders'],
  summary: 'Record a paid order: points by the earning rules, spend statistics and loyalty score',
  body: Type.Object(
    {
      memberId: Type.String({ minLength: 1, maxLength: 64 }),
      externalId: Type.String({ minLength: 1, maxLength: 200, description: 'Your order number; unique.' }),
      amount: PositiveMoney,
      category: Type.Optional(Category),
      paidAt: Type.Optional(IsoDateTime),
    },
    { additionalProperties: false },
  ),
  response: { 201: OrderSchema, 409: ErrorSchema, ...commonErrors },
};

export const refundOrderSchema = {
  tags: ['orders'],
  summary: "Refund all that is left of an order, or part of it; takes back that share of the order's points once",
  params: IdParams,
  body: Type.Object(
    {
      amount: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_AMOUNT, description: 'Minor units; all that is left when absent.' })),
      reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    },
    { additionalProperties: false },
  ),
  response: {
    201: Type.Intersect([RefundSchema, Type.Object({ order: OrderSchema })]),
    409: ErrorSchema,
    422: ErrorSchema,
    ...commonErrors,
  },
};

export const getOrderSchema = {
  tags: ['orders'],
  summary: 'An order with its refunds',
  params: IdParams,
  response: { 200: OrderSchema, ...commonErrors },
};

export const memberOrdersSchema = {
  tags: ['orders'],
  summary: "A member's orders, newest first",
  params: IdParams,
  querystring: PageQuery,
  response: { 200: pageOf(OrderSchema), ...commonErrors },
};

export const spendSchema = {
  tags: ['orders'],
  summary: "A member's spend statistics per currency",
  params: IdParams,
  response: {
    200: Type.Object({
      memberId: Type.String(),
      data: Type.Array(
        Type.Object({
          currency: Type.String(),
          orderCount: Type.Integer(),
          refundCount: Type.Integer(),
          grossAmount: Type.Integer(),
          refundedAmount: Type.Integer(),
          netAmount: Type.Integer(),
          firstOrderAt: Type.Union([IsoDateTime, Type.Null()]),
          lastOrderAt: Type.Union([IsoDateTime, Type.Null()]),
        }),
      ),
    }),
    ...commonErrors,
  },
};

export const debtSchema = {
  tags: ['orders'],
  summary: "A member's points debt (refunded points that had been spent) and its recent changes",
  params: IdParams,
  response: {
    200: Type.Object({
      memberId: Type.String(),
      points: Type.Integer(),
      entries: Type.Array(
        Type.Object({
          id: Type.String(),
          points: Type.Integer(),
          orderId: Type.Union([Type.String(), Type.Null()]),
          refundId: Type.Union([Type.String(), Type.Null()]),
          transactionId: Type.Union([Type.String(), Type.Null()]),
          note: Type.String(),
          createdAt: IsoDateTime,
        }),
      ),
    }),
    ...commonErrors,
  },
};

export const createRuleSchema = {
  tags: ['orders'],
  summary: 'Add an earning rule: a base rate per currency, or a category or plan-member multiplier',
  body: Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 200 }),
      kind: Type.Union([Type.Literal('base'), Type.Literal('category'), Type.Literal('plan')]),
      currency: Type.Optional(Currency),
      pointsPerYuan: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'Points per 100 minor units.' })),
      category: Type.Optional(Category),
      planId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      multiplierBp: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: '10000 = ×1, 20000 = ×2.' })),
    },
    { additionalProperties: false },
  ),
  response: { 201: EarningRuleSchema, ...commonErrors },
};

export const listRulesSchema = {
  tags: ['orders'],
  summary: 'Every earning rule',
  response: { 200: Type.Object({ data: Type.Array(EarningRuleSchema) }), ...commonErrors },
};

export const deactivateRuleSchema = {
  tags: ['orders'],
  summary: 'Stop an earning rule from applying to new orders',
  params: IdParams,
  response: { 200: EarningRuleSchema, ...commonErrors },
};
