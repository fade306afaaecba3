import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateSecret, sign, verifyWebhook } from '../src/webhooks/index.js';
import { createTessera } from '../src/main.js';
import { ManualClock } from '../src/platform/clock.js';
import { Outbox } from '../src/platform/outbox.js';
import type { PaymentGateway } from '../src/subscriptions/index.js';
import { createMember, startTestApp, type TestApp } from './helpers/app.js';
import { freshDatabase } from './helpers/database.js';
import { snapshot } from './helpers/db-snapshot.js';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.js';

// Endpoints, signatures (Standard Webhooks), rotation, 410, event coverage and bad input,
// against a real HTTP receiver on a local port.

let app: TestApp;
let receiver: Receiver;

beforeAll(async () => {
  app = await startTestApp();
  receiver = await startReceiver();
});
afterAll(async () => {
  await app.close();
  await receiver.close();
});
beforeEach(() => {
  receiver.received.length = 0;
  receiver.respond = () => ({ status: 200, body: 'ok' });
});

const run = () => app.tessera.services.webhooks.runOnce();

async function endpoint(body: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const res = await app.call('POST', '/v1/webhooks/endpoints', { url: receiver.url, eventTypes: ['*'], ...body });
  expect(res.status).toBe(201);
  return res.body;
}

async function disableAll(): Promise<void> {
  const list = await app.call('GET', '/v1/webhooks/endpoints?limit=100');
  for (const e of list.body.data) {
    if (e.status === 'enabled') expect((await app.call('POST', `/v1/webhooks/endpoints/${e.id}`, { enabled: false })).status).toBe(200);
  }
}

/** One delivered test event: the request as the receiver saw it. */
async function deliveredTest(endpointId: string) {
  const before = receiver.received.length;
  const sent = await app.call('POST', `/v1/webhooks/endpoints/${endpointId}/test`);
  expect(sent.status).toBe(201);
  await run();
  expect(receiver.received.length).toBe(before + 1);
  return { delivery: sent.body, request: receiver.received[before]! };
}

