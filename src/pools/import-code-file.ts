import fs from 'node:fs';
import type { Db } from '../schema.js';
import { MAX_CODE_LENGTH, normalizeCode, type RejectReason } from './pool.js';
import type { BatchInput, PoolService } from './pool-service.js';

/** A line longer than this (in bytes) is rejected without being held in memory. */
const MAX_LINE_BYTES = MAX_CODE_LENGTH * 4 + 64;
const NEWLINE = 0x0a;
const MAX_LISTED = 100;

export interface FileImportReport {
  batchId: string;
  lines: number;
  imported: number;
  duplicates: number;
  rejected: Record<RejectReason, number>;
  /** The first rejected lines (1-based), to find them in the file. */
  rejectedLines: Array<{ line: number; reason: RejectReason }>;
}

export interface FileImportOptions {
  batch?: BatchInput;
  /** 'lines': one code a line; 'csv': the column named "code", else the first. Default: by extension. */
  format?: 'lines' | 'csv';
  chunkSize?: number;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

/** One CSV record on one line: quoted fields with "" escapes; no line breaks inside quotes. */
export function csvFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) {
          field += line.slice(i);
          i = line.length;
          break;
        }
        field += line.slice(i, quote);
        i = quote + 1;
        if (line[i] === '"') {
          field += '"';
          i++;
        } else break;
      }
      const comma = line.indexOf(',', i);
      i = comma < 0 ? line.length + 1 : comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      field = comma < 0 ? line.slice(i) : line.slice(i, comma);
      i = comma < 0 ? line.length + 1 : comma + 1;
    }
    fields.push(field);
    if (i > line.length) return fields;
  }
}

/**
 * Streams a file of codes into a new batch of the pool: bytes are split into lines without
 * decoding the whole file, each line is decoded strictly (bad UTF-8 is rejected, not mangled),
 * over-long lines are skipped as they stream past, and codes go in by chunks, each chunk its
 * own group-committed write. Duplicates, within the file or against the pool, are counted.
 */
export async function importCodeFile(
  db: Db,
  pools: PoolService,
  poolId: string,
  file: string,
  options: FileImportOptions = {},
): Promise<FileImportReport> {
  const totalBytes = fs.statSync(file).size;
  const format = options.format ?? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'lines');
  const chunkSize = options.chunkSize ?? 5000;
  const batch = await db.write((tx) => pools.startBatch(tx, poolId, options.batch ?? {}));
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const report: FileImportReport = {
    batchId: batch.id,
    lines: 0,
    imported: 0,
    duplicates: 0,
    rejected: { blank: 0, too_long: 0, bad_encoding: 0, control_characters: 0 },
    rejectedLines: [],
  };
  let pending: string[] = [];
  let codeColumn: number | undefined = format === 'csv' ? undefined : 0;
  const reject = (reason: RejectReason) => {
    report.rejected[reason]++;
    if (report.rejectedLines.length < MAX_LISTED) report.rejectedLines.push({ line: report.lines, reason });
  };
  const flush = async () => {
    if (pending.length === 0) return;
    const codes = pending;
    pending = [];
    const result = await db.write((tx) => pools.addToBatch(tx, batch, codes));
    report.imported += result.imported;
    report.duplicates += result.duplicates;
  };
  const onLine = (bytes: Buffer | null) => {
    report.lines++;
    if (bytes === null) return reject('too_long');
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      return reject('bad_encoding');
    }
    if (report.lines === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (format === 'csv') {
      const fields = csvFields(text.replace(/\r$/, ''));
      if (codeColumn === undefined) {
        const header = fields.findIndex((f) => f.trim().toLowerCase() === 'code');
        codeColumn = header >= 0 ? header : 0;
        // A header line is not a code.
        if (header >= 0) return;
      }
      text = fields[codeColumn] ?? '';
    }
    const result = normalizeCode(text);
    if ('rejected' in result) return reject(result.rejected);
    pending.push(result.code);
  };

  let carry: Buffer[] = [];
  let carryBytes = 0;
  let overlong = false;
  let doneBytes = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      const end = nl < 0 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (!overlong) {
        if (carryBytes + piece.length > MAX_LINE_BYTES) {
          overlong = true;
          carry = [];
          carryBytes = 0;
        } else if (piece.length > 0) {
          carry.push(piece);
          carryBytes += piece.length;
        }
      }
      if (nl < 0) break;
      onLine(overlong ? null : Buffer.concat(carry, carryBytes));
      carry = [];
      carryBytes = 0;
      overlong = false;
      start = nl + 1;
    }
    doneBytes += chunk.length;
    if (pending.length >= chunkSize) await flush();
    options.onProgress?.(doneBytes, totalBytes);
  }
  if (overlong || carryBytes > 0) onLine(overlong ? null : Buffer.concat(carry, carryBytes));
  await flush();
  await db.write((tx) => pools.afterImport(tx, poolId));
  options.onProgress?.(totalBytes, totalBytes);
  return report;
}
