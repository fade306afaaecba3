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
});
