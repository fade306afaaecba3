import { Type, type TSchema } from '@sinclair/typebox';
import { commonErrors, ErrorSchema, IdParams, IsoDateTime, PageQuery, pageOf } from '../platform/schemas.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Ref = Type.String({ minLength: 1, maxLength: 64 });

export const ReceiptSchema = Type.Object(
  {
    id: Type.String(),
    code: Type.String({ description: 'The code in clear: shown here, to the member who redeemed it.' }),
    pointsSpent: Type.Integer(),
    memberId: Type.String(),
    itemId: Type.String(),
    transactionId: Type.String(),
    codeExpiresAt: Nullable(IsoDateTime),
    createdAt: IsoDateTime,
  },
  { $id: 'RedemptionReceipt' },
);

export const RedemptionSchema = Type.Object(
  {
    id: Type.String(),
    memberId: Type.String(),
    itemId: Type.String(),
    poolId: Type.String(),
    codeId: Type.String(),
    code: Type.Optional(Type.String()),
    maskedCode: Type.Optional(Type.String()),
    pointsSpent: Type.Integer(),
    transactionId: Type.String(),
    status: Type.String(),
    reversalTransactionId: Nullable(Type.String()),
    reversalReason: Nullable(Type.String()),
    createdAt: IsoDateTime,
    reversedAt: Nullable(IsoDateTime),
  },
  { $id: 'Redemption' },
);

const tags = ['redemptions'];

export const redeemSchema = {
  tags,
  summary: 'Exchange points for an item: debits the points and issues one code, in one transaction',
  body: Type.Object({ memberId: Ref, itemId: Ref }, { additionalProperties: false }),
  response: { 201: ReceiptSchema, 409: ErrorSchema, 422: ErrorSchema, ...commonErrors },
};

export const getRedemptionSchema = {
  tags,
  summary: 'Get a redemption (code masked)',
  params: IdParams,
  response: { 200: RedemptionSchema, ...commonErrors },
};

export const memberRedemptionsSchema = {
  tags,
  summary: "A member's redemptions, newest first (codes masked)",
  params: IdParams,
  querystring: PageQuery,
  response: { 200: pageOf(RedemptionSchema), ...commonErrors },
};

export const revealSchema = {
  tags,
  summary: "Reveal a redemption's code in clear (admins only; audited)",
  params: IdParams,
  body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
  response: { 200: RedemptionSchema, 403: ErrorSchema, ...commonErrors },
};

export const reverseSchema = {
  tags,
  summary: 'Reverse a redemption (admins only): the points come back once and the code is voided',
  params: IdParams,
  body: Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false }),
  response: { 200: RedemptionSchema, 403: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema, ...commonErrors },
};
