import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTessera, type Tessera } from '../src/main.js';
import { JITTER, RETRY_SCHEDULE_MS, verifyWebhook } from '../src/webhooks/index.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.js';

// The delivery worker against a real receiver: retries on the schedule with jitter, exactly one
// success per webhook-id, dead-letter and replay, leases between workers, bounded concurrency.

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
beforeEach(async () => {
  receiver.received.length = 0;
  receiver.respond = () => ({ status: 200, body: 'ok' });
  // Each test starts with no endpoint listening.
  const list = await app.call('GET', '/v1/webhooks/endpoints?limit=100');
  for (const e of list.body.data) {
    if (e.status === 'enabled') await app.call('POST', `/v1/webhooks/endpoints/${e.id}`, { enabled: false });
  }
});

const run = () => app.tessera.services.webhooks.runOnce();
const idOf = (r: { headers: Record<string, unknown> }) => String(r.headers['webhook-id']);

async function endpoint(): Promise<{ id: string; secret: string }> {
  const res = await app.call('POST', '/v1/webhooks/endpoints', { url: receiver.url, eventTypes: ['webhook.test'] });
  expect(res.status).toBe(201);
  return res.body;
}

async function testEvent(endpointId: string): Promise<{ id: string; eventId: string }> {
  const res = await app.call('POST', `/v1/webhooks/endpoints/${endpointId}/test`);
  expect(res.status).toBe(201);
  return res.body;
}

const delivery = async (id: string) => (await app.call('GET', `/v1/webhooks/deliveries/${id}`)).body;

