import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files each start a database; two at a time fits a 2-core machine.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
