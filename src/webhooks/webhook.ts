import type { WebhookAttemptsTable, WebhookDeliveriesTable, WebhookEndpointsTable } from '../schema.js';

export type EndpointStatus = 'enabled' | 'disabled';
export type DeliveryStatus = 'pending' | 'succeeded' | 'failed_retrying' | 'dead' | 'canceled';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'succeeded', 'failed_retrying', 'dead', 'canceled'];
/** Deliveries the worker still has to send. */
export const OPEN_STATUSES: readonly DeliveryStatus[] = ['pending', 'failed_retrying'];
/** Deliveries an endpoint replay sends again. */
export const REPLAYABLE_STATUSES: readonly DeliveryStatus[] = ['failed_retrying', 'dead', 'canceled'];

/** Every event type Tessera writes to its outbox, with what its `data` holds. */
export const EVENT_TYPES: ReadonlyArray<{ type: string; description: string }> = [
  { type: 'entitlement.granted', description: 'A benefit was granted to a member for a subscription term (data: entitlementId, memberId, subscriptionId, benefitId, kind, validFrom, validUntil).' },
  { type: 'entitlement.revoked', description: 'An undelivered entitlement was revoked, e.g. on cancellation (data: entitlementId, memberId, subscriptionId, benefitId, kind, reason).' },
  { type: 'entitlement.activation_requested', description: 'A partner membership is owed to a member: the partner activates it and confirms through its API; sent again while unanswered (data: entitlementId, memberId, partnerId, partner, partnerUserId, benefitId, benefitCode, membership, validFrom, validUntil, attempt).' },
  { type: 'entitlement.activated', description: 'The partner confirmed the activation; the entitlement is fulfilled (data: entitlementId, memberId, partnerId, partnerReference).' },
  { type: 'entitlement.activation_rejected', description: 'The partner refused the activation (data: entitlementId, memberId, partnerId, reason).' },
  { type: 'entitlement.activation_failed', description: 'The activation went unanswered through all its retries; an operator must act (data: entitlementId, memberId, partnerId, attempts).' },
  { type: 'redemption.completed', description: 'A member exchanged points for a catalog item (data: redemptionId, memberId, itemId, poolId, codeId, pointsSpent).' },
  { type: 'redemption.reversed', description: 'A redemption was reversed and its points returned (data: redemptionId, memberId, pointsReturned).' },
  { type: 'pool.low_stock', description: "A code pool's available stock fell to its low-stock threshold (data: poolId, name, available, threshold)." },
  { type: 'subscription.created', description: 'A member subscribed to a plan (data: subscriptionId, memberId, planId, status, price, periodIndex, currentPeriodStart, currentPeriodEnd, jointProductId).' },
  { type: 'subscription.renewed', description: 'A subscription was charged for a new period (data: as subscription.created).' },
  { type: 'subscription.canceled', description: 'A subscription ended by cancellation: now, or at the end of its period (data: as subscription.created, plus atPeriodEnd, endedAt).' },
  { type: 'subscription.past_due', description: 'A renewal could not be charged; the subscription is past due and the charge is retried daily (data: as subscription.created).' },
  { type: 'subscription.expired', description: 'A subscription lapsed: unpaid past the grace period, or no price applied at renewal (data: as subscription.created, plus reason, endedAt).' },
  { type: 'webhook.test', description: 'Sent by POST /v1/webhooks/endpoints/{id}/test to that endpoint only (data: endpointId, message).' },
];

const KNOWN = new Set(EVENT_TYPES.map((e) => e.type));
const FAMILIES = new Set(EVENT_TYPES.map((e) => e.type.split('.')[0]!));
const TOPIC = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

/**
 * A subscription is `*`, a family wildcard (`redemption.*`) or one event type. A type outside
 * the list is accepted in a known family (families grow as domains add events), so a receiver
 * can subscribe before the first such event exists; a family nobody writes is refused as a
 * likely typo.
 */
