import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: end-to-end suites spawn agents and servers; keep the pool small so timings stay honest.
    maxWorkers: 2,
    pool: 'forks',
  },
});
