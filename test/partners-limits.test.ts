import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseRateLimit } from '../src/platform/config.js';
import type { TestApp } from './helpers/app.js';
import { as, startPartnerApp } from './helpers/partner-app.js';

let app: TestApp;
let partnerId: string;

beforeAll(async () => {
  app = await startPartnerApp({
    rateLimits: { operator: { perSecond: 2, burst: 5 }, partner: { perSecond: 1, burst: 3 }, lookup: { perSecond: 1 / 60, burst: 2 } },
  });
  partnerId = (await app.call('POST', '/v1/partners', { code: 'limited', name: 'Limited' })).body.id;
});
afterAll(async () => {
  await app.close();
});

const newKey = async () => (await app.call('POST', `/v1/partners/${partnerId}/keys`, { name: 'k', scopes: ['activations:write'] })).body as { id: string; secret: string };

describe('per-key rate limits', () => {
  it('answers 429 rate_limited with Retry-After once a key has spent its burst, per key', async () => {
    const key = await newKey();
    for (let i = 0; i < 3; i++) expect((await app.call('GET', '/v1/partner/activations', undefined, as(key.secret))).status).toBe(200);
    const limited = await app.call('GET', '/v1/partner/activations', undefined, as(key.secret));
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });

    // Another key has its own bucket.
    const other = await newKey();
    expect((await app.call('GET', '/v1/partner/activations', undefined, as(other.secret))).status).toBe(200);

    // Tokens come back with time.
    app.clock.advance(1000);
    expect((await app.call('GET', '/v1/partner/activations', undefined, as(key.secret))).status).toBe(200);
    expect((await app.call('GET', '/v1/partner/activations', undefined, as(key.secret))).status).toBe(429);
    await app.call('POST', `/v1/partners/${partnerId}/keys/${key.id}/revoke`);
    await app.call('POST', `/v1/partners/${partnerId}/keys/${other.id}/revoke`);
  });

  it('limits stored operator keys generously, and not the environment key of automation', async () => {
    const operator = (await app.call('POST', '/v1/api-keys', { name: 'dashboard', role: 'analyst' })).body.secret as string;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await app.call('GET', '/v1/partners', undefined, as(operator))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    for (let i = 0; i < 20; i++) expect((await app.call('GET', '/v1/partners')).status).toBe(200);
  });

  it('limits code look-ups much more strictly, against guessing', async () => {
    const key = await newKey();
    const lookup = () => app.call('POST', '/v1/codes/lookup', { code: 'GUESS-0001' }, as(key.secret));
    expect((await lookup()).status).toBe(200);
    expect((await lookup()).status).toBe(200);
    const third = await lookup();
    expect(third.status).toBe(429);
    expect(Number(third.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(third.body.error.message).toContain('look-ups');
    app.clock.advance(60_000);
    expect((await lookup()).status).toBe(200);
    expect((await lookup()).status).toBe(429);
  });
});

describe('rate limit settings', () => {
  it('reads TESSERA_RATE_LIMIT_* as count per second, minute or hour with an optional burst', () => {
    expect(parseRateLimit('100/s', 'X')).toEqual({ perSecond: 100, burst: 200 });
    expect(parseRateLimit('30/min,5', 'X')).toEqual({ perSecond: 0.5, burst: 5 });
    expect(parseRateLimit('3600/h', 'X')).toEqual({ perSecond: 1, burst: 2 });
    expect(parseRateLimit('off', 'X')).toEqual({ perSecond: 0, burst: 0 });
    expect(parseRateLimit(undefined, 'X')).toBeUndefined();
    expect(() => parseRateLimit('fast', 'TESSERA_RATE_LIMIT_PARTNER')).toThrow(/TESSERA_RATE_LIMIT_PARTNER/);
    expect(loadConfig({ TESSERA_RATE_LIMIT_LOOKUP: '6/min,10' }).rateLimits).toEqual({ lookup: { perSecond: 0.1, burst: 10 } });
    expect(loadConfig({}).rateLimits).toEqual({});
  });
});
