// Browser tests of the BUILT site (run `npm run docs:build` first; `npm test` does).
// Separate from the main suite: they need Chromium and .vitepress/dist, and they are slow on 2 shared cores.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['tests/site/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file at a time in one worker: each file starts its own Chromium; two at once would starve the CPU.
    fileParallelism: false,
    maxWorkers: 1,
  },
});
