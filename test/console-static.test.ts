// The server's /console: the built app, its assets, the SPA fallback, and a clear answer when
// the console has not been built.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRoutes, DEFAULT_CONSOLE_DIR } from '../src/console/index.js';
import { startTestApp, type TestApp } from './helpers/app.js';

const ROOT = path.resolve(import.meta.dirname, '..');

describe('the console at /console', () => {
  let app: TestApp;
  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(ROOT, 'console', 'build.mjs'), '--if-missing'], { cwd: ROOT, stdio: 'inherit' });
    app = await startTestApp();
  }, 180_000);
  afterAll(async () => app?.close());

  const get = (url: string) => app.tessera.app.inject({ method: 'GET', url });

  it('serves the app without an API key, and index.html for every page of the app', async () => {
    const root = await get('/console/');
    expect(root.statusCode).toBe(200);
    expect(root.headers['content-type']).toContain('text/html');
    expect(root.body).toContain('<div id="root">');
    expect(root.headers['cache-control']).toBe('no-cache');

    for (const page of ['/console/plans', '/console/members/mem_01JD6Y3Q8Z4T9W0V5B7C2N1M3K', '/console/member-centre?memberId=x']) {
      const answer = await get(page);
      expect(answer.statusCode, page).toBe(200);
      expect(answer.body).toBe(root.body);
    }
    const bare = await get('/console');
    expect(bare.statusCode).toBe(302);
    expect(bare.headers.location).toBe('/console/');
  });

  it('serves the hashed assets as immutable, and a missing asset is a 404', async () => {
    const index = (await get('/console/')).body;
    const script = /src="(\/console\/assets\/[^"]+\.js)"/.exec(index)?.[1];
    expect(script).toBeDefined();
    const asset = await get(script!);
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
    expect(asset.headers['cache-control']).toContain('immutable');

    const missing = await get('/console/assets/nothing-here.js');
    expect(missing.statusCode).toBe(404);
  });

  it('never serves a file from outside the build', async () => {
    for (const url of ['/console/../package.json', '/console/%2e%2e/package.json', '/console/..%2f..%2fpackage.json', '/console/assets/..%2f..%2f..%2fpackage.json']) {
      const answer = await get(url);
      expect(answer.body, url).not.toContain('"name": "tessera"');
    }
  });

  it('leaves the API as it was: /v1 still needs a key', async () => {
    const answer = await get('/v1/members');
    expect(answer.statusCode).toBe(401);
  });

  it('answers 503 with how to build it when the console has not been built', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-console-'));
    const server = Fastify();
    await consoleRoutes(server, { root: empty });
    try {
      for (const url of ['/console/', '/console/plans']) {
        const answer = await server.inject({ method: 'GET', url });
        expect(answer.statusCode).toBe(503);
        expect(answer.headers['content-type']).toContain('text/html');
        expect(answer.body).toContain('npm run build:console');
      }
    } finally {
      await server.close();
      fs.rmSync(empty, { recursive: true, force: true });
    }
    expect(DEFAULT_CONSOLE_DIR).toBe(path.join(ROOT, 'dist', 'console'));
  });
});
