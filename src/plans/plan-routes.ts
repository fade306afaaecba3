import type { Effect, HttpServer } from '../platform/http.js';
import { createPlanSchema, getPlanSchema, listPlansSchema, newVersionSchema, planVersionsSchema, quoteSchema } from './plan-schemas.js';
import type { PlanService } from './plan-service.js';

export function planRoutes(app: HttpServer, plans: PlanService, effect: Effect): void {
  app.post('/v1/plans', { schema: createPlanSchema }, (request, reply) => effect(request, reply, 201, (tx) => plans.create(tx, request.body)));
  app.get('/v1/plans', { schema: listPlansSchema }, (request) => plans.list(request.query.limit, request.query.startingAfter));
  app.get('/v1/plans/:id', { schema: getPlanSchema }, (request) => plans.get(request.params.id));
  app.get('/v1/plans/:id/versions', { schema: planVersionsSchema }, async (request) => ({ data: await plans.versions(request.params.id) }));
  app.post('/v1/plans/:id/versions', { schema: newVersionSchema }, (request, reply) =>
    effect(request, reply, 201, (tx) => plans.newVersion(tx, request.params.id, request.body)),
  );
  app.get('/v1/plans/:id/quote', { schema: quoteSchema }, (request) => plans.quote(request.params.id, request.query.memberId));
}
