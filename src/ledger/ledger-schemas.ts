import { Type } from '@sinclair/typebox';
import { commonErrors, ErrorSchema, IdParams, IsoDateTime, PageQuery, pageOf } from '../platform/schemas.js';
import { MAX_POINTS } from './ledger.js';

const Points = Type.Integer({ minimum: 1, maximum: MAX_POINTS, description: 'A whole number of points.' });
const Reason = Type.String({ minLength: 1, maxLength: 200 });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const EntrySchema = Type.Object({ account: Type.String(), amount: Type.Integer() });

export const TransactionSchema = Type.Object(
  {
    id: Type.String(),
    memberId: Type.String(),
    kind: Type.Union(['earn', 'spend', 'expire', 'adjust', 'reversal'].map((k) => Type.Literal(k))),
    points: Type.Integer({ description: "Signed change of the member's balance." }),
    reason: Type.String(),
    expiresAt: Nullable(IsoDateTime),
    reversesId: Nullable(Type.String()),
    reversedBy: Nullable(Type.String()),
    createdAt: IsoDateTime,
    entries: Type.Array(EntrySchema, { description: 'Double-entry lines; they always sum to zero.' }),
  },
  { $id: 'LedgerTransaction' },
);

export const LotSchema = Type.Object(
  {
    id: Type.String(),
    transactionId: Type.String(),
    points: Type.Integer(),
    remaining: Type.Integer(),
    expiresAt: Nullable(IsoDateTime),
    createdAt: IsoDateTime,
  },
  { $id: 'PointLot' },
);

export const EarnBody = Type.Object(
  { points: Points, reason: Reason, expiresAt: Type.Optional(IsoDateTime) },
  { additionalProperties: false },
);
export const SpendBody = Type.Object({ points: Points, reason: Reason }, { additionalProperties: false });
export const AdjustBody = Type.Object(
  {
    points: Type.Integer({ minimum: -MAX_POINTS, maximum: MAX_POINTS, not: { const: 0 }, description: 'Signed, not zero.' }),
    reason: Reason,
    expiresAt: Type.Optional(IsoDateTime),
  },
  { additionalProperties: false },
);
export const ReverseBody = Type.Object(
  {
    reason: Type.Optional(Reason),
    expiresAt: Type.Optional({
      ...IsoDateTime,
      description: 'For points that come back after their lot has lapsed: when their new lot expires (never, without it)',
    }),
  },
  { additionalProperties: false },
);

const pointsEffect = <B extends typeof EarnBody | typeof SpendBody | typeof AdjustBody>(summary: string, body: B) => ({
  tags: ['points'],
  summary,
  params: IdParams,
  body,
  response: { 201: TransactionSchema, 422: ErrorSchema, ...commonErrors },
});

export const earnSchema = pointsEffect('Credit points to a member, optionally expiring', EarnBody);
export const spendSchema = pointsEffect('Debit points, earliest-expiring first', SpendBody);
export const adjustSchema = pointsEffect('Correct a balance by hand (signed)', AdjustBody);

export const summarySchema = {
  tags: ['points'],
  summary: "A member's balance, next expiry and open lots",
  params: IdParams,
  response: {
    200: Type.Object({
      memberId: Type.String(),
      balance: Type.Integer(),
      nextExpiry: Type.Union([Type.Object({ points: Type.Integer(), expiresAt: IsoDateTime }), Type.Null()]),
      lots: Type.Array(LotSchema),
    }),
    ...commonErrors,
  },
};

export const lotsSchema = {
  tags: ['points'],
  summary: "A member's lots (all, or only those with points left)",
  params: IdParams,
  querystring: Type.Object({ open: Type.Boolean({ default: false }) }, { additionalProperties: false }),
  response: { 200: Type.Object({ data: Type.Array(LotSchema) }), ...commonErrors },
};

export const historySchema = {
  tags: ['points'],
  summary: "A member's ledger transactions, newest first",
  params: IdParams,
  querystring: PageQuery,
  response: { 200: pageOf(TransactionSchema), ...commonErrors },
};

export const getTransactionSchema = {
  tags: ['points'],
  summary: 'One ledger transaction with its entries',
  params: IdParams,
  response: { 200: TransactionSchema, ...commonErrors },
};

export const reverseSchema = {
  tags: ['points'],
  summary: 'Reverse a transaction once, by a compensating transaction',
  params: IdParams,
  body: ReverseBody,
  response: { 201: TransactionSchema, 409: ErrorSchema, 422: ErrorSchema, ...commonErrors },
};
