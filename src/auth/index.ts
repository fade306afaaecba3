export { ApiKeyService, type CreatedKey, type ApiKeyView } from './api-key-service.js';
export { ApiKeyStore } from './api-key-store.js';
export { apiKeyRoutes, ApiKeySchema } from './api-key-routes.js';
export { generateKey, hashKey, OPERATOR_ROLES, SCOPES, type OperatorRole, type Principal, type Role, type Scope } from './api-key.js';
export { callingPartner, installAccessControl, registeredRoutes, SUPPORT_ACTION, type Access, type RegisteredRoute } from './access.js';
export { RateLimiter } from './rate-limit.js';