export function checkEventType(pattern: string): string | undefined {
  if (pattern === '*') return undefined;
  if (pattern.endsWith('.*')) {
    const family = pattern.slice(0, -2);
    return FAMILIES.has(family) ? undefined : `'${pattern}' names no known family of events (see GET /v1/webhooks/event-types)`;
  }
  if (!TOPIC.test(pattern)) return `'${pattern}' is not an event type: lower-case words separated by dots, or a wildcard like 'redemption.*' or '*'`;
  if (KNOWN.has(pattern) || FAMILIES.has(pattern.split('.')[0]!)) return undefined;
  return `'${pattern}' is not a known event type (see GET /v1/webhooks/event-types)`;
}

export function matches(patterns: readonly string[], topic: string): boolean {
  return patterns.some((p) => p === '*' || p === topic || (p.endsWith('.*') && topic.startsWith(p.slice(0, -1))));
}

/**
 * Waits after the 1st, 2nd… failed attempt: ten attempts spread over about three days
 * (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, 14 h, 24 h), each wait ±20 % jitter so that
 * receivers recovering from an outage are not hit by every retry at the same instant.
 */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
  14 * 3_600_000,
  24 * 3_600_000,
];
export const JITTER = 0.2;

/** When to try again after `failures` failed attempts in a row, or null: dead-letter. */
export function nextRetryAt(now: number, failures: number, random: () => number): number | null {
  const base = RETRY_SCHEDULE_MS[failures - 1];
  if (base === undefined) return null;
  return now + Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface WebhookEndpoint {
  id: string;
  partnerId: string | null;
  url: string;
  description: string | null;
  eventTypes: string[];
  status: EndpointStatus;
  disabledReason: string | null;
  disabledAt: string | null;
  /** While set, deliveries carry a second signature made with the secret before the last rotation. */
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toEndpoint(row: WebhookEndpointsTable, now: number): WebhookEndpoint {
  const previousLive = row.previous_secret !== null && row.previous_secret_until !== null && row.previous_secret_until > now;
  return {
    id: row.id,
    partnerId: row.partner_id,
    url: row.url,
    description: row.description,
    eventTypes: JSON.parse(row.event_types) as string[],
    status: row.status as EndpointStatus,
    disabledReason: row.disabled_reason,
    disabledAt: iso(row.disabled_at),
    previousSecretExpiresAt: previousLive ? iso(row.previous_secret_until) : null,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  status: DeliveryStatus;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toDelivery(row: WebhookDeliveriesTable): WebhookDelivery {
  const open = OPEN_STATUSES.includes(row.status as DeliveryStatus);
  return {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    endpointId: row.endpoint_id,
    status: row.status as DeliveryStatus,
    attemptCount: row.attempts,
    nextAttemptAt: open ? iso(row.next_attempt_at) : null,
    lastAttemptAt: iso(row.last_attempt_at),
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

export interface WebhookAttempt {
  id: string;
  attempt: number;
  outcome: string;
  statusCode: number | null;
  durationMs: number;
  responseBody: string | null;
  error: string | null;
  /** The webhook-timestamp the attempt was signed with. */
  signedAt: string;
  createdAt: string;
}

export function toAttempt(row: WebhookAttemptsTable): WebhookAttempt {
  return {
    id: row.id,
    attempt: row.attempt,
    outcome: row.outcome,
    statusCode: row.status_code,
    durationMs: row.duration_ms,
    responseBody: row.response_body,
    error: row.error,
    signedAt: iso(row.signed_at)!,
    createdAt: iso(row.created_at)!,
  };
}

/**
 * The partner an event is about (its data names it in `partnerId`), or null. A partner's
 * endpoint receives only the events about that partner: one partner never sees another's
 * members or activations. The operator's endpoints (no partner) receive every event they
 * subscribe to.
 */
export function partnerOfEvent(payload: string): string | null {
  try {
    const data = JSON.parse(payload) as { partnerId?: unknown };
    return typeof data.partnerId === 'string' ? data.partnerId : null;
  } catch {
    return null;
  }
}

/** The body of every webhook, the Standard Webhooks payload convention. */
export function webhookBody(type: string, createdAt: number, payload: string): string {
  return `{"type":${JSON.stringify(type)},"timestamp":${JSON.stringify(new Date(createdAt).toISOString())},"data":${payload}}`;
}
