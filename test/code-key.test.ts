import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTessera } from '../src/main.js';
import { freshDatabase, type FreshDatabase } from './helpers/database.js';

let database: FreshDatabase;
beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(async () => {
  await database.drop();
});

it('refuses to start a node whose code key differs from the installation’s, and starts with the same key', async () => {
  const keyA = randomBytes(32).toString('hex');
  const keyB = randomBytes(32).toString('hex');
  const first = await createTessera({ ...database.config, codeKey: keyA }, { logger: false });
  await first.close();

  await expect(createTessera({ ...database.config, codeKey: keyB }, { logger: false })).rejects.toThrow(/TESSERA_CODE_KEY/);

  const again = await createTessera({ ...database.config, codeKey: keyA }, { logger: false });
  const check = await again.db.read.selectFrom('code_key_check').selectAll().execute();
  expect(check).toHaveLength(1);
  expect(check[0]!.check_value).not.toContain(keyA);
  await again.close();
});
