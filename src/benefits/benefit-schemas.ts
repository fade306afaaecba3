import { Type } from '@sinclair/typebox';
import { PositiveMoney, Currency, MAX_AMOUNT } from '../orders/index.js';
import { commonErrors, ErrorSchema, IdParams, IsoDateTime, pageOf } from '../platform/schemas.js';

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Key = Type.String({ minLength: 1, maxLength: 100 });
const Kind = Type.Union([Type.Literal('partner_membership'), Type.Literal('discount'), Type.Literal('points_grant'), Type.Literal('pool_code')]);

const Config = {
  partner: Type.Optional(Key),
  membership: Type.Optional(Name),
  percentBp: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'Discount in basis points: 500 = 5%.' })),
  merchants: Type.Optional(Type.Array(Key, { maxItems: 100 })),
  categories: Type.Optional(Type.Array(Key, { maxItems: 100 })),
  maxDiscount: Type.Optional(PositiveMoney),
  points: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
  poolId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
};

export const BenefitSchema = Type.Object({
  id: Type.String(),
  code: Type.String(),
  name: Type.String(),
  kind: Kind,
  ...Config,
  maxDiscount: Type.Optional(Type.Object({ amount: Type.Integer(), currency: Type.String() })),
  createdAt: IsoDateTime,
});

export const EntitlementSchema = Type.Object({
  id: Type.String(),
  memberId: Type.String(),
  subscriptionId: Type.String(),
  periodId: Type.String(),
  benefitId: Type.String(),
  kind: Kind,
  status: Type.Union([Type.Literal('pending'), Type.Literal('fulfilled'), Type.Literal('failed'), Type.Literal('revoked'), Type.Literal('activation_failed')]),
  validFrom: IsoDateTime,
  validUntil: IsoDateTime,
  detail: Type.Record(Type.String(), Type.Unknown()),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
  history: Type.Optional(Type.Array(Type.Object({ status: Type.String(), note: Type.String(), createdAt: IsoDateTime }))),
});

export const createBenefitSchema = {
  tags: ['benefits'],
  summary: 'Define a benefit: a partner membership, a discount, a points grant or a code from a pool',
  body: Type.Object({ code: Key, name: Name, kind: Kind, ...Config }, { additionalProperties: false }),
  response: { 201: BenefitSchema, 409: ErrorSchema, ...commonErrors },
};

export const listBenefitsSchema = {
  tags: ['benefits'],
  summary: 'Every benefit',
  response: { 200: Type.Object({ data: Type.Array(BenefitSchema) }), ...commonErrors },
};

export const getBenefitSchema = {
  tags: ['benefits'],
  summary: 'One benefit',
  params: IdParams,
  response: { 200: BenefitSchema, ...commonErrors },
};

export const getEntitlementSchema = {
  tags: ['benefits'],
  summary: 'One entitlement with its fulfilment history',
  params: IdParams,
  response: { 200: EntitlementSchema, ...commonErrors },
};

export const fulfilEntitlementSchema = {
  tags: ['benefits'],
  summary: 'Report a pending entitlement delivered (a partner activated the membership)',
  params: IdParams,
  body: Type.Object({ reference: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false }),
  response: { 200: EntitlementSchema, 409: ErrorSchema, ...commonErrors },
};

export const failEntitlementSchema = {
  tags: ['benefits'],
  summary: 'Report that a pending entitlement could not be delivered',
  params: IdParams,
  body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
  response: { 200: EntitlementSchema, 409: ErrorSchema, ...commonErrors },
};

export const revealEntitlementCodeSchema = {
  tags: ['benefits'],
  summary: "Reveal a pool_code entitlement's code in clear (admins only; audited). A replay of the same Idempotency-Key answers code null",
  params: IdParams,
  body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
  response: { 200: Type.Intersect([EntitlementSchema, Type.Object({ code: Type.Union([Type.String(), Type.Null()]) })]), 403: ErrorSchema, 409: ErrorSchema, ...commonErrors },
};

export const memberEntitlementsSchema = {
  tags: ['benefits'],
  summary: "A member's entitlements, newest first (only those valid now with active=true)",
  params: IdParams,
  querystring: Type.Object(
    {
      limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
      startingAfter: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      active: Type.Boolean({ default: false }),
    },
    { additionalProperties: false },
  ),
  response: { 200: pageOf(EntitlementSchema), ...commonErrors },
};


export const discountCheckSchema = {
  tags: ['benefits'],
  summary: 'The discount a member gets now on a purchase at a merchant or in a category',
  querystring: Type.Object(
    {
      memberId: Type.String({ minLength: 1, maxLength: 64 }),
      amount: Type.Integer({ minimum: 1, maximum: MAX_AMOUNT }),
      currency: Currency,
      merchant: Type.Optional(Key),
      category: Type.Optional(Key),
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object({
      memberId: Type.String(),
      applies: Type.Boolean(),
      discount: Type.Union([Type.Object({ amount: Type.Integer(), currency: Type.String() }), Type.Null()]),
      percentBp: Type.Union([Type.Integer(), Type.Null()]),
      benefitId: Type.Union([Type.String(), Type.Null()]),
      entitlementId: Type.Union([Type.String(), Type.Null()]),
    }),
    ...commonErrors,
  },
};