describe('endpoints', () => {
  it('creates an endpoint and shows its whsec_ secret once', async () => {
    const res = await app.call('POST', '/v1/webhooks/endpoints', {
      url: receiver.url,
      eventTypes: ['redemption.*', 'subscription.created'],
      description: 'operator CRM',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      url: receiver.url,
      eventTypes: ['redemption.*', 'subscription.created'],
      status: 'enabled',
      partnerId: null,
      description: 'operator CRM',
      previousSecretExpiresAt: null,
    });
    expect(res.body.id).toMatch(/^whe_/);
    expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const bytes = Buffer.from(res.body.secret.slice('whsec_'.length), 'base64').length;
    expect(bytes).toBeGreaterThanOrEqual(24);
    expect(bytes).toBeLessThanOrEqual(64);

    const got = await app.call('GET', `/v1/webhooks/endpoints/${res.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body.secret).toBeUndefined();
    const list = await app.call('GET', '/v1/webhooks/endpoints?limit=100');
    expect(list.body.data.map((e: { id: string }) => e.id)).toContain(res.body.id);
    expect(list.body.data.every((e: Record<string, unknown>) => e.secret === undefined)).toBe(true);
  });

  it('updates URL, event types and description, and disables and re-enables', async () => {
    const e = await endpoint({ eventTypes: ['pool.low_stock'] });
    const changed = await app.call('POST', `/v1/webhooks/endpoints/${e.id}`, {
      url: `${receiver.url}?v=2`,
      eventTypes: ['subscription.*'],
      description: 'changed',
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ url: `${receiver.url}?v=2`, eventTypes: ['subscription.*'], description: 'changed', status: 'enabled' });
    const off = await app.call('POST', `/v1/webhooks/endpoints/${e.id}`, { enabled: false });
    expect(off.body).toMatchObject({ status: 'disabled', disabledReason: 'manual' });
    expect((await app.call('POST', `/v1/webhooks/endpoints/${e.id}/test`)).status).toBe(409);
    const on = await app.call('POST', `/v1/webhooks/endpoints/${e.id}`, { enabled: true, description: null });
    expect(on.body).toMatchObject({ status: 'enabled', disabledReason: null, disabledAt: null, description: null });
  });

  it('lists the event types and filters endpoints by partner', async () => {
    const types = await app.call('GET', '/v1/webhooks/event-types');
    expect(types.status).toBe(200);
    const names = types.body.data.map((t: { type: string }) => t.type);
    for (const t of ['entitlement.granted', 'entitlement.revoked', 'redemption.completed', 'redemption.reversed', 'pool.low_stock', 'subscription.created', 'subscription.renewed', 'subscription.canceled', 'subscription.expired', 'subscription.past_due', 'webhook.test']) {
      expect(names).toContain(t);
    }
    for (const t of ['entitlement.activation_requested', 'entitlement.activated', 'entitlement.activation_rejected', 'entitlement.activation_failed']) expect(names).toContain(t);

    const partner = await app.call('POST', '/v1/partners', { code: 'wh-youku', name: 'Youku' });
    expect(partner.status).toBe(201);
    const partnerId = partner.body.id as string;
    try {
      const mine = await endpoint({ partnerId });
      expect((await app.call('GET', `/v1/webhooks/endpoints/${mine.id}`)).body.partnerId).toBe(partnerId);
      const filtered = await app.call('GET', `/v1/webhooks/endpoints?partnerId=${partnerId}`);
      expect(filtered.body.data.map((x: { id: string }) => x.id)).toEqual([mine.id]);
      const unknown = await app.call('POST', '/v1/webhooks/endpoints', { url: receiver.url, eventTypes: ['*'], partnerId: 'ptr_01JYYYYYYYYYYYYYYYYYYYYYYY' });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toMatchObject({ code: 'resource_missing', param: 'partnerId' });
    } finally {
      await disableAll();
    }
  });

  it("sends a partner's endpoint only the events about that partner", async () => {
    await disableAll();
    const youku = (await app.call('POST', '/v1/partners', { code: 'wh-youku-2', name: 'Youku' })).body.id as string;
    const eleme = (await app.call('POST', '/v1/partners', { code: 'wh-eleme', name: 'Ele.me' })).body.id as string;
    const partnerEndpoint = await endpoint({ partnerId: youku, eventTypes: ['*'] });
    const operatorEndpoint = await endpoint({ eventTypes: ['entitlement.*'] });
    const outbox = new Outbox(app.clock);
    await app.tessera.db.write(async (tx) => {
      await outbox.add(tx, 'entitlement.activated', 'ent_a', { entitlementId: 'ent_a', partnerId: youku });
      await outbox.add(tx, 'entitlement.activated', 'ent_b', { entitlementId: 'ent_b', partnerId: eleme });
      await outbox.add(tx, 'entitlement.granted', 'ent_c', { entitlementId: 'ent_c' });
    });
    await run();
    const sent = async (id: string) =>
      (await app.call('GET', `/v1/webhooks/endpoints/${id}/deliveries`)).body.data.length as number;
    expect(await sent(partnerEndpoint.id)).toBe(1);
    expect(await sent(operatorEndpoint.id)).toBe(3);
    const toPartner = receiver.received.filter((r) => verifyWebhook(partnerEndpoint.secret, r.headers, r.body, app.clock.now()).ok);
    expect(toPartner.map((r) => JSON.parse(r.body).data)).toEqual([{ entitlementId: 'ent_a', partnerId: youku }]);
    await disableAll();
  });

  it('keeps no secret in clear in the database (read raw)', async () => {
    const e = await endpoint();
    const rotated = await app.call('POST', `/v1/webhooks/endpoints/${e.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const rows = (await sql<Record<string, unknown>>`select * from webhook_endpoints`.execute(app.tessera.db.read)).rows;
    const dump = JSON.stringify(rows);
    for (const secret of [e.secret, rotated.body.secret as string]) {
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(secret.slice('whsec_'.length));
      expect(dump).not.toContain(Buffer.from(secret.slice('whsec_'.length), 'base64').toString('hex'));
    }
    await disableAll();
  });
});

describe('signatures (Standard Webhooks), checked by the receiver', () => {
  let e: { id: string; secret: string };
  beforeAll(async () => {
    await disableAll();
    e = await endpoint({ eventTypes: ['webhook.test'] });
  });

  it('sends webhook-id, webhook-timestamp, a v1 signature and a {type, timestamp, data} body', async () => {
    const { delivery, request } = await deliveredTest(e.id);
    expect(request.headers['webhook-id']).toBe(delivery.eventId);
    expect(request.headers['webhook-timestamp']).toBe(String(Math.floor(app.clock.now() / 1000)));
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(request.headers['content-type']).toBe('application/json');
    const body = JSON.parse(request.body);
    expect(body).toMatchObject({ type: 'webhook.test', data: { endpointId: e.id } });
    expect(Date.parse(body.timestamp)).toBe(app.clock.now());
    // The spec's own construction, independently of the code under test.
    const { createHmac } = await import('node:crypto');
    const expected = createHmac('sha256', Buffer.from(e.secret.slice(6), 'base64'))
      .update(`${request.headers['webhook-id']}.${request.headers['webhook-timestamp']}.${request.body}`)
      .digest('base64');
    expect(request.headers['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('case 1, valid: verifies', async () => {
    const { request } = await deliveredTest(e.id);
    expect(verifyWebhook(e.secret, request.headers, request.body, app.clock.now())).toMatchObject({ ok: true, id: request.headers['webhook-id'] });
  });

  it('case 2, several signatures with one valid: verifies', async () => {
    const { request } = await deliveredTest(e.id);
    const other = sign(generateSecret(), String(request.headers['webhook-id']), Number(request.headers['webhook-timestamp']), request.body);
    const headers = { ...request.headers, 'webhook-signature': `v1,Zm9vYmFy ${other} v1a,bm90LWEtdjE= ${request.headers['webhook-signature']}` };
    expect(verifyWebhook(e.secret, headers, request.body, app.clock.now()).ok).toBe(true);
  });

  it('case 3, tampered body: refused', async () => {
    const { request } = await deliveredTest(e.id);
    const tampered = request.body.replace('"webhook.test"', '"webhook.tesT"');
    expect(tampered).not.toBe(request.body);
    expect(verifyWebhook(e.secret, request.headers, tampered, app.clock.now())).toEqual({ ok: false, reason: 'invalid_signature' });
  });

  it('case 4, wrong secret: refused', async () => {
    const { request } = await deliveredTest(e.id);
    expect(verifyWebhook(generateSecret(), request.headers, request.body, app.clock.now())).toEqual({ ok: false, reason: 'invalid_signature' });
  });

  it('case 5, timestamp more than 5 minutes off either way: refused', async () => {
    const { request } = await deliveredTest(e.id);
    const sentAt = app.clock.now();
    expect(verifyWebhook(e.secret, request.headers, request.body, sentAt + 300_000).ok).toBe(true);
    expect(verifyWebhook(e.secret, request.headers, request.body, sentAt - 300_000).ok).toBe(true);
    expect(verifyWebhook(e.secret, request.headers, request.body, sentAt + 301_000)).toEqual({ ok: false, reason: 'timestamp_too_old' });
    expect(verifyWebhook(e.secret, request.headers, request.body, sentAt - 301_000)).toEqual({ ok: false, reason: 'timestamp_too_new' });
    // Re-signing with a moved timestamp is what an attacker cannot do without the secret.
    const moved = { ...request.headers, 'webhook-timestamp': String(Math.floor(sentAt / 1000) + 1) };
    expect(verifyWebhook(e.secret, moved, request.body, sentAt)).toEqual({ ok: false, reason: 'invalid_signature' });
  });

  it('case 6, a missing header: refused', async () => {
    const { request } = await deliveredTest(e.id);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const headers = { ...request.headers };
      delete headers[name];
      expect(verifyWebhook(e.secret, headers, request.body, app.clock.now())).toEqual({ ok: false, reason: 'missing_header' });
    }
  });

  it('rotation: two signatures for 24 hours; a receiver with only the old or only the new secret verifies', async () => {
    const rotated = await app.call('POST', `/v1/webhooks/endpoints/${e.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.secret as string;
    expect(fresh).not.toBe(e.secret);
    expect(rotated.body.previousSecretExpiresAt).toBe(new Date(app.clock.now() + 24 * 3_600_000).toISOString());
    const { request } = await deliveredTest(e.id);
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyWebhook(e.secret, request.headers, request.body, app.clock.now()).ok).toBe(true);
    expect(verifyWebhook(fresh, request.headers, request.body, app.clock.now()).ok).toBe(true);
    expect(verifyWebhook(generateSecret(), request.headers, request.body, app.clock.now()).ok).toBe(false);

    app.clock.advance(24 * 3_600_000 + 1000);
    const later = await deliveredTest(e.id);
    expect(String(later.request.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyWebhook(fresh, later.request.headers, later.request.body, app.clock.now()).ok).toBe(true);
    expect(verifyWebhook(e.secret, later.request.headers, later.request.body, app.clock.now()).ok).toBe(false);
    expect((await app.call('GET', `/v1/webhooks/endpoints/${e.id}`)).body.previousSecretExpiresAt).toBeNull();
    e = { id: e.id, secret: fresh };
  });
});

describe('410 Gone', () => {
  it('disables the endpoint and stops its pending deliveries; the operator re-enables it', async () => {
    await disableAll();
    const e = await endpoint({ eventTypes: ['webhook.test'] });
    receiver.respond = () => ({ status: 410, body: 'gone' });
    const first = await app.call('POST', `/v1/webhooks/endpoints/${e.id}/test`);
    await run();
    expect(receiver.received).toHaveLength(1);
    const got = await app.call('GET', `/v1/webhooks/endpoints/${e.id}`);
    expect(got.body).toMatchObject({ status: 'disabled', disabledReason: 'gone' });
    const delivery = await app.call('GET', `/v1/webhooks/deliveries/${first.body.id}`);
    expect(delivery.body).toMatchObject({ status: 'canceled', lastStatusCode: 410, attemptCount: 1 });
    expect(delivery.body.attempts).toMatchObject([{ attempt: 1, statusCode: 410, outcome: 'gone', responseBody: 'gone' }]);

    // Nothing more is sent while it is disabled, and a replay is refused.
    app.clock.advance(60_000);
    await run();
    expect(receiver.received).toHaveLength(1);
    expect((await app.call('POST', `/v1/webhooks/deliveries/${first.body.id}/replay`)).status).toBe(409);

    receiver.respond = () => ({ status: 204 });
    expect((await app.call('POST', `/v1/webhooks/endpoints/${e.id}`, { enabled: true })).body.status).toBe('enabled');
    const replay = await app.call('POST', `/v1/webhooks/endpoints/${e.id}/replay`, { since: new Date(app.clock.now() - 3_600_000).toISOString() });
    expect(replay.body).toEqual({ endpointId: e.id, replayed: 1 });
    await run();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.headers['webhook-id']).toBe(first.body.eventId);
    expect((await app.call('GET', `/v1/webhooks/deliveries/${first.body.id}`)).body).toMatchObject({ status: 'succeeded', attemptCount: 2 });
  });
});

describe('events from the domains, fanned out by event type', () => {
  it('sends subscription, entitlement, redemption and low-stock events to the endpoints subscribed to them', async () => {
    await disableAll();
    const all = await endpoint({ eventTypes: ['*'] });
    const subs = await endpoint({ eventTypes: ['subscription.*', 'entitlement.granted'] });
    const redeemed = await endpoint({ eventTypes: ['redemption.completed'] });

    expect((await app.call('POST', '/v1/partners', { code: 'wh-video', name: 'Video' })).status).toBe(201);
    const benefit = await app.call('POST', '/v1/benefits', { code: 'wh-youku', name: 'Youku VIP', kind: 'partner_membership', partner: 'wh-video', membership: 'annual' });
    expect(benefit.status).toBe(201);
    const plan = await app.call('POST', '/v1/plans', { code: 'wh-plan', name: 'WH', term: 'P1M', prices: [{ amount: { amount: 1000, currency: 'CNY' } }], benefitIds: [benefit.body.id] });
    expect(plan.status).toBe(201);
    const member = await createMember(app, 'wh-member', 500);
    const sub = await app.call('POST', '/v1/subscriptions', { memberId: member, planId: plan.body.id });
    expect(sub.status).toBe(201);
    const canceled = await app.call('POST', `/v1/subscriptions/${sub.body.id}/cancel`, { atPeriodEnd: false });
    expect(canceled.status).toBe(200);

    const pool = await app.call('POST', '/v1/pools', { name: 'wh pool', lowStockThreshold: 1 });
    expect((await app.call('POST', `/v1/pools/${pool.body.id}/codes`, { codes: ['WH-CODE-0001', 'WH-CODE-0002'] })).status).toBe(201);
    const item = await app.call('POST', '/v1/catalog/items', { name: 'wh card', pointsPrice: 100, poolId: pool.body.id });
    expect(item.status).toBe(201);
    const redemption = await app.call('POST', '/v1/redemptions', { memberId: member, itemId: item.body.id });
    expect(redemption.status).toBe(201);

    await run();
    const byEndpoint = async (id: string) => {
      const page = await app.call('GET', `/v1/webhooks/endpoints/${id}/deliveries?limit=100`);
      expect(page.status).toBe(200);
      return page.body.data.map((d: { eventType: string; status: string }) => {
        expect(d.status).toBe('succeeded');
        return d.eventType;
      }).sort();
    };
    const everything = await byEndpoint(all.id);
    for (const t of ['subscription.created', 'subscription.canceled', 'entitlement.granted', 'entitlement.activation_requested', 'entitlement.revoked', 'redemption.completed', 'pool.low_stock']) {
      expect(everything).toContain(t);
    }
    expect(await byEndpoint(subs.id)).toEqual(['entitlement.granted', 'subscription.canceled', 'subscription.created']);
    expect(await byEndpoint(redeemed.id)).toEqual(['redemption.completed']);

    // Every request verifies with its endpoint's secret, and carries the change's data.
    const secretOf = new Map([[all.id, all.secret], [subs.id, subs.secret], [redeemed.id, redeemed.secret]]);
    const created = receiver.received.map((r) => ({ r, body: JSON.parse(r.body) })).filter((x) => x.body.type === 'subscription.created');
    expect(created).toHaveLength(2);
    for (const { r, body } of created) {
      expect(body.data).toMatchObject({ subscriptionId: sub.body.id, memberId: member, planId: plan.body.id, status: 'active', price: { amount: 1000, currency: 'CNY' } });
      expect([...secretOf.values()].filter((s) => verifyWebhook(s, r.headers, r.body, app.clock.now()).ok)).toHaveLength(1);
    }
    const redemptionEvent = receiver.received.map((r) => JSON.parse(r.body)).find((b) => b.type === 'redemption.completed');
    expect(redemptionEvent.data).toMatchObject({ memberId: member });
  });

  it('does not send an endpoint the events from before it existed', async () => {
    await disableAll();
    await createMember(app, 'wh-before');
    const pool = await app.call('POST', '/v1/pools', { name: 'wh pool 2', lowStockThreshold: 5 });
    expect((await app.call('POST', `/v1/pools/${pool.body.id}/codes`, { codes: ['WH2-CODE-0001'] })).status).toBe(201);
    app.clock.advance(1000);
    const late = await endpoint({ eventTypes: ['*'] });
    await run();
    expect((await app.call('GET', `/v1/webhooks/endpoints/${late.id}/deliveries`)).body.data).toEqual([]);
  });
});

describe('subscription lifecycle events', () => {
  it('sends created, renewed, past_due, expired and canceled (at period end) as they happen', async () => {
    const database = await freshDatabase();
    const clock = new ManualClock(Date.UTC(2026, 10, 1));
    let declining = false;
    const payments: PaymentGateway = {
      charge: async (_tx, request) =>
        declining
          ? { status: 'failed', method: 'test', reference: null, failureReason: 'card declined' }
          : { status: 'succeeded', method: 'test', reference: `test:${request.periodId}` },
      refund: async (_tx, request) => ({ status: 'succeeded', method: 'test', reference: `test-refund:${request.paymentId}` }),
    };
    const tessera = await createTessera(database.config, { clock, logger: false, payments });
    const call = async (method: string, url: string, body?: unknown) => {
      const res = await tessera.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${database.config.adminKey}` }, ...(body === undefined ? {} : { payload: body as object }) });
      return { status: res.statusCode, body: JSON.parse(res.body) };
    };
    try {
      const e = await call('POST', '/v1/webhooks/endpoints', { url: receiver.url, eventTypes: ['subscription.*'] });
      expect(e.status).toBe(201);
      const plan = await call('POST', '/v1/plans', { code: 'life', name: 'Life', term: 'P1M', prices: [{ amount: { amount: 500, currency: 'CNY' } }] });
      const lapsing = (await call('POST', '/v1/members', { externalId: 'lapsing' })).body.id;
      const leaving = (await call('POST', '/v1/members', { externalId: 'leaving' })).body.id;
      const sub = await call('POST', '/v1/subscriptions', { memberId: lapsing, planId: plan.body.id });
      const other = await call('POST', '/v1/subscriptions', { memberId: leaving, planId: plan.body.id });
      expect([sub.status, other.status]).toEqual([201, 201]);
      expect((await call('POST', `/v1/subscriptions/${other.body.id}/cancel`, { atPeriodEnd: true })).status).toBe(200);

      clock.advance(31 * 86_400_000);
      await tessera.services.subscriptions.runDue();
      declining = true;
      clock.advance(31 * 86_400_000);
      await tessera.services.subscriptions.runDue();
      for (let day = 0; day < 9; day++) {
        clock.advance(86_400_000);
        await tessera.services.subscriptions.runDue();
      }
      await tessera.services.webhooks.runOnce();

      const events = receiver.received.map((r) => {
        expect(verifyWebhook(e.body.secret, r.headers, r.body, Number(r.headers['webhook-timestamp']) * 1000).ok).toBe(true);
        return JSON.parse(r.body) as { type: string; data: Record<string, unknown> };
      });
      const of = (id: string) => events.filter((x) => x.data.subscriptionId === id);
      expect(of(sub.body.id).map((x) => x.type)).toEqual(['subscription.created', 'subscription.renewed', 'subscription.past_due', 'subscription.expired']);
      expect(of(sub.body.id).map((x) => x.data.status)).toEqual(['active', 'active', 'past_due', 'expired']);
      expect(of(sub.body.id)[1]!.data).toMatchObject({ periodIndex: 1, price: { amount: 500, currency: 'CNY' } });
      expect(of(sub.body.id)[3]!.data).toMatchObject({ reason: 'unpaid past the grace period' });
      expect(of(other.body.id).map((x) => x.type)).toEqual(['subscription.created', 'subscription.canceled']);
      expect(of(other.body.id)[1]!.data).toMatchObject({ status: 'canceled', atPeriodEnd: true });
    } finally {
      await tessera.close();
      await database.drop();
    }
  });
});

