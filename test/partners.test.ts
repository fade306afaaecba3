import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTessera } from '../src/main.js';
import { ACTIVATION_SCHEDULE_MS } from '../src/partners/index.js';
import { createMember, type TestApp } from './helpers/app.js';
import { as, startPartnerApp } from './helpers/partner-app.js';

const cny = (amount: number) => ({ amount, currency: 'CNY' });
let app: TestApp;
let seq = 0;

beforeAll(async () => {
  app = await startPartnerApp();
});
afterAll(async () => {
  await app.close();
});

async function newPartner(body: Record<string, unknown> = {}) {
  const res = await app.call('POST', '/v1/partners', { code: `p-${++seq}`, name: `Partner ${seq}`, ...body });
  expect(res.status).toBe(201);
  return res.body as { id: string; code: string; name: string; requiresAccountLink: boolean };
}

async function partnerKey(partnerId: string, scopes: string[]) {
  const res = await app.call('POST', `/v1/partners/${partnerId}/keys`, { name: `key ${++seq}`, scopes });
  expect(res.status).toBe(201);
  return res.body as { id: string; secret: string };
}

async function count(table: 'partners' | 'partner_agreements' | 'api_keys' | 'partner_links' | 'partner_activities' | 'partner_activations' | 'benefits' | 'plans' | 'catalog_items' | 'joint_products' | 'pools') {
  return Number((await app.tessera.db.read.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
}

async function outboxOf(subjectId: string, topic = 'entitlement.activation_requested') {
  const rows = await app.tessera.db.read.selectFrom('outbox_events').selectAll().where('subject_id', '=', subjectId).where('topic', '=', topic).orderBy('id').execute();
  return rows.map((r) => JSON.parse(r.payload) as Record<string, unknown>);
}

/** A plan whose only benefit is a membership of `partner`, and a member subscribed to it: the partner_membership entitlement. */
async function grantedMembership(partnerCode: string): Promise<{ memberId: string; entitlementId: string }> {
  const n = ++seq;
  const benefit = await app.call('POST', '/v1/benefits', { code: `m-${n}`, name: `Membership ${n}`, kind: 'partner_membership', partner: partnerCode, membership: 'annual' });
  expect(benefit.status).toBe(201);
  const plan = await app.call('POST', '/v1/plans', { code: `plan-${n}`, name: `Plan ${n}`, term: 'P1Y', prices: [{ amount: cny(100) }], benefitIds: [benefit.body.id] });
  expect(plan.status).toBe(201);
  const memberId = await createMember(app, `member-${n}`);
  const sub = await app.call('POST', '/v1/subscriptions', { memberId, planId: plan.body.id });
  expect(sub.status).toBe(201);
  const entitlement = sub.body.entitlements.find((e: { kind: string }) => e.kind === 'partner_membership');
  return { memberId, entitlementId: entitlement.id };
}

describe('partners and agreements', () => {
  it('registers partners with a unique code, readable by id or code', async () => {
    const p = await newPartner({ code: 'youku', name: 'Youku', requiresAccountLink: false });
    expect(p.id).toMatch(/^ptr_/);
    expect(p).toMatchObject({ code: 'youku', name: 'Youku', requiresAccountLink: false });
    expect((await app.call('GET', `/v1/partners/${p.id}`)).body).toEqual(p);
    expect((await app.call('GET', '/v1/partners/youku')).body).toEqual(p);
    const again = await app.call('POST', '/v1/partners', { code: 'youku', name: 'Youku again' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_exists');
    const list = await app.call('GET', '/v1/partners?limit=1');
    expect(list.body).toMatchObject({ hasMore: false });
    expect(list.body.data[0].id).toBe(p.id);
    expect((await app.call('GET', '/v1/partners/nobody')).status).toBe(404);
  });

  it('records agreements with their rules and validity', async () => {
    const p = await newPartner();
    const res = await app.call('POST', `/v1/partners/${p.id}/agreements`, {
      kind: 'co_brand',
      revenueTerms: { sharePercent: 30 },
      rules: { forbidPrograms: ['jd-plus'], forbidChannels: ['points_mall'] },
      validUntil: '2027-11-24T00:00:00Z',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^agr_/),
      partnerId: p.id,
      kind: 'co_brand',
      revenueTerms: { sharePercent: 30 },
      rules: { forbidPrograms: ['jd-plus'], forbidChannels: ['points_mall'] },
      validFrom: '2026-11-24T12:00:00.000Z',
      validUntil: '2027-11-24T00:00:00.000Z',
      active: true,
    });
    const list = await app.call('GET', `/v1/partners/${p.code}/agreements`);
    expect(list.body.data).toHaveLength(1);
  });

  it('refuses bad partners and agreements with a code, writing nothing', async () => {
    const p = await newPartner();
    const partners = await count('partners');
    const agreements = await count('partner_agreements');
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/v1/partners', { name: 'No code' }, 400, 'parameter_missing'],
      ['POST', '/v1/partners', { code: 'Has Spaces', name: 'x' }, 400, 'parameter_invalid'],
      ['POST', '/v1/partners', { code: 'ok', name: '' }, 400, 'parameter_invalid'],
      ['POST', '/v1/partners', { code: 'ok', name: 'x', requiresAccountLink: 'yes' }, 400, 'parameter_invalid'],
      ['POST', '/v1/partners', { code: 'ok', name: 'x', extra: 1 }, 400, 'parameter_unknown'],
      ['POST', '/v1/partners', { code: 'x'.repeat(65), name: 'x' }, 400, 'parameter_invalid'],
      ['POST', '/v1/partners', 'not json', 400, 'invalid_json'],
      ['POST', `/v1/partners/${p.id}/agreements`, {}, 400, 'parameter_missing'],
      ['POST', `/v1/partners/${p.id}/agreements`, { kind: 'exclusive' }, 400, 'parameter_invalid'],
      ['POST', `/v1/partners/${p.id}/agreements`, { kind: 'co_brand', rules: { forbidChannels: ['tv'] } }, 400, 'parameter_invalid'],
      ['POST', `/v1/partners/${p.id}/agreements`, { kind: 'co_brand', rules: { forbidPrograms: [''] } }, 400, 'parameter_invalid'],
      ['POST', `/v1/partners/${p.id}/agreements`, { kind: 'co_brand', rules: { whatever: true } }, 400, 'parameter_unknown'],
      ['POST', `/v1/partners/${p.id}/agreements`, { kind: 'co_brand', rules: { procurementOnly: true } }, 400, 'parameter_invalid'],
      ['POST', `/v1/partners/${p.id}/agreements`, { kind: 'procurement', validFrom: '2027-01-01T00:00:00Z', validUntil: '2026-01-01T00:00:00Z' }, 400, 'parameter_invalid'],
      ['POST', `/v1/partners/${p.id}/agreements`, { kind: 'procurement', validFrom: 'tomorrow' }, 400, 'parameter_invalid'],
      ['POST', '/v1/partners/ptr_missing/agreements', { kind: 'procurement' }, 404, 'resource_missing'],
      ['GET', '/v1/partners?limit=0', undefined, 400, 'parameter_invalid'],
    ];
    for (const [method, url, body, status, code] of cases) {
      const res =
        typeof body === 'string'
          ? await app.tessera.app.inject({ method: 'POST', url, payload: body, headers: { authorization: `Bearer ${app.adminKey}`, 'content-type': 'application/json' } }).then((r) => ({ status: r.statusCode, body: r.json() }))
          : await app.call(method, url, body);
      expect([url, body, res.status, res.body.error?.code]).toEqual([url, body, status, code]);
    }
    expect(await count('partners')).toBe(partners);
    expect(await count('partner_agreements')).toBe(agreements);
  });
});

describe('partner keys', () => {
  it('makes tsk_ptr_ keys with a checksum, shown once, two active at a time (rotation)', async () => {
    const p = await newPartner();
    const first = await partnerKey(p.id, ['activations:write']);
    expect(first.secret).toMatch(/^tsk_ptr_[0-9A-Za-z]{38}$/);
    expect(first).toMatchObject({ role: 'partner', partnerId: p.id, scopes: ['activations:write'], revokedAt: null });
    const second = await partnerKey(p.id, ['activations:write', 'usage:write']);
    const third = await app.call('POST', `/v1/partners/${p.id}/keys`, { name: 'third', scopes: ['usage:write'] });
    expect(third.status).toBe(409);
    expect(third.body.error.code).toBe('too_many_active_keys');

    // Rotation: the first key is revoked, a new one fits, and the old one is refused at once.
    expect((await app.call('GET', '/v1/partner/activations', undefined, as(first.secret))).status).toBe(200);
    const revoked = await app.call('POST', `/v1/partners/${p.id}/keys/${first.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const gone = await app.call('GET', '/v1/partner/activations', undefined, as(first.secret));
    expect(gone.status).toBe(401);
    expect(gone.body.error.code).toBe('invalid_api_key');
    expect((await app.call('GET', '/v1/partner/activations', undefined, as(second.secret))).status).toBe(200);
    await partnerKey(p.id, ['members:read']);

    const listed = await app.call('GET', `/v1/partners/${p.id}/keys`);
    expect(listed.body.data).toHaveLength(3);
    expect(JSON.stringify(listed.body)).not.toContain(second.secret);

    // A key of another partner is not found under this one.
    const other = await newPartner();
    expect((await app.call('POST', `/v1/partners/${other.id}/keys/${second.id}/revoke`)).status).toBe(404);
  });

  it('gives two keys, never three, to creations racing each other', async () => {
    const p = await newPartner();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => app.call('POST', `/v1/partners/${p.id}/keys`, { name: `racer ${i}`, scopes: ['usage:write'] })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 409, 409, 409, 409]);
    const listed = await app.call('GET', `/v1/partners/${p.id}/keys`);
    expect(listed.body.data.filter((k: { revokedAt: string | null }) => k.revokedAt === null)).toHaveLength(2);
  });

  it('revocation holds at once on the node that revoked, and within the one-second cache on another', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['activations:write']);
    const other = await createTessera(app.database.config, { clock: app.clock, logger: false });
    try {
      const onOther = () => other.app.inject({ method: 'GET', url: '/v1/partner/activations', headers: as(key.secret) }).then((r) => r.statusCode);
      expect(await onOther()).toBe(200);
      expect((await app.call('POST', `/v1/partners/${p.id}/keys/${key.id}/revoke`)).status).toBe(200);
      expect((await app.call('GET', '/v1/partner/activations', undefined, as(key.secret))).status).toBe(401);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await onOther()).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('keeps only hashes: the secret is nowhere in the database', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['usage:write']);
    const operator = await app.call('POST', '/v1/api-keys', { name: 'analyst', role: 'analyst' });
    const rows = await sql<Record<string, unknown>>`select * from api_keys`.execute(app.tessera.db.read);
    const dump = JSON.stringify(rows.rows);
    for (const secret of [key.secret, operator.body.secret as string]) {
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(secret.slice(12, 40));
    }
    // Nor in any idempotency record: a replay answers null.
    const keyed = await app.call('POST', `/v1/partners/${p.id}/keys`, { name: 'keyed', scopes: ['usage:write'] }, { 'idempotency-key': 'key-once' });
    const replay = await app.call('POST', `/v1/partners/${p.id}/keys`, { name: 'keyed', scopes: ['usage:write'] }, { 'idempotency-key': 'key-once' });
    expect(keyed.body.secret).toMatch(/^tsk_ptr_/);
    expect(replay.body.secret).toBeNull();
    const stored = await sql<Record<string, unknown>>`select * from idempotency_keys`.execute(app.tessera.db.read);
    expect(JSON.stringify(stored.rows)).not.toContain(keyed.body.secret);
  });

  it('refuses bad key requests', async () => {
    const p = await newPartner();
    const before = await count('api_keys');
    for (const [body, code] of [
      [{ name: 'x', scopes: [] }, 'parameter_invalid'],
      [{ name: 'x', scopes: ['admin'] }, 'parameter_invalid'],
      [{ name: 'x', scopes: ['usage:write', 'usage:write'] }, 'parameter_invalid'],
      [{ scopes: ['usage:write'] }, 'parameter_missing'],
      [{ name: 'x', scopes: 'usage:write' }, 'parameter_invalid'],
      [{ name: 'x', scopes: ['usage:write'], role: 'admin' }, 'parameter_unknown'],
    ] as const) {
      const res = await app.call('POST', `/v1/partners/${p.id}/keys`, body);
      expect([body, res.status, res.body.error.code]).toEqual([body, 400, code]);
    }
    expect((await app.call('POST', '/v1/partners/ptr_nope/keys', { name: 'x', scopes: ['usage:write'] })).status).toBe(404);
    expect((await app.call('POST', `/v1/partners/${p.id}/keys/key_nope/revoke`)).status).toBe(404);
    expect((await app.call('POST', '/v1/api-keys', { name: 'x', role: 'partner' })).status).toBe(400);
    expect(await count('api_keys')).toBe(before);
  });
});

describe('operator roles', () => {
  it('analyst reads only; support reads and takes the support actions', async () => {
    const analyst = (await app.call('POST', '/v1/api-keys', { name: 'analyst', role: 'analyst' })).body.secret as string;
    const support = (await app.call('POST', '/v1/api-keys', { name: 'support', role: 'support' })).body.secret as string;
    expect(analyst).toMatch(/^tsk_analyst_/);
    const memberId = await createMember(app, `roles-${++seq}`, 100);

    expect((await app.call('GET', `/v1/members/${memberId}`, undefined, as(analyst))).status).toBe(200);
    expect((await app.call('GET', '/v1/partners', undefined, as(analyst))).status).toBe(200);
    const refused = await app.call('POST', '/v1/members', { externalId: 'by-analyst' }, as(analyst));
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ type: 'permission_error', code: 'forbidden' });
    expect((await app.call('POST', `/v1/members/${memberId}/points/adjust`, { points: 5, reason: 'x' }, as(analyst))).status).toBe(403);

    expect((await app.call('GET', `/v1/members/${memberId}/points`, undefined, as(support))).status).toBe(200);
    const adjusted = await app.call('POST', `/v1/members/${memberId}/points/adjust`, { points: 5, reason: 'goodwill' }, as(support));
    expect(adjusted.status).toBe(201);
    expect((await app.call('POST', '/v1/members', { externalId: 'by-support' }, as(support))).status).toBe(403);
    expect((await app.call('POST', '/v1/partners', { code: 'by-support', name: 'x' }, as(support))).status).toBe(403);
    expect((await app.call('POST', '/v1/api-keys', { name: 'escalate', role: 'admin' }, as(support))).status).toBe(403);
    // Support may start an account link for a member (a support action of this domain).
    const p = await newPartner();
    expect((await app.call('POST', `/v1/members/${memberId}/partner-links`, { partnerId: p.id }, as(support))).status).toBe(201);
  });

  it('keeps partner keys off operator endpoints and operator keys off partner endpoints', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['activations:write', 'usage:write', 'members:read', 'settlements:read']);
    const res = await app.call('GET', '/v1/members', undefined, as(key.secret));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect((await app.call('GET', `/v1/partners/${p.id}`, undefined, as(key.secret))).status).toBe(403);
    const operator = await app.call('GET', '/v1/partner/activations');
    expect(operator.status).toBe(403);
    const missing = await app.call('GET', '/v1/partner/activations', undefined, as((await partnerKey((await newPartner()).id, ['usage:write'])).secret));
    expect(missing.status).toBe(403);
    expect(missing.body.error.message).toContain("'activations:write'");
  });
});

describe('activation of partner memberships', () => {
  it('sends the request, and a confirm fulfils the entitlement once (idempotent)', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['activations:write']);
    const { memberId, entitlementId } = await grantedMembership(p.code);
    const [request] = await outboxOf(entitlementId);
    expect(request).toMatchObject({ entitlementId, memberId, partnerId: p.id, partner: p.code, attempt: 1, membership: 'annual', partnerUserId: null });

    const owed = await app.call('GET', '/v1/partner/activations?status=requested', undefined, as(key.secret));
    expect(owed.body.data.map((a: { entitlementId: string }) => a.entitlementId)).toEqual([entitlementId]);

    const first = await app.call('POST', `/v1/partner/activations/${entitlementId}/confirm`, { partnerReference: 'YK-889' }, as(key.secret));
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ entitlementId, status: 'confirmed', partnerReference: 'YK-889', attempts: 1 });
    const entitlement = await app.call('GET', `/v1/entitlements/${entitlementId}`);
    expect(entitlement.body.status).toBe('fulfilled');
    expect(entitlement.body.history.at(-1)).toMatchObject({ status: 'fulfilled', note: expect.stringContaining('YK-889') });
    const events = entitlement.body.history.length;

    const second = await app.call('POST', `/v1/partner/activations/${entitlementId}/confirm`, { partnerReference: 'YK-889' }, as(key.secret));
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const again = await app.call('POST', `/v1/partner/activations/${entitlementId}/confirm`, undefined, as(key.secret));
    expect(again.body).toEqual(first.body);
    expect((await app.call('GET', `/v1/entitlements/${entitlementId}`)).body.history).toHaveLength(events);
    expect(await outboxOf(entitlementId, 'entitlement.activated')).toHaveLength(1);

    // A rejection after the confirmation is refused.
    const late = await app.call('POST', `/v1/partner/activations/${entitlementId}/reject`, { reason: 'oops' }, as(key.secret));
    expect(late.status).toBe(409);
  });

  it('answers racing confirmations alike, fulfilling once', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['activations:write']);
    const { entitlementId } = await grantedMembership(p.code);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => app.call('POST', `/v1/partner/activations/${entitlementId}/confirm`, { partnerReference: 'R-1' }, as(key.secret))),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(new Set(answers.map((a) => a.body.status))).toEqual(new Set(['confirmed']));
    const history = (await app.call('GET', `/v1/entitlements/${entitlementId}`)).body.history as Array<{ status: string }>;
    expect(history.filter((h) => h.status === 'fulfilled')).toHaveLength(1);
    expect(await outboxOf(entitlementId, 'entitlement.activated')).toHaveLength(1);
  });

  it("never lets a partner see or touch another partner's activations", async () => {
    const owner = await newPartner();
    const intruder = await newPartner();
    const key = await partnerKey(intruder.id, ['activations:write']);
    const { entitlementId } = await grantedMembership(owner.code);
    const res = await app.call('POST', `/v1/partner/activations/${entitlementId}/confirm`, {}, as(key.secret));
    expect(res.status).toBe(404);
    expect((await app.call('POST', `/v1/partner/activations/${entitlementId}/reject`, { reason: 'x' }, as(key.secret))).status).toBe(404);
    expect((await app.call('GET', '/v1/partner/activations', undefined, as(key.secret))).body.data).toEqual([]);
    expect((await app.call('GET', `/v1/entitlements/${entitlementId}`)).body.status).toBe('pending');
  });

  it('a partner rejects with a reason: the entitlement fails', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['activations:write']);
    const { entitlementId } = await grantedMembership(p.code);
    const res = await app.call('POST', `/v1/partner/activations/${entitlementId}/reject`, { reason: 'account banned' }, as(key.secret));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'rejected', reason: 'account banned' });
    const entitlement = await app.call('GET', `/v1/entitlements/${entitlementId}`);
    expect(entitlement.body.status).toBe('failed');
    expect(entitlement.body.history.at(-1).note).toContain('account banned');
    expect((await app.call('POST', `/v1/partner/activations/${entitlementId}/confirm`, {}, as(key.secret))).status).toBe(409);
  });

  it('re-requests on the back-off, fails after the last attempt, and an operator retries', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['activations:write']);
    const { entitlementId } = await grantedMembership(p.code);
    const activations = app.tessera.services.activations;

    // (Other tests' activations share this database: each step is checked on this entitlement.)
    const attempts = async () => (await outboxOf(entitlementId)).length;
    // Nothing is due before the first wait runs out.
    app.clock.advance(ACTIVATION_SCHEDULE_MS[0]! - 1);
    await activations.runDue();
    expect(await attempts()).toBe(1);
    for (let attempt = 2; attempt <= ACTIVATION_SCHEDULE_MS.length; attempt++) {
      app.clock.advance(ACTIVATION_SCHEDULE_MS[attempt - 2]! + 1);
      await activations.runDue();
      expect(await attempts()).toBe(attempt);
      await activations.runDue();
      expect(await attempts()).toBe(attempt);
    }
    const requests = await outboxOf(entitlementId);
    expect(requests.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(requests.map((r) => r.entitlementId))).toEqual(new Set([entitlementId]));

    app.clock.advance(ACTIVATION_SCHEDULE_MS.at(-1)! + 1);
    await activations.runDue();
    expect((await app.call('GET', `/v1/entitlements/${entitlementId}`)).body.status).toBe('activation_failed');
    const failed = await app.call('GET', `/v1/activations?status=failed&partnerId=${p.id}`);
    expect(failed.body.data.map((a: { entitlementId: string }) => a.entitlementId)).toEqual([entitlementId]);
    expect(await outboxOf(entitlementId, 'entitlement.activation_failed')).toHaveLength(1);
    await activations.runDue();
    expect(await attempts()).toBe(5);

    const retried = await app.call('POST', `/v1/activations/${entitlementId}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ status: 'requested', attempts: 1, retries: 1 });
    expect((await app.call('GET', `/v1/entitlements/${entitlementId}`)).body.status).toBe('pending');
    expect((await outboxOf(entitlementId)).map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 1]);
    expect((await app.call('POST', `/v1/activations/${entitlementId}/retry`)).status).toBe(409);

    // A late confirmation still counts.
    const confirmed = await app.call('POST', `/v1/partner/activations/${entitlementId}/confirm`, {}, as(key.secret));
    expect(confirmed.body.status).toBe('confirmed');
    expect((await app.call('GET', `/v1/activations/${entitlementId}`)).body.status).toBe('confirmed');
  });

  it('stops asking once the entitlement is revoked', async () => {
    const p = await newPartner();
    const { entitlementId } = await grantedMembership(p.code);
    const ent = await app.call('GET', `/v1/entitlements/${entitlementId}`);
    const cancel = await app.call('POST', `/v1/subscriptions/${ent.body.subscriptionId}/cancel`, { atPeriodEnd: false });
    expect(cancel.status).toBe(200);
    expect((await app.call('GET', `/v1/entitlements/${entitlementId}`)).body.status).toBe('revoked');
    app.clock.advance(ACTIVATION_SCHEDULE_MS[0]! + 1);
    await app.tessera.services.activations.runDue();
    expect(await outboxOf(entitlementId)).toHaveLength(1);
    expect((await app.call('GET', `/v1/activations/${entitlementId}`)).body.status).toBe('closed');
  });

  it('refuses bad activation calls', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['activations:write']);
    const { entitlementId } = await grantedMembership(p.code);
    const cases: Array<[string, unknown, number, string]> = [
      [`/v1/partner/activations/${entitlementId}/confirm`, { partnerReference: '' }, 400, 'parameter_invalid'],
      [`/v1/partner/activations/${entitlementId}/confirm`, { partnerReference: 'x', more: 1 }, 400, 'parameter_unknown'],
      [`/v1/partner/activations/${entitlementId}/confirm`, { partnerReference: 7 }, 400, 'parameter_invalid'],
      [`/v1/partner/activations/${entitlementId}/reject`, {}, 400, 'parameter_missing'],
      [`/v1/partner/activations/${entitlementId}/reject`, { reason: 'x'.repeat(501) }, 400, 'parameter_invalid'],
      ['/v1/partner/activations/ent_nope/confirm', {}, 404, 'resource_missing'],
    ];
    for (const [url, body, status, code] of cases) {
      const res = await app.call('POST', url, body, as(key.secret));
      expect([url, res.status, res.body.error?.code]).toEqual([url, status, code]);
    }
    expect((await app.call('GET', '/v1/partner/activations?status=nope', undefined, as(key.secret))).status).toBe(400);
    expect((await app.call('GET', '/v1/activations?status=nope')).status).toBe(400);
    expect((await app.call('POST', `/v1/activations/${entitlementId}/retry`, { now: true })).status).toBe(400);
    expect((await app.call('POST', '/v1/activations/ent_nope/retry')).status).toBe(404);
    expect((await app.call('POST', `/v1/activations/${entitlementId}/retry`)).body.error.code).toBe('invalid_state');
    expect((await app.call('GET', `/v1/entitlements/${entitlementId}`)).body.status).toBe('pending');
  });
});

