import { Command, InvalidArgumentError } from 'commander';
import { seedDemo } from './demo/demo-seed.js';
import { createTessera, sqliteFileFor, startJobs, type Tessera } from './main.js';
import { loadConfig } from './platform/config.js';
import { progressBar } from './platform/progress.js';
import { VERSION } from './version.js';

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
    }
    startJobs(tessera);
    const address = await tessera.app.listen({ port: config.port, host: config.host });
    console.log('');
    console.log(`Tessera ${VERSION} is running on ${where}`);
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
  .description('create an admin API key and print its secret once')
  .option('--name <name>', 'what the key is for', 'created from the command line')
  .action(async (options: { name: string }) => {
    await withTessera(async (t) => {
      const key = await t.db.write((tx) => t.services.apiKeys.create(tx, { name: options.name, role: 'admin' }));
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

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
