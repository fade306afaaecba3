import type { Effect, HttpServer } from '../platform/http.js';
import {
  adjustSchema,
  earnSchema,
  getTransactionSchema,
  historySchema,
  lotsSchema,
  reverseSchema,
  spendSchema,
  summarySchema,
} from './ledger-schemas.js';
import type { LedgerService } from './ledger-service.js';
import { SUPPORT_ACTION } from '../auth/index.js';

const epoch = (iso: string | undefined) => (iso === undefined ? null : Date.parse(iso));

export function ledgerRoutes(app: HttpServer, ledger: LedgerService, effect: Effect): void {
  app.post('/v1/members/:id/points/earn', { schema: earnSchema }, (request, reply) =>
    effect(request, reply, 201, (tx) =>
      ledger.earnSettlingDebt(tx, request.params.id, { ...request.body, expiresAt: epoch(request.body.expiresAt) }),
    ),
  );

  app.post('/v1/members/:id/points/spend', { schema: spendSchema }, (request, reply) =>
    effect(request, reply, 201, (tx) => ledger.spend(tx, request.params.id, request.body)),
  );

  app.post('/v1/members/:id/points/adjust', { schema: adjustSchema, config: SUPPORT_ACTION }, (request, reply) =>
    effect(request, reply, 201, (tx) =>
      ledger.adjustSettlingDebt(tx, request.params.id, { ...request.body, expiresAt: epoch(request.body.expiresAt) }),
    ),
  );

  app.get('/v1/members/:id/points', { schema: summarySchema }, (request) => ledger.summary(request.params.id));

  app.get('/v1/members/:id/points/lots', { schema: lotsSchema }, async (request) => ({
    data: await ledger.lots(request.params.id, request.query.open),
  }));

  app.get('/v1/members/:id/points/transactions', { schema: historySchema }, (request) =>
    ledger.history(request.params.id, request.query.limit, request.query.startingAfter),
  );

  app.get('/v1/points/transactions/:id', { schema: getTransactionSchema }, (request) =>
    ledger.getTransaction(request.params.id),
  );

  app.post(
    '/v1/points/transactions/:id/reverse',
    {
      schema: reverseSchema,
      config: SUPPORT_ACTION,
      // The body is optional: a bare POST reverses with the default reason.
      // Only an absent body: a JSON null is a body of the wrong type, not "no body".
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
    },
    (request, reply) =>
      effect(request, reply, 201, (tx) =>
        ledger.reverse(tx, request.params.id, request.body.reason ?? 'reversal', { expiresAt: epoch(request.body.expiresAt) }),
      ),
  );
}
