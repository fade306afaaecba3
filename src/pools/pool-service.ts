import type { Clock } from '../platform/clock.js';
import { invalid, notFound } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Outbox } from '../platform/outbox.js';
import type { CodeBatchesTable, Db, Executor, PoolCodesTable, Tx } from '../schema.js';
import type { CodeVault } from './code-vault.js';
import {
  NO_EXPIRY,
  costLine,
  emptyStock,
  iso,
  maskCode,
  normalizeCode,
  sumStock,
  toBatch,
  toPool,
  type Batch,
  type ClaimedCode,
  type CostLine,
  type Money,
  type Pool,
} from './pool.js';
import type { PoolStore } from './pool-store.js';

export interface CreatePoolInput {
  name: string;
  unitCost?: Money;
  partnerId?: string;
  supplier?: string;
  lowStockThreshold?: number;
}

export interface BatchInput {
  unitCost?: Money;
  supplier?: string;
  partnerId?: string;
  /** Epoch ms. */
  purchasedAt?: number | null;
  /** Epoch ms: no code of the batch is issued from then on. */
  expiresAt?: number | null;
}

export interface ImportResult {
  batchId: string;
  imported: number;
  duplicates: number;
}

export interface CodeView {
  id: string;
  poolId: string;
  batchId: string;
  status: string;
  maskedCode: string;
  expiresAt: string | null;
  issuedAt: string | null;
  issuedTo: string | null;
  voidedAt: string | null;
  createdAt: string;
}

export interface CostReport {
  poolId: string;
  batches: CostLine[];
  /** One line per currency (and one without a unit cost when any batch lacks one). */
  totals: CostLine[];
}

const SEALED = 'sealed:v1:';

const codeExpiry = (ms: number | null | undefined) => (ms == null ? NO_EXPIRY : ms);

/** Checks that a pool's partner reference names a registered partner (src/partners, wired in main.ts); throws to refuse. */
export type PartnerCheck = (db: Executor, partnerRef: string, param: string) => Promise<void>;

export class PoolService {
  private partnerCheck: PartnerCheck = async () => undefined;

  usePartnerCheck(check: PartnerCheck): void {
    this.partnerCheck = check;
  }

  constructor(
    private readonly db: Db,
    private readonly store: PoolStore,
    private readonly vault: CodeVault,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
  ) {}

  /**
   * Refuses to run with a code key other than the one this installation's codes are sealed
   * with: a node started with its own generated key would otherwise issue codes nobody can read.
   */
  async verifyCodeKey(): Promise<void> {
    const mine = this.vault.checkValue();
    const recorded = await this.db.write((tx) => this.store.codeKeyCheck(tx, mine, this.clock.now()));
    if (recorded !== mine) {
      throw new Error(
        'This node\'s code key is not the one the database\'s partner codes are encrypted with. ' +
          'Set TESSERA_CODE_KEY to the same value on every node (or restore the data folder\'s code.key).',
      );
    }
  }

  async create(tx: Tx, input: CreatePoolInput): Promise<Pool> {
    if (input.partnerId !== undefined) await this.partnerCheck(tx, input.partnerId, 'partnerId');
    const row = {
      id: newId('pool'),
      name: input.name,
      partner_id: input.partnerId ?? null,
      supplier: input.supplier ?? null,
      unit_cost_amount: input.unitCost?.amount ?? null,
      unit_cost_currency: input.unitCost?.currency ?? null,
      low_stock_threshold: input.lowStockThreshold ?? null,
      low_stock_alerted_at: null,
      created_at: this.clock.now(),
    };
    await this.store.insertPool(tx, row);
    return toPool(row, emptyStock());
  }

  async get(id: string, db: Executor = this.db.read): Promise<Pool> {
    const row = await this.store.findPool(db, id);
    if (!row) throw notFound('pool', id, 'id');
    const stock = await this.store.stockByBatch(db, id, this.clock.now());
    return toPool(row, sumStock(stock.values()));
  }

