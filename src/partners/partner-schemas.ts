import { Type, type TSchema } from '@sinclair/typebox';
import { ApiKeySchema, SCOPES } from '../auth/index.js';
import { SettlementEntrySchema, SettlementReportSchema } from '../joint/index.js';
import { commonErrors, ErrorSchema, IdParams, IsoDateTime, PageQuery, pageOf } from '../platform/schemas.js';
import { ACTIVATION_STATUSES, ACTIVITY_KINDS, CHANNELS } from './partner.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

const TAG = 'partners';
const PARTNER_API = 'partner API';
const errors = { ...commonErrors, 403: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema, 429: ErrorSchema };

export const PartnerSchema = Type.Object(
  {
    id: Type.String({ description: 'ptr_…' }),
    code: Type.String({ description: 'Unique, stable: benefits and pools name the partner by it (or by id).' }),
    name: Type.String(),
    requiresAccountLink: Type.Boolean({ description: 'Activations wait until the member links their account on the partner platform.' }),
    createdAt: IsoDateTime,
  },
  { $id: 'Partner' },
);

const RulesSchema = Type.Object(
  {
    forbidPrograms: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 100, description: 'Plan or joint product codes the partner may not be a benefit of.' }),
    ),
    forbidChannels: Type.Optional(Type.Array(literals(CHANNELS), { maxItems: 10, description: 'points_mall, joint, membership (a plan benefit).' })),
    procurementOnly: Type.Optional(
      Type.Boolean({ description: 'Only through procurement (pools, the points mall): no partner_membership benefit, no joint product.' }),
    ),
  },
  { additionalProperties: false },
);

export const AgreementSchema = Type.Object(
  {
    id: Type.String({ description: 'agr_…' }),
    partnerId: Type.String(),
    kind: literals(['co_brand', 'procurement'] as const),
    revenueTerms: Nullable(Type.Record(Type.String(), Type.Unknown())),
    rules: RulesSchema,
    validFrom: IsoDateTime,
    validUntil: Nullable(IsoDateTime),
    note: Nullable(Type.String()),
    active: Type.Boolean({ description: 'In force now.' }),
    createdAt: IsoDateTime,
  },
  { $id: 'PartnerAgreement' },
);

export const ActivationSchema = Type.Object(
  {
    entitlementId: Type.String(),
    partnerId: Type.String(),
    memberId: Type.String(),
    benefitId: Type.String(),
    status: literals(ACTIVATION_STATUSES),
    attempts: Type.Integer({ description: 'Requests sent in the current round.' }),
    retries: Type.Integer({ description: 'Rounds an operator started again.' }),
    nextAttemptAt: Nullable(IsoDateTime),
    lastRequestedAt: Nullable(IsoDateTime),
    partnerReference: Nullable(Type.String()),
    reason: Nullable(Type.String()),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  },
  { $id: 'Activation' },
);

const LinkSchema = Type.Object(
  {
    id: Type.String({ description: 'plk_…' }),
    partnerId: Type.String(),
    memberId: Type.String(),
    status: literals(['pending', 'confirmed', 'superseded'] as const),
    partnerUserId: Nullable(Type.String()),
    tokenExpiresAt: IsoDateTime,
    createdAt: IsoDateTime,
    confirmedAt: Nullable(IsoDateTime),
  },
  { $id: 'PartnerLink' },
);

const ActivitySchema = Type.Object(
  {
    id: Type.String({ description: 'pac_…' }),
    partnerId: Type.String(),
    memberId: Type.String(),
    kind: literals(ACTIVITY_KINDS),
    occurredAt: IsoDateTime,
    reportedAt: IsoDateTime,
    externalId: Nullable(Type.String()),
  },
  { $id: 'PartnerActivity' },
);

const Code = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9_-]*$' });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const EntitlementParams = Type.Object({ entitlementId: Type.String({ minLength: 1, maxLength: 64 }) });
const KeyParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }), keyId: Type.String({ minLength: 1, maxLength: 64 }) });
const Reference = Type.String({ minLength: 1, maxLength: 200 });
const PartnerUserId = Type.String({ minLength: 1, maxLength: 200 });

export const createPartnerSchema = {
  tags: [TAG],
  summary: 'Register a partner (a platform outside the operator: Youku, Ele.me…)',
  body: Type.Object(
    { code: Code, name: Name, requiresAccountLink: Type.Optional(Type.Boolean({ default: false })) },
    { additionalProperties: false },
  ),
  response: { 201: PartnerSchema, ...errors },
};

export const listPartnersSchema = {
  tags: [TAG],
  summary: 'List partners, newest first',
  querystring: PageQuery,
  response: { 200: pageOf(PartnerSchema), ...errors },
};

