import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLedger } from './helpers/ledger-invariants.js';
import { createMember, startTestApp, type TestApp } from './helpers/app.js';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

let seq = 0;
async function stockedItem(codes: number, item: Record<string, unknown> = {}): Promise<{ poolId: string; itemId: string; codes: string[] }> {
  const pool = await app.call('POST', '/v1/pools', { name: `pool ${++seq}`, unitCost: { amount: 1500, currency: 'CNY' } });
  const list = Array.from({ length: codes }, (_, i) => `P${seq}-CODE-${String(i).padStart(5, '0')}`);
  if (codes > 0) expect((await app.call('POST', `/v1/pools/${pool.body.id}/codes`, { codes: list })).status).toBe(201);
  const created = await app.call('POST', '/v1/catalog/items', { name: `Video card ${seq}`, pointsPrice: 100, poolId: pool.body.id, ...item });
  expect(created.status).toBe(201);
  return { poolId: pool.body.id, itemId: created.body.id, codes: list };
}

const balance = async (memberId: string) => (await app.call('GET', `/v1/members/${memberId}/points`)).body.balance as number;
const redeem = (memberId: string, itemId: string, headers?: Record<string, string>) =>
  app.call('POST', '/v1/redemptions', { memberId, itemId }, headers);

async function tableCounts() {
  const n = async (t: 'redemptions' | 'ledger_transactions' | 'redemption_counters' | 'catalog_items') =>
    Number((await app.tessera.db.read.selectFrom(t).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const issued = await app.tessera.db.read.selectFrom('pool_codes').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '!=', 'available').executeTakeFirstOrThrow();
  return {
    redemptions: await n('redemptions'),
    transactions: await n('ledger_transactions'),
    counters: await n('redemption_counters'),
    items: await n('catalog_items'),
    issued: Number(issued.n),
  };
}

describe('redemptions', () => {
  it('debits the points and issues one code in one step', async () => {
    const { poolId, itemId, codes } = await stockedItem(3);
    const member = await createMember(app, 'r-basic', 250);
    const res = await redeem(member, itemId);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ pointsSpent: 100, memberId: member, itemId });
    expect(res.body.id).toMatch(/^red_/);
    expect(codes).toContain(res.body.code);
    expect(await balance(member)).toBe(150);
    expect((await app.call('GET', `/v1/pools/${poolId}`)).body).toMatchObject({ total: 3, issued: 1, available: 2 });
    const txn = await app.call('GET', `/v1/points/transactions/${res.body.transactionId}`);
    expect(txn.body).toMatchObject({ kind: 'spend', points: -100, memberId: member });

    const got = await app.call('GET', `/v1/redemptions/${res.body.id}`);
    expect(got.body).toMatchObject({ status: 'completed', codeId: expect.any(String), pointsSpent: 100 });
    expect(got.body.code).toBeUndefined();
    expect(got.body.maskedCode.endsWith(res.body.code.slice(-4))).toBe(true);
    expect(got.body.maskedCode).not.toBe(res.body.code);
    const mine = await app.call('GET', `/v1/members/${member}/redemptions`);
    expect(mine.body.data.map((r: { id: string }) => r.id)).toEqual([res.body.id]);

    const revealed = await app.call('POST', `/v1/redemptions/${res.body.id}/reveal`, { reason: 'member lost it' });
    expect(revealed.body.code).toBe(res.body.code);
    const audit = await app.call('GET', `/v1/pools/${poolId}/codes/${got.body.codeId}/reveals`);
    expect(audit.body.data).toHaveLength(1);
    const events = await app.tessera.db.read.selectFrom('outbox_events').selectAll().where('subject_id', '=', res.body.id).execute();
    expect(events.map((e) => e.topic)).toEqual(['redemption.completed']);
  });

  it('refuses without enough points, out of stock, or outside the rollout, and none of it costs anything', async () => {
    const { poolId, itemId } = await stockedItem(1);
    const poor = await createMember(app, 'r-poor', 99);
    const before = await tableCounts();
    const noPoints = await redeem(poor, itemId);
    expect(noPoints.status).toBe(422);
    expect(noPoints.body.error.code).toBe('insufficient_points');
    expect(await balance(poor)).toBe(99);

    const rich = await createMember(app, 'r-rich', 1000);
    expect((await redeem(rich, itemId)).status).toBe(201);
    const afterWin = await tableCounts();
    const out = await redeem(rich, itemId);
    expect(out.status).toBe(409);
    expect(out.body.error).toMatchObject({ code: 'out_of_stock', type: 'conflict_error' });
    expect(await balance(rich)).toBe(900);
    expect(await tableCounts()).toEqual(afterWin);
    expect(afterWin.redemptions).toBe(before.redemptions + 1);
    expect((await app.call('GET', `/v1/pools/${poolId}`)).body).toMatchObject({ issued: 1, available: 0 });

    const staff = await createMember(app, 'r-staff', 1000);
    const rollout = await app.call('POST', '/v1/rollouts', { name: 'internal only', allowlist: [staff], steps: [{ stage: 'internal' }] });
    const gated = await stockedItem(5, { rolloutId: rollout.body.id });
    const refused = await redeem(rich, gated.itemId);
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('not_eligible');
    expect(refused.body.error.message).toContain('allowlist');
    expect((await redeem(staff, gated.itemId)).status).toBe(201);
  });

  it('honours the availability window', async () => {
    const now = app.clock.now();
    const { itemId } = await stockedItem(3, {
      availableFrom: new Date(now + 60_000).toISOString(),
      availableUntil: new Date(now + 120_000).toISOString(),
    });
    const member = await createMember(app, 'r-window', 1000);
    expect((await redeem(member, itemId)).body.error.code).toBe('not_eligible');
    app.clock.advance(60_000);
    expect((await redeem(member, itemId)).status).toBe(201);
    app.clock.advance(60_000);
    const late = await redeem(member, itemId);
    expect(late.status).toBe(422);
    expect(late.body.error.code).toBe('not_eligible');
    app.clock.advance(-120_000);
  });

  it('keeps per-member limits for the item and per period, and the total cap', async () => {
    const member = await createMember(app, 'r-limits', 10_000);
    const once = await stockedItem(5, { perMemberLimit: 1 });
    expect((await redeem(member, once.itemId)).status).toBe(201);
    const again = await redeem(member, once.itemId);
    expect(again.status).toBe(422);
    expect(again.body.error.code).toBe('limit_reached');
    expect(await balance(member)).toBe(9900);

    const monthly = await stockedItem(10, { periodLimit: { count: 2, period: 'month' }, timeZone: 'Asia/Shanghai' });
    app.clock.set(Date.UTC(2026, 10, 30, 15, 0)); // 23:00 on 30 November in Shanghai
    expect((await redeem(member, monthly.itemId)).status).toBe(201);
    expect((await redeem(member, monthly.itemId)).status).toBe(201);
    expect((await redeem(member, monthly.itemId)).body.error.code).toBe('limit_reached');
    app.clock.set(Date.UTC(2026, 10, 30, 16, 0)); // midnight, 1 December in Shanghai: a new month
    expect((await redeem(member, monthly.itemId)).status).toBe(201);

    const capped = await stockedItem(10, { totalCap: 2 });
    const other = await createMember(app, 'r-cap', 1000);
    expect((await redeem(member, capped.itemId)).status).toBe(201);
    expect((await redeem(other, capped.itemId)).status).toBe(201);
    const full = await redeem(other, capped.itemId);
    expect(full.status).toBe(409);
    expect(full.body.error.code).toBe('out_of_stock');
    expect((await app.call('GET', `/v1/catalog/items/${capped.itemId}`)).body).toMatchObject({ stock: 0, redeemedCount: 2 });
    app.clock.set(Date.UTC(2026, 10, 24, 12));
  });

  it('is idempotent: the same key replays the same code and debits once', async () => {
    const { itemId } = await stockedItem(5);
    const member = await createMember(app, 'r-idem', 1000);
    const first = await redeem(member, itemId, { 'idempotency-key': 'redeem-once' });
    const second = await redeem(member, itemId, { 'idempotency-key': 'redeem-once' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    // The kept answer holds the code sealed, never in clear.
    const kept = await app.tessera.db.read.selectFrom('idempotency_keys').select('response_body').where('idem_key', '=', 'redeem-once').execute();
    expect(kept).toHaveLength(1);
    expect(kept[0]!.response_body).not.toContain(first.body.code);
    expect(await balance(member)).toBe(900);
    const other = await app.call('POST', '/v1/redemptions', { memberId: member, itemId: 'item_other' }, { 'idempotency-key': 'redeem-once' });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_conflict');
  });

  it('reverses once: points back, the code voided for good, the limit freed', async () => {
    const { poolId, itemId } = await stockedItem(2, { perMemberLimit: 1 });
    const member = await createMember(app, 'r-reverse', 500);
    const { body: receipt } = await redeem(member, itemId);
    expect(await balance(member)).toBe(400);
    const reversed = await app.call('POST', `/v1/redemptions/${receipt.id}/reverse`, { reason: 'partner could not activate' });
    expect(reversed.status).toBe(200);
    expect(reversed.body).toMatchObject({ status: 'reversed', reversalReason: 'partner could not activate' });
    expect(await balance(member)).toBe(500);
    const twice = await app.call('POST', `/v1/redemptions/${receipt.id}/reverse`);
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('already_reversed');
    expect(await balance(member)).toBe(500);
    expect((await app.call('GET', `/v1/pools/${poolId}`)).body).toMatchObject({ total: 2, issued: 0, voided: 1, available: 1 });
    const next = await redeem(member, itemId);
    expect(next.status).toBe(201);
    expect(next.body.code).not.toBe(receipt.code);
    // The pool is empty now (one code issued, one voided): sold out comes before the member's limit.
    expect((await redeem(member, itemId)).body.error.code).toBe('out_of_stock');
    expect(await checkLedger(app.tessera.db)).toEqual({ unbalancedTransactions: 0, negativeBalances: 0, mismatchedBalances: 0 });
  });

  it('returns the points once when twenty reversals of one redemption race', async () => {
    const { poolId, itemId } = await stockedItem(1);
    const member = await createMember(app, 'r-reverse-race', 300);
    const { body: receipt } = await redeem(member, itemId);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => app.call('POST', `/v1/redemptions/${receipt.id}/reverse`, { reason: 'race' })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expect(r.body.error.code).toBe('already_reversed');
    expect(await balance(member)).toBe(300);
    expect((await app.call('GET', `/v1/pools/${poolId}`)).body).toMatchObject({ issued: 0, voided: 1, available: 0 });
    expect(await checkLedger(app.tessera.db)).toEqual({ unbalancedTransactions: 0, negativeBalances: 0, mismatchedBalances: 0 });
  });

  it('lists the mall for a member with price, stock and every reason they cannot redeem', async () => {
    const member = await createMember(app, 'r-listing', 150);
    const ok = await stockedItem(2);
    const dear = await stockedItem(2, { pointsPrice: 1000 });
    const empty = await stockedItem(0);
    const list = await app.call('GET', `/v1/catalog/items?memberId=${member}&limit=100`);
    expect(list.status).toBe(200);
    const byId = new Map(list.body.data.map((i: { id: string }) => [i.id, i]));
    expect(byId.get(ok.itemId)).toMatchObject({ pointsPrice: 100, stock: 2, forMember: { eligible: true, reasons: [], pointsBalance: 150 } });
    expect((byId.get(dear.itemId) as { forMember: { reasons: Array<{ code: string }> } }).forMember.reasons.map((r) => r.code)).toEqual(['insufficient_points']);
    expect((byId.get(empty.itemId) as { forMember: { eligible: boolean; reasons: Array<{ code: string }> } }).forMember).toMatchObject({
      eligible: false,
      reasons: [{ code: 'out_of_stock' }],
    });
    const one = await app.call('GET', `/v1/catalog/items/${dear.itemId}/eligibility?memberId=${member}`);
    expect(one.body.forMember.eligible).toBe(false);
  });

  it('gives exactly one code to 50 parallel requests of one member for a 1-per-member item', async () => {
    const { poolId, itemId } = await stockedItem(60, { perMemberLimit: 1 });
    const member = await createMember(app, 'r-parallel', 100_000);
    const results = await Promise.all(Array.from({ length: 50 }, () => redeem(member, itemId)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 201)) expect(r.body.error.code).toBe('limit_reached');
    expect(await balance(member)).toBe(100_000 - 100);
    expect((await app.call('GET', `/v1/pools/${poolId}`)).body).toMatchObject({ issued: 1, available: 59 });
  });

  it('answers bad input with a 4xx and a code, writing nothing', async () => {
    const { poolId, itemId } = await stockedItem(2);
    const member = await createMember(app, 'r-bad', 1000);
    const before = await tableCounts();
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', '/v1/catalog/items', {}, 400, 'parameter_missing'],
      ['POST', '/v1/catalog/items', { name: 'x', pointsPrice: 0, poolId }, 400, 'parameter_invalid'],
      ['POST', '/v1/catalog/items', { name: 'x', pointsPrice: -5, poolId }, 400, 'parameter_invalid'],
      ['POST', '/v1/catalog/items', { name: 'x', pointsPrice: 1.5, poolId }, 400, 'parameter_invalid'],
      ['POST', '/v1/catalog/items', { name: 'x', pointsPrice: '100', poolId }, 400, 'parameter_invalid'],
      ['POST', '/v1/catalog/items', { name: 'x', pointsPrice: 1e12, poolId }, 400, 'parameter_invalid'],
      ['POST', '/v1/catalog/items', { name: 'x', pointsPrice: 100, poolId, perMemberLimit: 0 }, 400, 'parameter_invalid'],
      ['POST', '/v1/catalog/items', { name: 'x', pointsPrice: 100, poolId, color: 'red' }, 400, 'parameter_unknown'],
      ['POST', '/v1/catalog/items', { name: 'x', pointsPrice: 100, poolId: 'pool_nope' }, 404, 'resource_missing'],
      ['POST', '/v1/catalog/items', { name: 'x', pointsPrice: 100, poolId, rolloutId: 'rol_nope' }, 404, 'resource_missing'],
      ['POST', '/v1/catalog/items', { name: 'x', pointsPrice: 100, poolId, timeZone: 'Nowhere/City' }, 400, 'parameter_invalid'],
      ['POST', '/v1/catalog/items', { name: 'x', pointsPrice: 100, poolId, periodLimit: { count: 1, period: 'year' } }, 400, 'parameter_invalid'],
      ['POST', '/v1/catalog/items', { name: 'x', pointsPrice: 100, poolId, availableFrom: '2026-12-01T00:00:00Z', availableUntil: '2026-11-01T00:00:00Z' }, 400, 'parameter_invalid'],
      ['POST', `/v1/catalog/items/${itemId}`, {}, 400, 'parameter_invalid'],
      ['POST', `/v1/catalog/items/${itemId}`, { status: 'gone' }, 400, 'parameter_invalid'],
      ['POST', '/v1/catalog/items/item_nope', { name: 'y' }, 404, 'resource_missing'],
      ['GET', '/v1/catalog/items/item_nope', undefined, 404, 'resource_missing'],
      ['GET', '/v1/catalog/items?memberId=mem_nope', undefined, 404, 'resource_missing'],
      ['GET', '/v1/catalog/items?limit=0', undefined, 400, 'parameter_invalid'],
      ['GET', `/v1/catalog/items/${itemId}/eligibility`, undefined, 400, 'parameter_missing'],
      ['POST', '/v1/redemptions', {}, 400, 'parameter_missing'],
      ['POST', '/v1/redemptions', { memberId: member }, 400, 'parameter_missing'],
      ['POST', '/v1/redemptions', { memberId: member, itemId, quantity: 2 }, 400, 'parameter_unknown'],
      ['POST', '/v1/redemptions', { memberId: 42, itemId }, 400, 'parameter_invalid'],
      ['POST', '/v1/redemptions', { memberId: '', itemId }, 400, 'parameter_invalid'],
      ['POST', '/v1/redemptions', '{"memberId": ', 400, 'invalid_json'],
      ['POST', '/v1/redemptions', { memberId: 'mem_nope', itemId }, 404, 'resource_missing'],
      ['POST', '/v1/redemptions', { memberId: member, itemId: 'item_nope' }, 404, 'resource_missing'],
      ['GET', '/v1/redemptions/red_nope', undefined, 404, 'resource_missing'],
      ['GET', '/v1/members/mem_nope/redemptions', undefined, 404, 'resource_missing'],
      ['POST', '/v1/redemptions/red_nope/reverse', {}, 404, 'resource_missing'],
      ['POST', '/v1/redemptions/red_nope/reveal', { reason: 'x' }, 404, 'resource_missing'],
      ['POST', '/v1/redemptions/red_nope/reveal', {}, 400, 'parameter_missing'],
    ];
    for (const [method, url, body, status, code] of cases) {
      const res = await app.call(method, url, body);
      expect({ url, body, status: res.status, code: res.body?.error?.code }).toEqual({ url, body, status, code });
    }
    expect(await tableCounts()).toEqual(before);
    expect(await balance(member)).toBe(1000);
  });
});
