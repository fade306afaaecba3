import type { FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors.js';
import type { Effect, HttpServer } from '../platform/http.js';
import { getRedemptionSchema, memberRedemptionsSchema, redeemSchema, revealSchema, reverseSchema } from './redemption-schemas.js';
import type { RedemptionService } from './redemption-service.js';
import { SUPPORT_ACTION } from '../auth/index.js';

function requireAdmin(request: FastifyRequest, what: string): string {
  if (request.principal?.role !== 'admin') throw new AppError(403, 'forbidden', `Only admin keys may ${what}`);
  return request.principal.keyId;
}

export function redemptionRoutes(app: HttpServer, redemptions: RedemptionService, effect: Effect): void {
  // Answers with a clear code are kept (for replay) with the code sealed, and opened only as they leave.
  const openCode = async (_request: FastifyRequest, _reply: unknown, payload: unknown) => redemptions.openAnswer(payload);

  app.post('/v1/redemptions', { schema: redeemSchema, preSerialization: openCode }, (request, reply) =>
    effect(request, reply, 201, async (tx) => redemptions.sealAnswer(await redemptions.redeem(tx, request.body))),
  );

  app.get('/v1/redemptions/:id', { schema: getRedemptionSchema }, (request) => redemptions.get(request.params.id));

  app.get('/v1/members/:id/redemptions', { schema: memberRedemptionsSchema }, (request) =>
    redemptions.listForMember(request.params.id, request.query.limit, request.query.startingAfter),
  );

  app.post('/v1/redemptions/:id/reveal', { schema: revealSchema, preSerialization: openCode }, (request, reply) => {
    const actor = requireAdmin(request, 'see codes in clear');
    return effect(request, reply, 200, async (tx) =>
      redemptions.sealAnswer(await redemptions.reveal(tx, request.params.id, actor, request.body.reason)),
    );
  });

  app.post(
    '/v1/redemptions/:id/reverse',
    {
      schema: reverseSchema,
      config: SUPPORT_ACTION,
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    (request, reply) => {
      // Admins and support (SUPPORT_ACTION): checked centrally before this runs.
      return effect(request, reply, 200, (tx) => redemptions.reverse(tx, request.params.id, request.body.reason ?? 'reversed by an admin'));
    },
  );
}
