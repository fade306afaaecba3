import { Type } from '@sinclair/typebox';
import { commonErrors, ErrorSchema, IdParams, IsoDateTime, PageQuery, pageOf } from '../platform/schemas.js';

export const MemberSchema = Type.Object(
  {
    id: Type.String({ examples: ['mem_01JD6Y3Q8Z4T9W0V5B7C2N1M3K'] }),
    externalId: Type.String(),
    displayName: Type.Union([Type.String(), Type.Null()]),
    pointsBalance: Type.Integer(),
    loyaltyScore: Type.Integer(),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  },
  { $id: 'Member' },
);

const DisplayName = Type.String({ minLength: 1, maxLength: 200 });

export const CreateMemberBody = Type.Object(
  {
    externalId: Type.String({ minLength: 1, maxLength: 200, description: 'Your own id for this person; unique.' }),
    displayName: Type.Optional(DisplayName),
  },
  { additionalProperties: false },
);

export const UpdateMemberBody = Type.Object(
  { displayName: Type.Union([DisplayName, Type.Null()]) },
  { additionalProperties: false },
);

export const createMemberSchema = {
  tags: ['members'],
  summary: 'Create a member',
  body: CreateMemberBody,
  response: { 201: MemberSchema, 409: ErrorSchema, ...commonErrors },
};

export const getMemberSchema = {
  tags: ['members'],
  summary: 'Get a member with points balance and loyalty score',
  params: IdParams,
  response: { 200: MemberSchema, ...commonErrors },
};

export const listMembersSchema = {
  tags: ['members'],
  summary: 'List members, newest first; with externalId, the one member of that id (or none)',
  querystring: Type.Object(
    {
      ...PageQuery.properties,
      externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Your own id for the person' })),
    },
    { additionalProperties: false },
  ),
  response: { 200: pageOf(MemberSchema), ...commonErrors },
};

export const updateMemberSchema = {
  tags: ['members'],
  summary: "Update a member's display name",
  params: IdParams,
  body: UpdateMemberBody,
  response: { 200: MemberSchema, ...commonErrors },
};
