import type { Clock } from '../platform/clock.js';
import { newId } from '../platform/ids.js';
import type { Db, OutboxEventsTable, WebhookDeliveriesTable, WebhookEndpointsTable } from '../schema.js';
import { signedHeaders } from './signature.js';
import { matches, nextRetryAt, partnerOfEvent, webhookBody } from './webhook.js';
import type { AttemptResult, ClaimedDelivery, WebhookStore } from './webhook-store.js';

/** Seals endpoint secrets at rest (the code vault). */
export interface SecretBox {
  seal(text: string): string;
  open(sealed: string): string;
}

export interface DeliveryOptions {
  /** The HTTP client; Node's global fetch unless a test gives another. */
  fetch?: typeof fetch;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** Per-attempt timeout, connection to last byte. */
  timeoutMs?: number;
  /** Attempts in flight at once on this node. */
  concurrency?: number;
  /** How long a claimed delivery is reserved for the worker that claimed it. */
  leaseMs?: number;
  userAgent?: string;
}

export interface RunReport {
  dispatched: number;
  attempted: number;
}

/** How long the previous secret keeps signing after a rotation. */
export const PREVIOUS_SECRET_MS = 24 * 3_600_000;
const EVENTS_PER_FANOUT = 200;
const RESPONSE_BODY_LIMIT = 1024;
const ERROR_LIMIT = 500;

type Outcome = 'succeeded' | 'failed' | 'gone';

interface Prepared {
  claim: ClaimedDelivery;
  owner: string;
  event: OutboxEventsTable | undefined;
  endpoint: WebhookEndpointsTable | undefined;
}

function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `timed out after ${timeoutMs} ms`;
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    const detail = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : undefined;
    return (detail ? `${error.message}: ${detail}` : error.message).slice(0, ERROR_LIMIT);
  }
  return String(error).slice(0, ERROR_LIMIT);
}

