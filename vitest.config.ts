import { defineConfig } from 'vitest/config';

/**
 * Files that need a process of their own: one mocks a module (vi.mock); the other measures the
 * event loop, which a heap grown by the files before it would pause with major collections.
 */
const ISOLATED = ['test/security-key-cache.test.ts', 'test/import-event-loop.test.ts'];

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // Test files run in parallel, each against its own database cloned from a migrated template.
    // Much of a file's time is waiting for PostgreSQL or a spawned process, so two workers on
    // two cores keep both busy.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        // A worker imports the app once for all of its files (importing it per file was about
        // half of the suite's CPU time). Files share no mutable state: each builds its own app on
        // its own database.
        test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: ISOLATED, isolate: false },
      },
      { extends: true, test: { name: 'isolated', include: ISOLATED } },
    ],
  },
});
