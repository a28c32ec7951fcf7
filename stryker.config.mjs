// Mutation testing of the pure cores: `npm run test:mutation` (not part of `npm test`; it takes minutes).
//
// Stryker changes one small thing in a core at a time (a `<` into `<=`, a string into "", a branch removed)
// and runs the core's tests against each such mutant. A test suite that still passes has not pinned that
// behaviour down. The score is the share of mutants some test noticed; below 95% the command fails.
// Survivors we have checked and found impossible to observe are listed in tests/mutation/EQUIVALENT.md.
//
// While working on one file, narrow the run:  npx stryker run --mutate examples/queue/core/heap.ts
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  // Every core of every system, today's and the ones later sessions add.
  mutate: ['examples/*/core/**/*.ts', '!examples/*/core/**/*.test.ts'],
  testRunner: 'vitest',
  vitest: { configFile: 'tests/mutation/vitest.config.ts' },
  // Run only the tests that reach a mutant, not the whole suite for each one.
  coverageAnalysis: 'perTest',
  // The machine has 2 cores; more runners would only queue behind each other.
  concurrency: 2,
  // per-file-threshold (tests/mutation/per-file-threshold.mjs) fails the run if any single core is below
  // thresholds.break; Stryker's own check looks only at the total.
  appendPlugins: ['./tests/mutation/per-file-threshold.mjs'],
  reporters: ['clear-text', 'progress', 'html', 'per-file-threshold'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  thresholds: { high: 95, low: 90, break: 95 },
  tempDirName: '.stryker-tmp',
  // Never copy a (possibly concurrent) Stryker run's sandbox into this one's.
  ignorePatterns: ['/.stryker-tmp*'],
  cleanTempDir: true,
};
