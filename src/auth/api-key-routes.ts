import { Type } from '@sinclair/typebox';
import type { Effect, HttpServer } from '../platform/http.js';
import { commonErrors, IdParams, IsoDateTime } from '../platform/schemas.js';
import type { ApiKeyService } from './api-key-service.js';

export const ApiKeySchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    role: Type.String(),
    prefix: Type.String(),
    createdAt: IsoDateTime,
    revokedAt: Type.Union([IsoDateTime, Type.Null()]),
    partnerId: Type.Union([Type.String(), Type.Null()], { description: 'Partner keys: the partner the key acts for' }),
    scopes: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'Partner keys: what the key may do' }),
  },
  { $id: 'ApiKey' },
);

export function apiKeyRoutes(app: HttpServer, keys: ApiKeyService, effect: Effect): void {
  app.post(
    '/v1/api-keys',
    {
      schema: {
        tags: ['api keys'],
        summary: 'Create an operator API key; its secret is in this answer only',
        description:
          'Roles: `admin` may do everything; `analyst` may only read (every GET); `support` may read and take the support actions ' +
          '(points adjustments and reversals, redemption reversals, loyalty adjustments, entitlement fulfilment, activation retries, starting account links). ' +
          'Partner keys are created under `/v1/partners/{id}/keys`.',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            role: Type.Union([Type.Literal('admin'), Type.Literal('analyst'), Type.Literal('support')]),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Composite([
            ApiKeySchema,
            Type.Object({
              secret: Type.Union([Type.String(), Type.Null()], {
                description: 'The key itself, in this answer only: an idempotent replay answers null, as only its hash is kept.',
              }),
            }),
          ]),
          ...commonErrors,
        },
      },
    },
    (request, reply) =>
      effect(request, reply, 201, (tx) => keys.create(tx, request.body), (body) => ({ ...(body as object), secret: null })),
  );

  app.get(
    '/v1/api-keys',
    { schema: { tags: ['api keys'], summary: 'List API keys (never their secrets)', response: { 200: Type.Object({ data: Type.Array(ApiKeySchema) }), ...commonErrors } } },
    async () => ({ data: await keys.list() }),
  );

  app.post(
    '/v1/api-keys/:id/revoke',
    {
      schema: {
        tags: ['api keys'],
        summary: 'Revoke an API key at once',
        params: IdParams,
        body: Type.Object({}, { additionalProperties: false }),
        response: { 200: ApiKeySchema, ...commonErrors },
      },
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
    },
    (request, reply) => effect(request, reply, 200, (tx) => keys.revoke(tx, request.params.id)),
  );
}
