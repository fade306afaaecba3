import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOrders, parseCsvLine } from '../src/orders/index.js';
import { createMember, startTestApp, type TestApp } from './helpers/app.js';

let app: TestApp;
let dir: string;
beforeAll(async () => {
  app = await startTestApp();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-import-'));
  await app.call('POST', '/v1/earning-rules', { name: 'base', kind: 'base', currency: 'CNY', pointsPerYuan: 1 });
});
afterAll(async () => {
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const run = (file: string, batchSize = 3) =>
  importOrders(app.tessera.db, app.tessera.services.orders, app.tessera.services.members, file, { batchSize });

describe('tessera import orders', () => {
  it('parses quoted CSV fields', () => {
    expect(parseCsvLine('a,"b,c","say ""hi""",')).toEqual(['a', 'b,c', 'say "hi"', '']);
  });

  it('imports good CSV rows and reports bad ones by line, none half-applied', async () => {
    const m = await createMember(app, 'csv-shopper');
    const file = path.join(dir, 'orders.csv');
    fs.writeFileSync(
      file,
      [
        'memberExternalId,externalId,amount,currency,category,paidAt',
        'csv-shopper,c-1,10000,CNY,"books, used",2026-11-01T10:00:00Z',
        'csv-shopper,c-2,12.5,CNY,,',
        'nobody,c-3,100,CNY,,',
        'csv-shopper,c-1,500,CNY,,',
        'csv-shopper,c-4,20000,CNY,,',
        'csv-shopper,c-5,100,yuan,,',
        'csv-shopper,c-6,100,CNY,,not-a-date',
        'csv-shopper,c-7,100',
        '',
        'csv-shopper,c-8,300,CNY,,',
      ].join('\n'),
    );
    const report = await run(file);
    expect(report).toMatchObject({ lines: 9, imported: 3, failed: 6 });
    expect(report.errors.map((e) => [e.line, e.code])).toEqual([
      [3, 'parameter_invalid'],
      [4, 'resource_missing'],
      [5, 'already_exists'],
      [7, 'parameter_invalid'],
      [8, 'parameter_invalid'],
      [9, 'parameter_invalid'],
    ]);
    const member = (await app.call('GET', `/v1/members/${m}`)).body;
    expect(member.pointsBalance).toBe(100 + 200 + 3);
    const orders = (await app.call('GET', `/v1/members/${m}/orders`)).body.data;
    expect(orders.map((o: { externalId: string }) => o.externalId).sort()).toEqual(['c-1', 'c-4', 'c-8']);
    expect(orders.find((o: { externalId: string }) => o.externalId === 'c-1').category).toBe('books, used');
  });

  it('imports JSON lines', async () => {
    const m = await createMember(app, 'json-shopper');
    const file = path.join(dir, 'orders.jsonl');
    fs.writeFileSync(
      file,
      [
        JSON.stringify({ memberId: m, externalId: 'j-1', amount: { amount: 5000, currency: 'CNY' } }),
        '{not json',
        JSON.stringify({ memberId: m, externalId: 'j-2', amount: 700, currency: 'CNY', bonus: 1 }),
        JSON.stringify({ memberId: m, externalId: 'j-3', amount: 700, currency: 'CNY' }),
      ].join('\n'),
    );
    const report = await run(file);
    expect(report).toMatchObject({ lines: 4, imported: 2, failed: 2 });
    expect(report.errors.map((e) => e.line)).toEqual([2, 3]);
    expect((await app.call('GET', `/v1/members/${m}`)).body.pointsBalance).toBe(57);
  });

  it('leaves every member exactly as placing the same orders one by one through the API would', async () => {
    await app.call('POST', '/v1/earning-rules', { name: 'books ×2', kind: 'category', category: 'books', multiplierBp: 20_000 });
    const DAY = 86_400_000;
    const now = app.clock.now();
    const people = ['a', 'b', 'c', 'debtor'];
    const viaApi: Record<string, string> = {};
    const viaImport: Record<string, string> = {};
    for (const p of people) {
      viaApi[p] = await createMember(app, `eq-api-${p}`);
      viaImport[p] = await createMember(app, `eq-imp-${p}`);
    }
    // Both debtors owe 400 points before the orders come in.
    for (const [id, prefix] of [[viaApi.debtor!, 'eq-api'], [viaImport.debtor!, 'eq-imp']] as const) {
      const o = await app.call('POST', '/v1/orders', { memberId: id, externalId: `${prefix}-debt`, amount: { amount: 50_000, currency: 'CNY' } });
      expect((await app.call('POST', `/v1/members/${id}/points/spend`, { points: 400, reason: 'mall' })).status).toBe(201);
      expect((await app.call('POST', `/v1/orders/${o.body.id}/refund`, {})).body.pointsDebt).toBe(400);
    }
    const orders: Array<{ who: string; n: number; amount: number; currency: string; category: string; paidAt: number }> = [];
    for (let n = 0; n < 60; n++) {
      orders.push({
        who: people[(n * 7) % people.length]!,
        n,
        amount: 99 + ((n * 7919) % 40_000),
        currency: n % 11 === 0 ? 'USD' : 'CNY',
        category: n % 3 === 0 ? 'books' : '',
        paidAt: now - ((n * 37) % 20) * DAY - n * 1000,
      });
    }
    for (const o of orders) {
      const res = await app.call('POST', '/v1/orders', {
        memberId: viaApi[o.who],
        externalId: `eq-api-${o.n}`,
        amount: { amount: o.amount, currency: o.currency },
        ...(o.category ? { category: o.category } : {}),
        paidAt: new Date(o.paidAt).toISOString(),
      });
      expect(res.status).toBe(201);
    }
    const file = path.join(dir, 'equivalence.csv');
    fs.writeFileSync(
      file,
      ['memberId,externalId,amount,currency,category,paidAt', ...orders.map((o) => `${viaImport[o.who]},eq-imp-${o.n},${o.amount},${o.currency},${o.category},${new Date(o.paidAt).toISOString()}`)].join('\n'),
    );
    expect(await run(file, 25)).toMatchObject({ imported: 60, failed: 0 });

    const state = async (id: string) => {
      const member = (await app.call('GET', `/v1/members/${id}`)).body;
      const spend = (await app.call('GET', `/v1/members/${id}/spend`)).body;
      const debt = (await app.call('GET', `/v1/members/${id}/points-debt`)).body.points;
      const list = (await app.call('GET', `/v1/members/${id}/orders?limit=100`)).body.data;
      const points = list.map((o: { externalId: string; pointsEarned: number }) => [o.externalId.replace(/^eq-(api|imp)-/, ''), o.pointsEarned]).sort();
      const loyalty = (await app.call('GET', `/v1/members/${id}/loyalty`)).body;
      return { balance: member.pointsBalance, score: member.loyaltyScore, breakdown: loyalty.breakdown, spend: JSON.stringify(spend).replaceAll(id, 'M'), debt, points };
    };
    for (const p of people) {
      const expected = await state(viaApi[p]!);
      expect(expected.points.length).toBeGreaterThan(1);
      expect(await state(viaImport[p]!), p).toEqual(expected);
    }
    expect((await state(viaImport.debtor!)).debt).toBe(0);

    // A refund of an imported order takes back its own points, like any order's.
    const imported = (await app.call('GET', `/v1/members/${viaImport.a}/orders?limit=100`)).body.data.find((o: { pointsEarned: number }) => o.pointsEarned > 10);
    const before = (await app.call('GET', `/v1/members/${viaImport.a}`)).body.pointsBalance;
    const refund = await app.call('POST', `/v1/orders/${imported.id}/refund`, {});
    expect(refund.body.pointsReversed).toBe(imported.pointsEarned);
    expect((await app.call('GET', `/v1/members/${viaImport.a}`)).body.pointsBalance).toBe(before - imported.pointsEarned);
  });
});
