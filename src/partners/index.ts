export { PartnerService, type PoolDirectory, type CreatePartnerInput, type AgreementInput, type ActivityInput, type ActivityReport, type CodeLookup } from './partner-service.js';
export { ActivationService, ACTIVATION_SCHEDULE_MS, type EntitlementSteps, type ActivationRequestInput } from './activation-service.js';
export { PartnerStore } from './partner-store.js';
export type { Partner, Agreement, AgreementRules, Activation, ActivationStatus, PartnerLink, Activity, ActivityKind, Channel } from './partner.js';
export { partnerRoutes, type SettlementSource } from './partner-routes.js';
