import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `npm run build:console` writes the console (gitignored). */
export const DEFAULT_CONSOLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/console');

export interface ConsoleOptions {
  /** Folder of the built console; default dist/console at the project root. */
  root?: string;
}

const MISSING_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tessera console: not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>The console has not been built</h1>
<p>This server serves the operator console from <code>dist/console</code>, which is empty.
Build it with <code>npm run build:console</code> (or start with <code>npm start</code>, which builds it when missing),
then reload this page. The API itself is running: see <a href="/docs">/docs</a>.</p>
</body></html>
`;

/**
 * The operator console at /console: the files Vite built, and index.html for every other path
 * under /console so the single-page app's own routes survive a reload.
 */
export async function consoleRoutes(app: FastifyInstance, options: ConsoleOptions = {}): Promise<void> {
  const root = options.root ?? DEFAULT_CONSOLE_DIR;
  const indexFile = path.join(root, 'index.html');

  await app.register(
    async (scope) => {
      // Encapsulated: the reply.sendFile decorator stays inside this plugin.
      await scope.register(fastifyStatic, { root, serve: false });

      const sendIndex = (reply: FastifyReply) => {
        if (!fs.existsSync(indexFile)) {
          return reply.status(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(MISSING_PAGE);
        }
        return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
      };

      scope.get('/console', { schema: { hide: true } }, (_request, reply) => reply.redirect('/console/'));
      scope.get('/console/*', { schema: { hide: true } }, (request, reply) => {
        const wanted = (request.params as { '*': string })['*'];
        const file = path.normalize(path.join(root, wanted));
        const inside = file.startsWith(root + path.sep);
        if (wanted !== '' && inside && fs.existsSync(file) && fs.statSync(file).isFile()) {
          // Vite names assets by their content hash, so they never change under one name.
          const immutable = wanted.startsWith('assets/');
          return reply.sendFile(wanted, { cacheControl: true, immutable, maxAge: immutable ? '365d' : 0 });
        }
        // A missing asset is a real 404; any other path is one of the app's own pages.
        if (wanted.startsWith('assets/')) return reply.callNotFound();
        return sendIndex(reply);
      });
    },
  );
}
