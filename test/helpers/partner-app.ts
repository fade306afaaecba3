import type { RateLimits } from '../../src/platform/config.js';
import { startTestApp, type TestApp } from './app.js';

/** Like startTestApp, with rate limits of the test's choosing. */
export function startPartnerApp(options: { rateLimits?: Partial<RateLimits> } = {}): Promise<TestApp> {
  return startTestApp({ config: { rateLimits: options.rateLimits } });
}

/** Headers that authenticate as `key`. */
export const as = (key: string) => ({ authorization: `Bearer ${key}` });
