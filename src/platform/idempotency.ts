import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Tx } from '../schema.js';
import type { Clock } from './clock.js';
import { AppError, conflict } from './errors.js';
import { withSavepoint } from './group-commit.js';

export interface EffectResult {
  status: number;
  body: unknown;
  replayed: boolean;
}

/** Kept at least this long; the scheduled purge removes older keys. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export function fingerprint(method: string, url: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${url}\n${JSON.stringify(body ?? null)}`)
    .digest('hex');
}

/**
 * Stripe's idempotency semantics. The first outcome of a key (success or business error) is
 * stored in the same transaction as the effect, so the effect and its record commit together;
 * a repeat with the same request replays it, with another request is refused, and one that
 * arrives while the first is still running is told to retry and leaves nothing behind.
 */
export class Idempotency {
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async run(
    scope: string,
    key: string,
    requestHash: string,
    successStatus: number,
    work: (tx: Tx) => Promise<unknown>,
    /** What of a success may be kept for replay: a secret shown once is not stored. */
    keepForReplay: (body: unknown) => unknown = (body) => body,
  ): Promise<EffectResult> {
    const slot = `${scope}\u0000${key}`;
    if (this.inFlight.has(slot)) throw inProgress();
    this.inFlight.add(slot);
    try {
      return await this.db.write(async (tx) => {
        if (this.db.engine === 'postgres') await this.claimAcrossNodes(tx, slot);
        const existing = await tx
          .selectFrom('idempotency_keys')
          .select(['request_hash', 'status_code', 'response_body'])
          .where('scope', '=', scope)
          .where('idem_key', '=', key)
          .executeTakeFirst();
        if (existing) {
          if (existing.request_hash !== requestHash) {
            throw conflict(
              'idempotency_conflict',
              'This Idempotency-Key was already used with a different request',
              'Idempotency-Key',
            );
          }
          return { status: existing.status_code, body: JSON.parse(existing.response_body) as unknown, replayed: true };
        }
        let status = successStatus;
        let body: unknown;
        try {
          body = await withSavepoint(tx, () => work(tx));
        } catch (error) {
          // A business answer is part of the key's history; a crash is not, so it can be retried.
          // Neither is a 400 (a parameter the service refused, like a past expiresAt): as with a
          // schema failure, the client fixes the request and sends it again with the same key.
          if (!(error instanceof AppError) || error.status >= 500 || error.status === 400) throw error;
          status = error.status;
          body = error.toBody();
        }
        await tx
          .insertInto('idempotency_keys')
          .values({
            scope,
            idem_key: key,
            request_hash: requestHash,
            status_code: status,
            response_body: JSON.stringify(status === successStatus ? keepForReplay(body) : body),
            created_at: this.clock.now(),
          })
          .execute();
        return { status, body, replayed: false };
      });
    } finally {
      this.inFlight.delete(slot);
    }
  }

  async purgeExpired(): Promise<number> {
    const cutoff = this.clock.now() - IDEMPOTENCY_RETENTION_MS;
    const result = await this.db.write((tx) =>
      tx.deleteFrom('idempotency_keys').where('created_at', '<', cutoff).executeTakeFirst(),
    );
    return Number(result.numDeletedRows);
  }

  /** Another node may hold the same key: its transaction lock tells us without waiting for it. */
  private async claimAcrossNodes(tx: Tx, slot: string): Promise<void> {
    const lockId = createHash('sha256').update(slot).digest().readBigInt64BE(0).toString();
    const result = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${lockId}::bigint) as ok`.execute(tx);
    if (!result.rows[0]?.ok) throw inProgress();
  }
}

function inProgress(): AppError {
  return new AppError(
    409,
    'idempotency_key_in_use',
    'A request with this Idempotency-Key is still being processed; retry after it completes',
    'Idempotency-Key',
    { 'Retry-After': '1' },
  );
}
