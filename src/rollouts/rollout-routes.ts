import type { FastifyRequest } from 'fastify';
import type { Effect, HttpServer } from '../platform/http.js';
import {
  allowlistSchema,
  changesSchema,
  createRolloutSchema,
  eligibilitySchema,
  getRolloutSchema,
  listRolloutsSchema,
  scheduleSchema,
} from './rollout-schemas.js';
import type { RolloutService } from './rollout-service.js';

const actorOf = (request: FastifyRequest) => request.principal?.keyId ?? 'anonymous';

export function rolloutRoutes(app: HttpServer, rollouts: RolloutService, effect: Effect): void {
  app.post('/v1/rollouts', { schema: createRolloutSchema }, (request, reply) =>
    effect(request, reply, 201, (tx) => rollouts.create(tx, request.body, actorOf(request))),
  );

  app.get('/v1/rollouts', { schema: listRolloutsSchema }, (request) => rollouts.list(request.query.limit, request.query.startingAfter));

  app.get('/v1/rollouts/:id', { schema: getRolloutSchema }, (request) => rollouts.get(request.params.id));

  app.post('/v1/rollouts/:id/schedule', { schema: scheduleSchema }, (request, reply) =>
    effect(request, reply, 200, (tx) => rollouts.schedule(tx, request.params.id, request.body.steps, actorOf(request))),
  );

  app.post('/v1/rollouts/:id/allowlist', { schema: allowlistSchema }, (request, reply) =>
    effect(request, reply, 200, (tx) => rollouts.changeAllowlist(tx, request.params.id, request.body, actorOf(request))),
  );

  app.get('/v1/rollouts/:id/eligibility', { schema: eligibilitySchema }, (request) =>
    rollouts.eligibility(request.params.id, request.query.memberId),
  );

  app.get('/v1/rollouts/:id/changes', { schema: changesSchema }, async (request) => ({ data: await rollouts.changes(request.params.id) }));
}
