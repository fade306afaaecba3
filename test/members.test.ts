import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './helpers/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

describe('members over HTTP', () => {
  it('creates a member with a prefixed id, zero points and zero score', async () => {
    const res = await app.call('POST', '/v1/members', { externalId: 'shopper-1', displayName: 'Li Wei' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ externalId: 'shopper-1', displayName: 'Li Wei', pointsBalance: 0, loyaltyScore: 0 });
    expect(res.body.id).toMatch(/^mem_[0-9A-Z]{26}$/);
    const got = await app.call('GET', `/v1/members/${res.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
  });

  it('refuses a second member with the same externalId', async () => {
    await app.call('POST', '/v1/members', { externalId: 'dup' });
    const res = await app.call('POST', '/v1/members', { externalId: 'dup' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'already_exists', param: 'externalId', type: 'conflict_error' });
  });

  it('updates the display name with POST and PATCH, and clears it with null', async () => {
    const { body: m } = await app.call('POST', '/v1/members', { externalId: 'rename-me' });
    const post = await app.call('POST', `/v1/members/${m.id}`, { displayName: 'New name' });
    expect(post.status).toBe(200);
    expect(post.body.displayName).toBe('New name');
    const patch = await app.call('PATCH', `/v1/members/${m.id}`, { displayName: null });
    expect(patch.body.displayName).toBeNull();
    expect((await app.call('GET', `/v1/members/${m.id}`)).body.displayName).toBeNull();
  });

  it('pages through members newest first with a cursor', async () => {
    for (let i = 0; i < 7; i++) await app.call('POST', '/v1/members', { externalId: `page-${i}` });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const res = await app.call('GET', `/v1/members?limit=3${cursor ? `&startingAfter=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.data.map((m: { id: string }) => m.id));
      if (!res.body.hasMore) break;
      cursor = res.body.data.at(-1).id;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort().reverse()).toEqual(seen);
    const total = await app.tessera.db.read.selectFrom('members').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(seen.length).toBe(Number(total.n));
  });

  it('finds a member by externalId, and answers an empty page for an unknown one', async () => {
    const created = await app.call('POST', '/v1/members', { externalId: 'find-me@example.com', displayName: 'Find Me' });
    const found = await app.call('GET', `/v1/members?externalId=${encodeURIComponent('find-me@example.com')}`);
    expect(found.status).toBe(200);
    expect(found.body).toEqual({ data: [expect.objectContaining({ id: created.body.id, externalId: 'find-me@example.com' })], hasMore: false });
    expect((await app.call('GET', '/v1/members?externalId=nobody')).body).toEqual({ data: [], hasMore: false });
    expect((await app.call('GET', '/v1/members?externalId=')).status).toBe(400);
  });

  it('answers 404 resource_missing for an unknown member', async () => {
    const res = await app.call('GET', '/v1/members/mem_nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('resource_missing');
  });
});
