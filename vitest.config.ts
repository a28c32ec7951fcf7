import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'examples/**/*.test.ts'],
    exclude: ['node_modules/**', 'tests/site/**', 'tests/docker/**'],
    // Integration tests start real processes; give them room on a busy 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker per core minus one: a single worker on a 2-core machine, though most of
    // these tests wait on child processes, sockets and timers. Two workers cut the run from ~6 to ~4 minutes
    // here, and every test passed with two workers even while a mutation run kept both cores busy.
    maxWorkers: 2,
  },
});
