import { Type, type TSchema } from '@sinclair/typebox';
import { commonErrors, IdParams, IsoDateTime, PageQuery, pageOf } from '../platform/schemas.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Description = Type.String({ minLength: 1, maxLength: 2000 });
const Price = Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'Points a member pays.' });
const Limit = Type.Integer({ minimum: 1, maximum: 1_000_000 });
const PeriodSchema = Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]);
const Ref = Type.String({ minLength: 1, maxLength: 64 });

const ReasonSchema = Type.Object({ code: Type.String(), message: Type.String() });

export const CatalogItemSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Nullable(Type.String()),
    pointsPrice: Type.Integer(),
    poolId: Type.String(),
    perMemberLimit: Nullable(Type.Integer()),
    periodLimit: Nullable(Type.Object({ count: Type.Integer(), period: PeriodSchema })),
    timeZone: Type.String(),
    totalCap: Nullable(Type.Integer()),
    redeemedCount: Type.Integer(),
    availableFrom: Nullable(IsoDateTime),
    availableUntil: Nullable(IsoDateTime),
    rolloutId: Nullable(Type.String()),
    status: Type.String(),
    stock: Type.Integer(),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
    forMember: Type.Optional(
      Type.Object({
        eligible: Type.Boolean(),
        reasons: Type.Array(ReasonSchema),
        pointsBalance: Type.Integer(),
        redeemedByMember: Type.Integer(),
      }),
    ),
  },
  { $id: 'CatalogItem' },
);

const tags = ['catalog'];

export const createItemSchema = {
  tags,
  summary: 'Offer an item in the points mall, fulfilled from a code pool',
  body: Type.Object(
    {
      name: Name,
      description: Type.Optional(Description),
      pointsPrice: Price,
      poolId: Ref,
      perMemberLimit: Type.Optional(Limit),
      periodLimit: Type.Optional(Type.Object({ count: Limit, period: PeriodSchema }, { additionalProperties: false })),
      timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA zone in which periods (day, week, month) are counted; default UTC.' })),
      totalCap: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
      availableFrom: Type.Optional(IsoDateTime),
      availableUntil: Type.Optional(IsoDateTime),
      rolloutId: Type.Optional(Ref),
    },
    { additionalProperties: false },
  ),
  response: { 201: CatalogItemSchema, ...commonErrors },
};

export const updateItemSchema = {
  tags,
  summary: 'Change an item: price, window, rollout, per-member limit, or archive it',
  params: IdParams,
  body: Type.Object(
    {
      name: Type.Optional(Name),
      description: Type.Optional(Nullable(Description)),
      pointsPrice: Type.Optional(Price),
      perMemberLimit: Type.Optional(Nullable(Limit)),
      availableFrom: Type.Optional(Nullable(IsoDateTime)),
      availableUntil: Type.Optional(Nullable(IsoDateTime)),
      rolloutId: Type.Optional(Nullable(Ref)),
      status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('archived')])),
    },
    { additionalProperties: false, minProperties: 1 },
  ),
  response: { 200: CatalogItemSchema, ...commonErrors },
};

export const getItemSchema = {
  tags,
  summary: 'Get an item with its stock',
  params: IdParams,
  response: { 200: CatalogItemSchema, ...commonErrors },
};

export const listItemsSchema = {
  tags,
  summary: 'The mall: items newest first; with memberId, whether that member may redeem each and why not',
  querystring: Type.Composite(
    [PageQuery, Type.Object({ memberId: Type.Optional(Ref), includeArchived: Type.Optional(Type.Boolean()) })],
    { additionalProperties: false },
  ),
  response: { 200: pageOf(CatalogItemSchema), ...commonErrors },
};

export const itemEligibilitySchema = {
  tags,
  summary: 'May this member redeem this item now, and if not, why',
  params: IdParams,
  querystring: Type.Object({ memberId: Ref }, { additionalProperties: false }),
  response: { 200: CatalogItemSchema, ...commonErrors },
};
