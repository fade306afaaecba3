export { BenefitService, type GrantInput, type DiscountCheck, type OfferCheck, type ActivationRequest } from './benefit-service.js';
export { BenefitStore } from './benefit-store.js';
export { benefitRoutes } from './benefit-routes.js';
export type { Benefit, Entitlement } from './benefit.js';
export { EntitlementSchema, BenefitSchema } from './benefit-schemas.js';
