import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes, SCOPES, type RegisteredRoute, type Scope } from '../src/auth/index.js';
import type { TestApp } from './helpers/app.js';
import { startPartnerApp } from './helpers/partner-app.js';

/**
 * Walks every /v1 route the server registered (so a route added tomorrow is covered without
 * touching this file) and checks the central access rules on each.
 */
let app: TestApp;
let routes: RegisteredRoute[];
/** For each scope, a partner key holding every scope but that one. */
const lacking = new Map<Scope, string>();
const keys: Record<'allScopes' | 'analyst' | 'support' | 'revokedAdmin' | 'revokedPartner', string> = {
  allScopes: '',
  analyst: '',
  support: '',
  revokedAdmin: '',
  revokedPartner: '',
};
const OFF = { perSecond: 0, burst: 0 };
const READ = new Set(['GET', 'HEAD']);

/** A concrete URL for a route: every path parameter filled with a harmless value. */
const concrete = (url: string) => url.replace(/:([A-Za-z]+)/g, (_m, name: string) => `${name}_x`).replace(/\*$/, 'x');

async function send(route: RegisteredRoute, key: string | undefined) {
  const headers: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
  const withBody = !READ.has(route.method) && route.method !== 'DELETE';
  const response = await app.tessera.app.inject({
    method: route.method as 'GET',
    url: concrete(route.url),
    headers: withBody ? { ...headers, 'content-type': 'application/json' } : headers,
    ...(withBody ? { payload: '{}' } : {}),
  });
  let body: { error?: { code: string; message: string } } = {};
  try {
    body = JSON.parse(response.body) as typeof body;
  } catch {
    // HEAD answers have no body
  }
  return { status: response.statusCode, code: body.error?.code, message: body.error?.message ?? '' };
}

async function partnerWithKey(code: string, scopes: Scope[]): Promise<{ partnerId: string; keyId: string; secret: string }> {
  const partner = await app.call('POST', '/v1/partners', { code, name: code });
  expect(partner.status).toBe(201);
  const key = await app.call('POST', `/v1/partners/${partner.body.id}/keys`, { name: code, scopes });
  expect(key.status).toBe(201);
  return { partnerId: partner.body.id, keyId: key.body.id, secret: key.body.secret };
}

beforeAll(async () => {
  app = await startPartnerApp({ rateLimits: { operator: OFF, partner: OFF, lookup: OFF } });
  for (const scope of SCOPES) {
    lacking.set(scope, (await partnerWithKey(`without-${scope.replace(':', '-')}`, SCOPES.filter((s) => s !== scope))).secret);
  }
  const all = await partnerWithKey('all-scopes', [...SCOPES]);
  keys.allScopes = all.secret;
  const revoked = await app.call('POST', `/v1/partners/${all.partnerId}/keys`, { name: 'revoked', scopes: [...SCOPES] });
  expect((await app.call('POST', `/v1/partners/${all.partnerId}/keys/${revoked.body.id}/revoke`)).status).toBe(200);
  keys.revokedPartner = revoked.body.secret;
  keys.analyst = (await app.call('POST', '/v1/api-keys', { name: 'analyst', role: 'analyst' })).body.secret;
  keys.support = (await app.call('POST', '/v1/api-keys', { name: 'support', role: 'support' })).body.secret;
  const admin = (await app.call('POST', '/v1/api-keys', { name: 'to revoke', role: 'admin' })).body;
  expect((await app.call('POST', `/v1/api-keys/${admin.id}/revoke`)).status).toBe(200);
  keys.revokedAdmin = admin.secret;
  routes = registeredRoutes(app.tessera.app).filter((r) => r.url.startsWith('/v1/'));
});
afterAll(async () => {
  await app.close();
});

async function walk(check: (route: RegisteredRoute) => Promise<string | undefined>): Promise<string[]> {
  const failures: string[] = [];
  for (const route of routes) {
    const failure = await check(route);
    if (failure) failures.push(`${route.method} ${route.url}: ${failure}`);
  }
  return failures;
}

