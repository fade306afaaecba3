import path from 'node:path';
import { ApiKeyService, ApiKeyStore, apiKeyRoutes, installAccessControl, RateLimiter, type CreatedKey } from './auth/index.js';
import { ActivationService, PartnerService, PartnerStore, partnerRoutes } from './partners/index.js';
import { LedgerService, LedgerStore, ledgerRoutes } from './ledger/index.js';
import { MemberService, MemberStore, memberRoutes } from './members/index.js';
import { LoyaltyService, LoyaltyStore, loyaltyRoutes } from './loyalty/index.js';
import { OrderService, OrderStore, orderRoutes } from './orders/index.js';
import { BenefitService, BenefitStore, benefitRoutes } from './benefits/index.js';
import { PlanService, PlanStore, planRoutes } from './plans/index.js';
import { JointService, JointStore, jointRoutes } from './joint/index.js';
import { ManualPayments, SubscriptionService, SubscriptionStore, subscriptionRoutes, type PaymentGateway } from './subscriptions/index.js';
import { CodeVault, loadCodeKey, PoolService, PoolStore, poolRoutes } from './pools/index.js';
import { Outbox } from './platform/outbox.js';
import { RolloutService, RolloutStore, rolloutRoutes } from './rollouts/index.js';
import { CatalogService, CatalogStore, catalogRoutes } from './catalog/index.js';
import { RedemptionService, RedemptionStore, redemptionRoutes } from './redemptions/index.js';
import { WebhookService, WebhookStore, webhookRoutes } from './webhooks/index.js';
import { consoleRoutes } from './console/index.js';
import { AnalyticsService, AnalyticsStore, analyticsRoutes } from './analytics/index.js';
import { migrateToLatest } from './migrations/index.js';
import { systemClock, type Clock } from './platform/clock.js';
import type { Config } from './platform/config.js';
import { openDatabase } from './platform/db.js';
import { createHttpServer, makeEffect, type HttpServer } from './platform/http.js';
import { Idempotency } from './platform/idempotency.js';
import { Scheduler } from './platform/scheduler.js';
import type { Db, Tables } from './schema.js';
import { VERSION } from './version.js';

export interface Services {
  members: MemberService;
  ledger: LedgerService;
  apiKeys: ApiKeyService;
  idempotency: Idempotency;
  loyalty: LoyaltyService;
  orders: OrderService;
  benefits: BenefitService;
  plans: PlanService;
  subscriptions: SubscriptionService;
  joint: JointService;
  pools: PoolService;
  rollouts: RolloutService;
  catalog: CatalogService;
  redemptions: RedemptionService;
  partners: PartnerService;
  activations: ActivationService;
  webhooks: WebhookService;
  analytics: AnalyticsService;
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
  /** The subscriptions' payment step; the embedded default records manual payments. */
  payments?: PaymentGateway;
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
  const loyalty = new LoyaltyService(db, new LoyaltyStore(db.engine), members, clock);
  members.useLoyaltyScores((reader, ids) => loyalty.scores(reader, ids));
  const orders = new OrderService(db, new OrderStore(db.engine), members, ledger, loyalty, clock);
  const apiKeys = new ApiKeyService(db, new ApiKeyStore(), clock, config.adminKey);
  const idempotency = new Idempotency(db, clock);
  const outbox = new Outbox(clock);
  const rollouts = new RolloutService(db, new RolloutStore(), members, clock);
  const codeVault = new CodeVault(loadCodeKey(config.codeKey, config.dataDir));
  const pools = new PoolService(db, new PoolStore(db.engine), codeVault, outbox, clock);
  const catalog = new CatalogService(db, new CatalogStore(), pools, rollouts, ledger, members, clock);
  const redemptions = new RedemptionService(db, new RedemptionStore(), catalog, pools, ledger, members, outbox, clock);
  // Webhook secrets are sealed with the code vault's key, like partner codes.
  const webhooks = new WebhookService(db, new WebhookStore(db.engine), codeVault, outbox, clock);
  const benefits = new BenefitService(db, new BenefitStore(), members, ledger, outbox, clock);
  ledger.useDebtSettlement((tx, memberId, points) => orders.settleDebt(tx, memberId, points));
  benefits.useCodeSource({
    poolExists: (reader, poolId) => pools.exists(reader, poolId),
    claimCode: (tx, poolId, ref) => pools.claimCode(tx, poolId, ref),
    revealCode: (tx, codeId, actor, reason) => pools.revealCode(tx, codeId, actor, reason),
  });
  const plans = new PlanService(db, new PlanStore(), members, loyalty, benefits, clock);
  const payments = options.payments ?? new ManualPayments();
  const subscriptionStore = new SubscriptionStore(db.engine);
  const subscriptions = new SubscriptionService(db, subscriptionStore, members, plans, loyalty, benefits, payments, clock, outbox);
  orders.usePlans({
    livePlans: (reader, memberId) => subscriptions.livePlanIds(reader, memberId),
    planExists: (reader, planId) => plans.exists(reader, planId),
  });
  const joint = new JointService(db, new JointStore(), plans, benefits, subscriptions, clock);
  subscriptions.useBundles(joint);
  const partnerStore = new PartnerStore();
  const activations = new ActivationService(db, partnerStore, benefits, outbox, clock);
  const partners = new PartnerService(db, partnerStore, apiKeys, members, pools, activations, clock);
  benefits.useActivations((tx, request) => activations.request(tx, request));
  benefits.useExclusivity((reader, offer) => partners.checkOffer(reader, offer));
  catalog.useExclusivity((reader, poolId) => partners.checkMallOffer(reader, poolId));
  pools.usePartnerCheck((reader, ref, param) => partners.checkPartnerRef(reader, ref, param));
  webhooks.usePartnerLookup(async (reader, ref) => (await partnerStore.findByRef(reader, ref))?.id);
  const analytics = new AnalyticsService(db, new AnalyticsStore(db.engine), clock, { pointCost: config.pointCost, pointCostCurrency: config.pointCostCurrency });
  try {
    await pools.verifyCodeKey();
  } catch (error) {
    await db.close();
    throw error;
  }
  const initialAdminKey = await apiKeys.ensureInitialAdminKey();