  /** The pool's partner reference: null when it has none, undefined when there is no such pool. */
  async partnerOf(db: Executor, id: string): Promise<string | null | undefined> {
    return (await this.store.findPool(db, id))?.partner_id;
  }

  /**
   * A code's state as its partner sees it (one query whatever the outcome, for even timing):
   * the code as sent, fingerprinted, among the pools of any of `partnerRefs`.
   */
  async lookupCode(db: Executor, partnerRefs: string[], code: string): Promise<{ status: string; expiresAt: number | null; issuedAt: number | null } | undefined> {
    const normalized = normalizeCode(code);
    const hash = this.vault.fingerprint('rejected' in normalized ? code : normalized.code);
    const row = await this.store.findCodeOfPartners(db, partnerRefs, hash);
    if (!row) return undefined;
    const expiresAt = Number(row.expires_at);
    return { status: row.status, expiresAt: expiresAt >= NO_EXPIRY ? null : expiresAt, issuedAt: row.issued_at === null ? null : Number(row.issued_at) };
  }

  async exists(db: Executor, id: string): Promise<boolean> {
    return (await this.store.findPool(db, id)) !== undefined;
  }

  async list(limit: number, startingAfter?: string): Promise<{ data: Pool[]; hasMore: boolean }> {
    const rows = await this.store.listPools(this.db.read, limit + 1, startingAfter);
    const page = rows.slice(0, limit);
    const data = await Promise.all(page.map((r) => this.get(r.id)));
    return { data, hasMore: rows.length > limit };
  }

  async setLowStockThreshold(tx: Tx, id: string, threshold: number | null): Promise<Pool> {
    if (!(await this.store.updateLowStockThreshold(tx, id, threshold))) throw notFound('pool', id, 'id');
    return this.get(id, tx);
  }

  async batches(poolId: string): Promise<Batch[]> {
    await this.get(poolId);
    const stock = await this.store.stockByBatch(this.db.read, poolId, this.clock.now());
    const rows = await this.store.batchesOf(this.db.read, poolId);
    return rows.map((r) => toBatch(r, stock.get(r.id) ?? emptyStock()));
  }

  /** The API import: one batch, all of its codes, in the caller's transaction. */
  async importCodes(tx: Tx, poolId: string, codes: string[], batch: BatchInput): Promise<ImportResult> {
    const normalized: string[] = [];
    codes.forEach((raw, i) => {
      const result = normalizeCode(raw);
      if ('rejected' in result) throw invalid(`Code ${i} is not a valid code (${result.rejected.replace('_', ' ')})`, `codes.${i}`);
      normalized.push(result.code);
    });
    const created = await this.startBatch(tx, poolId, batch);
    const { imported, duplicates } = await this.addToBatch(tx, created, normalized);
    await this.afterImport(tx, poolId);
    return { batchId: created.id, imported, duplicates };
  }

  /** Opens a batch for codes that arrive in several transactions (the streamed file import). */
  async startBatch(tx: Tx, poolId: string, input: BatchInput): Promise<CodeBatchesTable> {
    const pool = await this.store.findPool(tx, poolId);
    if (!pool) throw notFound('pool', poolId, 'poolId');
    if (input.partnerId !== undefined) await this.partnerCheck(tx, input.partnerId, 'partnerId');
    const now = this.clock.now();
    if (input.expiresAt != null && input.expiresAt <= now) throw invalid('expiresAt must be in the future', 'expiresAt');
    const unit = input.unitCost ?? (pool.unit_cost_amount !== null && pool.unit_cost_currency !== null ? { amount: pool.unit_cost_amount, currency: pool.unit_cost_currency } : null);
    const row: CodeBatchesTable = {
      id: newId('batch'),
      pool_id: poolId,
      supplier: input.supplier ?? pool.supplier,
      partner_id: input.partnerId ?? pool.partner_id,
      unit_cost_amount: unit?.amount ?? null,
      unit_cost_currency: unit?.currency ?? null,
      purchased_at: input.purchasedAt ?? now,
      expires_at: input.expiresAt ?? null,
      imported: 0,
      duplicates: 0,
      created_at: now,
    };
    await this.store.insertBatch(tx, row);
    return row;
  }

