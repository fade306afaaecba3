import fs from 'node:fs';
import readline from 'node:readline';
import type { MemberService } from '../members/index.js';
import { AppError } from '../platform/errors.js';
import type { Db, Tx } from '../schema.js';
import { MAX_AMOUNT } from './order-schemas.js';
import type { CreateOrderInput, OrderService } from './order-service.js';

export interface ImportError {
  line: number;
  code: string;
  message: string;
}

export interface ImportReport {
  lines: number;
  imported: number;
  failed: number;
  /** The first errors, by line number; `failed` counts them all. */
  errors: ImportError[];
}

export interface ImportOptions {
  format?: 'csv' | 'jsonl';
  batchSize?: number;
  maxErrorsKept?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  onError?: (error: ImportError) => void;
}

interface Row {
  line: number;
  fields: Record<string, unknown>;
}

/**
 * Orders per transaction. Large, because what belongs to a member (its credit, statistics and
 * score) is written once per batch: 100,000 rows import about twice as fast as 10,000. On SQLite
 * a batch holds the write lock for about a second; `--batch-size` lowers it for a live server.
 */
export const DEFAULT_BATCH_SIZE = 100_000;

const COLUMNS = new Set(['memberId', 'memberExternalId', 'externalId', 'amount', 'currency', 'category', 'paidAt']);

/** One CSV record's fields; quotes may wrap a field and "" inside them is a quote. */
export function parseCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) throw new Error('unterminated quoted field');
  out.push(field);
  return out;
}

class RowError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function toInput(fields: Record<string, unknown>, memberId: string): CreateOrderInput {
  const externalId = fields.externalId;
  if (typeof externalId !== 'string' || externalId.length === 0 || externalId.length > 200) throw new RowError('parameter_invalid', 'externalId must be 1 to 200 characters');
  let amount = fields.amount;
  if (typeof amount === 'string' && /^\d+$/.test(amount)) amount = Number(amount);
  if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1 || amount > MAX_AMOUNT) {
    throw new RowError('parameter_invalid', 'amount must be a whole number of minor units, at least 1');
  }
  const currency = fields.currency;
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) throw new RowError('parameter_invalid', 'currency must be an ISO code such as CNY');
  const category = fields.category === undefined || fields.category === '' ? undefined : fields.category;
  if (category !== undefined && (typeof category !== 'string' || category.length > 100)) throw new RowError('parameter_invalid', 'category must be text of at most 100 characters');
  let paidAt: number | undefined;
  if (fields.paidAt !== undefined && fields.paidAt !== '') {
    paidAt = typeof fields.paidAt === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(fields.paidAt) ? Date.parse(fields.paidAt) : NaN;
    if (Number.isNaN(paidAt)) throw new RowError('parameter_invalid', 'paidAt must be an ISO 8601 date-time');
  }
  return { memberId, externalId, amount: { amount, currency }, category: category as string | undefined, paidAt };
}

/**
 * Imports orders from a CSV file (with a header row) or JSON lines, streamed: a batch of rows at
 * a time, so memory stays flat whatever the file's size. Each row is an order with the checks
 * and effects of POST /v1/orders (see OrderService.importBatch for how a batch shares its
 * per-member writes): a bad row is reported with its line number and leaves nothing behind,
 * the good rows around it are kept.
 */
