import type { HttpServer } from '../platform/http.js';
import {
  benefitCostSchema,
  conversionSchema,
  funnelSchema,
  liabilitySchema,
  membersSchema,
  retentionSchema,
  spendSchema,
  stockSchema,
} from './analytics-schemas.js';
import type { AnalyticsService } from './analytics-service.js';

/** Read-only: GET under /v1/analytics (admin and analyst keys). */
export function analyticsRoutes(app: HttpServer, analytics: AnalyticsService): void {
  app.get('/v1/analytics/members', { schema: membersSchema }, (request) => analytics.members(request.query));
  app.get('/v1/analytics/retention', { schema: retentionSchema }, (request) => analytics.retention(request.query));
  app.get('/v1/analytics/spend', { schema: spendSchema }, (request) => analytics.spend(request.query));
  app.get('/v1/analytics/points-liability', { schema: liabilitySchema }, (request) => analytics.pointsLiability(request.query));
  app.get('/v1/analytics/benefit-cost', { schema: benefitCostSchema }, (request) => analytics.benefitCost(request.query));
  app.get('/v1/analytics/stock', { schema: stockSchema }, (request) => analytics.stock(request.query));
  app.get('/v1/analytics/redemption-funnel', { schema: funnelSchema }, (request) => analytics.redemptionFunnel(request.query));
  app.get('/v1/analytics/conversion', { schema: conversionSchema }, (request) => analytics.conversion(request.query));
}