describe('account links', () => {
  it('waits for the link, then sends the activation with the partner user id', async () => {
    const p = await newPartner({ requiresAccountLink: true });
    const key = await partnerKey(p.id, ['activations:write', 'members:read']);
    const { memberId, entitlementId } = await grantedMembership(p.code);
    expect((await app.call('GET', `/v1/activations/${entitlementId}`)).body.status).toBe('awaiting_link');
    expect(await outboxOf(entitlementId)).toEqual([]);
    app.clock.advance(7 * 86_400_000);
    await app.tessera.services.activations.runDue();
    expect(await outboxOf(entitlementId)).toEqual([]);
    expect((await app.call('GET', `/v1/activations/${entitlementId}`)).body.status).toBe('awaiting_link');

    const started = await app.call('POST', `/v1/members/${memberId}/partner-links`, { partnerId: p.code });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ id: expect.stringMatching(/^plk_/), status: 'pending', partnerId: p.id, memberId, partnerUserId: null });
    const token = started.body.linkToken as string;
    expect(token).toMatch(/^tsk_lnk_/);

    const confirmed = await app.call('POST', '/v1/partner/links/confirm', { linkToken: token, partnerUserId: 'yk-user-1' }, as(key.secret));
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: 'confirmed', partnerUserId: 'yk-user-1', memberId });
    const again = await app.call('POST', '/v1/partner/links/confirm', { linkToken: token, partnerUserId: 'yk-user-1' }, as(key.secret));
    expect(again.status).toBe(200);
    expect(again.body).toEqual(confirmed.body);

    const [request] = await outboxOf(entitlementId);
    expect(request).toMatchObject({ attempt: 1, partnerUserId: 'yk-user-1', memberId });
    expect((await app.call('GET', `/v1/activations/${entitlementId}`)).body.status).toBe('requested');

    const member = await app.call('GET', '/v1/partner/members/yk-user-1', undefined, as(key.secret));
    expect(member.status).toBe(200);
    expect(member.body).toEqual({
      partnerUserId: 'yk-user-1',
      memberId,
      linkedAt: expect.any(String),
      memberships: [{ entitlementId, status: 'requested', partnerReference: null }],
    });
    expect((await app.call('GET', '/v1/partner/members/yk-user-2', undefined, as(key.secret))).status).toBe(404);
    const links = await app.call('GET', `/v1/members/${memberId}/partner-links`);
    expect(links.body.data).toHaveLength(1);
    expect(JSON.stringify(links.body)).not.toContain(token);

    // Linked already: a new link is refused; another member cannot take the same partner user.
    expect((await app.call('POST', `/v1/members/${memberId}/partner-links`, { partnerId: p.id })).body.error.code).toBe('already_linked');
    const other = await createMember(app, `other-${++seq}`);
    const otherToken = (await app.call('POST', `/v1/members/${other}/partner-links`, { partnerId: p.id })).body.linkToken;
    const taken = await app.call('POST', '/v1/partner/links/confirm', { linkToken: otherToken, partnerUserId: 'yk-user-1' }, as(key.secret));
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('partner_user_already_linked');
    // Another user id with the used token is refused too.
    expect((await app.call('POST', '/v1/partner/links/confirm', { linkToken: token, partnerUserId: 'yk-user-9' }, as(key.secret))).status).toBe(404);
  });

  it('confirms one link once under racing confirmations, and keeps only the token hash', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['activations:write']);
    const memberId = await createMember(app, `racing-link-${++seq}`);
    const token = (await app.call('POST', `/v1/members/${memberId}/partner-links`, { partnerId: p.id })).body.linkToken as string;
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => app.call('POST', '/v1/partner/links/confirm', { linkToken: token, partnerUserId: 'racer' }, as(key.secret))),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(200));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const rows = await sql<Record<string, unknown>>`select * from partner_links`.execute(app.tessera.db.read);
    expect(JSON.stringify(rows.rows)).not.toContain(token);
  });

  it('refuses expired, superseded and foreign tokens alike', async () => {
    const p = await newPartner();
    const stranger = await newPartner();
    const key = await partnerKey(p.id, ['activations:write']);
    const strangerKey = await partnerKey(stranger.id, ['activations:write']);
    const memberId = await createMember(app, `linker-${++seq}`);
    const first = (await app.call('POST', `/v1/members/${memberId}/partner-links`, { partnerId: p.id })).body.linkToken;
    const second = (await app.call('POST', `/v1/members/${memberId}/partner-links`, { partnerId: p.id })).body.linkToken;
    const superseded = await app.call('POST', '/v1/partner/links/confirm', { linkToken: first, partnerUserId: 'u1' }, as(key.secret));
    const foreign = await app.call('POST', '/v1/partner/links/confirm', { linkToken: second, partnerUserId: 'u1' }, as(strangerKey.secret));
    const unknown = await app.call('POST', '/v1/partner/links/confirm', { linkToken: 'tsk_lnk_nothing', partnerUserId: 'u1' }, as(key.secret));
    app.clock.advance(24 * 3_600_000 + 1);
    const expired = await app.call('POST', '/v1/partner/links/confirm', { linkToken: second, partnerUserId: 'u1' }, as(key.secret));
    for (const res of [superseded, foreign, unknown, expired]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual(superseded.body);
    }
    expect(superseded.body.error.code).toBe('link_token_invalid');
  });

  it('refuses bad link input', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['activations:write', 'members:read']);
    const memberId = await createMember(app, `bad-link-${++seq}`);
    const before = await count('partner_links');
    const operatorCases: Array<[string, unknown, number, string]> = [
      [`/v1/members/${memberId}/partner-links`, {}, 400, 'parameter_missing'],
      [`/v1/members/${memberId}/partner-links`, { partnerId: '' }, 400, 'parameter_invalid'],
      [`/v1/members/${memberId}/partner-links`, { partnerId: p.id, x: 1 }, 400, 'parameter_unknown'],
      [`/v1/members/${memberId}/partner-links`, { partnerId: 'ptr_nope' }, 404, 'resource_missing'],
      ['/v1/members/mem_nope/partner-links', { partnerId: p.id }, 404, 'resource_missing'],
    ];
    for (const [url, body, status, code] of operatorCases) {
      const res = await app.call('POST', url, body);
      expect([url, body, res.status, res.body.error?.code]).toEqual([url, body, status, code]);
    }
    for (const [body, code] of [
      [{ linkToken: 'x' }, 'parameter_missing'],
      [{ partnerUserId: 'x' }, 'parameter_missing'],
      [{ linkToken: 'x', partnerUserId: '' }, 'parameter_invalid'],
      [{ linkToken: 'x', partnerUserId: 5 }, 'parameter_invalid'],
      [{ linkToken: 'x', partnerUserId: 'y', z: 1 }, 'parameter_unknown'],
    ] as const) {
      const res = await app.call('POST', '/v1/partner/links/confirm', body, as(key.secret));
      expect([body, res.status, res.body.error.code]).toEqual([body, 400, code]);
    }
    expect((await app.call('GET', '/v1/members/mem_nope/partner-links')).status).toBe(404);
    expect(await count('partner_links')).toBe(before);
  });
});