  /** Adds already-normalized codes; duplicates (in this call or already in the pool) are counted and skipped. */
  async addToBatch(tx: Tx, batch: CodeBatchesTable, codes: string[]): Promise<{ imported: number; duplicates: number }> {
    const now = this.clock.now();
    const seen = new Set<string>();
    const rows: PoolCodesTable[] = [];
    for (const code of codes) {
      const hash = this.vault.fingerprint(code);
      if (seen.has(hash)) continue;
      seen.add(hash);
      rows.push({
        id: newId('code'),
        pool_id: batch.pool_id,
        batch_id: batch.id,
        code_hash: hash,
        code_cipher: this.vault.seal(code),
        status: 'available',
        expires_at: codeExpiry(batch.expires_at),
        issued_at: null,
        issued_ref: null,
        voided_at: null,
        created_at: now,
      });
    }
    const imported = await this.store.insertCodes(tx, rows);
    const duplicates = codes.length - imported;
    await this.store.addToBatchCounts(tx, batch.id, imported, duplicates);
    return { imported, duplicates };
  }

  /** Re-arms the low-stock alert once the pool is above its threshold again. */
  async afterImport(tx: Tx, poolId: string): Promise<void> {
    const pool = await this.store.findPool(tx, poolId);
    if (!pool || pool.low_stock_threshold === null || pool.low_stock_alerted_at === null) return;
    const available = await this.store.countAvailableUpTo(tx, poolId, this.clock.now(), pool.low_stock_threshold + 1);
    if (available > pool.low_stock_threshold) await this.store.clearLowStockAlert(tx, poolId);
  }

  /**
   * Issues exactly one code of the pool to `ref` (a redemption or benefit grant id), or answers
   * undefined when none is issuable. Expired and voided codes are never issued.
   */
  async claimCode(tx: Tx, poolId: string, ref: string): Promise<ClaimedCode | undefined> {
    const now = this.clock.now();
    const row = await this.store.claimCode(tx, poolId, ref, now);
    if (!row) return undefined;
    await this.checkLowStock(tx, poolId, now);
    return {
      codeId: row.id,
      batchId: row.batch_id,
      code: this.vault.open(row.code_cipher),
      expiresAt: row.expires_at >= NO_EXPIRY ? null : iso(Number(row.expires_at)),
    };
  }

  private async checkLowStock(tx: Tx, poolId: string, now: number): Promise<void> {
    const pool = await this.store.findPool(tx, poolId);
    if (!pool || pool.low_stock_threshold === null || pool.low_stock_alerted_at !== null) return;
    const available = await this.store.countAvailableUpTo(tx, poolId, now, pool.low_stock_threshold + 1);
    if (available > pool.low_stock_threshold) return;
    if (await this.store.markLowStockAlerted(tx, poolId, now)) {
      await this.outbox.add(tx, 'pool.low_stock', poolId, {
        poolId,
        name: pool.name,
        available,
        threshold: pool.low_stock_threshold,
      });
    }
  }

  /**
   * An answer that carries a clear code is stored for idempotent replay; sealing its `code`
   * keeps that stored copy encrypted too. The route opens it again just before it is sent.
   */
  sealAnswer<T extends { code?: string }>(answer: T): T {
    return answer.code === undefined ? answer : { ...answer, code: `${SEALED}${this.vault.seal(answer.code)}` };
  }

