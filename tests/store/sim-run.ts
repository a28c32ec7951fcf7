// One chaotic simulation run and every check of its promises, shared by the seeded tests
// (tests/store/sim.chaos.test.ts) and the long sweep (`npm run sweep:store -- --seeds 1000`).
import { chaosEnd, chaosScript, STRONG_KEYS } from '../../examples/store/sim/chaos.ts';
import { divergence, lostWrites, splitBrain } from '../../examples/store/sim/checks.ts';
import { createWorld, historyOf, runUntil, type World } from '../../examples/store/sim/world.ts';
import type { KvOperation } from '../helpers/kv-history.ts';
import { checkHistory } from '../helpers/linearizability.ts';

export type Mode = 'strong' | 'eventual';

export interface ChaosResult {
  world: World;
  /** One line per broken promise; empty when the run kept them all. */
  problems: string[];
  /** How to see the run: the CLI command that replays it. */
  replay: string;
  operations: number;
}

export function replayCommand(seed: number, mode: Mode): string {
  return `npm run sim:store -- --seed ${seed} --scenario chaos-${mode}`;
}

/**
 * Runs chaosScript(seed, mode) to its end and checks: (a) no two leaders acknowledging writes in one
 * (group, term); strong mode: (b) every acknowledged strong write (or a later one) is seen by the final strong
 * reads, taken after one more node crashed, and (d) the strong history is linearizable; eventual mode: (c)
 * every key's replicas hold equal versions after heal and quiet time.
 */
export function runChaos(seed: number, mode: Mode): ChaosResult {
  const world = createWorld({ seed, script: chaosScript(seed, mode) });
  runUntil(world, chaosEnd(mode));
  const history = historyOf(world);
  const problems = splitBrain(world).map((p) => `split brain: ${p}`);
  if (mode === 'strong') {
    problems.push(...lostWrites(history).map((p) => `lost write: ${p}`));
    for (const key of STRONG_KEYS) {
      const finals = history.filter((h) => h.client === 'you' && h.key === key && h.return !== null && h.error === undefined);
      if (finals.length === 0) problems.push(`lost write: no final strong read of ${key} got an answer, so it could not be checked`);
    }
    const verdict = checkHistory(history.filter((h) => h.consistency === 'strong') as KvOperation[]);
    if (!verdict.ok) problems.push(`linearizability: ${verdict.verdict}\n${verdict.reason}`);
  } else {
    problems.push(...divergence(world).map((p) => `not converged: ${p}`));
  }
  return { world, problems, replay: replayCommand(seed, mode), operations: history.length };
}
