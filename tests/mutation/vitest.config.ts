// The tests Stryker runs against each mutant of a pure core (`npm run test:mutation`, see stryker.config.mjs).
//
// Only fast, in-process tests belong here. A test that starts a broker or a server as a child process runs
// the original files, not the mutant, so it can never kill one; it would only make every run slower.
// When a new system gets a core, add the tests that import that core directly.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: [
      // Session 1: the account and the retry schedule.
      'tests/messaging/account.test.ts',
      'tests/messaging/retry.test.ts',
      // Session 2: the queue core (examples, properties) and its index, the min-heap.
      'tests/queue/core.test.ts',
      'tests/queue/core.property.test.ts',
      'tests/queue/heap.test.ts',
      // Part II: the store's cores (the ring, versions and conflicts, one node's step function, request
      // validation). Not the runner, chaos or simulator tests: they start processes or run for seconds.
      'tests/store/ring*.test.ts',
      'tests/store/versions*.test.ts',
      'tests/store/node-*.test.ts',
      'tests/store/requests*.test.ts',
      // Part III: the chat core (sequencer, receiver, presence, fan-out, rate, frames, one server's step,
      // and the properties of several servers with one sequencer under random disconnects).
      'tests/chat/core-*.test.ts',
      // Part IV: the Raft core (election, replication, ready(), the KV state machine, the service, and the
      // properties of 3–5 nodes under random delivery, drops, duplicates and crashes).
      'tests/raft/core-*.test.ts',
      // Tests written to pin a core's behaviour where the ones above left it loose.
      'tests/**/*.pinned.test.ts',
    ],
    pool: 'forks',
    // Instrumented cores run several times slower than the real ones, and the initial run measures every
    // test's coverage: a test that takes 2 s normally must not fail the whole run by passing 5 s.
    testTimeout: 30_000,
  },
});
