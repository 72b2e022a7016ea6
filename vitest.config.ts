import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Test files run in parallel, each against its own database cloned from a migrated template.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
