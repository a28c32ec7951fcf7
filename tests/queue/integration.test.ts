// End to end with real processes: a broker, a producer and several workers, 1,000 jobs, no faults.
// Every job must be done exactly once: none dead, none lost, none duplicated.

import { afterAll, expect, it } from 'vitest';
import { makeTempDir, stopAll, waitFor } from '../helpers/processes.ts';
import { duplicates, startBroker, startProducer, startWorker } from '../helpers/queue.ts';

const JOBS = 1_000;
afterAll(stopAll);

it('runs 1,000 jobs through broker + 2 producers + 4 workers: all done, none dead, lost or duplicated', async () => {
  const broker = await startBroker(makeTempDir());
  const workers = [1, 2, 3, 4].map((n) => startWorker(broker.url, `worker-${n}`, { WORK_MS: '2' }));
  for (const w of workers) await w.waitForLine(/polling/); // all waiting before the first job arrives
  // Two producers of 500 jobs each, so the run is not limited by one producer's request-reply round trips.
  const producers = ['a', 'b'].map((id) => startProducer(broker.url, JOBS / 2, { PRODUCER_ID: id }));

  for (const p of producers) expect(await p.exited).toEqual({ code: 0, signal: null });
  const final = await waitFor('every job done', async () => {
    const s = await broker.client.stats();
    return s.done + s.dead === JOBS ? s : null;
  }, 45_000);
  expect(final).toEqual({ pending: 0, leased: 0, done: JOBS, dead: 0, total: JOBS });

  const jobs = await broker.client.listJobs(undefined, 10_000);
  expect(jobs).toHaveLength(JOBS);
  // Every job the producers sent arrived exactly once: keys a-1..a-500 and b-1..b-500, payload n matching.
  const expected = ['a', 'b'].flatMap((id) => Array.from({ length: JOBS / 2 }, (_, i) => `${id}-${i + 1}`));
  expect(jobs.map((j) => j.idempotencyKey).sort()).toEqual(expected.sort());
  for (const j of jobs) expect(j.idempotencyKey).toBe(`${j.idempotencyKey![0]}-${(j.payload as { n: number }).n}`);
  // Each worker got some of the work (long-polling hands jobs to whoever is waiting).
  for (const w of workers) expect(w.lines.some((l) => l.startsWith('done '))).toBe(true);

  const dups = duplicates(jobs);
  console.log(`1,000-job run: ${dups.length} duplicates (done jobs leased more than once)`);
  expect(dups).toEqual([]);
});
