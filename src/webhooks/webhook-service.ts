import type { Clock } from '../platform/clock.js';
import { conflict, invalid, notFound } from '../platform/errors.js';
import { newId } from '../platform/ids.js';
import type { Outbox } from '../platform/outbox.js';
import type { Db, Executor, Tx, WebhookEndpointsTable } from '../schema.js';
import { DeliveryWorker, newDelivery, PREVIOUS_SECRET_MS, type DeliveryOptions, type RunReport, type SecretBox } from './delivery-worker.js';
import { generateSecret } from './signature.js';
import {
  checkEventType,
  EVENT_TYPES,
  toAttempt,
  toDelivery,
  toEndpoint,
  type DeliveryStatus,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookEndpoint,
} from './webhook.js';
import type { WebhookStore } from './webhook-store.js';

export interface CreateEndpointInput {
  url: string;
  eventTypes: string[];
  partnerId?: string;
  description?: string;
}

export interface UpdateEndpointInput {
  url?: string;
  eventTypes?: string[];
  description?: string | null;
  enabled?: boolean;
}

/** Whether a partner id names a partner; the partners domain provides it (wired in main.ts). */
/** The id of the partner named by id or code, or undefined (src/partners, wired in main.ts). */
export type PartnerLookup = (db: Executor, ref: string) => Promise<string | undefined>;

const SEALED_ANSWER = 'sealed:v1:';

export type EndpointWithSecret = WebhookEndpoint & { secret: string };

function checkUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(`'${text}' is not an absolute URL`, 'url');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('The URL must be http or https', 'url');
  if (url.username || url.password) throw invalid('The URL must not hold credentials: the signature authenticates Tessera to the receiver', 'url');
  if (!url.hostname) throw invalid('The URL needs a host', 'url');
  return url.toString();
}

function checkEventTypes(types: string[]): string[] {
  types.forEach((type, i) => {
    const problem = checkEventType(type);
    if (problem) throw invalid(problem, `eventTypes.${i}`, 'event_type_unknown');
  });
  return [...new Set(types)];
}

/**
 * Webhook endpoints (per partner or the operator's own), their secrets, the delivery log and
 * replays; the sending itself is the DeliveryWorker's.
 */
export class WebhookService {
  private partnerLookup: PartnerLookup = async () => undefined;
  private readonly worker: DeliveryWorker;

  constructor(
    private readonly db: Db,
    private readonly store: WebhookStore,
    private readonly secrets: SecretBox,
    private readonly outbox: Outbox,
    private readonly clock: Clock,
    private readonly options: DeliveryOptions = {},
  ) {
    this.worker = this.createWorker();
  }

  /**
   * What an Idempotency-Key keeps of an answer that shows a secret: the secret sealed, so a
   * retried request still gets it and the database never holds it in clear.
   */
  sealAnswer(body: unknown): unknown {
    if (typeof body !== 'object' || body === null || !('secret' in body) || typeof body.secret !== 'string') return body;
    return { ...body, secret: `${SEALED_ANSWER}${this.secrets.seal(body.secret)}` };
  }

  /** Opens a sealed secret as the answer leaves (a replayed answer); anything else passes. */
  openAnswer(payload: unknown): unknown {
    if (typeof payload !== 'object' || payload === null || !('secret' in payload)) return payload;
    const secret = payload.secret;
    if (typeof secret !== 'string' || !secret.startsWith(SEALED_ANSWER)) return payload;
    return { ...payload, secret: this.secrets.open(secret.slice(SEALED_ANSWER.length)) };
  }

  usePartnerLookup(lookup: PartnerLookup): void {
    this.partnerLookup = lookup;
  }

  /** Another worker on the same database (tests, or a node that wants more than one). */
  createWorker(options: DeliveryOptions = {}): DeliveryWorker {
    return new DeliveryWorker(this.db, this.store, this.secrets, this.clock, { ...this.options, ...options });
  }

  /** Fan-out, then every due attempt, waiting for them to finish. */
  runOnce(): Promise<RunReport> {
    return this.worker.runOnce();
  }

  /** The scheduled job: fan-out, then starts due attempts without waiting. */
  tick(): Promise<RunReport> {
    return this.worker.tick();
  }

  stop(): Promise<void> {
    return this.worker.stop();
  }

  eventTypes(): Array<{ type: string; description: string }> {
    return [...EVENT_TYPES];
  }

  async create(tx: Tx, input: CreateEndpointInput): Promise<EndpointWithSecret> {
    const url = checkUrl(input.url);
    const eventTypes = checkEventTypes(input.eventTypes);
    const partnerId = input.partnerId === undefined ? null : await this.partnerIdOf(tx, input.partnerId);
    const now = this.clock.now();
    const secret = generateSecret();
    const row: WebhookEndpointsTable = {
      id: newId('whe'),
      partner_id: partnerId,
      url,
      description: input.description ?? null,
      event_types: JSON.stringify(eventTypes),
      status: 'enabled',
      disabled_reason: null,
      disabled_at: null,
      secret: this.secrets.seal(secret),
      previous_secret: null,
      previous_secret_until: null,
      created_at: now,
      updated_at: now,
    };
    await this.store.insertEndpoint(tx, row);
    return { ...toEndpoint(row, now), secret };
  }

  async get(id: string, db: Executor = this.db.read): Promise<WebhookEndpoint> {
    return toEndpoint(await this.requireEndpoint(db, id), this.clock.now());
  }

  async list(query: { limit: number; startingAfter?: string; partnerId?: string }): Promise<{ data: WebhookEndpoint[]; hasMore: boolean }> {
    const rows = await this.store.listEndpoints(this.db.read, query.limit + 1, query.startingAfter, query.partnerId);
    const now = this.clock.now();
    return { data: rows.slice(0, query.limit).map((r) => toEndpoint(r, now)), hasMore: rows.length > query.limit };
  }

