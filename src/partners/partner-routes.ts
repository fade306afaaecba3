import { callingPartner, SUPPORT_ACTION, type Access } from '../auth/index.js';
import type { JointService } from '../joint/index.js';
import type { Effect, HttpServer } from '../platform/http.js';
import type { ActivationService } from './activation-service.js';
import type { ActivityReport, PartnerService } from './partner-service.js';
import {
  confirmActivationSchema,
  confirmLinkSchema,
  createAgreementSchema,
  createKeySchema,
  createPartnerSchema,
  getActivationSchema,
  getPartnerSchema,
  linkedMemberSchema,
  listActivationsSchema,
  listAgreementsSchema,
  listKeysSchema,
  listPartnersSchema,
  revokeKeySchema,
  lookupCodeSchema,
  memberLinksSchema,
  partnerActivationListSchema,
  partnerActivitiesSchema,
  partnerSettlementEntriesSchema,
  partnerSettlementReportSchema,
  rejectActivationSchema,
  reportActivitySchema,
  retryActivationSchema,
  startLinkSchema,
} from './partner-schemas.js';

const epoch = (iso: string | undefined | null) => (iso === undefined || iso === null ? iso : Date.parse(iso));

/** Partner-key routes: the scope each needs; operator keys are refused there (they act for the calling partner). */
const partner = (scope: NonNullable<Access['scope']>, extra: Partial<Access> = {}) => ({ access: { scope, partnerOnly: true, ...extra } });
/** Operator writes the support role may take. */

/** The joint products' settlement ledger, read for the calling partner's code. */
export type SettlementSource = Pick<JointService, 'entries' | 'report'>;

const period = (query: { from?: string; to?: string }) => ({
  ...(query.from !== undefined ? { from: Date.parse(query.from) } : {}),
  ...(query.to !== undefined ? { to: Date.parse(query.to) } : {}),
});

