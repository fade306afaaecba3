import type { CodeBatchesTable, PoolsTable } from '../schema.js';

/** A code without an expiry is stored with this far-future time, so that one index serves every claim. */
export const NO_EXPIRY = 8_640_000_000_000_000;

export const MAX_CODE_LENGTH = 256;

export interface Money {
  amount: number;
  currency: string;
}

export interface StockLevels {
  /** Every code ever imported into the pool (or batch). */
  total: number;
  issued: number;
  /** Issuable now: not issued, not voided, not expired. */
  available: number;
  expired: number;
  voided: number;
}

export interface Pool extends StockLevels {
  id: string;
  name: string;
  partnerId: string | null;
  supplier: string | null;
  unitCost: Money | null;
  lowStockThreshold: number | null;
  lowStock: boolean;
  createdAt: string;
}

export interface Batch extends StockLevels {
  id: string;
  poolId: string;
  supplier: string | null;
  partnerId: string | null;
  unitCost: Money | null;
  purchasedAt: string | null;
  expiresAt: string | null;
  duplicates: number;
  createdAt: string;
}

export interface ClaimedCode {
  codeId: string;
  batchId: string;
  code: string;
  expiresAt: string | null;
}

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const money = (amount: number | null, currency: string | null): Money | null =>
  amount === null || currency === null ? null : { amount, currency };

export const emptyStock = (): StockLevels => ({ total: 0, issued: 0, available: 0, expired: 0, voided: 0 });

export function toPool(row: PoolsTable, stock: StockLevels): Pool {
  return {
    id: row.id,
    name: row.name,
    partnerId: row.partner_id,
    supplier: row.supplier,
    unitCost: money(row.unit_cost_amount, row.unit_cost_currency),
    lowStockThreshold: row.low_stock_threshold,
    lowStock: row.low_stock_threshold !== null && stock.available <= row.low_stock_threshold,
    createdAt: new Date(row.created_at).toISOString(),
    ...stock,
  };
}

export function toBatch(row: CodeBatchesTable, stock: StockLevels): Batch {
  return {
    id: row.id,
    poolId: row.pool_id,
    supplier: row.supplier,
    partnerId: row.partner_id,
    unitCost: money(row.unit_cost_amount, row.unit_cost_currency),
    purchasedAt: iso(row.purchased_at),
    expiresAt: iso(row.expires_at),
    duplicates: row.duplicates,
    createdAt: new Date(row.created_at).toISOString(),
    ...stock,
  };
}

export type RejectReason = 'blank' | 'too_long' | 'bad_encoding' | 'control_characters';

/** A code as imported: trimmed, or the reason it cannot be one. */
export function normalizeCode(raw: string): { code: string } | { rejected: RejectReason } {
  if (raw.includes('\uFFFD')) return { rejected: 'bad_encoding' };
  const code = raw.trim();
  if (code.length === 0) return { rejected: 'blank' };
  if (code.length > MAX_CODE_LENGTH) return { rejected: 'too_long' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001F\u007F]/.test(code)) return { rejected: 'control_characters' };
  return { code };
}

/** What admins see without revealing: the last four characters at most. */
export function maskCode(code: string): string {
  if (code.length <= 4) return '*'.repeat(code.length);
  const shown = code.length >= 12 ? 4 : Math.min(4, code.length - 4);
  return `${'*'.repeat(code.length - shown)}${code.slice(code.length - shown)}`;
}

export interface CostLine {
  batchId: string | null;
  currency: string | null;
  unitCost: number | null;
  issued: number;
  available: number;
  expired: number;
  voided: number;
  /** issued × unit cost: what the codes handed out cost. */
  issuedCost: number | null;
  /** available × unit cost: the value of the stock on hand. */
  stockValue: number | null;
  /** expired × unit cost: bought and never issued. */
  expiredCost: number | null;
}

export function costLine(batchId: string | null, unit: Money | null, stock: StockLevels): CostLine {
  const times = (n: number) => (unit === null ? null : n * unit.amount);
  return {
    batchId,
    currency: unit?.currency ?? null,
    unitCost: unit?.amount ?? null,
    issued: stock.issued,
    available: stock.available,
    expired: stock.expired,
    voided: stock.voided,
    issuedCost: times(stock.issued),
    stockValue: times(stock.available),
    expiredCost: times(stock.expired),
  };
}

export function sumStock(levels: Iterable<StockLevels>): StockLevels {
  const total = emptyStock();
  for (const s of levels) {
    total.total += s.total;
    total.issued += s.issued;
    total.available += s.available;
    total.expired += s.expired;
    total.voided += s.voided;
  }
  return total;
}