  openAnswer(payload: unknown): unknown {
    if (typeof payload !== 'object' || payload === null || !('code' in payload)) return payload;
    const code = (payload as { code: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith(SEALED)) return payload;
    return { ...payload, code: this.vault.open(code.slice(SEALED.length)) };
  }

  /** Takes a code out of circulation for good. */
  async voidCode(tx: Tx, codeId: string): Promise<boolean> {
    return this.store.voidCode(tx, codeId, this.clock.now());
  }

  /** The clear code, for an admin; every reveal is recorded with who asked and why. */
  async revealCode(tx: Tx, codeId: string, actor: string, reason: string, poolId?: string): Promise<{ codeId: string; code: string }> {
    const row = await this.store.findCode(tx, codeId);
    if (!row || (poolId !== undefined && row.pool_id !== poolId)) throw notFound('code', codeId, 'codeId');
    await this.store.insertReveal(tx, { id: newId('rvl'), code_id: codeId, actor, reason, created_at: this.clock.now() });
    return { codeId, code: this.vault.open(row.code_cipher) };
  }

  async reveals(poolId: string, codeId: string) {
    const code = await this.store.findCode(this.db.read, codeId);
    if (!code || code.pool_id !== poolId) throw notFound('code', codeId, 'codeId');
    const rows = await this.store.revealsOf(this.db.read, codeId);
    return rows.map((r) => ({ id: r.id, codeId: r.code_id, actor: r.actor, reason: r.reason, createdAt: new Date(r.created_at).toISOString() }));
  }

  async maskedCode(db: Executor, codeId: string): Promise<string | undefined> {
    const row = await this.store.findCode(db, codeId);
    return row ? maskCode(this.vault.open(row.code_cipher)) : undefined;
  }

  async listCodes(poolId: string, options: { status?: string; limit: number; startingAfter?: string }): Promise<{ data: CodeView[]; hasMore: boolean }> {
    await this.get(poolId);
    const rows = await this.store.listCodes(this.db.read, poolId, { ...options, limit: options.limit + 1 });
    const page = rows.slice(0, options.limit);
    return { data: page.map((r) => this.codeView(r)), hasMore: rows.length > options.limit };
  }

  /** Whether at least one code is issuable now (a read; the claim itself decides). */
  async hasStock(db: Executor, poolId: string): Promise<boolean> {
    return (await this.store.countAvailableUpTo(db, poolId, this.clock.now(), 1)) > 0;
  }

  async availableByPool(db: Executor, poolIds: string[]): Promise<Map<string, number>> {
    return this.store.availableByPool(db, poolIds, this.clock.now());
  }

  async costReport(poolId: string): Promise<CostReport> {
    const batches = await this.batches(poolId);
    const lines = batches.map((b) => costLine(b.id, b.unitCost, b));
    const byCurrency = new Map<string, CostLine>();
    for (const line of lines) {
      const key = line.currency ?? '';
      const total = byCurrency.get(key) ?? { ...costLine(null, line.currency ? { amount: 0, currency: line.currency } : null, emptyStock()), unitCost: null };
      total.issued += line.issued;
      total.available += line.available;
      total.expired += line.expired;
      total.voided += line.voided;
      if (line.currency) {
        total.issuedCost = (total.issuedCost ?? 0) + (line.issuedCost ?? 0);
        total.stockValue = (total.stockValue ?? 0) + (line.stockValue ?? 0);
        total.expiredCost = (total.expiredCost ?? 0) + (line.expiredCost ?? 0);
      }
      byCurrency.set(key, total);
    }
    return { poolId, batches: lines, totals: [...byCurrency.values()] };
  }

  private codeView(row: PoolCodesTable): CodeView {
    return {
      id: row.id,
      poolId: row.pool_id,
      batchId: row.batch_id,
      status: row.status,
      maskedCode: maskCode(this.vault.open(row.code_cipher)),
      expiresAt: Number(row.expires_at) >= NO_EXPIRY ? null : iso(Number(row.expires_at)),
      issuedAt: iso(row.issued_at),
      issuedTo: row.issued_ref,
      voidedAt: iso(row.voided_at),
      createdAt: new Date(row.created_at).toISOString(),
    };
  }
}
