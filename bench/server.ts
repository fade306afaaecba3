/**
 * A server in a child process, so the load generator does not share its event loop.
 * argv[2]: 'tessera' (the real app on the config in argv[3], with bench members seeded), 'app'
 * (the real app on a database already set up by the caller), 'bare' (bare Fastify JSON handlers
 * for an earn and a redemption) or 'raw' (a bare Fastify handler doing an earn's writes in raw
 * SQL, group-committed, on argv[3]).
 * Sends { port, members } once listening; on 'cpu' answers the CPU time it has used (ms); on
 * 'count' answers how many ledger transactions exist; on 'stop' closes and exits.
 */
import Fastify from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import { PG_CREDIT } from '../src/ledger/ledger-store.js';
import { createTessera, sqliteFileFor, type Tessera } from '../src/main.js';
import type { Config } from '../src/platform/config.js';
import { openSqliteWriter } from '../src/platform/db.js';
import { seedMembers } from './common.js';
import { earnParams, oneStatementParams, Q } from './in-process.js';

const send = (message: unknown) => process.send?.(message);

async function bare() {
  const app = Fastify({ logger: false });
  app.post<{ Params: { id: string }; Body: { points: number; reason: string } }>(
    '/v1/members/:id/points/earn',
    async (request, reply) => {
      return reply.status(201).send({ memberId: request.params.id, points: request.body.points, reason: request.body.reason });
    },
  );
  app.post<{ Body: { memberId: string; itemId: string } }>('/v1/redemptions', async (request, reply) => {
    return reply.status(201).send({ id: 'red_x', code: 'CODE', pointsSpent: 10, memberId: request.body.memberId, itemId: request.body.itemId });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  send({ port: typeof address === 'object' && address ? address.port : 0, members: [] });
  return { close: () => app.close(), count: async () => 0 };
}

interface Pending {
  memberId: string;
  done: (status: number) => void;
}

/**
 * What the writes cost without Tessera: an earn's rows written with raw SQL (prepared
 * statements; on PostgreSQL the one statement Tessera sends), the requests that arrive together
 * committed together, each answered after that commit. No validation, no auth, no savepoints.
 */
async function raw(config: Config) {
  const setup = await createTessera(config, { logger: false });
  const members = await seedMembers(setup);
  await setup.close();
  const queue: Pending[] = [];
  let flush: () => void;
  let closeStore: () => Promise<void>;
  if (!config.databaseUrl) {
    const writer = openSqliteWriter(sqliteFileFor(config));
    const db = writer.connection;
    const [begin, commit, rollback] = ['begin immediate', 'commit', 'rollback'].map((text) => db.prepare(text));
    const [balance, transaction, entries, lot] = [Q.balance, Q.transaction, Q.entries, Q.lot].map((text) => db.prepare(text));
    let scheduled = false;
    flush = () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        const batch = queue.splice(0, 1000);
        let statuses: number[];
        try {
          begin!.run();
          statuses = batch.map(({ memberId }) => {
            const p = earnParams(memberId);
            if (balance!.get(p.balance) === undefined) return 404;
            transaction!.run(p.transaction);
            entries!.run(p.entries);
            lot!.run(p.lot);
            return 201;
          });
          commit!.run();
        } catch {
          if (db.inTransaction) rollback!.run();
          statuses = batch.map(() => 500);
        }
        batch.forEach((job, i) => job.done(statuses[i]!));
        if (queue.length > 0) flush();
      });
    };
    closeStore = () => writer.close();
  } else {
    const free = await Promise.all(
      Array.from({ length: config.pgWriters }, async () => {
        const client = new pg.Client({ connectionString: config.databaseUrl });
        await client.connect();
        return client;
      }),
    );
    const all = [...free];
    const run = async (client: pg.Client) => {
      const batch = queue.splice(0, 256);
      let statuses: number[] = [];
      try {
        await client.query('begin');
        for (const { memberId } of batch) {
          const earned = await client.query({ name: 'raw_earn', text: PG_CREDIT, values: oneStatementParams(memberId) });
          statuses.push(earned.rowCount === 1 ? 201 : 404);
        }
        await client.query('commit');
      } catch {
        await client.query('rollback').catch(() => undefined);
        statuses = batch.map(() => 500);
      }
      batch.forEach((job, i) => job.done(statuses[i]!));
      free.push(client);
      flush();
    };
    let scheduled = false;
    flush = () => {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        while (free.length > 0 && queue.length > 0) void run(free.pop()!);
      });
    };
    closeStore = async () => {
      await Promise.all(all.map((client) => client.end()));
    };
  }
  const app = Fastify({ logger: false });
  app.post<{ Params: { id: string }; Body: { points: number; reason: string } }>('/v1/members/:id/points/earn', (request, reply) =>
    new Promise<void>((resolve) => {
      queue.push({
        memberId: request.params.id,
        done: (status) => resolve(void reply.status(status).send({ memberId: request.params.id, points: request.body.points })),
      });
      flush();
    }),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  send({ port: typeof address === 'object' && address ? address.port : 0, members });
  return {
    async close() {
      await app.close();
      await closeStore();
    },
    count: async () => 0,
  };
}

async function tessera(config: Config, seed: boolean) {
  const t: Tessera = await createTessera(config, { logger: false });
  const members = seed ? await seedMembers(t) : [];
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  send({ port: typeof address === 'object' && address ? address.port : 0, members });
  return {
    close: () => t.close(),
    count: async () => {
      const result = await sql<{ n: number }>`select count(*) as n from ledger_transactions`.execute(t.db.read);
      return Number(result.rows[0]?.n ?? 0);
    },
  };
}

const mode = process.argv[2];
const config = JSON.parse(process.argv[3] ?? '{}') as Config;
const server = mode === 'bare' ? await bare() : mode === 'raw' ? await raw(config) : await tessera(config, mode === 'tessera');
process.on('message', (message) => {
  if (message === 'cpu') {
    const usage = process.cpuUsage();
    send({ cpu: (usage.user + usage.system) / 1000 });
  } else if (message === 'count') {
    void server.count().then((n) => send({ count: n }));
  } else if (message === 'stop') {
    void server.close().then(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
