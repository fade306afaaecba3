import { Type } from '@sinclair/typebox';
import { commonErrors, ErrorSchema, IdParams, IsoDateTime, PageQuery, pageOf } from '../platform/schemas.js';
import { MAX_CODE_LENGTH } from './pool.js';

const Nullable = <T extends import('@sinclair/typebox').TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const MoneySchema = Type.Object(
  {
    amount: Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'Minor units (fen, cents).' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217, e.g. CNY.' }),
  },
  { additionalProperties: false },
);

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Ref = Type.String({ minLength: 1, maxLength: 100 });
const Threshold = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });

const stockFields = {
  total: Type.Integer(),
  issued: Type.Integer(),
  available: Type.Integer({ description: 'Issuable now: not issued, voided or expired.' }),
  expired: Type.Integer(),
  voided: Type.Integer(),
};

export const PoolSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    partnerId: Nullable(Type.String()),
    supplier: Nullable(Type.String()),
    unitCost: Nullable(MoneySchema),
    lowStockThreshold: Nullable(Type.Integer()),
    lowStock: Type.Boolean(),
    createdAt: IsoDateTime,
    ...stockFields,
  },
  { $id: 'Pool' },
);

export const BatchSchema = Type.Object(
  {
    id: Type.String(),
    poolId: Type.String(),
    supplier: Nullable(Type.String()),
    partnerId: Nullable(Type.String()),
    unitCost: Nullable(MoneySchema),
    purchasedAt: Nullable(IsoDateTime),
    expiresAt: Nullable(IsoDateTime),
    duplicates: Type.Integer(),
    createdAt: IsoDateTime,
    ...stockFields,
  },
  { $id: 'CodeBatch' },
);

const CodeViewSchema = Type.Object(
  {
    id: Type.String(),
    poolId: Type.String(),
    batchId: Type.String(),
    status: Type.String(),
    maskedCode: Type.String(),
    expiresAt: Nullable(IsoDateTime),
    issuedAt: Nullable(IsoDateTime),
    issuedTo: Nullable(Type.String()),
    voidedAt: Nullable(IsoDateTime),
    createdAt: IsoDateTime,
  },
  { $id: 'PoolCode' },
);

const CostLineSchema = Type.Object({
  batchId: Nullable(Type.String()),
  currency: Nullable(Type.String()),
  unitCost: Nullable(Type.Integer()),
  issued: Type.Integer(),
  available: Type.Integer(),
  expired: Type.Integer(),
  voided: Type.Integer(),
  issuedCost: Nullable(Type.Integer()),
  stockValue: Nullable(Type.Integer()),
  expiredCost: Nullable(Type.Integer()),
});

const tags = ['pools'];
const PoolCodeParams = Type.Object({ id: IdParams.properties.id, codeId: Type.String({ minLength: 1, maxLength: 64 }) });

export const createPoolSchema = {
  tags,
  summary: 'Create a code pool (partner codes bought in bulk)',
  body: Type.Object(
    {
      name: Name,
      unitCost: Type.Optional(MoneySchema),
      partnerId: Type.Optional(Ref),
      supplier: Type.Optional(Name),
      lowStockThreshold: Type.Optional(Threshold),
    },
    { additionalProperties: false },
  ),
  response: { 201: PoolSchema, ...commonErrors },
};

export const updatePoolSchema = {
  tags,
  summary: "Change a pool's low-stock threshold (null: no alert)",
  params: IdParams,
  body: Type.Object({ lowStockThreshold: Nullable(Threshold) }, { additionalProperties: false }),
  response: { 200: PoolSchema, ...commonErrors },
};

export const getPoolSchema = {
  tags,
  summary: 'Get a pool with its stock: total, issued, available',
  params: IdParams,
  response: { 200: PoolSchema, ...commonErrors },
};

export const listPoolsSchema = {
  tags,
  summary: 'List pools, newest first',
  querystring: PageQuery,
  response: { 200: pageOf(PoolSchema), ...commonErrors },
};

export const importCodesSchema = {
  tags,
  summary: 'Import a batch of codes; duplicates across the pool are skipped and counted',
  params: IdParams,
  body: Type.Object(
    {
      codes: Type.Array(Type.String({ minLength: 1, maxLength: MAX_CODE_LENGTH }), { minItems: 1, maxItems: 10_000 }),
      expiresAt: Type.Optional(IsoDateTime),
      purchasedAt: Type.Optional(IsoDateTime),
      unitCost: Type.Optional(MoneySchema),
      supplier: Type.Optional(Name),
      partnerId: Type.Optional(Ref),
    },
    { additionalProperties: false },
  ),
  response: {
    201: Type.Object({ batchId: Type.String(), imported: Type.Integer(), duplicates: Type.Integer() }),
    ...commonErrors,
  },
};

export const batchesSchema = {
  tags,
  summary: "A pool's batches with unit cost, expiry and stock",
  params: IdParams,
  response: { 200: Type.Object({ data: Type.Array(BatchSchema) }), ...commonErrors },
};

export const listCodesSchema = {
  tags,
  summary: "A pool's codes, masked (reveal one to see it)",
  params: IdParams,
  querystring: Type.Composite([
    PageQuery,
    Type.Object({ status: Type.Optional(Type.Union([Type.Literal('available'), Type.Literal('issued'), Type.Literal('void')])) }),
  ], { additionalProperties: false }),
  response: { 200: pageOf(CodeViewSchema), ...commonErrors },
};

export const revealCodeSchema = {
  tags,
  summary: 'Reveal a code in clear (admins only; audited)',
  params: PoolCodeParams,
  body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
  response: { 200: Type.Object({ codeId: Type.String(), code: Type.String() }), 403: ErrorSchema, ...commonErrors },
};

export const revealsSchema = {
  tags,
  summary: 'Who revealed a code, when and why',
  params: PoolCodeParams,
  response: {
    200: Type.Object({
      data: Type.Array(Type.Object({ id: Type.String(), codeId: Type.String(), actor: Type.String(), reason: Type.String(), createdAt: IsoDateTime })),
    }),
    ...commonErrors,
  },
};

export const costReportSchema = {
  tags,
  summary: 'Cost report: issued × unit cost and value of stock on hand, per batch and per currency',
  params: IdParams,
  response: {
    200: Type.Object({ poolId: Type.String(), batches: Type.Array(CostLineSchema), totals: Type.Array(CostLineSchema) }),
    ...commonErrors,
  },
};