export async function importOrders(db: Db, orders: OrderService, members: MemberService, file: string, options: ImportOptions = {}): Promise<ImportReport> {
  const totalBytes = fs.statSync(file).size;
  const format = options.format ?? (/\.(jsonl|ndjson|json)$/i.test(file) ? 'jsonl' : 'csv');
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const keep = options.maxErrorsKept ?? 100;
  const report: ImportReport = { lines: 0, imported: 0, failed: 0, errors: [] };
  const memberIds = new Map<string, string | null>();
  const fail = (line: number, code: string, message: string) => {
    report.failed++;
    const error = { line, code, message };
    if (report.errors.length < keep) report.errors.push(error);
    options.onError?.(error);
  };

  const resolveMember = async (fields: Record<string, unknown>): Promise<string> => {
    if (typeof fields.memberId === 'string' && fields.memberId !== '') return fields.memberId;
    const external = fields.memberExternalId;
    if (typeof external !== 'string' || external === '') throw new RowError('parameter_missing', 'memberId or memberExternalId is required');
    if (!memberIds.has(external)) {
      if (memberIds.size > 100_000) memberIds.clear();
      memberIds.set(external, (await members.findByExternalId(external))?.id ?? null);
    }
    const id = memberIds.get(external);
    if (!id) throw new RowError('resource_missing', `No member with externalId '${external}'`);
    return id;
  };

  const runBatch = async (rows: Row[]) => {
    const prepared: Array<{ line: number; input: CreateOrderInput }> = [];
    for (const row of rows) {
      try {
        prepared.push({ line: row.line, input: toInput(row.fields, await resolveMember(row.fields)) });
      } catch (error) {
        if (error instanceof RowError) fail(row.line, error.code, error.message);
        else throw error;
      }
    }
    if (prepared.length === 0) return;
    // A refused order is answered in place and writes nothing; anything else (a broken
    // connection, a bug) fails the whole batch, whose rows are then tried one by one.
    const placeAll = (rows: typeof prepared) => db.write((tx: Tx) => orders.importBatch(tx, rows.map((r) => r.input)));
    let outcomes: Array<AppError | null>;
    try {
      outcomes = await placeAll(prepared);
    } catch {
      outcomes = [];
      for (const row of prepared) {
        try {
          outcomes.push((await placeAll([row]))[0]!);
        } catch (error) {
          outcomes.push(new AppError(500, 'internal_error', error instanceof Error ? error.message : String(error)));
        }
      }
    }
    outcomes.forEach((error, i) => {
      if (error) fail(prepared[i]!.line, error.code, error.message);
      else report.imported++;
    });
  };

  const stream = fs.createReadStream(file);
  let bytesRead = 0;
  stream.on('data', (chunk) => {
    bytesRead += chunk.length;
  });
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let header: string[] | undefined;
  let batch: Row[] = [];
  let lineNo = 0;
  for await (const text of lines) {
    lineNo++;
    if (text.trim() === '') continue;
    if (format === 'csv' && !header) {
      header = parseCsvLine(text.replace(/^\uFEFF/, '')).map((h) => h.trim());
      const unknown = header.find((h) => !COLUMNS.has(h));
      if (unknown) throw new Error(`line 1: unknown column '${unknown}'; expected some of ${[...COLUMNS].join(', ')}`);
      continue;
    }
    report.lines++;
    try {
      let fields: Record<string, unknown>;
      if (format === 'csv') {
        const values = parseCsvLine(text);
        if (values.length !== header!.length) throw new RowError('parameter_invalid', `expected ${header!.length} fields, found ${values.length}`);
        fields = {};
        for (let i = 0; i < header!.length; i++) fields[header![i]!] = values[i];
      } else {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new RowError('invalid_json', 'each line must be a JSON object');
        fields = parsed as Record<string, unknown>;
        if (fields.amount !== null && typeof fields.amount === 'object') {
          const money = fields.amount as Record<string, unknown>;
          fields = { ...fields, amount: money.amount, currency: money.currency };
        }
        const unknown = Object.keys(fields).find((k) => !COLUMNS.has(k));
        if (unknown) throw new RowError('parameter_unknown', `unknown field '${unknown}'`);
      }
      batch.push({ line: lineNo, fields });
    } catch (error) {
      if (error instanceof RowError) fail(lineNo, error.code, error.message);
      else if (error instanceof SyntaxError || error instanceof Error) fail(lineNo, format === 'csv' ? 'parameter_invalid' : 'invalid_json', error.message);
    }
    if (batch.length >= batchSize) {
      await runBatch(batch);
      batch = [];
      options.onProgress?.(bytesRead, totalBytes);
    }
  }
  if (batch.length > 0) await runBatch(batch);
  options.onProgress?.(totalBytes, totalBytes);
  report.errors.sort((a, b) => a.line - b.line);
  return report;
}
