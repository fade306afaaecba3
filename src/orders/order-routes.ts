import type { Effect, HttpServer } from '../platform/http.js';
import {
  createOrderSchema,
  createRuleSchema,
  deactivateRuleSchema,
  debtSchema,
  getOrderSchema,
  listRulesSchema,
  memberOrdersSchema,
  refundOrderSchema,
  spendSchema,
} from './order-schemas.js';
import type { OrderService } from './order-service.js';

export function orderRoutes(app: HttpServer, orders: OrderService, effect: Effect): void {
  app.post('/v1/orders', { schema: createOrderSchema }, (request, reply) =>
    effect(request, reply, 201, (tx) =>
      orders.create(tx, {
        ...request.body,
        paidAt: request.body.paidAt === undefined ? undefined : Date.parse(request.body.paidAt),
      }),
    ),
  );

  app.post(
    '/v1/orders/:id/refund',
    {
      schema: refundOrderSchema,
      // A bare POST refunds the whole order.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    (request, reply) => effect(request, reply, 201, (tx) => orders.refund(tx, request.params.id, request.body)),
  );

  app.get('/v1/orders/:id', { schema: getOrderSchema }, (request) => orders.get(request.params.id));

  app.get('/v1/members/:id/orders', { schema: memberOrdersSchema }, (request) =>
    orders.listForMember(request.params.id, request.query.limit, request.query.startingAfter),
  );

  app.get('/v1/members/:id/spend', { schema: spendSchema }, (request) => orders.spend(request.params.id));

  app.get('/v1/members/:id/points-debt', { schema: debtSchema }, (request) => orders.debt(request.params.id));

  app.post('/v1/earning-rules', { schema: createRuleSchema }, (request, reply) =>
    effect(request, reply, 201, (tx) => orders.createRule(tx, request.body)),
  );

  app.get('/v1/earning-rules', { schema: listRulesSchema }, async () => ({ data: await orders.listRules() }));

  app.post('/v1/earning-rules/:id/deactivate', { schema: deactivateRuleSchema }, (request, reply) =>
    effect(request, reply, 200, (tx) => orders.deactivateRule(tx, request.params.id)),
  );
}
