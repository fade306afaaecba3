import { Type, type TSchema } from '@sinclair/typebox';
import { commonErrors, ErrorSchema, IdParams, IsoDateTime, PageQuery, pageOf } from '../platform/schemas.js';
import { DELIVERY_STATUSES } from './webhook.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const tags = ['webhooks'];

const Url = Type.String({ minLength: 1, maxLength: 2000, description: 'http or https URL that receives the POSTs.' });
const EventTypes = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  minItems: 1,
  maxItems: 100,
  description: "Event types, family wildcards ('redemption.*') or '*'.",
});
const Description = Type.String({ minLength: 1, maxLength: 500 });
const StatusFilter = Type.Union(DELIVERY_STATUSES.map((s) => Type.Literal(s)));

export const EndpointSchema = Type.Object(
  {
    id: Type.String(),
    partnerId: Nullable(Type.String()),
    url: Type.String(),
    description: Nullable(Type.String()),
    eventTypes: Type.Array(Type.String()),
    status: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]),
    disabledReason: Nullable(Type.String({ description: "'manual' or 'gone' (the receiver answered 410)." })),
    disabledAt: Nullable(IsoDateTime),
    previousSecretExpiresAt: Nullable(IsoDateTime),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  },
  { $id: 'WebhookEndpoint' },
);

const EndpointWithSecretSchema = Type.Intersect([
  EndpointSchema,
  Type.Object({ secret: Type.String({ description: 'whsec_…: shown only in this answer.' }) }),
]);

const DeliveryFields = {
  id: Type.String(),
  eventId: Type.String({ description: 'The webhook-id header of every attempt.' }),
  eventType: Type.String(),
  endpointId: Type.String(),
  status: StatusFilter,
  attemptCount: Type.Integer(),
  nextAttemptAt: Nullable(IsoDateTime),
  lastAttemptAt: Nullable(IsoDateTime),
  lastStatusCode: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
};
export const DeliverySchema = Type.Object(DeliveryFields, { $id: 'WebhookDelivery' });

const AttemptSchema = Type.Object({
  id: Type.String(),
  attempt: Type.Integer(),
  outcome: Type.String(),
  statusCode: Nullable(Type.Integer()),
  durationMs: Type.Integer(),
  responseBody: Nullable(Type.String()),
  error: Nullable(Type.String()),
  signedAt: IsoDateTime,
  createdAt: IsoDateTime,
});
const DeliveryDetailSchema = Type.Object({ ...DeliveryFields, attempts: Type.Array(AttemptSchema) });

export const createEndpointSchema = {
  tags,
  summary: 'Create a webhook endpoint; its whsec_ secret is shown once',
  body: Type.Object(
    {
      url: Url,
      eventTypes: EventTypes,
      partnerId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      description: Type.Optional(Description),
    },
    { additionalProperties: false },
  ),
  response: { 201: EndpointWithSecretSchema, ...commonErrors },
};

export const listEndpointsSchema = {
  tags,
  summary: 'List webhook endpoints, newest first',
  querystring: Type.Composite([PageQuery, Type.Object({ partnerId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) })], {
    additionalProperties: false,
  }),
  response: { 200: pageOf(EndpointSchema), ...commonErrors },
};

export const getEndpointSchema = {
  tags,
  summary: 'Get a webhook endpoint',
  params: IdParams,
  response: { 200: EndpointSchema, ...commonErrors },
};

export const updateEndpointSchema = {
  tags,
  summary: 'Change an endpoint: URL, event types, description; disable (enabled: false) or re-enable it',
  params: IdParams,
  body: Type.Object(
    {
      url: Type.Optional(Url),
      eventTypes: Type.Optional(EventTypes),
      description: Type.Optional(Nullable(Description)),
      enabled: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false, minProperties: 1 },
  ),
  response: { 200: EndpointSchema, ...commonErrors },
};

export const rotateSecretSchema = {
  tags,
  summary: 'Rotate the signing secret: the new one is shown once; the previous one also signs for 24 hours',
  params: IdParams,
  response: { 200: EndpointWithSecretSchema, ...commonErrors },
};

export const testEndpointSchema = {
  tags,
  summary: 'Send a webhook.test event to this endpoint only',
  params: IdParams,
  response: { 201: DeliverySchema, 409: ErrorSchema, ...commonErrors },
};

export const endpointDeliveriesSchema = {
  tags,
  summary: "An endpoint's deliveries, newest first, optionally of one status",
  params: IdParams,
  querystring: Type.Composite([PageQuery, Type.Object({ status: Type.Optional(StatusFilter) })], { additionalProperties: false }),
  response: { 200: pageOf(DeliverySchema), ...commonErrors },
};

export const getDeliverySchema = {
  tags,
  summary: 'A delivery with every attempt: status code, duration, response (truncated), error',
  params: IdParams,
  response: { 200: DeliveryDetailSchema, ...commonErrors },
};

export const replayDeliverySchema = {
  tags,
  summary: 'Send a delivery again now, with the same webhook-id',
  params: IdParams,
  response: { 200: DeliveryDetailSchema, 409: ErrorSchema, ...commonErrors },
};

export const replayEndpointSchema = {
  tags,
  summary: "Send again an endpoint's failed, dead and canceled deliveries created since a time",
  params: IdParams,
  body: Type.Object({ since: IsoDateTime }, { additionalProperties: false }),
  response: { 200: Type.Object({ endpointId: Type.String(), replayed: Type.Integer() }), 409: ErrorSchema, ...commonErrors },
};

export const eventTypesSchema = {
  tags,
  summary: 'The event types Tessera sends',
  response: { 200: Type.Object({ data: Type.Array(Type.Object({ type: Type.String(), description: Type.String() })) }), ...commonErrors },
};