  const app = await createHttpServer({
    logger: options.logger === false ? false : { level: config.logLevel },
    version: VERSION,
  });
  app.get('/health', { schema: { hide: true } }, () => ({ status: 'ok' }));
  if (config.databaseUrl && !config.codeKey) {
    app.log.warn('TESSERA_CODE_KEY is not set: partner codes are encrypted with a key kept in this node\'s data folder; every node of a PostgreSQL installation needs the same key');
  }
  // Authentication, per-key rate limits and each route's declared access (src/auth/access.ts), before any route is added.
  installAccessControl(app, (header) => apiKeys.authenticate(header), new RateLimiter(clock, config.rateLimits));
  const effect = makeEffect(idempotency, db.write);
  memberRoutes(app, members, effect);
  ledgerRoutes(app, ledger, effect);
  apiKeyRoutes(app, apiKeys, effect);
  loyaltyRoutes(app, loyalty, effect);
  orderRoutes(app, orders, effect);
  benefitRoutes(app, benefits, effect);
  planRoutes(app, plans, effect);
  subscriptionRoutes(app, subscriptions, effect);
  jointRoutes(app, joint, effect);
  poolRoutes(app, pools, effect);
  rolloutRoutes(app, rollouts, effect);
  catalogRoutes(app, catalog, effect);
  redemptionRoutes(app, redemptions, effect);
  partnerRoutes(app, partners, activations, joint, effect);
  webhookRoutes(app, webhooks, effect);
  analyticsRoutes(app, analytics);
  await consoleRoutes(app);

  const scheduler = new Scheduler(app.log);

  return {
    config,
    clock,
    db,
    app,
    services: { members, ledger, apiKeys, idempotency, loyalty, orders, benefits, plans, subscriptions, joint, pools, rollouts, catalog, redemptions, webhooks, analytics, partners, activations },
    scheduler,
    initialAdminKey,
    async close() {
      await scheduler.stop();
      await webhooks.stop();
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
  scheduler.every('loyalty-recompute', 60 * 60_000, () => services.loyalty.recomputeAll());
  scheduler.every('subscription-renewals', 60_000, () => services.subscriptions.runDue());
  scheduler.every('partner-activations', 60_000, () => services.activations.runDue());
  scheduler.every('webhook-delivery', 1_000, () => services.webhooks.tick());
  scheduler.every('benefit-code-retries', 60_000, () => services.benefits.fulfilPendingCodes());
  scheduler.every('analytics-rollup', 60_000, () => services.analytics.refresh());
}