export function partnerRoutes(app: HttpServer, partners: PartnerService, activations: ActivationService, settlements: SettlementSource, effect: Effect): void {
  // ---- the operator's side: partners, agreements, keys

  app.post('/v1/partners', { schema: createPartnerSchema }, (request, reply) =>
    effect(request, reply, 201, (tx) => partners.create(tx, request.body)),
  );
  app.get('/v1/partners', { schema: listPartnersSchema }, (request) => partners.list(request.query.limit, request.query.startingAfter));
  app.get('/v1/partners/:id', { schema: getPartnerSchema }, (request) => partners.get(request.params.id));

  app.post('/v1/partners/:id/agreements', { schema: createAgreementSchema }, (request, reply) => {
    const { validFrom, validUntil, ...rest } = request.body;
    return effect(request, reply, 201, (tx) =>
      partners.createAgreement(tx, request.params.id, {
        ...rest,
        ...(validFrom !== undefined ? { validFrom: Date.parse(validFrom) } : {}),
        ...(validUntil !== undefined ? { validUntil: epoch(validUntil) as number | null } : {}),
      }),
    );
  });
  app.get('/v1/partners/:id/agreements', { schema: listAgreementsSchema }, async (request) => ({ data: await partners.agreements(request.params.id) }));

  app.post('/v1/partners/:id/keys', { schema: createKeySchema }, (request, reply) =>
    effect(
      request,
      reply,
      201,
      (tx) => partners.createKey(tx, request.params.id, request.body),
      (body) => ({ ...(body as object), secret: null }),
    ),
  );
  app.get('/v1/partners/:id/keys', { schema: listKeysSchema }, async (request) => ({ data: await partners.keys(request.params.id) }));
  app.post(
    '/v1/partners/:id/keys/:keyId/revoke',
    {
      schema: revokeKeySchema,
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
    },
    (request, reply) => effect(request, reply, 200, (tx) => partners.revokeKey(tx, request.params.id, request.params.keyId)),
  );
  app.get('/v1/partners/:id/activity', { schema: partnerActivitiesSchema }, (request) =>
    partners.activities(request.params.id, request.query.limit, request.query.startingAfter, request.query.memberId),
  );

  // ---- the operator's side: activations and account links

  app.get('/v1/activations', { schema: listActivationsSchema }, (request) => {
    const { limit, startingAfter, ...filter } = request.query;
    return activations.list(filter, limit, startingAfter);
  });
  app.get('/v1/activations/:entitlementId', { schema: getActivationSchema }, (request) => activations.get(request.params.entitlementId));
  app.post(
    '/v1/activations/:entitlementId/retry',
    {
      schema: retryActivationSchema,
      config: SUPPORT_ACTION,
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
    },
    (request, reply) => effect(request, reply, 200, (tx) => activations.retry(tx, request.params.entitlementId)),
  );

  app.post('/v1/members/:id/partner-links', { schema: startLinkSchema, config: SUPPORT_ACTION }, (request, reply) =>
    effect(
      request,
      reply,
      201,
      (tx) => partners.startLink(tx, request.params.id, request.body.partnerId),
      (body) => ({ ...(body as object), linkToken: null }),
    ),
  );
  app.get('/v1/members/:id/partner-links', { schema: memberLinksSchema }, async (request) => ({ data: await partners.linksOfMember(request.params.id) }));

  // ---- the partner API (partner keys, each route with its scope)

  app.get('/v1/partner/activations', { schema: partnerActivationListSchema, config: partner('activations:write') }, (request) => {
    const { limit, startingAfter, status } = request.query;
    return activations.list({ partnerId: callingPartner(request), ...(status ? { status } : {}) }, limit, startingAfter);
  });
  app.post(
    '/v1/partner/activations/:entitlementId/confirm',
    {
      schema: confirmActivationSchema,
      config: partner('activations:write'),
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
    },
    (request, reply) => effect(request, reply, 200, (tx) => activations.confirm(tx, callingPartner(request), request.params.entitlementId, request.body)),
  );
  app.post('/v1/partner/activations/:entitlementId/reject', { schema: rejectActivationSchema, config: partner('activations:write') }, (request, reply) =>
    effect(request, reply, 200, (tx) => activations.reject(tx, callingPartner(request), request.params.entitlementId, request.body)),
  );
  app.post('/v1/partner/links/confirm', { schema: confirmLinkSchema, config: partner('activations:write') }, (request, reply) =>
    effect(request, reply, 200, (tx) => partners.confirmLink(tx, callingPartner(request), request.body)),
  );
  app.get('/v1/partner/members/:partnerUserId', { schema: linkedMemberSchema, config: partner('members:read') }, (request) =>
    partners.linkedMember(callingPartner(request), request.params.partnerUserId),
  );
  app.post(
    '/v1/partner/activity',
    {
      schema: reportActivitySchema,
      config: partner('usage:write'),
      // One report may come on its own: it is a batch of one.
      preValidation: async (request) => {
        const body = request.body as Record<string, unknown> | undefined;
        if (body && typeof body === 'object' && !Array.isArray(body) && !('reports' in body)) request.body = { reports: [body] } as typeof request.body;
      },
    },
    (request, reply) => {
      const reports: ActivityReport[] = request.body.reports.map(({ occurredAt, ...rest }) => ({ ...rest, occurredAt: Date.parse(occurredAt) }));
      return effect(request, reply, 201, (tx) => partners.reportActivities(tx, callingPartner(request), reports));
    },
  );
  app.get('/v1/partner/settlements/entries', { schema: partnerSettlementEntriesSchema, config: partner('settlements:read') }, async (request) => {
    const { code } = await partners.get(callingPartner(request));
    const { limit, startingAfter } = request.query;
    return settlements.entries({ party: code, ...period(request.query) }, limit, startingAfter)
  });
  app.get('/v1/partner/settlements/report', { schema: partnerSettlementReportSchema, config: partner('settlements:read') }, async (request) => {
    const { code } = await partners.get(callingPartner(request));
    return settlements.report({ party: code, ...period(request.query) })
  });
  app.post('/v1/codes/lookup', { schema: lookupCodeSchema, config: partner('activations:write', { rateLimit: 'lookup' }) }, (request) =>
    partners.lookupCode(callingPartner(request), request.body.code),
  );
}
