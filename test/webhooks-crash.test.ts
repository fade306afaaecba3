import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../src/webhooks/index.js';
import { freshDatabase, type FreshDatabase } from './helpers/database.js';
import { freePort, killAll, startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.js';

// The real server in a child process: a write commits its events, the server is killed with
// SIGKILL before anything reached the receiver, and after a restart the receiver gets them.

type Server = ServerProcess;

let database: FreshDatabase;
let adminKey: string;
let receiver: Receiver | undefined;
const started: Server[] = [];

const startServer = () => startServerProcess(database, adminKey, started);

async function call(server: Server, method: string, url: string, body?: unknown) {
  const res = await fetch(`${server.base}${url}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever came back
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  database = await freshDatabase();
  adminKey = database.config.adminKey!;
});
afterAll(async () => {
  await killAll(started);
  await receiver?.close();
  await database?.drop();
});

describe('webhooks survive a crash between commit and delivery', () => {
  it('delivers, after a restart, the events of a write committed just before SIGKILL', { timeout: 180_000 }, async () => {
    // The receiver's port is chosen now but nobody listens on it until after the kill, so
    // nothing can have been delivered before it, whether or not the worker ran in between.
    const receiverPort = await freePort();
    const first = await startServer();
    const endpoint = await call(first, 'POST', '/v1/webhooks/endpoints', { url: `http://127.0.0.1:${receiverPort}/hooks`, eventTypes: ['subscription.*', 'webhook.test'] });
    expect(endpoint.status).toBe(201);
    const plan = await call(first, 'POST', '/v1/plans', { code: 'crash-plan', name: 'Crash', term: 'P1M', prices: [{ amount: { amount: 900, currency: 'CNY' } }] });
    expect(plan.status).toBe(201);
    const member = await call(first, 'POST', '/v1/members', { externalId: 'crash-member' });
    expect(member.status).toBe(201);

    const test = await call(first, 'POST', `/v1/webhooks/endpoints/${endpoint.body.id}/test`);
    expect(test.status).toBe(201);
    const sub = await call(first, 'POST', '/v1/subscriptions', { memberId: member.body.id, planId: plan.body.id });
    expect(sub.status).toBe(201);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    receiver = await startReceiver(receiverPort);
    const second = await startServer();
    // Pending deliveries go at once; any that failed against the closed port retry about 5 s later.
    await receiver.waitFor(2, 120_000);
    const types = receiver.received.map((r) => JSON.parse(r.body).type as string);
    expect(types).toContain('webhook.test');
    expect(types).toContain('subscription.created');
    const created = receiver.received.find((r) => JSON.parse(r.body).type === 'subscription.created')!;
    expect(JSON.parse(created.body).data).toMatchObject({ subscriptionId: sub.body.id, memberId: member.body.id, planId: plan.body.id });
    for (const r of receiver.received) {
      expect(verifyWebhook(endpoint.body.secret, r.headers, r.body, Date.now())).toMatchObject({ ok: true });
    }
    const testRequest = receiver.received.find((r) => JSON.parse(r.body).type === 'webhook.test')!;
    expect(testRequest.headers['webhook-id']).toBe(test.body.eventId);

    // The log says so too, once the outcome is committed.
    const deadline = Date.now() + 10_000;
    let deliveries: Array<{ status: string; eventType: string }> = [];
    while (Date.now() < deadline) {
      deliveries = (await call(second, 'GET', `/v1/webhooks/endpoints/${endpoint.body.id}/deliveries`)).body.data;
      if (deliveries.length === 2 && deliveries.every((d) => d.status === 'succeeded')) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(deliveries.map((d) => d.eventType).sort()).toEqual(['subscription.created', 'webhook.test']);
    expect(deliveries.every((d) => d.status === 'succeeded')).toBe(true);
    // At least once, and here exactly once: no webhook-id arrived twice.
    expect(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size).toBe(receiver.received.length);

    second.child.kill('SIGTERM');
    await second.exited;
  });
});
