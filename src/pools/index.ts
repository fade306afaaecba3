export { PoolService, type BatchInput, type CreatePoolInput, type ImportResult } from './pool-service.js';
export { PoolStore } from './pool-store.js';
export { poolRoutes } from './pool-routes.js';
export { CodeVault, loadCodeKey } from './code-vault.js';
export { normalizeCode, maskCode, MAX_CODE_LENGTH, type ClaimedCode, type Pool, type Money, type RejectReason } from './pool.js';
export { importCodeFile, type FileImportReport } from './import-code-file.js';