describe('partner-reported activity', () => {
  it('records one report or a batch, by linked user or member id, once per externalId', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['usage:write', 'activations:write']);
    const linked = await createMember(app, `active-${++seq}`);
    const plain = await createMember(app, `active-${++seq}`);
    const token = (await app.call('POST', `/v1/members/${linked}/partner-links`, { partnerId: p.id })).body.linkToken;
    await app.call('POST', '/v1/partner/links/confirm', { linkToken: token, partnerUserId: 'user-42' }, as(key.secret));

    const single = await app.call('POST', '/v1/partner/activity', { memberId: plain, kind: 'became_active', occurredAt: '2026-11-20T08:00:00Z' }, as(key.secret));
    expect(single.status).toBe(201);
    expect(single.body).toMatchObject({ accepted: 1, duplicates: 0, data: [{ id: expect.stringMatching(/^pac_/), memberId: plain, duplicate: false }] });

    const batch = {
      reports: [
        { partnerUserId: 'user-42', kind: 'became_active', occurredAt: '2026-11-21T08:00:00Z', externalId: 'e-1' },
        { partnerUserId: 'user-42', kind: 'active', occurredAt: '2026-11-22T08:00:00Z', externalId: 'e-2' },
        { memberId: plain, kind: 'active', occurredAt: '2026-11-22T09:00:00+08:00', externalId: 'e-3' },
        { memberId: plain, kind: 'active', occurredAt: '2026-11-22T09:00:00+08:00', externalId: 'e-3' },
      ],
    };
    const first = await app.call('POST', '/v1/partner/activity', batch, as(key.secret));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ accepted: 3, duplicates: 1 });
    expect(first.body.data[0].memberId).toBe(linked);
    expect(first.body.data[3]).toEqual({ ...first.body.data[2], duplicate: true });
    const repeat = await app.call('POST', '/v1/partner/activity', batch, as(key.secret));
    expect(repeat.body).toMatchObject({ accepted: 0, duplicates: 4 });
    expect(repeat.body.data.map((d: { id: string }) => d.id)).toEqual(first.body.data.map((d: { id: string }) => d.id));

    const rows = await app.tessera.db.read.selectFrom('partner_activities').selectAll().where('partner_id', '=', p.id).orderBy('id').execute();
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => [r.member_id, r.kind, Number(r.occurred_at), r.external_id])).toEqual([
      [plain, 'became_active', Date.parse('2026-11-20T08:00:00Z'), null],
      [linked, 'became_active', Date.parse('2026-11-21T08:00:00Z'), 'e-1'],
      [linked, 'active', Date.parse('2026-11-22T08:00:00Z'), 'e-2'],
      [plain, 'active', Date.parse('2026-11-22T01:00:00Z'), 'e-3'],
    ]);
    expect(rows.every((r) => Number(r.reported_at) === app.clock.now())).toBe(true);
    const listed = await app.call('GET', `/v1/partners/${p.id}/activity?memberId=${linked}`);
    expect(listed.body.data).toHaveLength(2);
  });

  it('answers the same report sent 20 times at once with one activity and 19 repeats, over real HTTP', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['usage:write']);
    const memberId = await createMember(app, `race-activity-${++seq}`);
    await app.tessera.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.tessera.app.server.address() as { port: number };
    const report = { memberId, kind: 'became_active', occurredAt: '2026-11-20T08:00:00Z', externalId: 'race-1' };
    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await fetch(`http://127.0.0.1:${port}/v1/partner/activity`, {
          method: 'POST',
          headers: { ...as(key.secret), 'content-type': 'application/json' },
          body: JSON.stringify(report),
        });
        return { status: res.status, body: (await res.json()) as { accepted: number; duplicates: number; data: Array<{ id: string }> } };
      }),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    expect(answers.filter((a) => a.body.accepted === 1)).toHaveLength(1);
    expect(answers.filter((a) => a.body.duplicates === 1)).toHaveLength(19);
    const rows = await app.tessera.db.read.selectFrom('partner_activities').select('id').where('partner_id', '=', p.id).execute();
    expect(rows).toHaveLength(1);
    expect(new Set(answers.map((a) => a.body.data[0]!.id))).toEqual(new Set([rows[0]!.id]));
  });

  it('offers the service method the simulator calls', async () => {
    const { partners } = app.tessera.services;
    const memberId = await createMember(app, `sim-${++seq}`);
    const partner = await app.tessera.db.write((tx) => partners.create(tx, { code: `sim-${seq}`, name: 'Simulated' }));
    const input = { memberId, kind: 'became_active' as const, occurredAt: app.clock.now() - 1000, externalId: 'sim-1' };
    const a = await app.tessera.db.write((tx) => partners.reportActivity(tx, partner.id, input));
    const b = await app.tessera.db.write((tx) => partners.reportActivity(tx, partner.id, input));
    expect(a).toEqual({ id: expect.stringMatching(/^pac_/), duplicate: false });
    expect(b).toEqual({ id: a.id, duplicate: true });
    const c = await app.tessera.db.write((tx) => partners.reportActivity(tx, partner.id, { memberId, kind: 'active', occurredAt: app.clock.now() }));
    expect(c.duplicate).toBe(false);
  });

  it('refuses bad reports, recording nothing of the batch', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['usage:write']);
    const memberId = await createMember(app, `bad-activity-${++seq}`);
    const before = await count('partner_activities');
    const ok = { memberId, kind: 'active', occurredAt: '2026-11-20T08:00:00Z' };
    const cases: Array<[unknown, number, string]> = [
      [{ reports: [] }, 400, 'parameter_invalid'],
      [{ reports: Array.from({ length: 1001 }, () => ok) }, 400, 'parameter_invalid'],
      [{ memberId, kind: 'signed_up', occurredAt: '2026-11-20T08:00:00Z' }, 400, 'parameter_invalid'],
      [{ memberId, kind: 'active' }, 400, 'parameter_missing'],
      [{ memberId, kind: 'active', occurredAt: 'yesterday' }, 400, 'parameter_invalid'],
      [{ memberId, kind: 'active', occurredAt: '2026-11-20T08:00:00Z', extra: 1 }, 400, 'parameter_unknown'],
      [{ kind: 'active', occurredAt: '2026-11-20T08:00:00Z' }, 400, 'parameter_missing'],
      [{ memberId, partnerUserId: 'u', kind: 'active', occurredAt: '2026-11-20T08:00:00Z' }, 400, 'parameter_missing'],
      [{ reports: [ok, { ...ok, externalId: '' }] }, 400, 'parameter_invalid'],
      [{ reports: [ok, { ...ok, memberId: 'mem_nope' }] }, 404, 'resource_missing'],
      [{ reports: [ok, { partnerUserId: 'nobody', kind: 'active', occurredAt: '2026-11-20T08:00:00Z' }] }, 422, 'member_not_linked'],
      [{ reports: [ok, { ...ok, occurredAt: '2026-12-24T08:00:00Z' }] }, 422, 'occurred_in_future'],
      [[ok], 400, 'parameter_invalid'],
    ];
    for (const [body, status, code] of cases) {
      const res = await app.call('POST', '/v1/partner/activity', body, as(key.secret));
      expect([JSON.stringify(body).slice(0, 120), res.status, res.body.error?.code]).toEqual([JSON.stringify(body).slice(0, 120), status, code]);
    }
    expect(await count('partner_activities')).toBe(before);
  });
});

