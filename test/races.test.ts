import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTessera, type Tessera } from '../src/main.js';
import { startTestApp, type TestApp } from './helpers/app.js';
import { checkLedger } from './helpers/ledger-invariants.js';

// Real concurrency: many requests in flight at once against a listening server, over real
// sockets, so they reach the group-commit writer together (several writers on PostgreSQL).

interface HttpAnswer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read whatever came back
  headers: Headers;
}

let app: TestApp;
let base: string;

async function http(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  at = base,
): Promise<HttpAnswer> {
  const res = await fetch(`${at}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${app.adminKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: kept as text so a failing assertion shows it
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

let memberCounter = 0;
async function newMember(points = 0): Promise<string> {
  const created = await http('POST', '/v1/members', { externalId: `race-${++memberCounter}` });
  expect(created.status).toBe(201);
  if (points > 0) {
    const earned = await http('POST', `/v1/members/${created.body.id}/points/earn`, { points, reason: 'setup' });
    expect(earned.status).toBe(201);
  }
  return created.body.id as string;
}

async function balanceOf(memberId: string): Promise<number> {
  const res = await http('GET', `/v1/members/${memberId}/points`);
  expect(res.status).toBe(200);
  return res.body.balance as number;
}

async function transactionCount(memberId: string, kind?: string): Promise<number> {
  let query = app.tessera.db.read
    .selectFrom('ledger_transactions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('member_id', '=', memberId);
  if (kind) query = query.where('kind', '=', kind);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

function tally(answers: HttpAnswer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const label = a.status < 300 ? String(a.status) : `${a.status} ${a.body?.error?.code ?? JSON.stringify(a.body)}`;
    counts[label] = (counts[label] ?? 0) + 1;
  }
  return counts;
}

async function expectCleanLedger(): Promise<void> {
  expect(await checkLedger(app.tessera.db)).toEqual({ unbalancedTransactions: 0, negativeBalances: 0, mismatchedBalances: 0 });
}

beforeAll(async () => {
  app = await startTestApp();
  base = await app.tessera.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await app?.close();
});

describe('races through a listening server', () => {
  it('64 simultaneous spends of the whole balance: exactly one wins, the rest are 422', async () => {
    for (let round = 0; round < 3; round++) {
      const memberId = await newMember(500);
      const answers = await Promise.all(
        Array.from({ length: 64 }, () => http('POST', `/v1/members/${memberId}/points/spend`, { points: 500, reason: 'all in' })),
      );
      expect(tally(answers)).toEqual({ '201': 1, '422 insufficient_points': 63 });
      expect(await balanceOf(memberId)).toBe(0);
      expect(await transactionCount(memberId, 'spend')).toBe(1);
    }
    await expectCleanLedger();
  });

  it('64 simultaneous spends of a tenth of the balance: exactly ten win', async () => {
    const memberId = await newMember(100);
    const answers = await Promise.all(
      Array.from({ length: 64 }, () => http('POST', `/v1/members/${memberId}/points/spend`, { points: 10, reason: 'a tenth' })),
    );
    expect(tally(answers)).toEqual({ '201': 10, '422 insufficient_points': 54 });
    expect(await balanceOf(memberId)).toBe(0);
    expect(await transactionCount(memberId, 'spend')).toBe(10);
    await expectCleanLedger();
  });

  it('20 simultaneous identical requests with one Idempotency-Key take effect once', async () => {
    for (const [kind, points] of [
      ['earn', 25],
      ['spend', 40],
    ] as const) {
      const memberId = await newMember(100);
      const key = `same-${kind}-${memberId}`;
      const send = () =>
        http('POST', `/v1/members/${memberId}/points/${kind}`, { points, reason: 'once' }, { 'idempotency-key': key });
      const answers = await Promise.all(Array.from({ length: 20 }, send));

      const created = answers.filter((a) => a.status === 201);
      const busy = answers.filter((a) => a.status === 409);
      expect(created.length + busy.length, JSON.stringify(tally(answers))).toBe(20);
      expect(created.length).toBeGreaterThanOrEqual(1);
      for (const a of created) expect(a.body).toEqual(created[0]!.body);
      for (const a of busy) {
        expect(a.body.error.code).toBe('idempotency_key_in_use');
        expect(a.headers.get('retry-after')).toMatch(/^\d+$/);
      }
      // The setup earn and this one.
      expect(await transactionCount(memberId)).toBe(2);
      expect(await balanceOf(memberId)).toBe(kind === 'earn' ? 125 : 60);

      // Once the first has finished, the key replays it.
      const again = await send();
      expect(again.status).toBe(201);
      expect(again.body).toEqual(created[0]!.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    }
    await expectCleanLedger();
  });

  it('simultaneous idempotent spends that cannot all be paid: the key records one answer', async () => {
    // 30 points, a spend of 20 under one key sent 20 times, and other spends of 20 racing it.
    const memberId = await newMember(30);
    const keyed = () =>
      http('POST', `/v1/members/${memberId}/points/spend`, { points: 20, reason: 'keyed' }, { 'idempotency-key': `k-${memberId}` });
    const plain = () => http('POST', `/v1/members/${memberId}/points/spend`, { points: 20, reason: 'plain' });
    const answers = await Promise.all([...Array.from({ length: 20 }, keyed), ...Array.from({ length: 20 }, plain)]);
    const keyedAnswers = answers.slice(0, 20);
    const plainAnswers = answers.slice(20);

    for (const a of keyedAnswers) expect([201, 409, 422], JSON.stringify(a.body)).toContain(a.status);
    for (const a of plainAnswers) expect([201, 422], JSON.stringify(a.body)).toContain(a.status);
    const decided = keyedAnswers.filter((a) => a.status !== 409);
    expect(decided.length).toBeGreaterThanOrEqual(1);
    for (const a of decided) expect(a).toMatchObject({ status: decided[0]!.status, body: decided[0]!.body });
    for (const a of keyedAnswers.filter((x) => x.status === 409)) expect(a.body.error.code).toBe('idempotency_key_in_use');

    const wins = answers.filter((a) => a.status === 201);
    // Idempotent replays of one success share a transaction id.
    const distinctWins = new Set(wins.map((a) => a.body.id));
    expect(distinctWins.size).toBe(1);
    expect(await transactionCount(memberId, 'spend')).toBe(1);
    expect(await balanceOf(memberId)).toBe(10);
    await expectCleanLedger();
  });

  it('two concurrent reversals of one transaction: one succeeds, the other is 409 already_reversed', async () => {
    const memberId = await newMember(1000);
    // Transactions of every kind that can be reversed, each reversed twice at once, all at once.
    const originals: string[] = [];
    for (let i = 0; i < 8; i++) {
      const earn = await http('POST', `/v1/members/${memberId}/points/earn`, { points: 10 + i, reason: `earn ${i}` });
      const spend = await http('POST', `/v1/members/${memberId}/points/spend`, { points: 5 + i, reason: `spend ${i}` });
      expect([earn.status, spend.status]).toEqual([201, 201]);
      originals.push(earn.body.id, spend.body.id);
    }
    const before = await balanceOf(memberId);
    const answers = await Promise.all(
      originals.flatMap((id) => [
        http('POST', `/v1/points/transactions/${id}/reverse`, { reason: 'first' }),
        http('POST', `/v1/points/transactions/${id}/reverse`, { reason: 'second' }),
      ]),
    );
    let expected = before;
    for (let i = 0; i < originals.length; i++) {
      const pair = [answers[2 * i]!, answers[2 * i + 1]!];
      expect(pair.map((a) => a.status).sort(), JSON.stringify(pair.map((a) => a.body))).toEqual([201, 409]);
      const won = pair.find((a) => a.status === 201)!;
      const lost = pair.find((a) => a.status === 409)!;
      expect(lost.body.error.code).toBe('already_reversed');
      expect(won.body).toMatchObject({ kind: 'reversal', reversesId: originals[i] });
      expected += won.body.points as number;
      const original = await http('GET', `/v1/points/transactions/${originals[i]}`);
      expect(original.body.reversedBy).toBe(won.body.id);
    }
    expect(await transactionCount(memberId, 'reversal')).toBe(originals.length);
    expect(await balanceOf(memberId)).toBe(expected);
    expect(expected).toBe(1000);
    await expectCleanLedger();
  });

  it('five concurrent reversals of one earn, some with one Idempotency-Key: one reversal only', async () => {
    const memberId = await newMember(0);
    const earn = await http('POST', `/v1/members/${memberId}/points/earn`, { points: 70, reason: 'to undo' });
    const path = `/v1/points/transactions/${earn.body.id}/reverse`;
    const answers = await Promise.all([
      http('POST', path, {}),
      http('POST', path, {}),
      http('POST', path, {}, { 'idempotency-key': 'undo-once' }),
      http('POST', path, {}, { 'idempotency-key': 'undo-once' }),
      http('POST', path, {}, { 'idempotency-key': 'undo-twice' }),
    ]);
    for (const a of answers) expect([201, 409], JSON.stringify(a.body)).toContain(a.status);
    for (const a of answers.filter((x) => x.status === 409)) {
      expect(['already_reversed', 'idempotency_key_in_use']).toContain(a.body.error.code);
    }
    expect(new Set(answers.filter((a) => a.status === 201).map((a) => a.body.id)).size).toBe(1);
    expect(await transactionCount(memberId, 'reversal')).toBe(1);
    expect(await balanceOf(memberId)).toBe(0);
    await expectCleanLedger();
  });

  it('many concurrent earns, spends and reversals across members: balances equal the successes', async () => {
    const members = await Promise.all(Array.from({ length: 6 }, () => newMember(50)));
    const expected = new Map(members.map((m) => [m, 50]));
    const succeeded: Array<{ id: string; memberId: string; kind: string }> = [];
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let created = 0;
    for (let wave = 0; wave < 6; wave++) {
      const requests: Array<Promise<HttpAnswer>> = [];
      for (let i = 0; i < 64; i++) {
        const memberId = members[random(members.length)]!;
        const roll = random(10);
        if (roll < 4) {
          requests.push(http('POST', `/v1/members/${memberId}/points/earn`, { points: 1 + random(40), reason: 'wave earn' }));
        } else if (roll < 8) {
          requests.push(http('POST', `/v1/members/${memberId}/points/spend`, { points: 1 + random(60), reason: 'wave spend' }));
        } else if (succeeded.length > 0) {
          // Sometimes one already reversed, sometimes the same one twice in this wave.
          const target = succeeded[random(succeeded.length)]!;
          requests.push(http('POST', `/v1/points/transactions/${target.id}/reverse`, { reason: 'wave reversal' }));
        } else {
          requests.push(http('GET', `/v1/members/${memberId}/points`));
        }
      }
      for (const answer of await Promise.all(requests)) {
        if (answer.status === 200) continue;
        if (answer.status === 201) {
          created++;
          expected.set(answer.body.memberId, expected.get(answer.body.memberId)! + (answer.body.points as number));
          if (answer.body.kind !== 'reversal') succeeded.push({ id: answer.body.id, memberId: answer.body.memberId, kind: answer.body.kind });
          continue;
        }
        // The only refusals a correct ledger may give here.
        expect(
          [
            '422 insufficient_points',
            '409 already_reversed',
          ],
          JSON.stringify(answer.body),
        ).toContain(`${answer.status} ${answer.body?.error?.code}`);
      }
    }
    expect(created).toBeGreaterThan(100);
    for (const memberId of members) expect(await balanceOf(memberId)).toBe(expected.get(memberId));
    let total = 0;
    for (const memberId of members) total += await transactionCount(memberId);
    expect(total).toBe(created + members.length /* the setup earns */);
    await expectCleanLedger();
  });
});

describe('idempotency across two nodes on one PostgreSQL database', () => {
  let second: Tessera | undefined;
  let secondBase = '';
  beforeAll(async () => {
    if (app.database.engine !== 'postgres') return;
    second = await createTessera(app.database.config, { clock: app.clock, logger: false });
    secondBase = await second.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await second?.close();
  });

  it('the same key sent to both nodes at once takes effect once', async (context) => {
    if (!second) return context.skip();
    for (let round = 0; round < 5; round++) {
      const memberId = await newMember(100);
      const key = `two-nodes-${round}`;
      const send = (at: string) =>
        http('POST', `/v1/members/${memberId}/points/spend`, { points: 60, reason: 'two nodes' }, { 'idempotency-key': key }, at);
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => send(i % 2 === 0 ? base : secondBase)));
      const created = answers.filter((a) => a.status === 201);
      expect(created.length + answers.filter((a) => a.status === 409).length, JSON.stringify(tally(answers))).toBe(20);
      expect(created.length).toBeGreaterThanOrEqual(1);
      for (const a of created) expect(a.body).toEqual(created[0]!.body);
      for (const a of answers.filter((x) => x.status === 409)) expect(a.body.error.code).toBe('idempotency_key_in_use');
      expect(await transactionCount(memberId, 'spend')).toBe(1);
      expect(await balanceOf(memberId)).toBe(40);
    }
    await expectCleanLedger();
  });

  it('64 spends of the whole balance split over both nodes: exactly one wins', async (context) => {
    if (!second) return context.skip();
    const memberId = await newMember(300);
    const answers = await Promise.all(
      Array.from({ length: 64 }, (_, i) =>
        http('POST', `/v1/members/${memberId}/points/spend`, { points: 300, reason: 'both nodes' }, {}, i % 2 === 0 ? base : secondBase),
      ),
    );
    expect(tally(answers)).toEqual({ '201': 1, '422 insufficient_points': 63 });
    expect(await balanceOf(memberId)).toBe(0);
    await expectCleanLedger();
  });
});
