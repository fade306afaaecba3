export { JointService, type JointProduct, type SettlementReportLine } from './joint-service.js';
export { JointStore } from './joint-store.js';
export { jointRoutes } from './joint-routes.js';
export { divideByWeights, splitSale, checkSplit, type Share } from './split.js';
export { SettlementEntrySchema, SettlementReportSchema } from './joint-schemas.js';