export const getPartnerSchema = {
  tags: [TAG],
  summary: 'A partner, by id or code',
  params: IdParams,
  response: { 200: PartnerSchema, ...errors },
};

export const createAgreementSchema = {
  tags: [TAG],
  summary: "Record an agreement with a partner, with its exclusivity rules",
  description:
    'Rules in force are checked whenever the partner is offered: creating a benefit, a catalog item of its pool, a joint product, or attaching its benefit to a plan ' +
    'that breaks one is refused with 422 `exclusivity_violation`, naming the agreement and the rule.',
  params: IdParams,
  body: Type.Object(
    {
      kind: literals(['co_brand', 'procurement'] as const),
      revenueTerms: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { description: 'Free form: revenue share, unit prices…', maxProperties: 50 })),
      rules: Type.Optional(RulesSchema),
      validFrom: Type.Optional(IsoDateTime),
      validUntil: Type.Optional(Nullable(IsoDateTime)),
      note: Type.Optional(Type.String({ maxLength: 1000 })),
    },
    { additionalProperties: false },
  ),
  response: { 201: AgreementSchema, ...errors },
};

export const listAgreementsSchema = {
  tags: [TAG],
  summary: "A partner's agreements",
  params: IdParams,
  response: { 200: Type.Object({ data: Type.Array(AgreementSchema) }), ...errors },
};

export const createKeySchema = {
  tags: [TAG],
  summary: 'Create a partner API key (tsk_ptr_…); its secret is in this answer only',
  description:
    `Scopes: ${SCOPES.join(', ')}. At most two keys are active at once (a third is 409 \`too_many_active_keys\`): rotate by creating the new key, switching over, and revoking the old one.`,
  params: IdParams,
  body: Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 100 }),
      scopes: Type.Array(literals(SCOPES), { minItems: 1, maxItems: SCOPES.length, uniqueItems: true }),
    },
    { additionalProperties: false },
  ),
  response: {
    201: Type.Composite([ApiKeySchema, Type.Object({ secret: Nullable(Type.String({ description: 'In this answer only; an idempotent replay answers null.' })) })]),
    ...errors,
  },
};

export const listKeysSchema = {
  tags: [TAG],
  summary: "A partner's API keys (never their secrets)",
  params: IdParams,
  response: { 200: Type.Object({ data: Type.Array(ApiKeySchema) }), ...errors },
};

export const revokeKeySchema = {
  tags: [TAG],
  summary: "Revoke a partner's key: refused at once on this node, within a second on the others",
  params: KeyParams,
  body: Type.Object({}, { additionalProperties: false }),
  response: { 200: ApiKeySchema, ...errors },
};

export const partnerActivitiesSchema = {
  tags: [TAG],
  summary: 'Activity a partner reported, newest first',
  params: IdParams,
  querystring: Type.Composite([PageQuery, Type.Object({ memberId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) })], { additionalProperties: false }),
  response: { 200: pageOf(ActivitySchema), ...errors },
};

export const listActivationsSchema = {
  tags: [TAG],
  summary: 'Activations of partner memberships (status=failed: the ones waiting for an operator)',
  querystring: Type.Composite(
    [
      PageQuery,
      Type.Object({
        status: Type.Optional(literals(ACTIVATION_STATUSES)),
        partnerId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        memberId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      }),
    ],
    { additionalProperties: false },
  ),
  response: { 200: pageOf(ActivationSchema), ...errors },
};

export const getActivationSchema = {
  tags: [TAG],
  summary: "An entitlement's activation",
  params: EntitlementParams,
  response: { 200: ActivationSchema, ...errors },
};

export const retryActivationSchema = {
  tags: [TAG],
  summary: 'Start a failed or rejected activation over (admin, support)',
  params: EntitlementParams,
  body: Type.Object({}, { additionalProperties: false }),
  response: { 200: ActivationSchema, ...errors },
};

export const startLinkSchema = {
  tags: [TAG],
  summary: "Start linking a member's account on a partner platform",
  description:
    'Answers a one-time `linkToken` (valid 24 hours) that the member takes to the partner, who confirms it with `POST /v1/partner/links/confirm`. ' +
    'A new token supersedes the previous pending one.',
  params: IdParams,
  body: Type.Object({ partnerId: Type.String({ minLength: 1, maxLength: 64, description: 'Partner id or code' }) }, { additionalProperties: false }),
  response: {
    201: Type.Composite([LinkSchema, Type.Object({ linkToken: Nullable(Type.String({ description: 'In this answer only; an idempotent replay answers null.' })) })]),
    ...errors,
  },
};

export const memberLinksSchema = {
  tags: [TAG],
  summary: "A member's partner account links",
  params: IdParams,
  response: { 200: Type.Object({ data: Type.Array(LinkSchema) }), ...errors },
};

// ---- the partner API (partner keys)