describe('who may call', () => {
  it('admins manage endpoints; analysts read; support reads and replays; partner keys are refused', async () => {
    await disableAll();
    const e = await endpoint({ eventTypes: ['webhook.test'] });
    const sent = await app.call('POST', `/v1/webhooks/endpoints/${e.id}/test`);
    await run();
    const key = async (role: string) => (await app.call('POST', '/v1/api-keys', { name: `wh ${role}`, role })).body.secret as string;
    const as = (secret: string) => ({ authorization: `Bearer ${secret}` });
    const analyst = as(await key('analyst'));
    const support = as(await key('support'));
    const partner = await app.call('POST', '/v1/partners', { code: 'wh-keys', name: 'Keys' });
    const partnerKey = await app.call('POST', `/v1/partners/${partner.body.id}/keys`, { name: 'wh', scopes: ['activations:write', 'usage:write', 'members:read', 'settlements:read'] });
    expect(partnerKey.status).toBe(201);
    const asPartner = as(partnerKey.body.secret);

    expect((await app.call('GET', `/v1/webhooks/endpoints/${e.id}`, undefined, analyst)).status).toBe(200);
    expect((await app.call('GET', `/v1/webhooks/deliveries/${sent.body.id}`, undefined, analyst)).status).toBe(200);
    expect((await app.call('POST', '/v1/webhooks/endpoints', { url: receiver.url, eventTypes: ['*'] }, analyst)).status).toBe(403);
    expect((await app.call('POST', `/v1/webhooks/deliveries/${sent.body.id}/replay`, undefined, analyst)).status).toBe(403);

    expect((await app.call('POST', `/v1/webhooks/deliveries/${sent.body.id}/replay`, undefined, support)).status).toBe(200);
    expect((await app.call('POST', `/v1/webhooks/endpoints/${e.id}/replay`, { since: '2026-01-01T00:00:00Z' }, support)).status).toBe(200);
    expect((await app.call('POST', `/v1/webhooks/endpoints/${e.id}/rotate-secret`, undefined, support)).status).toBe(403);

    for (const [method, url] of [['GET', '/v1/webhooks/endpoints'], ['GET', `/v1/webhooks/endpoints/${e.id}`], ['POST', `/v1/webhooks/endpoints/${e.id}/test`], ['GET', '/v1/webhooks/event-types']] as const) {
      expect((await app.call(method, url, undefined, asPartner)).status).toBe(403);
    }
    await run();
    await disableAll();
  });
});