describe('exclusivity', () => {
  const violation = (res: { status: number; body: { error: { code: string; message: string } } }, agreementId: string, rule: string) => {
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('exclusivity_violation');
    expect(res.body.error.message).toContain(agreementId);
    expect(res.body.error.message).toContain(rule);
  };

  async function agreement(partnerId: string, body: Record<string, unknown>) {
    const res = await app.call('POST', `/v1/partners/${partnerId}/agreements`, body);
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  it('procurementOnly: no co-brand membership benefit, no joint product; the points mall is fine', async () => {
    const p = await newPartner();
    const agr = await agreement(p.id, { kind: 'procurement', rules: { procurementOnly: true } });
    const before = await count('benefits');
    violation(await app.call('POST', '/v1/benefits', { code: `co-${++seq}`, name: 'x', kind: 'partner_membership', partner: p.code }), agr, 'procurementOnly');
    expect(await count('benefits')).toBe(before);

    const pool = await app.call('POST', '/v1/pools', { name: 'cards', partnerId: p.code });
    expect(pool.status).toBe(201);
    expect((await app.call('POST', '/v1/catalog/items', { name: 'card', pointsPrice: 10, poolId: pool.body.id })).status).toBe(201);
    const codeBenefit = await app.call('POST', '/v1/benefits', { code: `code-${++seq}`, name: 'card', kind: 'pool_code', poolId: pool.body.id });
    expect(codeBenefit.status).toBe(201);
    const plan = await app.call('POST', '/v1/plans', { code: `jp-${++seq}`, name: 'x', term: 'P1Y', prices: [{ amount: cny(100) }] });
    const joint = await app.call('POST', '/v1/joint-products', {
      code: `joint-${seq}`,
      name: 'x',
      planId: plan.body.id,
      price: cny(100),
      benefitIds: [codeBenefit.body.id],
      split: [{ party: 'us', percent: 100 }],
    });
    violation(joint, agr, 'procurementOnly');
    expect(joint.body.error.param).toBe('benefitIds.0');
  });

  it('forbidPrograms: not a benefit of the named plans, on creation or in a new version', async () => {
    const p = await newPartner();
    const agr = await agreement(p.id, { kind: 'co_brand', rules: { forbidPrograms: ['rival-plus'] } });
    const benefit = await app.call('POST', '/v1/benefits', { code: `fp-${++seq}`, name: 'x', kind: 'partner_membership', partner: p.id });
    expect(benefit.status).toBe(201);
    const plans = await count('plans');
    violation(await app.call('POST', '/v1/plans', { code: 'rival-plus', name: 'Rival', term: 'P1Y', prices: [{ amount: cny(100) }], benefitIds: [benefit.body.id] }), agr, 'rival-plus');
    expect(await count('plans')).toBe(plans);
    const ok = await app.call('POST', '/v1/plans', { code: `ours-${seq}`, name: 'Ours', term: 'P1Y', prices: [{ amount: cny(100) }], benefitIds: [benefit.body.id] });
    expect(ok.status).toBe(201);
    const rival = await app.call('POST', '/v1/plans', { code: 'rival-plus', name: 'Rival', term: 'P1Y', prices: [{ amount: cny(100) }] });
    expect(rival.status).toBe(201);
    violation(await app.call('POST', `/v1/plans/${rival.body.id}/versions`, { benefitIds: [benefit.body.id] }), agr, 'forbidPrograms');
    const joint = await app.call('POST', '/v1/joint-products', {
      code: `rival-joint-${seq}`,
      name: 'x',
      planId: rival.body.id,
      price: cny(100),
      benefitIds: [benefit.body.id],
      split: [{ party: 'us', percent: 100 }],
    });
    violation(joint, agr, 'rival-plus');
  });

  it('forbidChannels: points_mall, joint and membership', async () => {
    const p = await newPartner();
    const mall = await agreement(p.id, { kind: 'co_brand', rules: { forbidChannels: ['points_mall', 'joint'] } });
    const pool = await app.call('POST', '/v1/pools', { name: 'cards', partnerId: p.id });
    const items = await count('catalog_items');
    violation(await app.call('POST', '/v1/catalog/items', { name: 'card', pointsPrice: 10, poolId: pool.body.id }), mall, 'points_mall');
    expect(await count('catalog_items')).toBe(items);
    const benefit = await app.call('POST', '/v1/benefits', { code: `fc-${++seq}`, name: 'x', kind: 'partner_membership', partner: p.code });
    expect(benefit.status).toBe(201);
    const plan = await app.call('POST', '/v1/plans', { code: `fc-plan-${seq}`, name: 'x', term: 'P1Y', prices: [{ amount: cny(100) }], benefitIds: [benefit.body.id] });
    expect(plan.status).toBe(201);
    const joints = await count('joint_products');
    violation(
      await app.call('POST', '/v1/joint-products', { code: `fc-joint-${seq}`, name: 'x', planId: plan.body.id, price: cny(100), benefitIds: [benefit.body.id], split: [{ party: 'us', percent: 100 }] }),
      mall,
      'joint',
    );
    expect(await count('joint_products')).toBe(joints);

    const q = await newPartner();
    const membership = await agreement(q.id, { kind: 'co_brand', rules: { forbidChannels: ['membership'] } });
    const qBenefit = await app.call('POST', '/v1/benefits', { code: `fcm-${++seq}`, name: 'x', kind: 'partner_membership', partner: q.code });
    violation(await app.call('POST', '/v1/plans', { code: `fcm-plan-${seq}`, name: 'x', term: 'P1Y', prices: [{ amount: cny(100) }], benefitIds: [qBenefit.body.id] }), membership, 'membership');
  });

  it('rules bind only while their agreement is in force', async () => {
    const p = await newPartner();
    await agreement(p.id, { kind: 'co_brand', rules: { forbidChannels: ['points_mall'] }, validFrom: '2026-01-01T00:00:00Z', validUntil: '2026-06-01T00:00:00Z' });
    await agreement(p.id, { kind: 'co_brand', rules: { forbidChannels: ['points_mall'] }, validFrom: '2027-01-01T00:00:00Z' });
    const pool = await app.call('POST', '/v1/pools', { name: 'cards', partnerId: p.id });
    expect((await app.call('POST', '/v1/catalog/items', { name: 'card', pointsPrice: 10, poolId: pool.body.id })).status).toBe(201);
  });

  it('partner references must name a registered partner', async () => {
    const benefits = await count('benefits');
    const pools = await count('pools');
    const benefit = await app.call('POST', '/v1/benefits', { code: `ghost-${++seq}`, name: 'x', kind: 'partner_membership', partner: 'ghost-video' });
    expect(benefit.status).toBe(422);
    expect(benefit.body.error).toMatchObject({ code: 'partner_not_found', param: 'partner' });
    const pool = await app.call('POST', '/v1/pools', { name: 'ghost cards', partnerId: 'ghost-video' });
    expect(pool.status).toBe(422);
    expect(pool.body.error).toMatchObject({ code: 'partner_not_found', param: 'partnerId' });
    expect(await count('benefits')).toBe(benefits);
    expect(await count('pools')).toBe(pools);
  });
});

describe('the API document', () => {
  it('describes the partner endpoints under their tags', async () => {
    const res = await app.tessera.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { paths: Record<string, Record<string, { tags?: string[] }>> };
    expect(doc.paths['/v1/partners']?.post?.tags).toEqual(['partners']);
    expect(doc.paths['/v1/partner/activity']?.post?.tags).toEqual(['partner API']);
    expect(doc.paths['/v1/codes/lookup']?.post?.tags).toEqual(['partner API']);
    expect(doc.paths['/v1/activations/{entitlementId}/retry']?.post).toBeDefined();
  });
});

describe('bad input on the remaining endpoints', () => {
  it('answers 400 or 404 with a code', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['activations:write', 'settlements:read']);
    const cases: Array<[string, string, unknown, number, string, string?]> = [
      ['POST', `/v1/partners/${p.id}/keys/key_x/revoke`, { now: true }, 400, 'parameter_unknown'],
      ['GET', `/v1/partners/${p.id}/activity?limit=1000`, undefined, 400, 'parameter_invalid'],
      ['GET', `/v1/partners/${p.id}/activity?since=1`, undefined, 400, 'parameter_unknown'],
      ['GET', '/v1/partners/ptr_nope/activity', undefined, 404, 'resource_missing'],
      ['GET', '/v1/partners/ptr_nope/keys', undefined, 404, 'resource_missing'],
      ['GET', '/v1/partners/ptr_nope/agreements', undefined, 404, 'resource_missing'],
      ['GET', '/v1/activations/ent_nope', undefined, 404, 'resource_missing'],
      ['GET', '/v1/activations?limit=0', undefined, 400, 'parameter_invalid'],
      ['GET', '/v1/activations?colour=red', undefined, 400, 'parameter_unknown'],
      ['GET', '/v1/partner/activations?limit=101', undefined, 400, 'parameter_invalid', key.secret],
      ['GET', '/v1/partner/settlements/report?to=never', undefined, 400, 'parameter_invalid', key.secret],
      ['GET', '/v1/partner/settlements/entries?party=other', undefined, 400, 'parameter_unknown', key.secret],
    ];
    for (const [method, url, body, status, code, secret] of cases) {
      const res = await app.call(method, url, body, secret ? as(secret) : {});
      expect([url, res.status, res.body.error?.code]).toEqual([url, status, code]);
    }
  });
});

