// Property test for the queue simulation: random seeds, random fault scripts (kills, restarts, crashes, poison
// jobs, visibility timeouts from very short to long), always followed by "everything comes back up". Whatever
// happens, the queue's promises hold: every job ends done or dead, none is done twice, none is enqueued twice,
// and the log on the simulated disk rebuilds exactly the jobs the live broker holds.
// On failure fast-check prints the seed and the shrunk script; `npm run sim:queue -- --seed N --script "..."`
// replays it with every event printed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apply, createQueue, stats } from '../../examples/queue/core/queue.ts';
import { createWorld, encodeScript, formatEvent, runToEnd, runUntil, view, type Action } from '../../examples/queue/sim/world.ts';

const WORKERS = 3;
const at = fc.integer({ min: 0, max: 15_000 });
const worker = fc.integer({ min: 1, max: WORKERS });
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ at, do: fc.constantFrom('kill-worker' as const, 'restart-worker' as const), worker }),
  fc.record({ at, do: fc.constantFrom('crash-broker' as const, 'restart-broker' as const) }),
  fc.record({ at, do: fc.constant('poison' as const) }),
  fc.record({ at, do: fc.constant('set-timeout' as const), ms: fc.oneof(fc.integer({ min: 1, max: 1_500 }), fc.integer({ min: 1_500, max: 10_000 })) }),
);
/** Random faults, then at 20 s the broker and every worker are (re)started and the timeout made generous. */
const script = fc.array(action, { maxLength: 8 }).map((faults): Action[] => [
  ...faults,
  { at: 20_000, do: 'restart-broker' },
  ...Array.from({ length: WORKERS }, (_, i): Action => ({ at: 20_000, do: 'restart-worker', worker: i + 1 })),
  { at: 20_000, do: 'set-timeout', ms: 5_000 },
]);

describe('queue simulation properties', () => {
  it('every job ends done or dead, exactly once each, whatever the faults', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), script, fc.integer({ min: 1, max: 15 }), (seed, actions, jobs) => {
        const world = createWorld({ seed, jobs, script: actions });
        const where = `seed ${seed}, jobs ${jobs}, script "${encodeScript(actions)}"`;
        runUntil(world, 200_000);
        const end = view(world);
        expect(end.finished, `not finished: ${where}`).toBe(true);
        const s = end.broker.stats!;
        // A poison pressed after the producer made its last job adds one more job (never more than one each).
        const total = end.producer.total;
        expect(total, where).toBeGreaterThanOrEqual(jobs);
        expect(total - jobs, where).toBeLessThanOrEqual(actions.filter((a) => a.do === 'poison').length);
        expect(s.done + s.dead, where).toBe(total);
        expect(s.total, where).toBe(total); // none enqueued twice, none lost
        for (const job of end.broker.jobs) expect(['done', 'dead'], where).toContain(job.status);

        const events = world.events;
        const acked = events.filter((e) => e.kind === 'acked').map((e) => e.jobId);
        expect(new Set(acked).size, `a job acked twice: ${where}`).toBe(acked.length);
        expect(acked.length, where).toBe(s.done);
        const enqueued = events.filter((e) => e.kind === 'enqueued').map((e) => e.jobId);
        expect(enqueued.length, where).toBe(total);
        expect(new Set(enqueued).size, where).toBe(total);

        // The log rebuilds what the broker holds: nothing it acted on went unlogged.
        const replayed = createQueue();
        for (const cmd of world.broker.log) apply(replayed, cmd);
        expect(stats(replayed), where).toEqual(s);
        expect(replayed.jobs, where).toEqual(world.broker.state!.jobs);

        // runToEnd stops once the world says it is finished; the browser keeps running. Nothing may happen
        // after "finished" (a late ack still on its way, say), or the CLI and the page would differ.
        const headless = runToEnd({ seed, jobs, script: actions }, 200_000);
        expect(headless.timeline.map(formatEvent), where).toEqual(world.events.map(formatEvent));
      }),
      { numRuns: 60 },
    );
  });
});
