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
  };
}
