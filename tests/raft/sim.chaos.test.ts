// The Raft simulator under random fault schedules (examples/raft/sim/chaos.ts): for every seed, the safety
// invariants hold after every step, the cluster is live again after healing, and the clients' history is
// linearizable. 200 seeds here; `npm run sweep:raft -- --seeds 10000` is the nightly-size run.
import { describe, expect, it } from 'vitest';
import { checkChaos } from './sim-run.ts';

const SEEDS = 200;

describe('Raft under random fault schedules', () => {
  it(`keeps safety, liveness and linearizability for seeds 1..${SEEDS}`, () => {
    const failures: string[] = [];
    let operations = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const run = checkChaos({ seed });
      operations += run.operations;
      if (run.problems.length > 0) failures.push(`seed ${seed}: ${run.problems.join('\n')}\n  replay: ${run.replay}`);
    }
    expect(failures).toEqual([]);
    expect(operations).toBeGreaterThan(SEEDS * 20); // the clients really worked
  }, 120_000);
});