  /**
   * Changes the URL, event types or description, or disables / re-enables the endpoint.
   * Disabling stops its open deliveries (canceled); re-enabling does not resend them: replay
   * them with POST …/replay.
   */
  async update(tx: Tx, id: string, input: UpdateEndpointInput): Promise<WebhookEndpoint> {
    const row = await this.requireEndpoint(tx, id);
    const now = this.clock.now();
    const patch: Partial<WebhookEndpointsTable> = { updated_at: now };
    if (input.url !== undefined) patch.url = checkUrl(input.url);
    if (input.eventTypes !== undefined) patch.event_types = JSON.stringify(checkEventTypes(input.eventTypes));
    if (input.description !== undefined) patch.description = input.description;
    if (input.enabled === true && row.status !== 'enabled') {
      Object.assign(patch, { status: 'enabled', disabled_reason: null, disabled_at: null });
    }
    await this.store.updateEndpoint(tx, id, patch);
    if (input.enabled === false && row.status === 'enabled') {
      await this.store.disableEndpoint(tx, id, 'manual', now);
      await this.store.cancelOpen(tx, id, 'the endpoint was disabled', now);
    }
    return this.get(id, tx);
  }

  /** A new secret, shown once; the previous one keeps signing (a second signature) for 24 hours. */
  async rotateSecret(tx: Tx, id: string): Promise<EndpointWithSecret> {
    const row = await this.requireEndpoint(tx, id);
    const now = this.clock.now();
    const secret = generateSecret();
    await this.store.updateEndpoint(tx, id, {
      secret: this.secrets.seal(secret),
      previous_secret: row.secret,
      previous_secret_until: now + PREVIOUS_SECRET_MS,
      updated_at: now,
    });
    return { ...(await this.get(id, tx)), secret };
  }

  /** A `webhook.test` event sent to this endpoint only, through the ordinary delivery path. */
  async sendTest(tx: Tx, id: string): Promise<WebhookDelivery> {
    const row = await this.requireEndpoint(tx, id);
    if (row.status !== 'enabled') throw conflict('endpoint_disabled', `Endpoint ${id} is disabled; enable it first`, 'id');
    const eventId = await this.outbox.add(tx, 'webhook.test', id, { endpointId: id, message: 'A test event from Tessera' });
    const now = this.clock.now();
    // Dispatched at once: the fan-out must not send it to other endpoints subscribed to '*'.
    await this.store.markDispatched(tx, [eventId], now);
    const delivery = newDelivery(eventId, 'webhook.test', id, now);
    await this.store.insertDeliveries(tx, [delivery]);
    return toDelivery(delivery);
  }

  async deliveries(
    endpointId: string,
    query: { limit: number; startingAfter?: string; status?: DeliveryStatus },
  ): Promise<{ data: WebhookDelivery[]; hasMore: boolean }> {
    await this.requireEndpoint(this.db.read, endpointId);
    const rows = await this.store.listDeliveries(this.db.read, endpointId, query.limit + 1, query.startingAfter, query.status);
    return { data: rows.slice(0, query.limit).map(toDelivery), hasMore: rows.length > query.limit };
  }

  async delivery(id: string, db: Executor = this.db.read): Promise<WebhookDelivery & { attempts: WebhookAttempt[] }> {
    const row = await this.store.findDelivery(db, id);
    if (!row) throw notFound('webhook delivery', id, 'id');
    return { ...toDelivery(row), attempts: (await this.store.attemptsOf(db, id)).map(toAttempt) };
  }

  /** Sends a delivery again now (same webhook-id), whatever its status, with a fresh retry schedule. */
  async replayDelivery(tx: Tx, id: string): Promise<WebhookDelivery & { attempts: WebhookAttempt[] }> {
    const row = await this.store.findDelivery(tx, id);
    if (!row) throw notFound('webhook delivery', id, 'id');
    const endpoint = await this.requireEndpoint(tx, row.endpoint_id);
    if (endpoint.status !== 'enabled') {
      throw conflict('endpoint_disabled', `Endpoint ${endpoint.id} is disabled; enable it before replaying its deliveries`, 'id');
    }
    if (!(await this.store.replayDelivery(tx, id, this.clock.now()))) {
      throw conflict('delivery_in_progress', `Delivery ${id} is being sent right now; try again once this attempt ends`, 'id');
    }
    return this.delivery(id, tx);
  }

  /** Sends again every failed, dead or canceled delivery of an endpoint created since `since`. */
  async replayEndpoint(tx: Tx, id: string, since: number): Promise<{ endpointId: string; replayed: number }> {
    const endpoint = await this.requireEndpoint(tx, id);
    if (endpoint.status !== 'enabled') throw conflict('endpoint_disabled', `Endpoint ${id} is disabled; enable it before replaying`, 'id');
    const now = this.clock.now();
    if (since > now) throw invalid("'since' is in the future", 'since');
    return { endpointId: id, replayed: await this.store.replayEndpoint(tx, id, since, now) };
  }

  private async requireEndpoint(db: Executor, id: string): Promise<WebhookEndpointsTable> {
    const row = await this.store.findEndpoint(db, id);
    if (!row) throw notFound('webhook endpoint', id, 'id');
    return row;
  }

  /** A partner named by id or code, as everywhere else; endpoints keep its id. */
  private async partnerIdOf(db: Executor, ref: string): Promise<string> {
    const id = await this.partnerLookup(db, ref);
    if (id === undefined) throw notFound('partner', ref, 'partnerId');
    return id;
  }
}
