import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'web/dist/**', 'results/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real servers and sockets: files run in parallel processes, tests inside a file in order.
    pool: 'forks',
    maxWorkers: 2,
  },
});
