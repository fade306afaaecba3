import type { FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors.js';
import type { Effect, HttpServer } from '../platform/http.js';
import {
  batchesSchema,
  costReportSchema,
  createPoolSchema,
  getPoolSchema,
  importCodesSchema,
  listCodesSchema,
  listPoolsSchema,
  revealCodeSchema,
  revealsSchema,
  updatePoolSchema,
} from './pool-schemas.js';
import type { PoolService } from './pool-service.js';

const epoch = (iso: string | undefined) => (iso === undefined ? null : Date.parse(iso));

function requireAdmin(request: FastifyRequest): string {
  if (request.principal?.role !== 'admin') throw new AppError(403, 'forbidden', 'Only admin keys may see codes in clear');
  return request.principal.keyId;
}

export function poolRoutes(app: HttpServer, pools: PoolService, effect: Effect): void {
  app.post('/v1/pools', { schema: createPoolSchema }, (request, reply) =>
    effect(request, reply, 201, (tx) => pools.create(tx, request.body)),
  );

  app.get('/v1/pools', { schema: listPoolsSchema }, (request) => pools.list(request.query.limit, request.query.startingAfter));

  app.get('/v1/pools/:id', { schema: getPoolSchema }, (request) => pools.get(request.params.id));

  app.post('/v1/pools/:id', { schema: updatePoolSchema }, (request, reply) =>
    effect(request, reply, 200, (tx) => pools.setLowStockThreshold(tx, request.params.id, request.body.lowStockThreshold)),
  );

  app.post('/v1/pools/:id/codes', { schema: importCodesSchema }, (request, reply) => {
    const { codes, expiresAt, purchasedAt, ...rest } = request.body;
    return effect(request, reply, 201, (tx) =>
      pools.importCodes(tx, request.params.id, codes, { ...rest, expiresAt: epoch(expiresAt), purchasedAt: epoch(purchasedAt) }),
    );
  });

  app.get('/v1/pools/:id/batches', { schema: batchesSchema }, async (request) => ({ data: await pools.batches(request.params.id) }));

  app.get('/v1/pools/:id/codes', { schema: listCodesSchema }, (request) =>
    pools.listCodes(request.params.id, request.query),
  );

  // The answer is kept (for replay) with the code sealed, and opened only as it leaves.
  const openCode = async (_request: FastifyRequest, _reply: unknown, payload: unknown) => pools.openAnswer(payload);
  app.post('/v1/pools/:id/codes/:codeId/reveal', { schema: revealCodeSchema, preSerialization: openCode }, (request, reply) => {
    const actor = requireAdmin(request);
    return effect(request, reply, 200, async (tx) =>
      pools.sealAnswer(await pools.revealCode(tx, request.params.codeId, actor, request.body.reason, request.params.id)),
    );
  });

  app.get('/v1/pools/:id/codes/:codeId/reveals', { schema: revealsSchema }, async (request) => ({
    data: await pools.reveals(request.params.id, request.params.codeId),
  }));

  app.get('/v1/pools/:id/cost-report', { schema: costReportSchema }, (request) => pools.costReport(request.params.id));
}
