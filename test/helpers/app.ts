import type { LightMyRequestResponse } from 'fastify';
import { createTessera, type Tessera } from '../../src/main.js';
import { ManualClock, type Clock } from '../../src/platform/clock.js';
import type { Config } from '../../src/platform/config.js';
import { freshDatabase, type FreshDatabase } from './database.js';

export interface TestApp {
  tessera: Tessera;
  database: FreshDatabase;
  clock: ManualClock;
  adminKey: string;
  /** A request through Fastify's inject, authenticated as admin unless headers say otherwise. */
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface TestResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read whatever came back
  headers: LightMyRequestResponse['headers'];
}

export async function startTestApp(options: { clock?: Clock; config?: Partial<Config> } = {}): Promise<TestApp> {
  const database = await freshDatabase();
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock(Date.UTC(2026, 10, 24, 12));
  const tessera = await createTessera({ ...database.config, ...options.config }, { clock, logger: false });
  const adminKey = database.config.adminKey!;
  return {
    tessera,
    database,
    clock,
    adminKey,
    async call(method, url, body, headers = {}) {
      const response = await tessera.app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${adminKey}`, ...headers },
        ...(body === undefined ? {} : typeof body === 'string' ? { payload: body, headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}`, ...headers } } : { payload: body as object }),
      });
      let parsed: unknown = response.body;
      try {
        parsed = JSON.parse(response.body);
      } catch {
        // not JSON: left as text
      }
      return { status: response.statusCode, body: parsed, headers: response.headers };
    },
    async close() {
      await tessera.close();
      await database.drop();
    },
  };
}

/** Creates a member and returns its id. */
export async function createMember(app: TestApp, externalId: string, points = 0): Promise<string> {
  const created = await app.call('POST', '/v1/members', { externalId });
  if (created.status !== 201) throw new Error(`member not created: ${JSON.stringify(created.body)}`);
  if (points > 0) {
    const earned = await app.call('POST', `/v1/members/${created.body.id}/points/earn`, { points, reason: 'setup' });
    if (earned.status !== 201) throw new Error(`points not earned: ${JSON.stringify(earned.body)}`);
  }
  return created.body.id as string;
}
