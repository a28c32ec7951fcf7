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

  it('finds what exactly-once prevents: with retries sent as strangers, some histories are not linearizable', () => {
    // Clients retry under a new client id each time (SimOptions.exactlyOnce false), so a request whose first
    // copy was applied and whose answer was lost is applied again. The same seeds pass with exactly-once.
    const failing = [3, 9, 26].filter((seed) => checkChaos({ seed, exactlyOnce: false }).problems.some((p) => p.startsWith('linearizability')));
    expect(failing.length).toBeGreaterThan(0);
    for (const seed of failing) expect(checkChaos({ seed }).problems).toEqual([]);
    expect(checkChaos({ seed: failing[0]!, exactlyOnce: false }).replay).toBe(`npm run sim:raft -- --seed ${failing[0]} --faults --at-least-once`);
  });
});
