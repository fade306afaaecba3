import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMember, startTestApp, type TestApp } from './helpers/app.js';
import { countRows } from './helpers/db-snapshot.js';
import { checkLedger } from './helpers/ledger-invariants.js';

const HOUR = 60 * 60 * 1000;

let app: TestApp;
let seq = 0;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  expect(await checkLedger(app.tessera.db)).toEqual({ unbalancedTransactions: 0, negativeBalances: 0, mismatchedBalances: 0 });
  await app.close();
});

const uniqueKey = (label: string) => `${label}-${++seq}-${Math.random().toString(36).slice(2)}`;
const withKey = (key: string, extra: Record<string, string> = {}) => ({ 'idempotency-key': key, ...extra });

async function balanceOf(memberId: string): Promise<number> {
  return (await app.call('GET', `/v1/members/${memberId}`)).body.pointsBalance as number;
}
async function transactionCount(memberId: string): Promise<number> {
  return (await app.call('GET', `/v1/members/${memberId}/points/transactions?limit=100`)).body.data.length as number;
}
async function storedKeys(key: string): Promise<number> {
  const rows = await app.tessera.db.read.selectFrom('idempotency_keys').select('scope').where('idem_key', '=', key).execute();
  return rows.length;
}

describe('Idempotency-Key', () => {
  it('replays the first answer for the same key and body, with no second effect', async () => {
    const memberId = await createMember(app, `idem-${++seq}`);
    const key = uniqueKey('earn');
    const body = { points: 50, reason: 'order 1' };
    const first = await app.call('POST', `/v1/members/${memberId}/points/earn`, body, withKey(key));
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    for (let i = 0; i < 3; i++) {
      const again = await app.call('POST', `/v1/members/${memberId}/points/earn`, body, withKey(key));
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
    }
    expect(await balanceOf(memberId)).toBe(50);
    expect(await transactionCount(memberId)).toBe(1);
  });

  it('replays a created member instead of answering already_exists', async () => {
    const key = uniqueKey('member');
    const body = { externalId: `idem-member-${++seq}`, displayName: 'Wang Fang' };
    const first = await app.call('POST', '/v1/members', body, withKey(key));
    expect(first.status).toBe(201);
    const again = await app.call('POST', '/v1/members', body, withKey(key));
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    // Without the key the same body is a second attempt, and is refused.
    expect((await app.call('POST', '/v1/members', body)).body.error.code).toBe('already_exists');
  });

  it('replays a reversal instead of answering already_reversed', async () => {
    const memberId = await createMember(app, `idem-${++seq}`, 80);
    const [earned] = (await app.call('GET', `/v1/members/${memberId}/points/transactions`)).body.data;
    const key = uniqueKey('reverse');
    const first = await app.call('POST', `/v1/points/transactions/${earned.id}/reverse`, undefined, withKey(key));
    expect(first.status).toBe(201);
    const again = await app.call('POST', `/v1/points/transactions/${earned.id}/reverse`, undefined, withKey(key));
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await balanceOf(memberId)).toBe(0);
  });

  it('refuses the same key with another body, or on another endpoint, with 409 idempotency_conflict', async () => {
    const memberId = await createMember(app, `idem-${++seq}`, 100);
    const key = uniqueKey('conflict');
    const first = await app.call('POST', `/v1/members/${memberId}/points/spend`, { points: 10, reason: 'a' }, withKey(key));
    expect(first.status).toBe(201);

    const otherBody = await app.call('POST', `/v1/members/${memberId}/points/spend`, { points: 20, reason: 'a' }, withKey(key));
    expect(otherBody.status).toBe(409);
    expect(otherBody.body.error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_conflict', param: 'Idempotency-Key' });
    expect(otherBody.headers['idempotent-replayed']).toBeUndefined();

    const otherEndpoint = await app.call('POST', `/v1/members/${memberId}/points/earn`, { points: 10, reason: 'a' }, withKey(key));
    expect(otherEndpoint.status).toBe(409);
    expect(otherEndpoint.body.error.code).toBe('idempotency_conflict');

    expect(await balanceOf(memberId)).toBe(90);
    expect(await transactionCount(memberId)).toBe(2);
    // The first answer is still the one replayed.
    const again = await app.call('POST', `/v1/members/${memberId}/points/spend`, { points: 10, reason: 'a' }, withKey(key));
    expect(again.body).toEqual(first.body);
  });

  it('stores a 422 business error and replays it, even once the request would succeed', async () => {
    const memberId = await createMember(app, `idem-${++seq}`, 30);
    const key = uniqueKey('422');
    const body = { points: 50, reason: 'exchange' };
    const first = await app.call('POST', `/v1/members/${memberId}/points/spend`, body, withKey(key));
    expect(first.status).toBe(422);
    expect(first.body.error.code).toBe('insufficient_points');

    await app.call('POST', `/v1/members/${memberId}/points/earn`, { points: 100, reason: 'top up' });
    const again = await app.call('POST', `/v1/members/${memberId}/points/spend`, body, withKey(key));
    expect(again.status).toBe(422);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await balanceOf(memberId)).toBe(130);
    // A fresh key spends.
    expect((await app.call('POST', `/v1/members/${memberId}/points/spend`, body, withKey(uniqueKey('422b')))).status).toBe(201);
    expect(await balanceOf(memberId)).toBe(80);
  });

  it('does not store a 400: the key can be used afterwards with a valid body', async () => {
    const memberId = await createMember(app, `idem-${++seq}`);
    const url = `/v1/members/${memberId}/points/earn`;
    const invalidBodies: unknown[] = [
      { points: '10', reason: 'schema says no' },
      { points: 10, reason: 'service says no', expiresAt: '2000-01-01T00:00:00Z' },
    ];
    for (const invalid of invalidBodies) {
      const key = uniqueKey('400');
      const bad = await app.call('POST', url, invalid, withKey(key));
      expect(bad.status).toBe(400);
      expect(await storedKeys(key)).toBe(0);
      const badAgain = await app.call('POST', url, invalid, withKey(key));
      expect(badAgain.status).toBe(400);
      expect(badAgain.headers['idempotent-replayed']).toBeUndefined();

      const good = await app.call('POST', url, { points: 10, reason: 'fixed' }, withKey(key));
      expect(good.status).toBe(201);
      expect(good.headers['idempotent-replayed']).toBeUndefined();
      expect(await storedKeys(key)).toBe(1);
    }
    expect(await balanceOf(memberId)).toBe(20);
  });

  it('scopes keys to the API key that sent them', async () => {
    const created = await app.call('POST', '/v1/api-keys', { name: 'second admin', role: 'admin' });
    expect(created.status).toBe(201);
    const second = { authorization: `Bearer ${created.body.secret as string}` };
    const memberId = await createMember(app, `idem-${++seq}`);
    const key = uniqueKey('scoped');
    const body = { points: 7, reason: 'same key, two callers' };

    const byAdmin = await app.call('POST', `/v1/members/${memberId}/points/earn`, body, withKey(key));
    const bySecond = await app.call('POST', `/v1/members/${memberId}/points/earn`, body, withKey(key, second));
    expect(byAdmin.status).toBe(201);
    expect(bySecond.status).toBe(201);
    expect(bySecond.headers['idempotent-replayed']).toBeUndefined();
    expect(bySecond.body.id).not.toBe(byAdmin.body.id);
    expect(await balanceOf(memberId)).toBe(14);
    expect(await storedKeys(key)).toBe(2);

    // Each caller replays its own first answer.
    const replaySecond = await app.call('POST', `/v1/members/${memberId}/points/earn`, body, withKey(key, second));
    expect(replaySecond.headers['idempotent-replayed']).toBe('true');
    expect(replaySecond.body.id).toBe(bySecond.body.id);
    const replayAdmin = await app.call('POST', `/v1/members/${memberId}/points/earn`, body, withKey(key));
    expect(replayAdmin.body.id).toBe(byAdmin.body.id);
    expect(await balanceOf(memberId)).toBe(14);
  });

  it('lets only one of several simultaneous requests with the same key take effect', async () => {
    const memberId = await createMember(app, `idem-${++seq}`);
    const key = uniqueKey('race');
    const body = { points: 5, reason: 'double click' };
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => app.call('POST', `/v1/members/${memberId}/points/earn`, body, withKey(key))),
    );
    const created = answers.filter((a) => a.status === 201);
    const inUse = answers.filter((a) => a.status === 409);
    expect(created.length + inUse.length).toBe(answers.length);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
    for (const a of inUse) {
      expect(a.body.error.code).toBe('idempotency_key_in_use');
      expect(a.headers['retry-after']).toBeDefined();
    }
    expect(await balanceOf(memberId)).toBe(5);
    expect(await storedKeys(key)).toBe(1);
  });

  it('refuses a key over 255 characters and accepts one of exactly 255', async () => {
    const memberId = await createMember(app, `idem-${++seq}`);
    const before = await countRows(app.tessera.db);
    const tooLong = await app.call('POST', `/v1/members/${memberId}/points/earn`, { points: 1, reason: 'x' }, withKey('k'.repeat(256)));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toMatchObject({ code: 'parameter_invalid', param: 'Idempotency-Key' });
    expect(await countRows(app.tessera.db)).toEqual(before);

    const longest = `${'k'.repeat(250)}${String(++seq).padStart(5, '0')}`;
    const ok = await app.call('POST', `/v1/members/${memberId}/points/earn`, { points: 1, reason: 'x' }, withKey(longest));
    expect(ok.status).toBe(201);
    expect((await app.call('POST', `/v1/members/${memberId}/points/earn`, { points: 1, reason: 'x' }, withKey(longest))).headers['idempotent-replayed']).toBe('true');
    expect(await balanceOf(memberId)).toBe(1);
  });

  // Last: it moves the shared clock a day forward.
  it('keeps keys for 24 hours and purges them afterwards', async () => {
    const memberId = await createMember(app, `idem-${++seq}`);
    const key = uniqueKey('purge');
    const url = `/v1/members/${memberId}/points/earn`;
    const first = await app.call('POST', url, { points: 3, reason: 'day one' }, withKey(key));
    expect(first.status).toBe(201);

    app.clock.advance(24 * HOUR);
    await app.tessera.services.idempotency.purgeExpired();
    expect(await storedKeys(key)).toBe(1);
    const kept = await app.call('POST', url, { points: 3, reason: 'day one' }, withKey(key));
    expect(kept.headers['idempotent-replayed']).toBe('true');
    expect(kept.body).toEqual(first.body);
    expect((await app.call('POST', url, { points: 4, reason: 'other' }, withKey(key))).status).toBe(409);

    app.clock.advance(1);
    const purged = await app.tessera.services.idempotency.purgeExpired();
    expect(purged).toBeGreaterThanOrEqual(1);
    expect(await storedKeys(key)).toBe(0);
    // The key is free again: a new request with it takes effect.
    const reused = await app.call('POST', url, { points: 4, reason: 'day two' }, withKey(key));
    expect(reused.status).toBe(201);
    expect(reused.headers['idempotent-replayed']).toBeUndefined();
    expect(reused.body.id).not.toBe(first.body.id);
    expect(await balanceOf(memberId)).toBe(7);
  });

  it('never keeps an API key secret in the idempotency record; a replay answers secret null', async () => {
    const key = uniqueKey('api-key');
    const first = await app.call('POST', '/v1/api-keys', { name: 'ci robot', role: 'admin' }, withKey(key));
    expect(first.status).toBe(201);
    expect(first.body.secret).toMatch(/^tsk_admin_/);
    const stored = await app.tessera.db.read.selectFrom('idempotency_keys').select('response_body').where('idem_key', '=', key).executeTakeFirstOrThrow();
    expect(stored.response_body).not.toContain(first.body.secret);
    const replay = await app.call('POST', '/v1/api-keys', { name: 'ci robot', role: 'admin' }, withKey(key));
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual({ ...first.body, secret: null });
    // The secret from the first answer works: the key was made once, and it is real.
    const listed = await app.call('GET', '/v1/api-keys', undefined, { authorization: `Bearer ${first.body.secret}` });
    expect(listed.status).toBe(200);
    expect(listed.body.data.filter((k: { id: string }) => k.id === first.body.id)).toHaveLength(1);
  });
});
