import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMember, startTestApp, type TestApp, type TestResponse } from './helpers/app.js';
import { checkLedger } from './helpers/ledger-invariants.js';
import type { LedgerTransaction, Lot } from '../src/ledger/index.js';

const DAY = 24 * 60 * 60 * 1000;

type Transaction = LedgerTransaction;

let app: TestApp;
let seq = 0;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});
afterEach(async () => {
  expect(await checkLedger(app.tessera.db)).toEqual({ unbalancedTransactions: 0, negativeBalances: 0, mismatchedBalances: 0 });
});

const newMember = () => createMember(app, `ledger-${++seq}`);
const inDays = (days: number) => new Date(app.clock.now() + days * DAY).toISOString();

/** Checks what every transaction answer must satisfy and returns it typed. */
function transactionOf(res: TestResponse, status = 201): Transaction {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const txn = res.body as Transaction;
  expect(txn.id).toMatch(/^txn_[0-9A-Z]{26}$/);
  expect(txn.entries.length).toBeGreaterThanOrEqual(2);
  expect(txn.entries.reduce((sum, e) => sum + e.amount, 0)).toBe(0);
  // The member's side of the entries is the signed change of their balance.
  const memberSide = txn.entries.filter((e) => e.account === `member:${txn.memberId}`);
  expect(memberSide.reduce((sum, e) => sum + e.amount, 0)).toBe(txn.points);
  return txn;
}

const earn = async (memberId: string, points: number, expiresAt?: string, reason = 'order') =>
  transactionOf(await app.call('POST', `/v1/members/${memberId}/points/earn`, { points, reason, ...(expiresAt ? { expiresAt } : {}) }));
const spend = async (memberId: string, points: number) =>
  transactionOf(await app.call('POST', `/v1/members/${memberId}/points/spend`, { points, reason: 'exchange' }));
const adjust = async (memberId: string, points: number, expiresAt?: string) =>
  transactionOf(await app.call('POST', `/v1/members/${memberId}/points/adjust`, { points, reason: 'goodwill', ...(expiresAt ? { expiresAt } : {}) }));
const reverse = (id: string, body?: unknown) => app.call('POST', `/v1/points/transactions/${id}/reverse`, body);

async function balanceOf(memberId: string): Promise<number> {
  const summary = await app.call('GET', `/v1/members/${memberId}/points`);
  expect(summary.status).toBe(200);
  const member = await app.call('GET', `/v1/members/${memberId}`);
  expect(member.body.pointsBalance).toBe(summary.body.balance);
  return summary.body.balance as number;
}

async function lotsOf(memberId: string, open = false): Promise<Lot[]> {
  const res = await app.call('GET', `/v1/members/${memberId}/points/lots${open ? '?open=true' : ''}`);
  expect(res.status).toBe(200);
  return res.body.data as Lot[];
}

async function lotOf(memberId: string, transactionId: string): Promise<Lot> {
  const lot = (await lotsOf(memberId)).find((l) => l.transactionId === transactionId);
  if (!lot) throw new Error(`no lot for ${transactionId}`);
  return lot;
}

async function historyOf(memberId: string): Promise<Transaction[]> {
  const res = await app.call('GET', `/v1/members/${memberId}/points/transactions?limit=100`);
  expect(res.status).toBe(200);
  return (res.body.data as unknown[]).map((t) => transactionOf({ status: 200, body: t, headers: {} }, 200));
}

