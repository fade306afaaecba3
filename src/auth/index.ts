export { ApiKeyService, type CreatedKey, type ApiKeyView } from './api-key-service.js';
export { ApiKeyStore } from './api-key-store.js';
export { apiKeyRoutes } from './api-key-routes.js';
export { generateKey, hashKey, hasValidChecksum } from './api-key.js';
