import { AppError } from '../platform/errors.js';
import type { Effect, HttpServer } from '../platform/http.js';
import {
  createBenefitSchema,
  discountCheckSchema,
  failEntitlementSchema,
  fulfilEntitlementSchema,
  getBenefitSchema,
  getEntitlementSchema,
  listBenefitsSchema,
  memberEntitlementsSchema,
  revealEntitlementCodeSchema,
} from './benefit-schemas.js';
import type { BenefitService } from './benefit-service.js';
import { SUPPORT_ACTION } from '../auth/index.js';

export function benefitRoutes(app: HttpServer, benefits: BenefitService, effect: Effect): void {
  app.post('/v1/benefits', { schema: createBenefitSchema }, (request, reply) =>
    effect(request, reply, 201, (tx) => benefits.create(tx, request.body)),
  );
  app.get('/v1/benefits', { schema: listBenefitsSchema }, async () => ({ data: await benefits.list() }));
  app.get('/v1/benefits/:id', { schema: getBenefitSchema }, (request) => benefits.getBenefit(request.params.id));

  app.get('/v1/entitlements/:id', { schema: getEntitlementSchema }, (request) => benefits.getEntitlement(request.params.id));
  app.post(
    '/v1/entitlements/:id/fulfil',
    {
      schema: fulfilEntitlementSchema,
      config: SUPPORT_ACTION,
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    (request, reply) =>
      effect(request, reply, 200, (tx) =>
        benefits.markFulfilled(tx, request.params.id, request.body.reference ? { reference: request.body.reference } : {}),
      ),
  );
  app.post('/v1/entitlements/:id/fail', { schema: failEntitlementSchema, config: SUPPORT_ACTION }, (request, reply) =>
    effect(request, reply, 200, (tx) => benefits.markFailed(tx, request.params.id, request.body.reason)),
  );
  app.post('/v1/entitlements/:id/reveal', { schema: revealEntitlementCodeSchema }, (request, reply) => {
    if (request.principal?.role !== 'admin') throw new AppError(403, 'forbidden', 'Only admin keys may see codes in clear');
    const actor = request.principal.keyId;
    // The clear code is never kept in the idempotency record: a replay answers it masked.
    return effect(request, reply, 200, (tx) => benefits.revealCode(tx, request.params.id, actor, request.body.reason), (answer) => ({ ...(answer as object), code: null }));
  });
  app.get('/v1/members/:id/entitlements', { schema: memberEntitlementsSchema }, (request) =>
    benefits.ofMember(request.params.id, request.query.active, request.query.limit, request.query.startingAfter),
  );

  app.get('/v1/discounts/check', { schema: discountCheckSchema }, (request) => benefits.checkDiscount(request.query));
}