describe('earning', () => {
  it('credits points from the issuance account into a lot that never expires', async () => {
    const memberId = await newMember();
    const txn = await earn(memberId, 120, undefined, 'order #1');
    expect(txn).toMatchObject({
      memberId,
      kind: 'earn',
      points: 120,
      reason: 'order #1',
      expiresAt: null,
      reversesId: null,
      reversedBy: null,
      createdAt: new Date(app.clock.now()).toISOString(),
    });
    expect(txn.entries).toEqual([
      { account: `member:${memberId}`, amount: 120 },
      { account: 'program:issuance', amount: -120 },
    ]);
    expect(await balanceOf(memberId)).toBe(120);
    expect(await lotsOf(memberId)).toEqual([
      { id: expect.stringMatching(/^lot_/), transactionId: txn.id, points: 120, remaining: 120, expiresAt: null, createdAt: txn.createdAt },
    ]);
  });

  it('records an expiry in UTC, whatever offset it was sent with', async () => {
    const memberId = await newMember();
    const local = new Date(app.clock.now() + 30 * DAY);
    const withOffset = `${new Date(local.getTime() + 8 * 60 * 60 * 1000).toISOString().slice(0, 19)}+08:00`;
    const txn = await earn(memberId, 50, withOffset);
    expect(txn.expiresAt).toBe(local.toISOString());
    const [lot] = await lotsOf(memberId);
    expect(lot).toMatchObject({ transactionId: txn.id, points: 50, remaining: 50, expiresAt: local.toISOString() });
  });

  it('refuses an expiry that is not in the future', async () => {
    const memberId = await newMember();
    for (const expiresAt of [inDays(-1), new Date(app.clock.now()).toISOString()]) {
      const res = await app.call('POST', `/v1/members/${memberId}/points/earn`, { points: 5, reason: 'x', expiresAt });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'parameter_invalid', param: 'expiresAt' });
    }
    expect(await balanceOf(memberId)).toBe(0);
    expect(await lotsOf(memberId)).toEqual([]);
  });
});

describe('spending', () => {
  it('consumes lots earliest-expiring first and never-expiring lots last', async () => {
    const memberId = await newMember();
    const forever = await earn(memberId, 100);
    const in30 = await earn(memberId, 50, inDays(30));
    const in10 = await earn(memberId, 50, inDays(10));
    const in20 = await earn(memberId, 30, inDays(20));
    expect(await balanceOf(memberId)).toBe(230);

    const first = await spend(memberId, 70);
    expect(first).toMatchObject({ kind: 'spend', points: -70, expiresAt: null });
    expect(first.entries).toEqual([
      { account: `member:${memberId}`, amount: -70 },
      { account: 'program:redemption', amount: 70 },
    ]);
    const remaining = async () =>
      Object.fromEntries((await lotsOf(memberId)).map((l) => [l.transactionId, l.remaining]));
    expect(await remaining()).toEqual({ [in10.id]: 0, [in20.id]: 10, [in30.id]: 50, [forever.id]: 100 });

    await spend(memberId, 100);
    expect(await remaining()).toEqual({ [in10.id]: 0, [in20.id]: 0, [in30.id]: 0, [forever.id]: 60 });
    expect(await balanceOf(memberId)).toBe(60);
    expect((await lotsOf(memberId, true)).map((l) => l.transactionId)).toEqual([forever.id]);
  });

  it('spends a whole balance to exactly zero', async () => {
    const memberId = await newMember();
    await earn(memberId, 10, inDays(3));
    await earn(memberId, 15);
    await spend(memberId, 25);
    expect(await balanceOf(memberId)).toBe(0);
    expect(await lotsOf(memberId, true)).toEqual([]);
  });

  it('refuses to spend more than the balance and changes nothing', async () => {
    const memberId = await newMember();
    await earn(memberId, 40);
    const res = await app.call('POST', `/v1/members/${memberId}/points/spend`, { points: 41, reason: 'too much' });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ type: 'business_rule_error', code: 'insufficient_points', param: 'points' });
    expect(await balanceOf(memberId)).toBe(40);
    expect(await historyOf(memberId)).toHaveLength(1);
    expect((await lotsOf(memberId))[0]?.remaining).toBe(40);
  });

  it('refuses any spend from an empty balance', async () => {
    const memberId = await newMember();
    const res = await app.call('POST', `/v1/members/${memberId}/points/spend`, { points: 1, reason: 'nothing there' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('insufficient_points');
    expect(await historyOf(memberId)).toEqual([]);
  });
});