describe('code look-ups', () => {
  it('answers valid only for an issued, live code of your pools; every other case alike', async () => {
    const p = await newPartner();
    const other = await newPartner();
    const key = await partnerKey(p.id, ['activations:write']);
    const otherKey = await partnerKey(other.id, ['activations:write']);
    const pool = (await app.call('POST', '/v1/pools', { name: 'lookup cards', partnerId: p.code })).body.id as string;
    const soon = new Date(app.clock.now() + 3_600_000).toISOString();
    expect((await app.call('POST', `/v1/pools/${pool}/codes`, { codes: ['LIVE-0001', 'VOID-0002', 'IDLE-0003'] })).status).toBe(201);
    expect((await app.call('POST', `/v1/pools/${pool}/codes`, { codes: ['SOON-0004'], expiresAt: soon })).status).toBe(201);
    const item = (await app.call('POST', '/v1/catalog/items', { name: 'lookup card', pointsPrice: 10, poolId: pool })).body.id as string;
    const memberId = await createMember(app, `lookup-${++seq}`, 100);
    const issued: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await app.call('POST', '/v1/redemptions', { memberId, itemId: item });
      expect(res.status).toBe(201);
      issued.push(res.body.code);
      if (res.body.code === 'VOID-0002') expect((await app.call('POST', `/v1/redemptions/${res.body.id}/reverse`, { reason: 'void it' })).status).toBe(200);
    }
    // Earliest expiry first: SOON, then the others in id order.
    expect(issued).toContain('SOON-0004');
    app.clock.advance(2 * 3_600_000);

    const lookup = (code: string, k = key.secret) => app.call('POST', '/v1/codes/lookup', { code }, as(k));
    const live = issued.find((c) => c !== 'SOON-0004' && c !== 'VOID-0002')!;
    const valid = await lookup(live);
    expect(valid.status).toBe(200);
    expect(valid.body).toMatchObject({ valid: true, status: 'issued', expiresAt: null });
    expect(valid.body.issuedAt).toBeTruthy();
    expect((await lookup(` ${live} `)).body.valid).toBe(true);

    const raw = await sql<Record<string, unknown>>`select * from pool_codes`.execute(app.tessera.db.read);
    for (const code of ['LIVE-0001', 'VOID-0002', 'IDLE-0003', 'SOON-0004']) expect(JSON.stringify(raw.rows)).not.toContain(code);

    const idle = ['LIVE-0001', 'VOID-0002', 'IDLE-0003'].find((c) => !issued.includes(c))!;
    const answers = [await lookup('NOPE-9999'), await lookup('SOON-0004'), await lookup('VOID-0002'), await lookup(idle), await lookup(live, otherKey.secret)];
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ valid: false });
      expect(res.headers['content-length']).toBe(answers[0]!.headers['content-length']);
    }
  });

  it('refuses bad look-ups', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['activations:write']);
    for (const [body, code] of [
      [{}, 'parameter_missing'],
      [{ code: '' }, 'parameter_invalid'],
      [{ code: 'x'.repeat(257) }, 'parameter_invalid'],
      [{ code: 12 }, 'parameter_invalid'],
      [{ code: 'x', pool: 'y' }, 'parameter_unknown'],
    ] as const) {
      const res = await app.call('POST', '/v1/codes/lookup', body, as(key.secret));
      expect([body, res.status, res.body.error.code]).toEqual([body, 400, code]);
    }
    expect((await app.call('POST', '/v1/codes/lookup', { code: 'x' })).status).toBe(403);
  });
});

