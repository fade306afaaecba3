import path from 'node:path';

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  adminKey: string | undefined;
  demo: boolean;
  logLevel: string;
  /** Concurrent group-commit writers; SQLite always has one. */
  pgWriters: number;
  /** TESSERA_CODE_KEY: 32 bytes (64 hex or base64) that encrypt partner codes at rest; unset: a key file in dataDir. */
  codeKey?: string | undefined;
  /** Per-key token buckets (TESSERA_RATE_LIMIT_*); unset parts take the defaults of src/auth/rate-limit.ts. */
  rateLimits?: Partial<RateLimits> | undefined;
  /** Analytics: cost of one point in minor units (TESSERA_POINT_COST, default 1: 1 point = 1 fen) and its currency (TESSERA_POINT_COST_CURRENCY, default CNY). */
  pointCost?: number | undefined;
  pointCostCurrency?: string | undefined;
}

/** A token bucket: `perSecond` tokens added each second up to `burst`; perSecond 0 turns the limit off. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

export interface RateLimits {
  operator: RateLimit;
  partner: RateLimit;
  /** Code look-ups, on top of the key's own bucket: strict, against guessing. */
  lookup: RateLimit;
}

/** `100/s`, `10/min` or `3600/h`, with an optional burst (`10/min,20`); `off` (or `0`) for no limit. */
export function parseRateLimit(value: string | undefined, name: string): RateLimit | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'off' || value === '0') return { perSecond: 0, burst: 0 };
  const match = /^(\d+(?:\.\d+)?)\/(s|min|h)(?:,(\d+))?$/.exec(value.trim());
  if (!match) throw new Error(`${name} must look like 100/s, 10/min or 3600/h (optionally ,BURST), or off; got '${value}'`);
  const perSecond = Number(match[1]) / { s: 1, min: 60, h: 3600 }[match[2] as 's' | 'min' | 'h'];
  const burst = match[3] !== undefined ? Number(match[3]) : Math.max(1, Math.ceil(perSecond * 2));
  return { perSecond, burst };
}

function intFrom(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${value}'`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    port: intFrom(env.PORT, 8080, 'PORT'),
    host: env.HOST || '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.TESSERA_DATA_DIR || './data'),
    adminKey: env.TESSERA_ADMIN_KEY || undefined,
    demo: env.TESSERA_DEMO !== '0',
    logLevel: env.LOG_LEVEL || 'info',
    pgWriters: intFrom(env.TESSERA_PG_WRITERS, 4, 'TESSERA_PG_WRITERS') || 4,
    codeKey: env.TESSERA_CODE_KEY || undefined,
    pointCost: intFrom(env.TESSERA_POINT_COST, 1, 'TESSERA_POINT_COST'),
    pointCostCurrency: env.TESSERA_POINT_COST_CURRENCY || 'CNY',
    rateLimits: Object.fromEntries(
      (
        [
          ['operator', parseRateLimit(env.TESSERA_RATE_LIMIT_OPERATOR, 'TESSERA_RATE_LIMIT_OPERATOR')],
          ['partner', parseRateLimit(env.TESSERA_RATE_LIMIT_PARTNER, 'TESSERA_RATE_LIMIT_PARTNER')],
          ['lookup', parseRateLimit(env.TESSERA_RATE_LIMIT_LOOKUP, 'TESSERA_RATE_LIMIT_LOOKUP')],
        ] as const
      ).filter(([, limit]) => limit !== undefined),
    ) as Partial<RateLimits>,
  };
}