async function readLimited(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/**
 * Turns outbox events into deliveries (fan-out) and sends due deliveries. Several workers, on
 * one node or many, may run at once: fan-out marks each event dispatched in the transaction
 * that creates its deliveries, and a delivery is leased before it is sent, so no two workers
 * send the same attempt. A worker that dies mid-send leaves a lease that expires: the attempt
 * is made again (at least once; receivers drop repeats by webhook-id).
 */
export class DeliveryWorker {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly fetch: typeof fetch;
  private readonly random: () => number;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly userAgent: string;

  constructor(
    private readonly db: Db,
    private readonly store: WebhookStore,
    private readonly secrets: SecretBox,
    private readonly clock: Clock,
    options: DeliveryOptions = {},
  ) {
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.random = options.random ?? Math.random;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.concurrency = Math.max(1, options.concurrency ?? 16);
    this.leaseMs = options.leaseMs ?? Math.max(60_000, this.timeoutMs * 3);
    this.userAgent = options.userAgent ?? 'Tessera-Webhooks/1';
  }

  /** Fans out every undispatched event; then sends everything due, until nothing is due or in flight. */
  async runOnce(): Promise<RunReport> {
    const dispatched = await this.dispatch();
    let attempted = 0;
    let drained = false;
    for (;;) {
      const free = this.concurrency - this.inFlight.size;
      if (!drained && free > 0) {
        const started = await this.claimAndStart(free);
        attempted += started;
        if (started > 0) continue;
        drained = true;
      }
      if (this.inFlight.size === 0) break;
      await Promise.race(this.inFlight);
      drained = false;
    }
    return { dispatched, attempted };
  }

  /** The scheduled job: fans out, then fills free slots without waiting for the attempts to end. */
  async tick(): Promise<RunReport> {
    const dispatched = await this.dispatch();
    const free = this.concurrency - this.inFlight.size;
    const attempted = free > 0 ? await this.claimAndStart(free) : 0;
    return { dispatched, attempted };
  }

  /** Waits for the attempts in flight (on shutdown). */
  async stop(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Creates the deliveries of undispatched events and marks them dispatched, one transaction per batch. */
  async dispatch(): Promise<number> {
    let total = 0;
    for (let round = 0; round < 1000; round++) {
      const waiting = await this.db.read.selectFrom('outbox_events').select('id').where('delivered_at', 'is', null).limit(1).executeTakeFirst();
      if (!waiting) break;
      const count = await this.db.write(async (tx) => {
        const events = await this.store.undispatchedEvents(tx, EVENTS_PER_FANOUT);
        if (events.length === 0) return 0;
        const endpoints = await this.store.enabledEndpoints(tx);
        const subscriptions = endpoints.map((e) => ({ endpoint: e, patterns: JSON.parse(e.event_types) as string[] }));
        const now = this.clock.now();
        const rows: WebhookDeliveriesTable[] = [];
        for (const event of events) {
          const about = partnerOfEvent(event.payload);
          for (const { endpoint, patterns } of subscriptions) {
            // An endpoint receives the events that happened once it existed.
            if (endpoint.created_at > event.created_at || !matches(patterns, event.topic)) continue;
            if (endpoint.partner_id !== null && endpoint.partner_id !== about) continue;
            rows.push(newDelivery(event.id, event.topic, endpoint.id, now));
          }
        }
        await this.store.insertDeliveries(tx, rows);
        await this.store.markDispatched(tx, events.map((e) => e.id), now);
        return events.length;
      });
      total += count;
      if (count < EVENTS_PER_FANOUT) break;
    }
    return total;
  }

  private async claimAndStart(limit: number): Promise<number> {
    const now = this.clock.now();
    const due = await this.db.read
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('status', 'in', ['pending', 'failed_retrying'])
      .where('next_attempt_at', '<=', now)
      .limit(1)
      .executeTakeFirst();
    if (!due) return 0;
    const owner = newId('whl');
    const claimed = await this.db.write((tx) => this.store.claimDue(tx, now, limit, owner, now + this.leaseMs));
    if (claimed.length === 0) return 0;
    const events = new Map((await this.store.eventsByIds(this.db.read, [...new Set(claimed.map((c) => c.event_id))])).map((e) => [e.id, e]));
    const endpoints = new Map((await this.store.endpointsByIds(this.db.read, [...new Set(claimed.map((c) => c.endpoint_id))])).map((e) => [e.id, e]));
    for (const claim of claimed) {
      const run: Promise<void> = this.attempt({ claim, owner, event: events.get(claim.event_id), endpoint: endpoints.get(claim.endpoint_id) })
        .catch(() => undefined)
        .finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }
    return claimed.length;
  }

  private liveSecrets(endpoint: WebhookEndpointsTable, now: number): string[] {
    const secrets = [this.secrets.open(endpoint.secret)];
    if (endpoint.previous_secret !== null && endpoint.previous_secret_until !== null && endpoint.previous_secret_until > now) {
      secrets.push(this.secrets.open(endpoint.previous_secret));
    }
    return secrets;
  }

  /** One HTTP attempt, then its outcome and log line in one transaction (network I/O never inside a write). */
  private async attempt({ claim, owner, event, endpoint }: Prepared): Promise<void> {
    const signedAt = this.clock.now();
    let statusCode: number | null = null;
    let responseBody: string | null = null;
    let error: string | null = null;
    let durationMs = 0;
    if (!event || !endpoint) {
      error = !event ? `event ${claim.event_id} no longer exists` : `endpoint ${claim.endpoint_id} no longer exists`;
    } else {
      const body = webhookBody(event.topic, event.created_at, event.payload);
      const headers = {
        'content-type': 'application/json',
        'user-agent': this.userAgent,
        ...signedHeaders(this.liveSecrets(endpoint, signedAt), event.id, Math.floor(signedAt / 1000), body),
      };
      const started = performance.now();
      try {
        const response = await this.fetch(endpoint.url, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        statusCode = response.status;
        responseBody = await readLimited(response, RESPONSE_BODY_LIMIT).catch(() => null);
      } catch (e) {
        error = describeError(e, this.timeoutMs);
      }
      durationMs = Math.round(performance.now() - started);
    }
    const outcome: Outcome = statusCode !== null && statusCode >= 200 && statusCode < 300 ? 'succeeded' : statusCode === 410 ? 'gone' : 'failed';
    if (statusCode !== null && outcome !== 'succeeded') error = `HTTP ${statusCode}${outcome === 'gone' ? ' Gone: the endpoint was disabled' : ''}`;
    const failures = outcome === 'succeeded' ? claim.failures : claim.failures + 1;
    await this.db.write(async (tx) => {
      const now = this.clock.now();
      let result: AttemptResult;
      if (outcome === 'succeeded') {
        result = { status: 'succeeded', failures, next_attempt_at: null, last_attempt_at: signedAt, last_status_code: statusCode, last_error: null };
      } else if (outcome === 'gone' || !event || !endpoint) {
        result = { status: outcome === 'gone' ? 'canceled' : 'dead', failures, next_attempt_at: null, last_attempt_at: signedAt, last_status_code: statusCode, last_error: error };
      } else {
        const next = nextRetryAt(now, failures, this.random);
        result = { status: next === null ? 'dead' : 'failed_retrying', failures, next_attempt_at: next, last_attempt_at: signedAt, last_status_code: statusCode, last_error: error };
      }
      await this.store.insertAttempt(tx, {
        id: newId('wha'),
        delivery_id: claim.id,
        attempt: claim.attempts + 1,
        outcome: outcome === 'gone' ? 'gone' : outcome,
        status_code: statusCode,
        duration_ms: durationMs,
        response_body: responseBody,
        error,
        signed_at: signedAt,
        created_at: now,
      });
      await this.store.finishAttempt(tx, claim.id, owner, result, now);
      if (outcome === 'gone') {
        await this.store.disableEndpoint(tx, claim.endpoint_id, 'gone', now);
        await this.store.cancelOpen(tx, claim.endpoint_id, 'the endpoint answered 410 Gone and was disabled', now);
      }
    });
  }
}

export function newDelivery(eventId: string, eventType: string, endpointId: string, now: number): WebhookDeliveriesTable {
  return {
    id: newId('whd'),
    event_id: eventId,
    endpoint_id: endpointId,
    event_type: eventType,
    status: 'pending',
    attempts: 0,
    failures: 0,
    next_attempt_at: now,
    last_attempt_at: null,
    last_status_code: null,
    last_error: null,
    lease_until: null,
    lease_owner: null,
    created_at: now,
    updated_at: now,
  };
}
