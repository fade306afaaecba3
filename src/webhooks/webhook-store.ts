import { sql } from 'kysely';
import type { Engine } from '../platform/db.js';
import type { Executor, OutboxEventsTable, Tx, WebhookAttemptsTable, WebhookDeliveriesTable, WebhookEndpointsTable } from '../schema.js';
import { OPEN_STATUSES, REPLAYABLE_STATUSES, type DeliveryStatus } from './webhook.js';

export type EndpointPatch = Partial<Omit<WebhookEndpointsTable, 'id' | 'created_at'>>;

export interface ClaimedDelivery {
  id: string;
  event_id: string;
  endpoint_id: string;
  attempts: number;
  failures: number;
}

export interface AttemptResult {
  status: DeliveryStatus;
  failures: number;
  next_attempt_at: number | null;
  last_attempt_at: number;
  last_status_code: number | null;
  last_error: string | null;
}

/** Rows per multi-row insert: far below SQLite's bound on parameters per statement. */
const INSERT_CHUNK = 500;

export class WebhookStore {
  constructor(private readonly engine: Engine) {}

  // Endpoints

  async insertEndpoint(tx: Tx, row: WebhookEndpointsTable): Promise<void> {
    await tx.insertInto('webhook_endpoints').values(row).execute();
  }