describe('access on every registered route', () => {
  it('sees the whole API: this domain and the others', () => {
    expect(routes.length).toBeGreaterThan(60);
    const urls = new Set(routes.map((r) => `${r.method} ${r.url}`));
    for (const route of ['POST /v1/members', 'POST /v1/redemptions', 'GET /v1/pools/:id', 'POST /v1/partner/activity', 'POST /v1/codes/lookup', 'GET /v1/partners']) {
      expect(urls).toContain(route);
    }
  });

  it('a partner key without the scope a route needs gets 403 forbidden, naming the scope', async () => {
    const failures = await walk(async (route) => {
      const scope = route.access?.scope;
      // A route without a scope is the operator's: even a key with every scope is refused.
      const res = await send(route, scope ? lacking.get(scope) : keys.allScopes);
      if (res.status !== 403) return `status ${res.status}`;
      if (route.method !== 'HEAD') {
        if (res.code !== 'forbidden') return `code ${res.code}`;
        if (scope && !res.message.includes(`'${scope}'`)) return `message does not name ${scope}: ${res.message}`;
      }
      return undefined;
    });
    expect(failures).toEqual([]);
  });

  it('a partner key with the scope passes the access check (whatever the route then answers)', async () => {
    const failures = await walk(async (route) => {
      if (!route.access?.scope) return undefined;
      const res = await send(route, keys.allScopes);
      return res.status === 401 || res.status === 403 || res.status === 429 ? `status ${res.status} ${res.code}` : undefined;
    });
    expect(failures).toEqual([]);
  });

  it('an analyst key reads but never writes', async () => {
    const failures = await walk(async (route) => {
      const res = await send(route, keys.analyst);
      if (READ.has(route.method)) {
        // Reads of the operator's API pass; the partner API is for partners' keys.
        const expected = route.access?.partnerOnly ? 403 : undefined;
        if (expected === 403 && res.status !== 403) return `read of a partner route: ${res.status}`;
        if (expected === undefined && (res.status === 401 || res.status === 403)) return `read refused: ${res.status}`;
        return undefined;
      }
      return res.status === 403 && res.code === 'forbidden' ? undefined : `write allowed: ${res.status} ${res.code}`;
    });
    expect(failures).toEqual([]);
  });

  it('a support key reads and takes only the support actions', async () => {
    const failures = await walk(async (route) => {
      if (READ.has(route.method) || route.access?.partnerOnly) return undefined;
      const res = await send(route, keys.support);
      const allowed = route.access?.support === true || SUPPORT.has(`${route.method} ${route.url}`);
      if (allowed) return res.status === 403 ? 'support action refused' : undefined;
      return res.status === 403 ? undefined : `allowed: ${res.status}`;
    });
    expect(failures).toEqual([]);
  });

  it('a revoked key (operator or partner), a mistyped key and no key get 401 everywhere', async () => {
    const mistyped = `${keys.analyst.slice(0, -1)}${keys.analyst.endsWith('A') ? 'B' : 'A'}`;
    const failures = await walk(async (route) => {
      for (const [name, key] of [
        ['revoked admin', keys.revokedAdmin],
        ['revoked partner', keys.revokedPartner],
        ['mistyped', mistyped],
        ['none', undefined],
      ] as const) {
        const res = await send(route, key);
        if (res.status !== 401) return `${name}: ${res.status}`;
      }
      return undefined;
    });
    expect(failures).toEqual([]);
  });
});

const SUPPORT = new Set([
  'POST /v1/members/:id/points/adjust',
  'POST /v1/points/transactions/:id/reverse',
  'POST /v1/redemptions/:id/reverse',
  'POST /v1/members/:id/loyalty/adjustments',
  'POST /v1/entitlements/:id/fulfil',
  'POST /v1/entitlements/:id/fail',
]);
