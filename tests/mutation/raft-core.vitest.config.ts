// A narrowed mutation run of the Raft core: only its own in-process tests, so Stryker's initial run does not
// also run every other system's tests. The full run (`npm run test:mutation`) uses vitest.config.ts beside
// this file, which lists these tests too. Used by /tmp-style configs such as:
//   { ...base, mutate: ['examples/raft/core/**/*.ts'], vitest: { configFile: 'tests/mutation/raft-core.vitest.config.ts' } }
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['tests/raft/core-*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
  },
});
