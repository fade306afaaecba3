import type { Effect, HttpServer } from '../platform/http.js';
import {
  activitySchema,
  adjustSchema,
  getRulesSchema,
  historySchema,
  statusSchema,
  updateRulesSchema,
} from './loyalty-schemas.js';
import type { LoyaltyService } from './loyalty-service.js';
import { SUPPORT_ACTION } from '../auth/index.js';

export function loyaltyRoutes(app: HttpServer, loyalty: LoyaltyService, effect: Effect): void {
  app.get('/v1/loyalty/rules', { schema: getRulesSchema }, () => loyalty.rules());

  for (const method of ['post', 'put'] as const) {
    app[method]('/v1/loyalty/rules', { schema: updateRulesSchema }, (request, reply) =>
      effect(request, reply, 200, (tx) => loyalty.setRules(tx, request.body)),
    );
  }

  app.get('/v1/members/:id/loyalty', { schema: statusSchema }, (request) => loyalty.status(request.params.id));

  app.get('/v1/members/:id/loyalty/history', { schema: historySchema }, (request) =>
    loyalty.history(request.params.id, request.query.limit, request.query.startingAfter),
  );

  app.post('/v1/members/:id/loyalty/activities', { schema: activitySchema }, (request, reply) =>
    effect(request, reply, 201, (tx) =>
      loyalty.recordActivity(tx, request.params.id, {
        kind: request.body.kind,
        occurredAt: request.body.occurredAt === undefined ? undefined : Date.parse(request.body.occurredAt),
      }),
    ),
  );

  app.post('/v1/members/:id/loyalty/adjustments', { schema: adjustSchema, config: SUPPORT_ACTION }, (request, reply) =>
    effect(request, reply, 201, (tx) => loyalty.adjust(tx, request.params.id, request.body)),
  );
}