describe('retries', () => {
  it('a receiver that fails 3 times then succeeds gets each event once as a success, each attempt only when due', async () => {
    const e = await endpoint();
    const events = [await testEvent(e.id), await testEvent(e.id), await testEvent(e.id)];
    // Per webhook-id: 500 three times, then 200.
    const seen = new Map<string, number>();
    receiver.respond = (request) => {
      const n = (seen.get(idOf(request)) ?? 0) + 1;
      seen.set(idOf(request), n);
      return n <= 3 ? { status: 500, body: `failure ${n}` } : { status: 200, body: 'thanks' };
    };

    await run();
    expect(receiver.received).toHaveLength(3);
    for (let failures = 1; failures <= 3; failures++) {
      const base = RETRY_SCHEDULE_MS[failures - 1]!;
      const due: number[] = [];
      for (const event of events) {
        const d = await delivery(event.id);
        expect(d).toMatchObject({ status: 'failed_retrying', attemptCount: failures, lastStatusCode: 500, lastError: 'HTTP 500' });
        const wait = Date.parse(d.nextAttemptAt) - Date.parse(d.lastAttemptAt);
        // Jitter: within ±20 % of the scheduled wait.
        expect(wait).toBeGreaterThanOrEqual(Math.floor(base * (1 - JITTER)));
        expect(wait).toBeLessThanOrEqual(Math.ceil(base * (1 + JITTER)));
        due.push(Date.parse(d.nextAttemptAt));
      }
      // Step the clock to each due time in turn: an attempt happens when due, never a millisecond before.
      for (const at of [...new Set(due)].sort((a, b) => a - b)) {
        const before = receiver.received.length;
        app.clock.set(at - 1);
        await run();
        expect(receiver.received.length).toBe(before);
        app.clock.set(at);
        await run();
        expect(receiver.received.length - before).toBe(due.filter((t) => t === at).length);
      }
      expect(receiver.received).toHaveLength(3 + failures * 3);
    }

    // Every event reached the receiver 4 times under its one webhook-id, and succeeded once.
    const byId = new Map<string, number>();
    for (const r of receiver.received) byId.set(idOf(r), (byId.get(idOf(r)) ?? 0) + 1);
    expect([...byId.keys()].sort()).toEqual(events.map((x) => x.eventId).sort());
    expect([...byId.values()]).toEqual([4, 4, 4]);
    for (const event of events) {
      const d = await delivery(event.id);
      expect(d).toMatchObject({ status: 'succeeded', attemptCount: 4, lastStatusCode: 200, lastError: null, nextAttemptAt: null });
      expect(d.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 500, 200]);
      expect(d.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'failed', 'failed', 'succeeded']);
      expect(d.attempts.map((a: { responseBody: string }) => a.responseBody)).toEqual(['failure 1', 'failure 2', 'failure 3', 'thanks']);
      expect(d.attempts.every((a: { durationMs: number }) => a.durationMs >= 0)).toBe(true);
    }
    // Nothing more is ever sent.
    app.clock.advance(7 * 86_400_000);
    await run();
    expect(receiver.received).toHaveLength(12);
    // Every attempt verifies with the endpoint's secret at the time it was sent.
    const ok = receiver.received.every((r) => verifyWebhook(e.secret, r.headers, r.body, Number(r.headers['webhook-timestamp']) * 1000).ok);
    expect(ok).toBe(true);
  });

  it('does not attempt before the retry is due', async () => {
    const e = await endpoint();
    const event = await testEvent(e.id);
    receiver.respond = () => ({ status: 503 });
    await run();
    const next = Date.parse((await delivery(event.id)).nextAttemptAt);
    app.clock.set(next - 1);
    await run();
    await run();
    expect(receiver.received).toHaveLength(1);
    app.clock.set(next);
    await run();
    expect(receiver.received).toHaveLength(2);
  });

  it('dead-letters after the last failure, about 3 days in; a manual replay then delivers with the same webhook-id', async () => {
    const e = await endpoint();
    const event = await testEvent(e.id);
    receiver.respond = () => ({ status: 500, body: 'down' });
    const start = app.clock.now();
    await run();
    for (let i = 0; i < RETRY_SCHEDULE_MS.length; i++) {
      const d = await delivery(event.id);
      expect(d.status).toBe('failed_retrying');
      app.clock.set(Date.parse(d.nextAttemptAt));
      await run();
    }
    const dead = await delivery(event.id);
    expect(dead).toMatchObject({ status: 'dead', attemptCount: RETRY_SCHEDULE_MS.length + 1, nextAttemptAt: null, lastStatusCode: 500 });
    expect(receiver.received).toHaveLength(RETRY_SCHEDULE_MS.length + 1);
    const total = RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    const elapsed = app.clock.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(total * (1 - JITTER));
    expect(elapsed).toBeLessThanOrEqual(total * (1 + JITTER));
    // About three days: 2.7 days of schedule, each wait ±20 % at random.
    expect(elapsed).toBeGreaterThan(2 * 86_400_000);
    expect(elapsed).toBeLessThan(3.5 * 86_400_000);

    // Listed among the endpoint's dead deliveries.
    const deadList = await app.call('GET', `/v1/webhooks/endpoints/${e.id}/deliveries?status=dead`);
    expect(deadList.body.data.map((d: { id: string }) => d.id)).toEqual([event.id]);

    app.clock.advance(86_400_000);
    await run();
    expect(receiver.received).toHaveLength(RETRY_SCHEDULE_MS.length + 1);

    receiver.respond = () => ({ status: 200 });
    const replay = await app.call('POST', `/v1/webhooks/deliveries/${event.id}/replay`);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ status: 'pending', nextAttemptAt: new Date(app.clock.now()).toISOString() });
    await run();
    expect(receiver.received).toHaveLength(RETRY_SCHEDULE_MS.length + 2);
    expect(idOf(receiver.received.at(-1)!)).toBe(event.eventId);
    expect(await delivery(event.id)).toMatchObject({ status: 'succeeded', attemptCount: RETRY_SCHEDULE_MS.length + 2 });
    expect((await app.call('GET', `/v1/webhooks/endpoints/${e.id}/deliveries?status=dead`)).body.data).toEqual([]);
  });

  it('replays an endpoint\'s dead deliveries since a time, and not those before it', async () => {
    const e = await endpoint();
    receiver.respond = () => ({ status: 500 });
    const old = await testEvent(e.id);
    app.clock.advance(60_000);
    const sinceIso = new Date(app.clock.now()).toISOString();
    const recent = await testEvent(e.id);
    await run();
    for (let i = 0; i < RETRY_SCHEDULE_MS.length; i++) {
      app.clock.advance(RETRY_SCHEDULE_MS[i]! * 1.25);
      await run();
    }
    expect((await delivery(old.id)).status).toBe('dead');
    expect((await delivery(recent.id)).status).toBe('dead');
    receiver.respond = () => ({ status: 200 });
    const replay = await app.call('POST', `/v1/webhooks/endpoints/${e.id}/replay`, { since: sinceIso });
    expect(replay.body).toEqual({ endpointId: e.id, replayed: 1 });
    const before = receiver.received.length;
    await run();
    expect(receiver.received.slice(before).map(idOf)).toEqual([recent.eventId]);
    expect((await delivery(recent.id)).status).toBe('succeeded');
    expect((await delivery(old.id)).status).toBe('dead');
  });

  it('records a receiver that does not answer in time, or cannot be reached, as a failed attempt', async () => {
    const e = await endpoint();
    const event = await testEvent(e.id);
    receiver.respond = () => ({ status: 200, delayMs: 1500 });
    const impatient = app.tessera.services.webhooks.createWorker({ timeoutMs: 300 });
    await impatient.runOnce();
    const d = await delivery(event.id);
    expect(d).toMatchObject({ status: 'failed_retrying', lastStatusCode: null, lastError: 'timed out after 300 ms' });
    expect(d.attempts[0]).toMatchObject({ outcome: 'failed', statusCode: null, error: 'timed out after 300 ms' });

    const moved = await app.call('POST', `/v1/webhooks/endpoints/${e.id}`, { url: 'http://127.0.0.1:9/closed' });
    expect(moved.status).toBe(200);
    app.clock.set(Date.parse(d.nextAttemptAt));
    await run();
    const unreachable = await delivery(event.id);
    expect(unreachable).toMatchObject({ status: 'failed_retrying', attemptCount: 2, lastStatusCode: null });
    expect(unreachable.lastError).toMatch(/fetch failed/);
  });
});

