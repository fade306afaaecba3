#!/usr/bin/env node
// Builds the operator console into dist/console (what `npm run build:console` does through Vite).
// With --if-missing it builds only when there is no build yet or a console source is newer than
// it: `npm start` and the browser tests call it so that a fresh clone works without a manual step.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, '../dist/console/index.html');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name !== 'build.mjs') newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

const ifMissing = process.argv.includes('--if-missing');
const upToDate = () => fs.existsSync(out) && fs.statSync(out).mtimeMs >= newestSource(here);
if (ifMissing && upToDate()) process.exit(0);

// One build at a time: test files (in parallel workers) and `npm start` may all ask at once.
const lock = path.resolve(here, '../dist/.console-build.lock');
fs.mkdirSync(path.dirname(lock), { recursive: true });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
for (let waited = 0; ; waited += 200) {
  try {
    fs.mkdirSync(lock);
    break;
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
    // A lock left by a build that died is taken over after five minutes.
    if (Date.now() - fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs > 300_000) fs.rmSync(lock, { recursive: true, force: true });
    if (waited === 0) console.log('Waiting for another build of the console…');
    await sleep(200);
  }
}
try {
  // Another process may have built it while this one waited.
  if (!(ifMissing && upToDate())) {
    console.log(ifMissing ? 'Building the operator console (dist/console)…' : 'Building the operator console…');
    const { build } = await import('vite');
    await build({ configFile: path.join(here, 'vite.config.ts'), logLevel: 'warn' });
    console.log('Console built.');
  }
} finally {
  fs.rmSync(lock, { recursive: true, force: true });
}
