import { Type } from '@sinclair/typebox';
import { MoneySchema, PositiveMoney } from '../orders/index.js';
import { commonErrors, ErrorSchema, IdParams, IsoDateTime, pageOf } from '../platform/schemas.js';
import { SubscriptionDetailSchema } from '../subscriptions/index.js';

const Party = Type.String({ minLength: 1, maxLength: 100 });
const Share = Type.Object(
  {
    party: Party,
    fixed: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000_000_000, description: 'Minor units, taken first.' })),
    percent: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100, description: 'Of what the fixed shares leave; up to four decimals.' })),
  },
  { additionalProperties: false },
);

export const JointProductSchema = Type.Object({
  id: Type.String(),
  code: Type.String(),
  name: Type.String(),
  planId: Type.String(),
  price: MoneySchema,
  benefitIds: Type.Array(Type.String()),
  split: Type.Array(Type.Object({ party: Type.String(), fixed: Type.Optional(Type.Integer()), percent: Type.Optional(Type.Number()) })),
  createdAt: IsoDateTime,
});

export const createJointSchema = {
  tags: ['joint'],
  summary: 'Create a joint membership product: our plan plus partner benefits at one price, split by agreement',
  body: Type.Object(
    {
      code: Type.String({ minLength: 1, maxLength: 100 }),
      name: Type.String({ minLength: 1, maxLength: 200 }),
      planId: Type.String({ minLength: 1, maxLength: 64 }),
      price: PositiveMoney,
      benefitIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50, uniqueItems: true })),
      split: Type.Array(Share, { minItems: 1, maxItems: 20 }),
    },
    { additionalProperties: false },
  ),
  response: { 201: JointProductSchema, 409: ErrorSchema, ...commonErrors },
};

export const listJointSchema = {
  tags: ['joint'],
  summary: 'Every joint product',
  response: { 200: Type.Object({ data: Type.Array(JointProductSchema) }), ...commonErrors },
};

export const getJointSchema = {
  tags: ['joint'],
  summary: 'One joint product',
  params: IdParams,
  response: { 200: JointProductSchema, ...commonErrors },
};

export const purchaseJointSchema = {
  tags: ['joint'],
  summary: 'Sell a joint product to a member: a subscription at the product price, with the revenue split recorded',
  params: IdParams,
  body: Type.Object({ memberId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  response: { 201: SubscriptionDetailSchema, 409: ErrorSchema, 422: ErrorSchema, ...commonErrors },
};

/** Also answered to partners, for their own party (src/partners). */
export const SettlementEntrySchema = Type.Object({
  id: Type.String(),
  party: Type.String(),
  jointProductId: Type.String(),
  subscriptionId: Type.String(),
  paymentId: Type.String(),
  kind: Type.Union([Type.Literal('sale'), Type.Literal('refund')]),
  amount: Type.Object({ amount: Type.Integer(), currency: Type.String() }),
  createdAt: IsoDateTime,
});

export const SettlementReportSchema = Type.Object({
  from: Type.Union([IsoDateTime, Type.Null()]),
  to: Type.Union([IsoDateTime, Type.Null()]),
  data: Type.Array(
    Type.Object({
      party: Type.String(),
      currency: Type.String(),
      sales: Type.Integer(),
      refunds: Type.Integer(),
      net: Type.Integer(),
      entries: Type.Integer(),
    }),
  ),
});

const Period = {
  party: Type.Optional(Party),
  from: Type.Optional(IsoDateTime),
  to: Type.Optional(IsoDateTime),
};

export const settlementEntriesSchema = {
  tags: ['joint'],
  summary: 'Settlement ledger entries, newest first',
  querystring: Type.Object(
    {
      ...Period,
      limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
      startingAfter: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    },
    { additionalProperties: false },
  ),
  response: {
    200: pageOf(SettlementEntrySchema),
    ...commonErrors,
  },
};

export const settlementReportSchema = {
  tags: ['joint'],
  summary: 'What each party is owed for a period: sales, refunds and net, per currency',
  querystring: Type.Object(Period, { additionalProperties: false }),
  response: {
    200: SettlementReportSchema,
    ...commonErrors,
  },
};