describe('several at once', () => {
  it('one slow receiver does not hold back the others', async () => {
    const slow = await app.call('POST', '/v1/webhooks/endpoints', { url: `${receiver.url}/slow`, eventTypes: ['webhook.test'] });
    const fast = await endpoint();
    const slowIds = new Set<string>();
    receiver.respond = (request) => (slowIds.has(idOf(request)) ? { status: 200, delayMs: 4000 } : { status: 200 });
    const slowEvent = await testEvent(slow.body.id);
    slowIds.add(slowEvent.eventId);
    const fastEvents = [];
    for (let i = 0; i < 10; i++) fastEvents.push(await testEvent(fast.id));
    let finished = false;
    const running = run().then(() => (finished = true));
    // Every fast delivery is recorded as a success while the slow one is still waiting for its answer.
    const deadline = Date.now() + 3500;
    let states: Array<{ status: string }> = [];
    while (Date.now() < deadline) {
      states = await Promise.all(fastEvents.map((x) => delivery(x.id)));
      if (states.every((d) => d.status === 'succeeded')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(states.every((d) => d.status === 'succeeded')).toBe(true);
    expect(finished).toBe(false);
    expect(await delivery(slowEvent.id)).toMatchObject({ status: 'pending', attemptCount: 0 });
    await running;
    expect(await delivery(slowEvent.id)).toMatchObject({ status: 'succeeded', attemptCount: 1 });
  });

  it('two workers on the same database send each attempt once', async () => {
    const e = await endpoint();
    const events = [];
    for (let i = 0; i < 24; i++) events.push(await testEvent(e.id));
    receiver.respond = () => ({ status: 200, delayMs: 30 });
    // On PostgreSQL a second node on the same database; on SQLite (one writer per file) a second worker of this node.
    let other: Tessera | undefined;
    let second = app.tessera.services.webhooks.createWorker({ concurrency: 4 });
    if (app.database.engine === 'postgres') {
      other = await createTessera(app.database.config, { clock: app.clock, logger: false });
      second = other.services.webhooks.createWorker({ concurrency: 4 });
    }
    try {
      const first = app.tessera.services.webhooks.createWorker({ concurrency: 4 });
      const reports = await Promise.all([first.runOnce(), second.runOnce(), first.runOnce(), second.runOnce()]);
      expect(reports.reduce((n, r) => n + r.attempted, 0)).toBe(24);
    } finally {
      await other?.close();
    }
    expect(receiver.received).toHaveLength(24);
    expect(new Set(receiver.received.map(idOf)).size).toBe(24);
    for (const event of events) {
      const d = await delivery(event.id);
      expect(d).toMatchObject({ status: 'succeeded', attemptCount: 1 });
      expect(d.attempts).toHaveLength(1);
    }
    // The log pages through all of them, newest first.
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await app.call('GET', `/v1/webhooks/endpoints/${e.id}/deliveries?status=succeeded&limit=10${after ? `&startingAfter=${after}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((d: { id: string }) => d.id));
      if (!res.body.hasMore) break;
      after = res.body.data.at(-1).id;
    }
    expect(seen).toEqual(events.map((x) => x.id).reverse());
  });

  it('a delivery leased by a worker that died is sent by another once the lease expires', async () => {
    const e = await endpoint();
    const event = await testEvent(e.id);
    // As a worker leaves it when it is killed between claiming and finishing.
    await app.tessera.db.write((tx) =>
      tx.updateTable('webhook_deliveries').set({ lease_owner: 'whl_killed', lease_until: app.clock.now() + 60_000 }).where('id', '=', event.id).execute(),
    );
    await run();
    expect(receiver.received).toHaveLength(0);
    app.clock.advance(60_001);
    await run();
    expect(receiver.received.map(idOf)).toEqual([event.eventId]);
    expect(await delivery(event.id)).toMatchObject({ status: 'succeeded', attemptCount: 1 });
  });
});
