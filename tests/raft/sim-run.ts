// One random fault schedule of the Raft simulator and every check of it, shared by the seeded tests
// (tests/raft/sim.chaos.test.ts) and the long sweep (`npm run sweep:raft -- --seeds 10000`): safety (the
// invariants, checked inside the simulation after every step: a violation is thrown), liveness after healing,
// and linearizability of the clients' history (Part II's checker).
import { runChaos, type ChaosOptions } from '../../examples/raft/sim/chaos.ts';
import { RaftViolation } from '../../examples/raft/sim/world.ts';
import type { KvOperation } from '../helpers/kv-history.ts';
import { checkHistory } from '../helpers/linearizability.ts';

export interface CheckedRun {
  /** One line (or paragraph) per broken promise; empty when the run kept them all. */
  problems: string[];
  /** The command that replays the run. */
  replay: string;
  operations: number;
  ticks: number;
}

export function checkChaos(options: ChaosOptions): CheckedRun {
  let run;
  try {
    run = runChaos(options);
  } catch (err) {
    if (!(err instanceof RaftViolation)) throw err;
    return { problems: [`safety: ${err.message.split('\n')[0]}`], replay: err.replay, operations: 0, ticks: err.at };
  }
  const replay = `npm run sim:raft -- ${run.replay}`;
  const problems = run.liveness.map((p) => `liveness (${run.world.now - run.healedAt} ticks after healing): ${p}`);
  const verdict = checkHistory(run.world.history as KvOperation[]);
  if (!verdict.ok) problems.push(`linearizability: ${verdict.verdict}\n${verdict.reason}`);
  return { problems, replay, operations: run.world.history.length, ticks: run.world.now };
}
