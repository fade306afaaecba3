export { SubscriptionService, PAST_DUE_GRACE_MS, type BundleHooks, type BundleTerms, type SubscriptionDetail } from './subscription-service.js';
export { SubscriptionStore } from './subscription-store.js';
export { subscriptionRoutes } from './subscription-routes.js';
export { ManualPayments, type PaymentGateway, type PaymentOutcome, type PaymentRequest, type RefundRequest } from './payments.js';
export { proratedRefund, type Subscription } from './subscription.js';
export { SubscriptionDetailSchema, SubscriptionSchema } from './subscription-schemas.js';
