// What the world looks like from outside: the plain snapshot the browser draws (view), whether the run is
// over (isFinished), and the one-line form of a timeline event that the CLI prints and the page shows.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { stats } from '../core/queue.ts';
import { isPoison } from './network.ts';
import type { TimelineEvent, World, WorldView } from './types.ts';

/** Every job done or dead, nothing left to report or to enqueue, and no scripted action left. */
export function isFinished(world: World): boolean {
  const { broker, producer } = world;
  if (!broker.up || broker.state === null || producer.next <= producer.total || world.actionsLeft > 0) return false;
  if (world.workers.some((w) => w.up && (w.activity === 'working' || w.activity === 'reporting'))) return false;
  const s = stats(broker.state);
  return s.done + s.dead === producer.total;
}

export function view(world: World): WorldView {
  const { broker, producer } = world;
  const state = broker.state;
  return {
    now: world.now,
    seed: world.seed,
    finished: isFinished(world),
    broker: {
      up: broker.up,
      logLength: broker.log.length,
      stats: state === null ? null : stats(state),
      visibilityTimeoutMs: (state?.config ?? broker.lastConfig).visibilityTimeoutMs,
      jobs:
        state === null
          ? []
          : Object.values(state.jobs).map((j) => ({
              id: j.id,
              status: j.status,
              attempts: j.attempts,
              poison: isPoison(j),
              ...(j.lease ? { holder: j.lease.workerId } : {}),
            })),
    },
    producer: { enqueued: producer.enqueued, total: producer.total, poisonNext: producer.poisonNext },
    workers: world.workers.map((w) => ({
      name: w.name,
      up: w.up,
      state: w.up ? w.activity : 'down',
      ...(w.up && w.job ? { jobId: w.job.id } : {}),
    })),
    messages: world.messages.map(({ body: _body, ...m }) => ({ ...m })),
  };
}

/** One line per event, the same in the CLI and in the browser:  "  12.345s  worker-2   job-3 leased ..." */
export function formatEvent(e: TimelineEvent): string {
  // toFixed, not toLocaleString: the line must be byte-identical on every machine and in every browser.
  return `${(e.at / 1000).toFixed(3).padStart(8)}s  ${e.node.padEnd(9)}  ${e.text}`;
}