describe('bad input: 400 with a code, nothing written', () => {
  let e: { id: string; secret: string };
  let deliveryId: string;
  beforeAll(async () => {
    e = await endpoint({ eventTypes: ['webhook.test'] });
    deliveryId = (await app.call('POST', `/v1/webhooks/endpoints/${e.id}/test`)).body.id;
    await run();
  });

  const cases: Array<[string, string, () => string, unknown, number, string, string?]> = [
    ['create: no url', 'POST', () => '/v1/webhooks/endpoints', { eventTypes: ['*'] }, 400, 'parameter_missing', 'url'],
    ['create: no eventTypes', 'POST', () => '/v1/webhooks/endpoints', { url: 'https://example.com/h' }, 400, 'parameter_missing', 'eventTypes'],
    ['create: not a URL', 'POST', () => '/v1/webhooks/endpoints', { url: 'not a url', eventTypes: ['*'] }, 400, 'parameter_invalid', 'url'],
    ['create: ftp URL', 'POST', () => '/v1/webhooks/endpoints', { url: 'ftp://example.com/h', eventTypes: ['*'] }, 400, 'parameter_invalid', 'url'],
    ['create: URL with credentials', 'POST', () => '/v1/webhooks/endpoints', { url: 'https://u:p@example.com/h', eventTypes: ['*'] }, 400, 'parameter_invalid', 'url'],
    ['create: URL too long', 'POST', () => '/v1/webhooks/endpoints', { url: `https://example.com/${'a'.repeat(2000)}`, eventTypes: ['*'] }, 400, 'parameter_invalid', 'url'],
    ['create: empty eventTypes', 'POST', () => '/v1/webhooks/endpoints', { url: 'https://example.com/h', eventTypes: [] }, 400, 'parameter_invalid', 'eventTypes'],
    ['create: unknown event type', 'POST', () => '/v1/webhooks/endpoints', { url: 'https://example.com/h', eventTypes: ['*', 'order.shipped'] }, 400, 'event_type_unknown', 'eventTypes.1'],
    ['create: unknown family', 'POST', () => '/v1/webhooks/endpoints', { url: 'https://example.com/h', eventTypes: ['nope.*'] }, 400, 'event_type_unknown', 'eventTypes.0'],
    ['create: malformed event type', 'POST', () => '/v1/webhooks/endpoints', { url: 'https://example.com/h', eventTypes: ['Redemption.Completed'] }, 400, 'event_type_unknown', 'eventTypes.0'],
    ['create: event type not a string', 'POST', () => '/v1/webhooks/endpoints', { url: 'https://example.com/h', eventTypes: [7] }, 400, 'parameter_invalid', 'eventTypes.0'],
    ['create: unknown partnerId', 'POST', () => '/v1/webhooks/endpoints', { url: 'https://example.com/h', eventTypes: ['*'], partnerId: 'youku' }, 404, 'resource_missing', 'partnerId'],
    ['create: unknown field', 'POST', () => '/v1/webhooks/endpoints', { url: 'https://example.com/h', eventTypes: ['*'], secret: 'whsec_x' }, 400, 'parameter_unknown', 'secret'],
    ['create: description too long', 'POST', () => '/v1/webhooks/endpoints', { url: 'https://example.com/h', eventTypes: ['*'], description: 'x'.repeat(501) }, 400, 'parameter_invalid', 'description'],
    ['create: not JSON', 'POST', () => '/v1/webhooks/endpoints', '{"url":', 400, 'invalid_json'],
    ['list: limit 0', 'GET', () => '/v1/webhooks/endpoints?limit=0', undefined, 400, 'parameter_invalid', 'limit'],
    ['list: unknown query', 'GET', () => '/v1/webhooks/endpoints?colour=red', undefined, 400, 'parameter_unknown', 'colour'],
    ['get: unknown endpoint', 'GET', () => '/v1/webhooks/endpoints/whe_nope', undefined, 404, 'resource_missing', 'id'],
    ['update: empty body', 'POST', () => `/v1/webhooks/endpoints/${e.id}`, {}, 400, 'parameter_invalid'],
    ['update: bad URL', 'POST', () => `/v1/webhooks/endpoints/${e.id}`, { url: 'mailto:x@example.com', description: 'partial?' }, 400, 'parameter_invalid', 'url'],
    ['update: unknown event type', 'POST', () => `/v1/webhooks/endpoints/${e.id}`, { eventTypes: ['webhook.test', 'bogus.*'], description: 'partial?' }, 400, 'event_type_unknown', 'eventTypes.1'],
    ['update: enabled not a boolean', 'POST', () => `/v1/webhooks/endpoints/${e.id}`, { enabled: 'no' }, 400, 'parameter_invalid', 'enabled'],
    ['update: partnerId cannot change', 'POST', () => `/v1/webhooks/endpoints/${e.id}`, { partnerId: 'ptr_01JZZZZZZZZZZZZZZZZZZZZZZZ' }, 400, 'parameter_unknown', 'partnerId'],
    ['update: unknown endpoint', 'POST', () => '/v1/webhooks/endpoints/whe_nope', { description: 'x' }, 404, 'resource_missing', 'id'],
    ['rotate: unknown endpoint', 'POST', () => '/v1/webhooks/endpoints/whe_nope/rotate-secret', undefined, 404, 'resource_missing', 'id'],
    ['rotate: unknown field', 'POST', () => `/v1/webhooks/endpoints/${e.id}/rotate-secret`, { secret: 'whsec_mine' }, 400, 'parameter_unknown', 'secret'],
    ['test: unknown endpoint', 'POST', () => '/v1/webhooks/endpoints/whe_nope/test', undefined, 404, 'resource_missing', 'id'],
    ['test: unknown field', 'POST', () => `/v1/webhooks/endpoints/${e.id}/test`, { type: 'redemption.completed' }, 400, 'parameter_unknown', 'type'],
    ['deliveries: bad status', 'GET', () => `/v1/webhooks/endpoints/${e.id}/deliveries?status=lost`, undefined, 400, 'parameter_invalid', 'status'],
    ['deliveries: limit too big', 'GET', () => `/v1/webhooks/endpoints/${e.id}/deliveries?limit=1000`, undefined, 400, 'parameter_invalid', 'limit'],
    ['deliveries: unknown endpoint', 'GET', () => '/v1/webhooks/endpoints/whe_nope/deliveries', undefined, 404, 'resource_missing', 'id'],
    ['delivery: unknown', 'GET', () => '/v1/webhooks/deliveries/whd_nope', undefined, 404, 'resource_missing', 'id'],
    ['replay delivery: unknown', 'POST', () => '/v1/webhooks/deliveries/whd_nope/replay', undefined, 404, 'resource_missing', 'id'],
    ['replay delivery: unknown field', 'POST', () => `/v1/webhooks/deliveries/${deliveryId}/replay`, { now: true }, 400, 'parameter_unknown', 'now'],
    ['replay endpoint: no since', 'POST', () => `/v1/webhooks/endpoints/${e.id}/replay`, {}, 400, 'parameter_missing', 'since'],
    ['replay endpoint: since not a time', 'POST', () => `/v1/webhooks/endpoints/${e.id}/replay`, { since: 'yesterday' }, 400, 'parameter_invalid', 'since'],
    ['replay endpoint: since in the future', 'POST', () => `/v1/webhooks/endpoints/${e.id}/replay`, { since: '2999-01-01T00:00:00Z' }, 400, 'parameter_invalid', 'since'],
    ['replay endpoint: unknown endpoint', 'POST', () => '/v1/webhooks/endpoints/whe_nope/replay', { since: '2026-01-01T00:00:00Z' }, 404, 'resource_missing', 'id'],
  ];

  it.each(cases)('%s', async (_name, method, url, body, status, code, param) => {
    const before = await snapshot(app.tessera.db);
    const res = await app.call(method, url(), body);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    if (param !== undefined) expect(res.body.error.param).toBe(param);
    expect(await snapshot(app.tessera.db)).toEqual(before);
  });

  it('answers an Idempotency-Key replay of a create with the same endpoint and secret, created once, the secret sealed at rest', async () => {
    const headers = { 'idempotency-key': 'wh-create-1' };
    const first = await app.call('POST', '/v1/webhooks/endpoints', { url: 'https://example.com/idem', eventTypes: ['*'] }, headers);
    const again = await app.call('POST', '/v1/webhooks/endpoints', { url: 'https://example.com/idem', eventTypes: ['*'] }, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    // The replay shows the secret again, yet the idempotency record holds it sealed.
    expect(again.body.secret).toBe(first.body.secret);
    const kept = JSON.stringify((await sql<Record<string, unknown>>`select * from idempotency_keys`.execute(app.tessera.db.read)).rows);
    expect(kept).toContain(first.body.id);
    expect(kept).not.toContain(first.body.secret.slice('whsec_'.length));
    await app.call('POST', `/v1/webhooks/endpoints/${first.body.id}`, { enabled: false });
  });
});