export const partnerActivationListSchema = {
  tags: [PARTNER_API],
  summary: 'Your activations (scope activations:write), e.g. status=requested to poll what is owed',
  querystring: Type.Composite([PageQuery, Type.Object({ status: Type.Optional(literals(ACTIVATION_STATUSES)) })], { additionalProperties: false }),
  response: { 200: pageOf(ActivationSchema), ...errors },
};

export const confirmActivationSchema = {
  tags: [PARTNER_API],
  summary: 'Confirm you activated a membership (scope activations:write); idempotent',
  params: EntitlementParams,
  body: Type.Object({ partnerReference: Type.Optional(Reference) }, { additionalProperties: false }),
  response: { 200: ActivationSchema, ...errors },
};

export const rejectActivationSchema = {
  tags: [PARTNER_API],
  summary: 'Refuse an activation, with the reason (scope activations:write)',
  params: EntitlementParams,
  body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
  response: { 200: ActivationSchema, ...errors },
};

export const confirmLinkSchema = {
  tags: [PARTNER_API],
  summary: "Confirm a member's account link with the token they brought (scope activations:write)",
  description: 'One partner user id links to one member. The same token and user id again answer the same link.',
  body: Type.Object({ linkToken: Type.String({ minLength: 1, maxLength: 200 }), partnerUserId: PartnerUserId }, { additionalProperties: false }),
  response: { 200: LinkSchema, ...errors },
};

export const linkedMemberSchema = {
  tags: [PARTNER_API],
  summary: 'A member linked to you, by your user id (scope members:read)',
  params: Type.Object({ partnerUserId: PartnerUserId }),
  response: {
    200: Type.Object({
      partnerUserId: Type.String(),
      memberId: Type.String(),
      linkedAt: IsoDateTime,
      memberships: Type.Array(Type.Object({ entitlementId: Type.String(), status: literals(ACTIVATION_STATUSES), partnerReference: Nullable(Type.String()) })),
    }),
    ...errors,
  },
};

const ActivityReportSchema = Type.Object(
  {
    partnerUserId: Type.Optional(PartnerUserId),
    memberId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    kind: literals(ACTIVITY_KINDS),
    occurredAt: IsoDateTime,
    externalId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Your id of the report: a repeat is recorded once.' })),
  },
  { additionalProperties: false },
);

export const reportActivitySchema = {
  tags: [PARTNER_API],
  summary: 'Report that members became, or are, active users of your platform (scope usage:write)',
  description:
    'One report, or `{"reports": [...]}` with up to 1,000. Name the member by the `partnerUserId` it is linked to, or by `memberId`. ' +
    'Reports with an `externalId` already recorded come back with `duplicate: true` and the first id. A batch is recorded whole or not at all.',
  body: Type.Object({ reports: Type.Array(ActivityReportSchema, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false }),
  response: {
    201: Type.Object({
      data: Type.Array(Type.Object({ id: Type.String(), memberId: Type.String(), duplicate: Type.Boolean() })),
      accepted: Type.Integer(),
      duplicates: Type.Integer(),
    }),
    ...errors,
  },
};

const SettlementPeriod = { from: Type.Optional(IsoDateTime), to: Type.Optional(IsoDateTime) };

export const partnerSettlementEntriesSchema = {
  tags: [PARTNER_API],
  summary: 'Your settlement entries from joint products, newest first (scope settlements:read)',
  description: "The settlement ledger's entries whose party is your partner code.",
  querystring: Type.Composite([PageQuery, Type.Object(SettlementPeriod)], { additionalProperties: false }),
  response: {
    200: pageOf(SettlementEntrySchema),
    ...errors,
  },
};

export const partnerSettlementReportSchema = {
  tags: [PARTNER_API],
  summary: 'What you are owed for a period: sales, refunds and net per currency (scope settlements:read)',
  querystring: Type.Object(SettlementPeriod, { additionalProperties: false }),
  response: {
    200: SettlementReportSchema,
    ...errors,
  },
};

export const lookupCodeSchema = {
  tags: [PARTNER_API],
  summary: 'Check a code of your pools (scope activations:write; strictly rate limited)',
  description:
    'Answers `{"valid": true, …}` only for a code issued to a member and not expired. A code that does not exist, is not yours, has expired, was voided ' +
    'or not yet issued answers `{"valid": false}`, all alike.',
  body: Type.Object({ code: Type.String({ minLength: 1, maxLength: 256 }) }, { additionalProperties: false }),
  response: {
    200: Type.Object({
      valid: Type.Boolean(),
      status: Type.Optional(Type.Literal('issued')),
      issuedAt: Type.Optional(Nullable(IsoDateTime)),
      expiresAt: Type.Optional(Nullable(IsoDateTime)),
    }),
    ...errors,
  },
};
