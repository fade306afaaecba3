import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCodeFile } from '../src/pools/index.js';
import { csvFields } from '../src/pools/import-code-file.js';
import { startTestApp, type TestApp } from './helpers/app.js';

let app: TestApp;
let dir: string;
beforeAll(async () => {
  app = await startTestApp();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-import-'));
});
afterAll(async () => {
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function newPool(): Promise<string> {
  const res = await app.call('POST', '/v1/pools', { name: 'import', unitCost: { amount: 1500, currency: 'CNY' } });
  return res.body.id as string;
}

function write(name: string, parts: Array<string | Buffer>): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p))));
  return file;
}

describe('importing a file of codes', () => {
  it('reports duplicates, blank lines, huge lines and bad encodings, and imports the rest', async () => {
    const poolId = await newPool();
    await app.call('POST', `/v1/pools/${poolId}/codes`, { codes: ['ALREADY-IN-POOL'] });
    const file = write('codes.txt', [
      'CODE-0001\n', // 1
      'CODE-0002\r\n', // 2: CRLF
      '\n', // 3: blank
      '   \n', // 4: blank
      'CODE-0001\n', // 5: duplicate in file
      'ALREADY-IN-POOL\n', // 6: duplicate of the pool
      'X'.repeat(5 * 1024 * 1024), // 7: a 5 MB line
      '\n',
      Buffer.from([0x43, 0xff, 0xfe, 0x44, 0x0a]), // 8: invalid UTF-8
      'C\u0007DE\n', // 9: control character
      '  CODE-0003  \n', // 10: trimmed
      'Ünïcödé-码-0004\n', // 11: valid UTF-8
      'CODE-0005', // 12: last line without a newline
    ]);
    const progress: number[] = [];
    const report = await importCodeFile(app.tessera.db, app.tessera.services.pools, poolId, file, {
      chunkSize: 2,
      onProgress: (done) => progress.push(done),
    });
    expect(report).toMatchObject({
      lines: 12,
      imported: 5,
      duplicates: 2,
      rejected: { blank: 2, too_long: 1, bad_encoding: 1, control_characters: 1 },
    });
    expect(report.rejectedLines).toEqual([
      { line: 3, reason: 'blank' },
      { line: 4, reason: 'blank' },
      { line: 7, reason: 'too_long' },
      { line: 8, reason: 'bad_encoding' },
      { line: 9, reason: 'control_characters' },
    ]);
    expect(progress.at(-1)).toBe(fs.statSync(file).size);
    const pool = await app.call('GET', `/v1/pools/${poolId}`);
    expect(pool.body).toMatchObject({ total: 6, available: 6 });
    const batches = await app.call('GET', `/v1/pools/${poolId}/batches`);
    expect(batches.body.data[1]).toMatchObject({ id: report.batchId, total: 5, duplicates: 2 });

    const issued: string[] = [];
    for (let i = 0; i < 6; i++) {
      const claimed = await app.tessera.db.write((tx) => app.tessera.services.pools.claimCode(tx, poolId, `imp-${i}`));
      issued.push(claimed!.code);
    }
    expect(issued.sort()).toEqual(['ALREADY-IN-POOL', 'CODE-0001', 'CODE-0002', 'CODE-0003', 'CODE-0005', 'Ünïcödé-码-0004'].sort());
  });

  it('reads CSV: the "code" column by header, quoted fields, a BOM', async () => {
    expect(csvFields('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
    const poolId = await newPool();
    const file = write('codes.csv', ['\uFEFFserial,code,value\n', '1,"CSV-1",15\n', '2,CSV-2,15\n', '3,"",15\n', '4,"CSV,3",15\n', '5,CSV-2,15\n']);
    const report = await importCodeFile(app.tessera.db, app.tessera.services.pools, poolId, file);
    expect(report).toMatchObject({ lines: 6, imported: 3, duplicates: 1, rejected: { blank: 1 } });
  });

  it('imports tens of thousands of codes by chunks', async () => {
    const poolId = await newPool();
    const count = 50_000;
    const lines: string[] = [];
    for (let i = 0; i < count; i++) lines.push(`BULK-${i.toString(36).toUpperCase().padStart(8, '0')}\n`);
    lines.push('BULK-00000000\n');
    const file = write('bulk.txt', lines);
    const started = Date.now();
    const report = await importCodeFile(app.tessera.db, app.tessera.services.pools, poolId, file);
    const seconds = (Date.now() - started) / 1000;
    console.log(`[${app.database.engine}] imported ${count} codes in ${seconds.toFixed(2)} s (${Math.round(count / seconds)}/s)`);
    expect(report).toMatchObject({ imported: count, duplicates: 1 });
    expect((await app.call('GET', `/v1/pools/${poolId}`)).body.available).toBe(count);
  });

  it('runs as `tessera pools import POOL FILE` and prints the report', async () => {
    const poolId = await newPool();
    const file = write('cli.txt', ['CLI-1\n', 'CLI-2\n', 'CLI-1\n', '\n', 'CLI-3\n']);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'pools', 'import', poolId, file, '--unit-cost', '1200', '--supplier', 'wholesaler'],
      {
        env: {
          ...process.env,
          TESSERA_DATA_DIR: app.database.config.dataDir,
          DATABASE_URL: app.database.config.databaseUrl ?? '',
          TESSERA_ADMIN_KEY: app.adminKey,
          TESSERA_DEMO: '0',
        },
      },
    );
    expect(stdout).toMatch(/imported\s+3/);
    expect(stdout).toMatch(/duplicates\s+1/);
    expect(stdout).toMatch(/rejected\s+1 .*blank 1/);
    const batches = await app.call('GET', `/v1/pools/${poolId}/batches`);
    expect(batches.body.data[0]).toMatchObject({ total: 3, supplier: 'wholesaler', unitCost: { amount: 1200, currency: 'CNY' } });
    // The CLI sealed codes with the same key: they are issued intact.
    const claimed = await app.tessera.db.write((tx) => app.tessera.services.pools.claimCode(tx, poolId, 'cli-claim'));
    expect(['CLI-1', 'CLI-2', 'CLI-3']).toContain(claimed!.code);
  });
});
