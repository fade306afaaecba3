export { LoyaltyService, type LoyaltyEvent, type ScoreNow } from './loyalty-service.js';
export { LoyaltyStore } from './loyalty-store.js';
export { loyaltyRoutes } from './loyalty-routes.js';
export { DEFAULT_LOYALTY_RULES, type LoyaltyRules, type ScoreBreakdown } from './loyalty.js';
