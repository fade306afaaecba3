export { ApiKeyService, ENV_KEY_ID, MAX_ACTIVE_PARTNER_KEYS, type CreatedKey, type ApiKeyView } from './api-key-service.js';
export { ApiKeyStore } from './api-key-store.js';
export { apiKeyRoutes, ApiKeySchema } from './api-key-routes.js';
export { generateKey, hashKey, hasValidChecksum, OPERATOR_ROLES, SCOPES, type OperatorRole, type Principal, type Role, type Scope } from './api-key.js';
export { authorize, callingPartner, installAccessControl, registeredRoutes, SUPPORT_ACTIONS, type Access, type RegisteredRoute } from './access.js';
export { DEFAULT_RATE_LIMITS, RateLimiter } from './rate-limit.js';
