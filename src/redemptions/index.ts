export { RedemptionService, type RedeemInput, type RedemptionReceipt } from './redemption-service.js';
export { RedemptionStore } from './redemption-store.js';
export { redemptionRoutes } from './redemption-routes.js';
export type { Redemption } from './redemption.js';
