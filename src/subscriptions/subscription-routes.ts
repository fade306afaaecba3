import type { Effect, HttpServer } from '../platform/http.js';
import {
  cancelSubscriptionSchema,
  createSubscriptionSchema,
  getSubscriptionSchema,
  memberSubscriptionsSchema,
  runRenewalsSchema,
} from './subscription-schemas.js';
import type { SubscriptionService } from './subscription-service.js';

export function subscriptionRoutes(app: HttpServer, subscriptions: SubscriptionService, effect: Effect): void {
  app.post('/v1/subscriptions', { schema: createSubscriptionSchema }, (request, reply) =>
    effect(request, reply, 201, (tx) => subscriptions.create(tx, request.body)),
  );
  app.get('/v1/subscriptions/:id', { schema: getSubscriptionSchema }, (request) => subscriptions.get(request.params.id));
  app.get('/v1/members/:id/subscriptions', { schema: memberSubscriptionsSchema }, (request) =>
    subscriptions.ofMember(request.params.id, request.query.limit, request.query.startingAfter),
  );
  app.post(
    '/v1/subscriptions/:id/cancel',
    {
      schema: cancelSubscriptionSchema,
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    (request, reply) => effect(request, reply, 200, (tx) => subscriptions.cancel(tx, request.params.id, request.body)),
  );
  app.post('/v1/subscriptions/renewals/run', { schema: runRenewalsSchema }, () => subscriptions.runDue());
}