describe('partner settlements', () => {
  it('shows a partner its own settlement entries only', async () => {
    const p = await newPartner();
    const key = await partnerKey(p.id, ['settlements:read']);
    const benefit = await app.call('POST', '/v1/benefits', { code: `st-${++seq}`, name: 'x', kind: 'partner_membership', partner: p.code });
    const plan = await app.call('POST', '/v1/plans', { code: `st-plan-${seq}`, name: 'x', term: 'P1Y', prices: [{ amount: cny(10_000) }] });
    const joint = await app.call('POST', '/v1/joint-products', {
      code: `st-joint-${seq}`,
      name: 'x',
      planId: plan.body.id,
      price: cny(10_000),
      benefitIds: [benefit.body.id],
      split: [
        { party: 'operator', percent: 60 },
        { party: p.code, percent: 40 },
      ],
    });
    expect(joint.status).toBe(201);
    const memberId = await createMember(app, `st-${seq}`);
    expect((await app.call('POST', `/v1/joint-products/${joint.body.id}/purchase`, { memberId })).status).toBe(201);
    const entries = await app.call('GET', '/v1/partner/settlements/entries', undefined, as(key.secret));
    expect(entries.status).toBe(200);
    expect(entries.body.data).toHaveLength(1);
    expect(entries.body.data[0]).toMatchObject({ party: p.code, kind: 'sale', amount: cny(4_000) });
    const report = await app.call('GET', '/v1/partner/settlements/report', undefined, as(key.secret));
    expect(report.body.data).toEqual([expect.objectContaining({ party: p.code, net: 4_000 })]);
    expect((await app.call('GET', '/v1/partner/settlements/entries?from=soon', undefined, as(key.secret))).status).toBe(400);
  });
});
