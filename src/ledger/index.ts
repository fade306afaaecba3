export { LedgerService, type EarnInput, type SpendInput, type AdjustInput, type Page } from './ledger-service.js';
export { LedgerStore } from './ledger-store.js';
export { ledgerRoutes } from './ledger-routes.js';
export { MAX_POINTS, PROGRAM_ACCOUNT, type LedgerTransaction, type Lot } from './ledger.js';
