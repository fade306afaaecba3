import { configDefaults, defineConfig } from 'vitest/config';

const pgUrl = process.env.TEST_DATABASE_URL;
if (process.env.CI && !pgUrl) {
  // Running only on SQLite in CI would pass while hiding every PostgreSQL defect.
  throw new Error('CI is set but TEST_DATABASE_URL is not: the PostgreSQL half of the suite would be skipped');
}

const engines = pgUrl ? ['sqlite', 'postgres'] : ['sqlite'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: engines.map((engine) => ({
      extends: true,
      test: {
        name: engine,
        include: ['test/**/*.test.ts'],
        // The browser tests drive the console once, against SQLite; the API they use is the same on both engines.
        exclude: engine === 'postgres' ? [...configDefaults.exclude, 'test/browser/**'] : configDefaults.exclude,
        env: { TESSERA_TEST_ENGINE: engine },
      },
    })),
  },
});
