import { SUPPORT_ACTION } from '../auth/index.js';
import { invalid } from '../platform/errors.js';
import type { Effect, HttpServer } from '../platform/http.js';
import {
  createEndpointSchema,
  endpointDeliveriesSchema,
  eventTypesSchema,
  getDeliverySchema,
  getEndpointSchema,
  listEndpointsSchema,
  replayDeliverySchema,
  replayEndpointSchema,
  rotateSecretSchema,
  testEndpointSchema,
  updateEndpointSchema,
} from './webhook-schemas.js';
import type { WebhookService } from './webhook-service.js';

/** Actions without parameters take no body, or an empty JSON object. */
function noParameters(body: unknown): void {
  if (body === undefined || body === null) return;
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('The body must be a JSON object (or absent)', 'body');
  const [extra] = Object.keys(body);
  if (extra !== undefined) throw invalid(`Unknown parameter '${extra}'`, extra, 'parameter_unknown');
}

/**
 * Operator keys only (no partner scope covers webhooks): admin manages endpoints, the analyst
 * and support roles read the log, and support may also replay deliveries.
 */
export function webhookRoutes(app: HttpServer, webhooks: WebhookService, effect: Effect): void {
  // Answers that show a secret are kept for Idempotency-Key replays with the secret sealed, and opened as they leave.
  const keepSealed = (body: unknown) => webhooks.sealAnswer(body);
  const openSecret = async (_request: unknown, _reply: unknown, payload: unknown) => webhooks.openAnswer(payload);

  app.get('/v1/webhooks/event-types', { schema: eventTypesSchema }, () => ({ data: webhooks.eventTypes() }));

  app.post('/v1/webhooks/endpoints', { schema: createEndpointSchema, preSerialization: openSecret }, (request, reply) =>
    effect(request, reply, 201, (tx) => webhooks.create(tx, request.body), keepSealed),
  );

  app.get('/v1/webhooks/endpoints', { schema: listEndpointsSchema }, (request) => webhooks.list(request.query));

  app.get('/v1/webhooks/endpoints/:id', { schema: getEndpointSchema }, (request) => webhooks.get(request.params.id));

  app.post('/v1/webhooks/endpoints/:id', { schema: updateEndpointSchema }, (request, reply) =>
    effect(request, reply, 200, (tx) => webhooks.update(tx, request.params.id, request.body)),
  );

  app.post('/v1/webhooks/endpoints/:id/rotate-secret', { schema: rotateSecretSchema, preSerialization: openSecret }, (request, reply) => {
    noParameters(request.body);
    return effect(request, reply, 200, (tx) => webhooks.rotateSecret(tx, request.params.id), keepSealed);
  });

  app.post('/v1/webhooks/endpoints/:id/test', { schema: testEndpointSchema }, (request, reply) => {
    noParameters(request.body);
    return effect(request, reply, 201, (tx) => webhooks.sendTest(tx, request.params.id));
  });

  app.get('/v1/webhooks/endpoints/:id/deliveries', { schema: endpointDeliveriesSchema }, (request) =>
    webhooks.deliveries(request.params.id, request.query),
  );

  app.post('/v1/webhooks/endpoints/:id/replay', { schema: replayEndpointSchema, config: SUPPORT_ACTION }, (request, reply) =>
    effect(request, reply, 200, (tx) => webhooks.replayEndpoint(tx, request.params.id, Date.parse(request.body.since))),
  );

  app.get('/v1/webhooks/deliveries/:id', { schema: getDeliverySchema }, (request) => webhooks.delivery(request.params.id));

  app.post('/v1/webhooks/deliveries/:id/replay', { schema: replayDeliverySchema, config: SUPPORT_ACTION }, (request, reply) => {
    noParameters(request.body);
    return effect(request, reply, 200, (tx) => webhooks.replayDelivery(tx, request.params.id));
  });
}