describe('adjusting', () => {
  it('credits through the adjustment account, with an optional expiry, into a lot', async () => {
    const memberId = await newMember();
    const expiresAt = inDays(7);
    const txn = await adjust(memberId, 25, expiresAt);
    expect(txn).toMatchObject({ kind: 'adjust', points: 25, reason: 'goodwill', expiresAt });
    expect(txn.entries).toEqual([
      { account: `member:${memberId}`, amount: 25 },
      { account: 'program:adjustment', amount: -25 },
    ]);
    expect(await lotsOf(memberId)).toEqual([expect.objectContaining({ transactionId: txn.id, points: 25, remaining: 25, expiresAt })]);
    expect(await balanceOf(memberId)).toBe(25);
  });

  it('debits with a negative adjustment, earliest-expiring lot first', async () => {
    const memberId = await newMember();
    const forever = await earn(memberId, 30);
    const soon = await earn(memberId, 30, inDays(2));
    const txn = await adjust(memberId, -40);
    expect(txn).toMatchObject({ kind: 'adjust', points: -40, expiresAt: null });
    expect(txn.entries).toEqual([
      { account: `member:${memberId}`, amount: -40 },
      { account: 'program:adjustment', amount: 40 },
    ]);
    expect((await lotOf(memberId, soon.id)).remaining).toBe(0);
    expect((await lotOf(memberId, forever.id)).remaining).toBe(20);
    expect(await balanceOf(memberId)).toBe(20);
  });

  it('refuses a debit beyond the balance, and an expiry on a debit', async () => {
    const memberId = await newMember();
    await earn(memberId, 10);
    const tooMuch = await app.call('POST', `/v1/members/${memberId}/points/adjust`, { points: -11, reason: 'x' });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.error.code).toBe('insufficient_points');
    const withExpiry = await app.call('POST', `/v1/members/${memberId}/points/adjust`, { points: -5, reason: 'x', expiresAt: inDays(1) });
    expect(withExpiry.status).toBe(400);
    expect(withExpiry.body.error).toMatchObject({ code: 'parameter_invalid', param: 'expiresAt' });
    expect(await balanceOf(memberId)).toBe(10);
    expect(await historyOf(memberId)).toHaveLength(1);
  });
});

