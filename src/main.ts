import path from 'node:path';
import { ApiKeyService, ApiKeyStore, apiKeyRoutes, type CreatedKey } from './auth/index.js';
import { LedgerService, LedgerStore, ledgerRoutes } from './ledger/index.js';
import { MemberService, MemberStore, memberRoutes } from './members/index.js';
import { migrateToLatest } from './migrations/index.js';
import { systemClock, type Clock } from './platform/clock.js';
import type { Config } from './platform/config.js';
import { openDatabase } from './platform/db.js';
import { authenticateV1, createHttpServer, makeEffect, type HttpServer } from './platform/http.js';
import { Idempotency } from './platform/idempotency.js';
import { Scheduler } from './platform/scheduler.js';
import type { Db, Tables } from './schema.js';
import { VERSION } from './version.js';

export interface Services {
  members: MemberService;
  ledger: LedgerService;
  apiKeys: ApiKeyService;
  idempotency: Idempotency;
}

export interface Tessera {
  config: Config;
  clock: Clock;
  db: Db;
  app: HttpServer;
  services: Services;
  scheduler: Scheduler;
  /** Set on a first start that generated an admin key: the only time its secret exists in the clear. */
  initialAdminKey: CreatedKey | undefined;
  close(): Promise<void>;
}

export interface CreateOptions {
  clock?: Clock;
  logger?: boolean;
}

export function sqliteFileFor(config: Config): string {
  return path.join(config.dataDir, 'tessera.db');
}

/** The composition root: config → database → stores → services → HTTP and jobs. */
export async function createTessera(config: Config, options: CreateOptions = {}): Promise<Tessera> {
  const clock = options.clock ?? systemClock;
  const db = await openDatabase<Tables>({
    databaseUrl: config.databaseUrl,
    sqliteFile: sqliteFileFor(config),
    pgWriters: config.pgWriters,
  });
  try {
    await migrateToLatest(db.admin, db.engine);
  } catch (error) {
    await db.close();
    throw error;
  }

  const ledger = new LedgerService(db, new LedgerStore(db.engine), clock);
  const members = new MemberService(db, new MemberStore(), ledger, clock);
  const apiKeys = new ApiKeyService(db, new ApiKeyStore(), clock, config.adminKey);
  const idempotency = new Idempotency(db, clock);
  const initialAdminKey = await apiKeys.ensureInitialAdminKey();

  const app = await createHttpServer({
    logger: options.logger === false ? false : { level: config.logLevel },
    version: VERSION,
  });
  app.get('/health', { schema: { hide: true } }, () => ({ status: 'ok' }));
  app.addHook('onRequest', authenticateV1((header) => apiKeys.authenticate(header)));
  const effect = makeEffect(idempotency, db.write);
  memberRoutes(app, members, effect);
  ledgerRoutes(app, ledger, effect);
  apiKeyRoutes(app, apiKeys, effect);

  const scheduler = new Scheduler(app.log);

  return {
    config,
    clock,
    db,
    app,
    services: { members, ledger, apiKeys, idempotency },
    scheduler,
    initialAdminKey,
    async close() {
      await scheduler.stop();
      await app.close();
      await db.close();
    },
  };
}

/** Background work of a serving node. */
export function startJobs(tessera: Tessera): void {
  const { scheduler, services } = tessera;
  scheduler.every('points-expiry', 60_000, () => services.ledger.expireDue());
  scheduler.every('idempotency-purge', 60 * 60_000, () => services.idempotency.purgeExpired());
}