  async findEndpoint(db: Executor, id: string): Promise<WebhookEndpointsTable | undefined> {
    return db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async endpointsByIds(db: Executor, ids: string[]): Promise<WebhookEndpointsTable[]> {
    if (ids.length === 0) return [];
    return db.selectFrom('webhook_endpoints').selectAll().where('id', 'in', ids).execute();
  }

  async listEndpoints(db: Executor, limit: number, startingAfter?: string, partnerId?: string | null): Promise<WebhookEndpointsTable[]> {
    let query = db.selectFrom('webhook_endpoints').selectAll().orderBy('id', 'desc').limit(limit);
    if (startingAfter) query = query.where('id', '<', startingAfter);
    if (partnerId !== undefined) query = partnerId === null ? query.where('partner_id', 'is', null) : query.where('partner_id', '=', partnerId);
    return query.execute();
  }

  async enabledEndpoints(db: Executor): Promise<WebhookEndpointsTable[]> {
    return db.selectFrom('webhook_endpoints').selectAll().where('status', '=', 'enabled').orderBy('id').execute();
  }

  async updateEndpoint(tx: Tx, id: string, patch: EndpointPatch): Promise<boolean> {
    const result = await tx.updateTable('webhook_endpoints').set(patch).where('id', '=', id).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Disables an endpoint that is enabled; false when it already was disabled (or is missing). */
  async disableEndpoint(tx: Tx, id: string, reason: string, now: number): Promise<boolean> {
    const result = await tx
      .updateTable('webhook_endpoints')
      .set({ status: 'disabled', disabled_reason: reason, disabled_at: now, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'enabled')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  // Fan-out

  /** Events not yet fanned out, oldest first; on PostgreSQL rows another node is fanning out are skipped. */
  async undispatchedEvents(tx: Tx, limit: number): Promise<Array<Pick<OutboxEventsTable, 'id' | 'topic' | 'payload' | 'created_at'>>> {
    let query = tx
      .selectFrom('outbox_events')
      .select(['id', 'topic', 'payload', 'created_at'])
      .where('delivered_at', 'is', null)
      .orderBy('id')
      .limit(limit);
    if (this.engine === 'postgres') query = query.forUpdate().skipLocked();
    return query.execute();
  }

  async markDispatched(tx: Tx, ids: string[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await tx.updateTable('outbox_events').set({ delivered_at: now }).where('id', 'in', ids).where('delivered_at', 'is', null).execute();
  }

  async insertDeliveries(tx: Tx, rows: WebhookDeliveriesTable[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await tx
        .insertInto('webhook_deliveries')
        .values(rows.slice(i, i + INSERT_CHUNK))
        .onConflict((oc) => oc.columns(['event_id', 'endpoint_id']).doNothing())
        .execute();
    }
  }

  async eventsByIds(db: Executor, ids: string[]): Promise<OutboxEventsTable[]> {
    if (ids.length === 0) return [];
    return db.selectFrom('outbox_events').selectAll().where('id', 'in', ids).execute();
  }

  // Delivery

  /**
   * Leases up to `limit` due deliveries of enabled endpoints to `owner` until `leaseUntil`, in
   * one statement: a delivery leased by another worker (lease not yet expired) is not taken,
   * and on PostgreSQL rows another transaction is claiming are skipped rather than waited for.
   */
  async claimDue(tx: Tx, now: number, limit: number, owner: string, leaseUntil: number): Promise<ClaimedDelivery[]> {
    let candidates = tx
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
      .select('d.id')
      .where('d.status', 'in', [...OPEN_STATUSES])
      .where('d.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<', now)]))
      .where('e.status', '=', 'enabled')
      .orderBy('d.next_attempt_at')
      .orderBy('d.id')
      .limit(limit);
    if (this.engine === 'postgres') candidates = candidates.forUpdate('d').skipLocked();
    return tx
      .updateTable('webhook_deliveries')
      .set({ lease_until: leaseUntil, lease_owner: owner })
      .where('id', 'in', candidates)
      .where('status', 'in', [...OPEN_STATUSES])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .returning(['id', 'event_id', 'endpoint_id', 'attempts', 'failures'])
      .execute();
  }

  /** Records an attempt's outcome if `owner` still holds the lease; false when it lost it (replayed, canceled, expired). */
  async finishAttempt(tx: Tx, id: string, owner: string, result: AttemptResult, now: number): Promise<boolean> {
    const updated = await tx
      .updateTable('webhook_deliveries')
      .set({
        ...result,
        attempts: sql<number>`attempts + 1`,
        lease_until: null,
        lease_owner: null,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  }

  async insertAttempt(tx: Tx, row: WebhookAttemptsTable): Promise<void> {
    await tx.insertInto('webhook_attempts').values(row).execute();
  }

  /** Stops every open delivery of an endpoint (it was disabled). */
  async cancelOpen(tx: Tx, endpointId: string, reason: string, now: number): Promise<number> {
    const result = await tx
      .updateTable('webhook_deliveries')
      .set({ status: 'canceled', next_attempt_at: null, last_error: reason, lease_until: null, lease_owner: null, updated_at: now })
      .where('endpoint_id', '=', endpointId)
      .where('status', 'in', [...OPEN_STATUSES])
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  // Log and replay

  async findDelivery(db: Executor, id: string): Promise<WebhookDeliveriesTable | undefined> {
    return db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listDeliveries(db: Executor, endpointId: string, limit: number, startingAfter?: string, status?: DeliveryStatus): Promise<WebhookDeliveriesTable[]> {
    let query = db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', endpointId).orderBy('id', 'desc').limit(limit);
    if (startingAfter) query = query.where('id', '<', startingAfter);
    if (status) query = query.where('status', '=', status);
    return query.execute();
  }

  async attemptsOf(db: Executor, deliveryId: string): Promise<WebhookAttemptsTable[]> {
    return db.selectFrom('webhook_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('id').execute();
  }

  /** Makes one delivery due now with a fresh retry schedule; false when a worker holds it at this moment. */
  async replayDelivery(tx: Tx, id: string, now: number): Promise<boolean> {
    const result = await tx
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', failures: 0, next_attempt_at: now, lease_until: null, lease_owner: null, updated_at: now })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Makes an endpoint's failed, dead and canceled deliveries created since `since` due now. */
  async replayEndpoint(tx: Tx, endpointId: string, since: number, now: number): Promise<number> {
    const result = await tx
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', failures: 0, next_attempt_at: now, updated_at: now })
      .where('endpoint_id', '=', endpointId)
      .where('status', 'in', [...REPLAYABLE_STATUSES])
      .where('created_at', '>=', since)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
