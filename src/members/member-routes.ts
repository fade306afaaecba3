import type { Effect, HttpServer } from '../platform/http.js';
import {
  createMemberSchema,
  getMemberSchema,
  listMembersSchema,
  updateMemberSchema,
} from './member-schemas.js';
import type { MemberService } from './member-service.js';

export function memberRoutes(app: HttpServer, members: MemberService, effect: Effect): void {
  app.post('/v1/members', { schema: createMemberSchema }, (request, reply) =>
    effect(request, reply, 201, (tx) => members.create(tx, request.body)),
  );

  app.get('/v1/members', { schema: listMembersSchema }, async (request) => {
    if (request.query.externalId === undefined) return members.list(request.query.limit, request.query.startingAfter);
    const found = await members.findByExternalId(request.query.externalId);
    return { data: found ? [found] : [], hasMore: false };
  });

  app.get('/v1/members/:id', { schema: getMemberSchema }, (request) => members.get(request.params.id));

  // POST as in Stripe's update calls, and PATCH for clients that expect it.
  for (const method of ['post', 'patch'] as const) {
    app[method]('/v1/members/:id', { schema: updateMemberSchema }, (request, reply) =>
      effect(request, reply, 200, (tx) => members.updateDisplayName(tx, request.params.id, request.body.displayName)),
    );
  }
}
