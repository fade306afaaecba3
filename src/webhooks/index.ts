export { WebhookService, type CreateEndpointInput, type UpdateEndpointInput, type PartnerLookup, type EndpointWithSecret } from './webhook-service.js';
export { WebhookStore } from './webhook-store.js';
export { webhookRoutes } from './webhook-routes.js';
export { type DeliveryOptions, type RunReport, type SecretBox } from './delivery-worker.js';
export { verifyWebhook, sign, generateSecret, type VerifyResult, type VerifyFailure } from './signature.js';
export { RETRY_SCHEDULE_MS, JITTER, type WebhookEndpoint, type WebhookDelivery, type WebhookAttempt, type DeliveryStatus } from './webhook.js';