describe('reading points', () => {
  it('summarises the balance, the next expiry and the open lots in spending order', async () => {
    const memberId = await newMember();
    const empty = await app.call('GET', `/v1/members/${memberId}/points`);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ memberId, balance: 0, nextExpiry: null, lots: [] });

    const forever = await earn(memberId, 100);
    expect((await app.call('GET', `/v1/members/${memberId}/points`)).body.nextExpiry).toBeNull();

    const soon = inDays(5);
    const a = await earn(memberId, 20, soon);
    const later = await earn(memberId, 40, inDays(9));
    const b = await earn(memberId, 15, soon);
    await spend(memberId, 5); // from a or b: both lapse at `soon`
    const summary = await app.call('GET', `/v1/members/${memberId}/points`);
    expect(summary.status).toBe(200);
    expect(summary.body.balance).toBe(170);
    expect(summary.body.nextExpiry).toEqual({ expiresAt: soon, points: 30 });
    expect(summary.body.lots.map((l: Lot) => l.transactionId)).toEqual(
      [a.id, b.id].sort().concat([later.id, forever.id]),
    );
    expect(summary.body.lots.reduce((s: number, l: Lot) => s + l.remaining, 0)).toBe(170);
  });

  it('lists every lot, or only those with points left', async () => {
    const memberId = await newMember();
    const spent = await earn(memberId, 10, inDays(1));
    const kept = await earn(memberId, 10);
    await spend(memberId, 10);
    const all = await lotsOf(memberId);
    expect(all.map((l) => [l.transactionId, l.points, l.remaining])).toEqual(
      expect.arrayContaining([
        [spent.id, 10, 0],
        [kept.id, 10, 10],
      ]),
    );
    expect(all).toHaveLength(2);
    expect((await lotsOf(memberId, true)).map((l) => l.transactionId)).toEqual([kept.id]);
  });

  it('pages through the history newest first with a cursor, only this member’s', async () => {
    const memberId = await newMember();
    const other = await newMember();
    await earn(other, 5);
    const made: string[] = [];
    for (let i = 1; i <= 6; i++) made.push((await earn(memberId, i * 10)).id);
    made.push((await spend(memberId, 15)).id);

    const seen: string[] = [];
    const pages: number[] = [];
    let cursor: string | undefined;
    for (;;) {
      const res = await app.call('GET', `/v1/members/${memberId}/points/transactions?limit=3${cursor ? `&startingAfter=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = (res.body.data as unknown[]).map((t) => transactionOf({ status: 200, body: t, headers: {} }, 200));
      pages.push(page.length);
      seen.push(...page.map((t) => t.id));
      expect(page.every((t) => t.memberId === memberId)).toBe(true);
      if (!res.body.hasMore) break;
      cursor = page.at(-1)!.id;
    }
    expect(pages).toEqual([3, 3, 1]);
    expect(seen).toEqual([...made].reverse());

    const whole = await app.call('GET', `/v1/members/${memberId}/points/transactions`);
    expect(whole.body).toMatchObject({ hasMore: false });
    expect(whole.body.data.map((t: Transaction) => t.id)).toEqual(seen);
    const exact = await app.call('GET', `/v1/members/${memberId}/points/transactions?limit=7`);
    expect(exact.body.hasMore).toBe(false);
    expect(exact.body.data).toHaveLength(7);
  });

  it('gets one transaction with its entries', async () => {
    const memberId = await newMember();
    const txn = await earn(memberId, 33, inDays(4));
    const got = await app.call('GET', `/v1/points/transactions/${txn.id}`);
    expect(transactionOf(got, 200)).toEqual(txn);
    const missing = await app.call('GET', '/v1/points/transactions/txn_00000000000000000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'resource_missing', param: 'id' });
  });
});

