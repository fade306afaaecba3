import { Command, InvalidArgumentError } from 'commander';
import { OPERATOR_ROLES, type OperatorRole } from './auth/index.js';
import { seedDemo } from './demo/demo-seed.js';
import { createTessera, sqliteFileFor, startJobs, type Tessera } from './main.js';
import { loadConfig } from './platform/config.js';
import { progressBar } from './platform/progress.js';
import { DEFAULT_BATCH_SIZE, importOrders } from './orders/index.js';
import { importCodeFile } from './pools/index.js';
import { VERSION } from './version.js';
import { ManualClock } from './platform/clock.js';
import { demoSimulationWanted, runDemoSimulation, simulate, type SimulationReport } from './simulator/index.js';

async function withTessera<T>(work: (t: Tessera) => Promise<T>): Promise<T> {
  const tessera = await createTessera(loadConfig(), { logger: false });
  try {
    return await work(tessera);
  } finally {
    await tessera.close();
  }
}

function printInitialKey(t: Tessera): void {
  if (!t.initialAdminKey) return;
  console.log('');
  console.log('  An admin API key was created. It is shown this once; keep it somewhere safe:');
  console.log('');
  console.log(`    ${t.initialAdminKey.secret}`);
  console.log('');
}

const whole = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number ≥ ${min}`);
  return n;
};

const program = new Command()
  .name('tessera')
  .description('Tessera: ecosystem memberships, loyalty-priced plans, points and the exchange mall')
  .version(VERSION);

program
  .command('serve')
  .description('run the API server (and seed the demo ecosystem on an empty database)')
  .action(async () => {
    const config = loadConfig();
    const tessera = await createTessera(config);
    const where = config.databaseUrl ? 'PostgreSQL' : `SQLite at ${sqliteFileFor(config)}`;
    if (config.demo) {
      const bar = progressBar('Seeding the demo ecosystem');
      const report = await seedDemo(tessera.db, tessera.services, tessera.clock, { onProgress: bar.update });
      bar.stop();
      if (report) console.log(`Demo ecosystem: ${report.members} members, ${report.transactions} ledger transactions.`);
      if (report && demoSimulationWanted()) {
        const simBar = progressBar('Simulating 120 days of the demo ecosystem (TESSERA_DEMO_SIMULATION=0 skips)');
        const sim = await runDemoSimulation(config, simBar.update);
        simBar.stop();
        printSimulation(sim);
      }
    }
    startJobs(tessera);
    const address = await tessera.app.listen({ port: config.port, host: config.host });
    console.log('');
    console.log(`Tessera ${VERSION} is running on ${where}`);
    console.log(`  Console    ${address}/console/   (sign in with an admin key)`);
    console.log(`  API        ${address}/v1`);
    console.log(`  API docs   ${address}/docs   (OpenAPI: ${address}/openapi.json)`);
    console.log(`  Health     ${address}/health`);
    printInitialKey(tessera);
    if (!tessera.initialAdminKey) {
      console.log(config.adminKey ? '  Admin key: the one in TESSERA_ADMIN_KEY.' : '  Admin key: the one printed on first start (or `tessera keys create`).');
    }
    const shutdown = async () => {
      await tessera.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void shutdown());
    process.once('SIGTERM', () => void shutdown());
  });

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    await withTessera(async (t) => {
      console.log(`Database is up to date (${t.db.engine}).`);
      printInitialKey(t);
    });
  });

const keys = program.command('keys').description('manage API keys');
keys
  .command('create')
  .description('create an operator API key (admin, analyst or support) and print its secret once')
  .option('--name <name>', 'what the key is for', 'created from the command line')
  .option('--role <role>', 'admin (everything), analyst (read-only) or support (reads and support actions)', 'admin')
  .action(async (options: { name: string; role: string }) => {
    if (!(OPERATOR_ROLES as string[]).includes(options.role)) {
      console.error(`--role must be one of ${OPERATOR_ROLES.join(', ')}`);
      process.exitCode = 2;
      return;
    }
    await withTessera(async (t) => {
      const key = await t.db.write((tx) => t.services.apiKeys.create(tx, { name: options.name, role: options.role as OperatorRole }));
      console.log(`Created ${key.id} (${key.role}). Its secret, shown this once:`);
      console.log(key.secret);
    });
  });
keys
  .command('list')
  .description('list API keys (never their secrets)')
  .action(async () => {
    await withTessera(async (t) => {
      for (const key of await t.services.apiKeys.list()) {
        console.log(`${key.id}  ${key.role.padEnd(8)} ${key.prefix.padEnd(20)} ${key.revokedAt ? `revoked ${key.revokedAt}` : 'active'}  ${key.name}`);
      }
    });
  });
keys
  .command('revoke <id>')
  .description('revoke an API key at once')
  .action(async (id: string) => {
    await withTessera(async (t) => {
      const key = await t.db.write((tx) => t.services.apiKeys.revoke(tx, id));
      console.log(`Revoked ${key.id}.`);
    });
  });

program
  .command('expire')
  .description('expire every points lot that is due now, through ledger transactions')
  .action(async () => {
    await withTessera(async (t) => {
      const result = await t.services.ledger.expireDue();
      console.log(`Expired ${result.points} points in ${result.transactions} transactions.`);
    });
  });

program
  .command('seed')
  .description('seed the demo ecosystem into an empty database')
  .option('--members <n>', 'how many demo members', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive whole number');
    return n;
  }, 200)
  .action(async (options: { members: number }) => {
    await withTessera(async (t) => {
      const bar = progressBar('Seeding');
      const report = await seedDemo(t.db, t.services, t.clock, { members: options.members, onProgress: bar.update });
      bar.stop();
      console.log(report ? `Seeded ${report.members} members, ${report.transactions} transactions.` : 'The database already has members; nothing seeded.');
    });
  });

const pools = program.command('pools').description('code pools: partner codes bought in bulk');
pools
  .command('import <pool> <file>')
  .description('stream a file of codes (one a line, or CSV with a "code" column) into a new batch of the pool')
  .option('--format <format>', 'lines or csv (default: by the file extension)')
  .option('--unit-cost <amount>', 'unit cost of this batch in minor units (fen, cents)')
  .option('--currency <code>', 'currency of the unit cost', 'CNY')
  .option('--supplier <name>', 'who sold this batch')
  .option('--partner <id>', 'partner whose codes these are')
  .option('--purchased-at <date>', 'purchase date (ISO 8601)')
  .option('--expires-at <date>', 'no code of this batch is issued from then on (ISO 8601)')
  .action(async (poolId: string, file: string, options: Record<string, string | undefined>) => {
    const format = options.format;
    if (format !== undefined && format !== 'lines' && format !== 'csv') throw new InvalidArgumentError('--format is lines or csv');
    const time = (name: string, value: string | undefined) => {
      if (value === undefined) return undefined;
      const ms = Date.parse(value);
      if (Number.isNaN(ms)) throw new InvalidArgumentError(`--${name} is not a date: '${value}'`);
      return ms;
    };
    let unitCost: { amount: number; currency: string } | undefined;
    if (options.unitCost !== undefined) {
      const amount = Number(options.unitCost);
      if (!Number.isInteger(amount) || amount < 0) throw new InvalidArgumentError('--unit-cost is a whole number of minor units');
      if (!/^[A-Z]{3}$/.test(options.currency ?? '')) throw new InvalidArgumentError('--currency is an ISO code such as CNY');
      unitCost = { amount, currency: options.currency! };
    }
    await withTessera(async (t) => {
      const bar = progressBar(`Importing ${file}`);
      const started = Date.now();
      const report = await importCodeFile(t.db, t.services.pools, poolId, file, {
        format,
        batch: {
          unitCost,
          supplier: options.supplier,
          partnerId: options.partner,
          purchasedAt: time('purchased-at', options.purchasedAt),
          expiresAt: time('expires-at', options.expiresAt),
        },
        onProgress: (done, total) => bar.update(done, total),
      });
      bar.stop();
      const seconds = (Date.now() - started) / 1000;
      const rejected = Object.values(report.rejected).reduce((a, b) => a + b, 0);
      console.log(`Batch ${report.batchId}: ${report.lines} lines in ${seconds.toFixed(1)} s`);
      console.log(`  imported    ${report.imported}`);
      console.log(`  duplicates  ${report.duplicates}`);
      console.log(`  rejected    ${rejected}  (blank ${report.rejected.blank}, too long ${report.rejected.too_long}, bad encoding ${report.rejected.bad_encoding}, control characters ${report.rejected.control_characters})`);
      for (const line of report.rejectedLines.slice(0, 20)) console.log(`    line ${line.line}: ${line.reason.replace('_', ' ')}`);
      if (rejected > 20) console.log(`    … ${rejected - 20} more`);
    });
  });

const imports = program.command('import').description('bulk imports');
imports
  .command('orders <file>')
  .description('stream orders from CSV (header: memberId or memberExternalId, externalId, amount, currency, category, paidAt) or JSON lines')
  .option('--format <format>', 'csv or jsonl (default: by the file extension)')
  .option('--batch-size <orders>', `orders per transaction (default ${DEFAULT_BATCH_SIZE}; smaller holds the SQLite write lock for less time)`, whole('--batch-size', 1))
  .action(async (file: string, options: { format?: string; batchSize?: number }) => {
    if (options.format !== undefined && options.format !== 'csv' && options.format !== 'jsonl') throw new InvalidArgumentError('--format is csv or jsonl');
    const batchSize = options.batchSize;
    await withTessera(async (t) => {
      const bar = progressBar(`Importing ${file}`);
      const started = Date.now();
      let shown = 0;
      const report = await importOrders(t.db, t.services.orders, t.services.members, file, {
        format: options.format as 'csv' | 'jsonl' | undefined,
        batchSize,
        onProgress: bar.update,
        onError: (e) => {
          if (shown++ < 50) process.stderr.write(`line ${e.line}: ${e.code}: ${e.message}\n`);
        },
      });
      bar.stop();
      const seconds = (Date.now() - started) / 1000;
      console.log(`Imported ${report.imported} of ${report.lines} orders in ${seconds.toFixed(1)} s (${Math.round(report.imported / Math.max(seconds, 0.001))}/s); ${report.failed} failed.`);
      if (report.failed > 50) console.log(`(the first 50 failures are listed above)`);
      if (report.failed > 0) process.exitCode = 1;
    });
  });

function printSimulation(r: SimulationReport): void {
  const yuan = (fen: number) => (fen / 100).toLocaleString('en-US', { maximumFractionDigits: 0 });
  console.log(`Simulated ${r.members} members over ${r.days} days: ${r.orders} orders (${yuan(r.spend)} yuan), ` +
    `subscriptions ${r.subscriptions.at88} at 88 / ${r.subscriptions.at888} at 888 / ${r.subscriptions.joint} joint, ` +
    `${r.renewals} renewals, ${r.cancellations} cancellations, ${r.redemptions.succeeded} of ${r.redemptions.attempts} exchanges ` +
    `(${r.redemptions.onDoubleEleven} on Double Eleven), activations ${Object.entries(r.activations).map(([p, n]) => `${p} ${n}`).join(', ')}.`);
  console.log(`${r.memberDays} member-days in ${r.seconds.toFixed(1)} s: ${r.memberDaysPerSecond} simulated member-days per second.`);
}

program
  .command('simulate')
  .description('grow a synthetic ecosystem through the services on a manual clock (members, orders, subscriptions, exchanges, partner activations)')
  .option('--members <n>', 'members who sign up over the period', whole('--members', 1), 1000)
  .option('--days <n>', 'days simulated, ending now (or at --end)', whole('--days', 1), 365)
  .option('--seed <n>', 'the same seed gives the same ecosystem', whole('--seed', 0), 1)
  .option('--end <date>', 'last instant of the simulation (ISO 8601; default now)')
  .option('--conversion <list>', 'per 100 new members who become active on each partner, e.g. youku=38,eleme=32,taopiaopiao=27')
  .action(async (options: { members: number; days: number; seed: number; end?: string; conversion?: string }) => {
    const endAt = options.end === undefined ? Date.now() : Date.parse(options.end);
    if (Number.isNaN(endAt)) throw new InvalidArgumentError(`--end is not a date: '${options.end}'`);
    let conversion: Record<string, number> | undefined;
    if (options.conversion !== undefined) {
      conversion = {};
      for (const part of options.conversion.split(',')) {
        const [code, value] = part.split('=');
        const per100 = Number(value);
        if (!code || !/^[a-z0-9][a-z0-9_-]*$/.test(code) || !Number.isFinite(per100) || per100 < 0 || per100 > 100) {
          throw new InvalidArgumentError(`--conversion takes code=per100 pairs (0-100), e.g. youku=38; got '${part}'`);
        }
        conversion[code] = per100;
      }
    }
    const clock = new ManualClock(endAt);
    const t = await createTessera(loadConfig(), { logger: false, clock });
    try {
      const bar = progressBar(`Simulating ${options.days} days`);
      const report = await simulate(t.db, t.services, clock, { members: options.members, days: options.days, seed: options.seed, endAt, ...(conversion ? { conversion } : {}), onProgress: bar.update });
      bar.stop();
      printSimulation(report);
      await t.services.analytics.refresh();
    } finally {
      await t.close();
    }
  });

program
  .command('renew')
  .description('run subscription renewals and expiries that are due now')
  .action(async () => {
    await withTessera(async (t) => {
      const result = await t.services.subscriptions.runDue();
      console.log(`Renewed ${result.renewed}, ended ${result.ended}, past due ${result.pastDue}, expired ${result.expired}.`);
    });
  });

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
