export { AnalyticsService, type AnalyticsOptions } from './analytics-service.js';
export { AnalyticsStore } from './analytics-store.js';
export { analyticsRoutes } from './analytics-routes.js';
