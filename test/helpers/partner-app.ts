import { createTessera } from '../../src/main.js';
import { ManualClock } from '../../src/platform/clock.js';
import type { RateLimits } from '../../src/platform/config.js';
import type { TestApp, TestResponse } from './app.js';
import { freshDatabase } from './database.js';

/** Like startTestApp, with config overrides (rate limits) for the partner tests. */
export async function startPartnerApp(options: { rateLimits?: Partial<RateLimits> } = {}): Promise<TestApp> {
  const database = await freshDatabase();
  const clock = new ManualClock(Date.UTC(2026, 10, 24, 12));
  const config = { ...database.config, ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}) };
  const tessera = await createTessera(config, { clock, logger: false });
  const adminKey = database.config.adminKey!;
  return {
    tessera,
    database,
    clock,
    adminKey,
    async call(method, url, body, headers = {}): Promise<TestResponse> {
      const response = await tessera.app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${adminKey}`, ...headers },
        ...(body === undefined ? {} : { payload: body as object }),
      });
      let parsed: unknown = response.body;
      try {
        parsed = JSON.parse(response.body);
      } catch {
        // not JSON
      }
      return { status: response.statusCode, body: parsed, headers: response.headers };
    },
    async close() {
      await tessera.close();
      await database.drop();
    },
  };
}

/** Headers that authenticate as `key`. */
export const as = (key: string) => ({ authorization: `Bearer ${key}` });
