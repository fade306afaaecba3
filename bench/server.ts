/**
 * A server in a child process, so the load generator does not share its event loop.
 * argv[2]: 'tessera' (the real app on the config in argv[3]) or 'bare' (a bare Fastify JSON handler).
 * Sends { port, members } once listening; on 'cpu' answers the CPU time it has used (ms); on
 * 'count' answers how many ledger transactions exist; on 'stop' closes and exits.
 */
import Fastify from 'fastify';
import { sql } from 'kysely';
import { createTessera, type Tessera } from '../src/main.js';
import type { Config } from '../src/platform/config.js';
import { seedMembers } from './common.js';

const send = (message: unknown) => process.send?.(message);

async function bare() {
  const app = Fastify({ logger: false });
  app.post<{ Params: { id: string }; Body: { points: number; reason: string } }>(
    '/v1/members/:id/points/earn',
    async (request, reply) => {
      return reply.status(201).send({ memberId: request.params.id, points: request.body.points, reason: request.body.reason });
    },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  send({ port: typeof address === 'object' && address ? address.port : 0, members: [] });
  return { close: () => app.close(), count: async () => 0 };
}

async function tessera(config: Config) {
  const t: Tessera = await createTessera(config, { logger: false });
  const members = await seedMembers(t);
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
const server = mode === 'bare' ? await bare() : await tessera(JSON.parse(process.argv[3] ?? '{}') as Config);
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