describe('reversing', () => {
  it('reverses an earn once, mirroring its entries and emptying its lot', async () => {
    const memberId = await newMember();
    const original = await earn(memberId, 100, inDays(30));
    const res = await reverse(original.id, { reason: 'order refunded' });
    const reversal = transactionOf(res);
    expect(reversal).toMatchObject({ memberId, kind: 'reversal', points: -100, reason: 'order refunded', reversesId: original.id, reversedBy: null });
    expect(reversal.entries).toEqual(original.entries.map((e) => ({ account: e.account, amount: -e.amount })));
    expect(await balanceOf(memberId)).toBe(0);
    expect((await lotOf(memberId, original.id)).remaining).toBe(0);
    expect((await app.call('GET', `/v1/points/transactions/${original.id}`)).body.reversedBy).toBe(reversal.id);

    const again = await reverse(original.id);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ type: 'conflict_error', code: 'already_reversed' });
    const ofReversal = await reverse(reversal.id);
    expect(ofReversal.status).toBe(422);
    expect(ofReversal.body.error).toMatchObject({ type: 'business_rule_error', code: 'not_reversible' });
    expect(await historyOf(memberId)).toHaveLength(2);
    expect(await balanceOf(memberId)).toBe(0);
  });

  it('reverses a spend by putting the points back into the very lots, with their original expiry', async () => {
    const memberId = await newMember();
    const expiresAt = inDays(10);
    const soon = await earn(memberId, 50, expiresAt);
    const forever = await earn(memberId, 50);
    const spent = await spend(memberId, 60);
    const reversal = transactionOf(await reverse(spent.id)); // a bare POST: no body at all
    expect(reversal).toMatchObject({ kind: 'reversal', points: 60, reason: 'reversal', reversesId: spent.id });
    expect(reversal.entries).toEqual([
      { account: `member:${memberId}`, amount: 60 },
      { account: 'program:redemption', amount: -60 },
    ]);
    const lots = await lotsOf(memberId);
    expect(lots).toHaveLength(2);
    expect(await lotOf(memberId, soon.id)).toMatchObject({ remaining: 50, expiresAt });
    expect(await lotOf(memberId, forever.id)).toMatchObject({ remaining: 50, expiresAt: null });
    expect(await balanceOf(memberId)).toBe(100);
    expect((await reverse(spent.id)).body.error.code).toBe('already_reversed');
  });

  it('reverses positive and negative adjustments', async () => {
    const memberId = await newMember();
    const credit = await adjust(memberId, 40);
    const debit = await adjust(memberId, -15);
    const undoDebit = transactionOf(await reverse(debit.id));
    expect(undoDebit).toMatchObject({ points: 15, reversesId: debit.id });
    expect(undoDebit.entries).toContainEqual({ account: 'program:adjustment', amount: -15 });
    expect(await balanceOf(memberId)).toBe(40);
    const undoCredit = transactionOf(await reverse(credit.id));
    expect(undoCredit).toMatchObject({ points: -40, reversesId: credit.id });
    expect(undoCredit.entries).toContainEqual({ account: 'program:adjustment', amount: 40 });
    expect(await balanceOf(memberId)).toBe(0);
    expect((await reverse(credit.id)).status).toBe(409);
    expect((await reverse(debit.id)).status).toBe(409);
  });

  it('refuses to reverse an earn whose points were spent, and changes nothing', async () => {
    const memberId = await newMember();
    const original = await earn(memberId, 100);
    await spend(memberId, 30);
    const res = await reverse(original.id);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ type: 'business_rule_error', code: 'insufficient_points' });
    expect(await balanceOf(memberId)).toBe(70);
    expect((await app.call('GET', `/v1/points/transactions/${original.id}`)).body.reversedBy).toBeNull();
    expect(await historyOf(memberId)).toHaveLength(2);
    expect((await lotOf(memberId, original.id)).remaining).toBe(70);
  });

  it('answers 404 for an unknown transaction', async () => {
    const res = await reverse('txn_00000000000000000000000000');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'resource_missing', param: 'id' });
  });
});

