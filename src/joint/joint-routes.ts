import type { Effect, HttpServer } from '../platform/http.js';
import {
  createJointSchema,
  getJointSchema,
  listJointSchema,
  purchaseJointSchema,
  settlementEntriesSchema,
  settlementReportSchema,
} from './joint-schemas.js';
import type { JointService } from './joint-service.js';

const epoch = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

export function jointRoutes(app: HttpServer, joint: JointService, effect: Effect): void {
  app.post('/v1/joint-products', { schema: createJointSchema }, (request, reply) => effect(request, reply, 201, (tx) => joint.create(tx, request.body)));
  app.get('/v1/joint-products', { schema: listJointSchema }, async () => ({ data: await joint.list() }));
  app.get('/v1/joint-products/:id', { schema: getJointSchema }, (request) => joint.get(request.params.id));
  app.post('/v1/joint-products/:id/purchase', { schema: purchaseJointSchema }, (request, reply) =>
    effect(request, reply, 201, (tx) => joint.purchase(tx, request.params.id, request.body.memberId)),
  );
  app.get('/v1/settlements/entries', { schema: settlementEntriesSchema }, (request) =>
    joint.entries(
      { party: request.query.party, from: epoch(request.query.from), to: epoch(request.query.to) },
      request.query.limit,
      request.query.startingAfter,
    ),
  );
  app.get('/v1/settlements/report', { schema: settlementReportSchema }, (request) =>
    joint.report({ party: request.query.party, from: epoch(request.query.from), to: epoch(request.query.to) }),
  );
}