describe('expiry', () => {
  it('expires exactly the lots due at the clock’s now, once, through the expiry account', async () => {
    const memberId = await newMember();
    const due = await earn(memberId, 100, inDays(1));
    const partly = await earn(memberId, 40, inDays(1));
    const later = await earn(memberId, 25, inDays(3));
    const forever = await earn(memberId, 10);
    await spend(memberId, 120); // takes 100 + 20 from the two lots due tomorrow, in id order
    expect(await balanceOf(memberId)).toBe(55);

    app.clock.advance(DAY - 1);
    await app.tessera.services.ledger.expireDue();
    expect(await balanceOf(memberId)).toBe(55);

    app.clock.advance(1);
    await app.tessera.services.ledger.expireDue();
    expect(await balanceOf(memberId)).toBe(35);
    const expired = (await historyOf(memberId)).filter((t) => t.kind === 'expire');
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ points: -20, createdAt: new Date(app.clock.now()).toISOString() });
    expect(expired[0]!.entries).toEqual([
      { account: `member:${memberId}`, amount: -20 },
      { account: 'program:expiry', amount: 20 },
    ]);
    expect((await lotOf(memberId, due.id)).remaining).toBe(0);
    expect((await lotOf(memberId, partly.id)).remaining).toBe(0);
    expect((await lotOf(memberId, later.id)).remaining).toBe(25);
    expect((await lotOf(memberId, forever.id)).remaining).toBe(10);
    const summary = await app.call('GET', `/v1/members/${memberId}/points`);
    expect(summary.body.nextExpiry).toEqual({ expiresAt: later.expiresAt, points: 25 });

    await app.tessera.services.ledger.expireDue();
    expect((await historyOf(memberId)).filter((t) => t.kind === 'expire')).toHaveLength(1);
    expect(await balanceOf(memberId)).toBe(35);
  });

  it('reverses an expiry: the points come back in a new lot, never expiring unless the reversal says when', async () => {
    const memberId = await newMember();
    const expiresAt = inDays(2);
    const lapsing = await earn(memberId, 60, expiresAt);
    await earn(memberId, 5);
    app.clock.advance(2 * DAY);
    await app.tessera.services.ledger.expireDue();
    const expiry = (await historyOf(memberId)).find((t) => t.kind === 'expire');
    expect(expiry?.points).toBe(-60);
    expect(await balanceOf(memberId)).toBe(5);

    const reversal = transactionOf(await reverse(expiry!.id));
    expect(reversal).toMatchObject({ kind: 'reversal', points: 60, reversesId: expiry!.id });
    expect(reversal.entries).toContainEqual({ account: 'program:expiry', amount: -60 });
    expect(await balanceOf(memberId)).toBe(65);
    // The lapsed lot stays empty; the points live on in a lot of the reversal's own.
    expect(await lotOf(memberId, lapsing.id)).toMatchObject({ remaining: 0, expiresAt });
    expect(await lotOf(memberId, reversal.id)).toMatchObject({ points: 60, remaining: 60, expiresAt: null });
    app.clock.advance(DAY);
    await app.tessera.services.ledger.expireDue();
    expect(await balanceOf(memberId)).toBe(65);
    expect((await reverse(expiry!.id)).body.error.code).toBe('already_reversed');
  });

  it('gives reinstated points the expiry the reversal names, and refuses one in the past', async () => {
    const memberId = await newMember();
    await earn(memberId, 30, inDays(1));
    app.clock.advance(DAY);
    await app.tessera.services.ledger.expireDue();
    const expiry = (await historyOf(memberId)).find((t) => t.kind === 'expire')!;

    const past = await reverse(expiry.id, { reason: 'goodwill', expiresAt: inDays(-1) });
    expect(past.status).toBe(400);
    expect(past.body.error).toMatchObject({ code: 'parameter_invalid', param: 'expiresAt' });
    expect(await balanceOf(memberId)).toBe(0);

    const until = inDays(30);
    const reversal = transactionOf(await reverse(expiry.id, { reason: 'goodwill', expiresAt: until }));
    expect(await lotOf(memberId, reversal.id)).toMatchObject({ remaining: 30, expiresAt: until });
    app.clock.advance(30 * DAY);
    await app.tessera.services.ledger.expireDue();
    expect(await balanceOf(memberId)).toBe(0);
  });

  it('a spend reversed after its lot lapsed gets its points back in a new lot, which the next expiry run leaves alone', async () => {
    const memberId = await newMember();
    const expiresAt = inDays(1);
    const lot = await earn(memberId, 50, expiresAt);
    const spent = await spend(memberId, 20);
    app.clock.advance(DAY);
    await app.tessera.services.ledger.expireDue();
    expect(await balanceOf(memberId)).toBe(0);

    const reversal = transactionOf(await reverse(spent.id));
    expect(await lotOf(memberId, lot.id)).toMatchObject({ remaining: 0, expiresAt });
    expect(await lotOf(memberId, reversal.id)).toMatchObject({ remaining: 20, expiresAt: null });
    expect(await balanceOf(memberId)).toBe(20);
    await app.tessera.services.ledger.expireDue();
    expect(await balanceOf(memberId)).toBe(20);
    expect((await historyOf(memberId)).filter((t) => t.kind === 'expire').map((t) => t.points)).toEqual([-30]);
  });
});
