// Exercise 02: lease expiry and redelivery. The checks below drive the REAL queue core (createQueue, apply)
// through crash scenarios: a worker leases a job and then "crashes" (it simply never sends anything again).
// Each check builds a state with the core, calls the learner's reclaimExpired directly at a later time and
// looks at the state right away. That matters: the core's own apply() reclaims expired leases at the start of
// every command, so the assertions come BEFORE the next apply, or they would test the core instead of you.
import { isDeepStrictEqual } from 'node:util';
import type { Exercise } from '../types.ts';
import { apply, createQueue, type Command, type Job, type QueueConfig, type QueueState } from '../../queue/core/queue.ts';

export interface LeaseExpiryImpl {
  reclaimExpired(state: QueueState, now: number): string[];
}

const TIMEOUT = 10_000; // visibility timeout used by every scenario: a lease taken at t lasts until t + 10 s

function queue(config: Partial<QueueConfig> = {}): QueueState {
  return createQueue({ visibilityTimeoutMs: TIMEOUT, maxAttempts: 3, backoffBaseMs: 20_000, backoffMaxMs: 60_000, ...config });
}

/** Run a command on the real core and insist it was accepted (a failure here is a bug in the exercise). */
function must(state: QueueState, cmd: Command): Job {
  const r = apply(state, cmd);
  if (!r.ok) throw new Error(`setup: ${cmd.type} was refused (${r.message})`);
  if (r.type === 'ticked' || r.type === 'configured') throw new Error(`setup: unexpected ${r.type}`);
  if (r.job === null) throw new Error(`setup: ${cmd.type} at t=${cmd.now} found no job to lease`);
  return structuredClone(r.job);
}

function enqueue(state: QueueState, now: number, what: string): Job {
  return must(state, { type: 'enqueue', now, payload: { what } });
}

/** A worker leases the next job. Returns a copy, so later changes to the state don't alter it. */
function lease(state: QueueState, now: number, workerId: string): Job & { lease: NonNullable<Job['lease']> } {
  const job = must(state, { type: 'lease', now, workerId });
  return job as Job & { lease: NonNullable<Job['lease']> };
}

const show = (x: unknown): string => (x === undefined ? 'undefined' : JSON.stringify(x));

function equal(actual: unknown, expected: unknown, what: string): void {
  if (!isDeepStrictEqual(actual, expected)) throw new Error(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Apply a command with the real core and check whether it was accepted or refused. */
function accepted(state: QueueState, cmd: Command, expected: boolean, what: string): void {
  const r = apply(state, cmd);
  if (r.ok !== expected) throw new Error(`${what} should be ${expected ? 'accepted' : 'refused'}, but it was ${r.ok ? 'accepted' : `refused (${r.message})`}`);
}

/** Call the learner's function and check that it returned a list of ids. */
function reclaim(impl: LeaseExpiryImpl, state: QueueState, now: number): string[] {
  const ids: unknown = impl.reclaimExpired(state, now);
  if (!Array.isArray(ids)) throw new Error(`reclaimExpired(state, ${now}) must return an array of job ids, got ${show(ids)}`);
  return ids as string[];
}

function returned(ids: string[], expected: string[], now: number): void {
  equal([...ids].sort(), [...expected].sort(), `reclaimExpired(state, ${now}) should return the ids it reclaimed`);
}

function job(state: QueueState, id: string): Job {
  const j = state.jobs[id];
  if (j === undefined) throw new Error(`${id} disappeared from state.jobs: never delete jobs, change their status`);
  return j;
}

export const exercise: Exercise<LeaseExpiryImpl> = {
  title: 'Lease expiry: take jobs back from crashed workers',
  page: 'fundamentals/02-queue-system.md',
  learnerFile: 'lease-expiry.ts',
  load(mod) {
    if (typeof mod.reclaimExpired !== 'function') {
      throw new Error('the file must export a function named reclaimExpired(state, now)');
    }
    return { reclaimExpired: mod.reclaimExpired as LeaseExpiryImpl['reclaimExpired'] };
  },
  checks: [
    {
      name: "a crashed worker's expired lease is reclaimed: job pending again, lease removed, available now",
      hint: "Walk state.waiting; for a job with status 'leased' whose lease.expiresAt <= now: delete job.lease, set status 'pending' and availableAt = now, and push its id onto the array you return.",
      run(impl) {
        const state = queue();
        enqueue(state, 0, 'send welcome e-mail');
        lease(state, 0, 'worker-a'); // ...and worker-a crashes: its lease runs until 10 000
        const ids = reclaim(impl, state, 15_000);
        const j = job(state, 'job-1');
        equal(j.status, 'pending', 'job-1 status after its lease expired');
        equal(j.lease, undefined, 'job-1 lease after it was reclaimed (it should be gone)');
        if (j.availableAt > 15_000) throw new Error(`job-1 availableAt is ${j.availableAt}, so nobody may take it before then; a crash is not the job's fault, make it available now (15000)`);
        equal(j.attempts, 1, 'job-1 attempts (the crashed attempt still counts; lease() adds the next one)');
        equal(state.waiting, ['job-1'], 'state.waiting (a pending job stays in the waiting list)');
        returned(ids, ['job-1'], 15_000);
      },
    },
    {
      name: "the reclaimed job goes to the next worker, and the crashed worker's late ack is refused",
      hint: "After reclaiming, the job must look like any pending job to lease(): status 'pending', no lease, availableAt <= now, and its id still in state.waiting.",
      run(impl) {
        const state = queue();
        enqueue(state, 0, 'charge card');
        const crashed = lease(state, 0, 'worker-a');
        reclaim(impl, state, 12_000);
        equal(job(state, 'job-1').status, 'pending', 'job-1 status right after reclaimExpired(state, 12000)');
        const r = apply(state, { type: 'lease', now: 12_000, workerId: 'worker-b' });
        if (!r.ok || r.type !== 'leased' || r.job === null) {
          throw new Error('worker-b asked for a job at 12000 and got none: the reclaimed job-1 is not leasable');
        }
        equal(r.job.id, 'job-1', 'the job worker-b received');
        equal(r.job.attempts, 2, 'job-1 attempts after the second lease');
        accepted(state, { type: 'ack', now: 12_500, jobId: 'job-1', token: crashed.lease.token }, false, "worker-a's late ack with its old token");
        accepted(state, { type: 'ack', now: 13_000, jobId: 'job-1', token: r.job.lease!.token }, true, "worker-b's ack with the current token");
      },
    },
    {
      name: 'only expired leases are reclaimed; a lease that is still running is left alone',
      hint: "Compare each job's own lease.expiresAt with now. A lease with expiresAt > now belongs to a worker that may still be working: don't touch that job at all.",
      run(impl) {
        const state = queue();
        enqueue(state, 0, 'resize photo 1');
        enqueue(state, 0, 'resize photo 2');
        lease(state, 0, 'worker-a'); // expires at 10 000 (worker-a crashed)
        const alive = lease(state, 5_000, 'worker-b'); // expires at 15 000 (worker-b is still working)
        const ids = reclaim(impl, state, 12_000);
        equal(job(state, 'job-1').status, 'pending', 'job-1 status (its lease ended at 10000)');
        equal(job(state, 'job-2'), alive, 'job-2 (leased until 15000, so at 12000 it must be unchanged)');
        returned(ids, ['job-1'], 12_000);
        accepted(state, { type: 'ack', now: 13_000, jobId: 'job-2', token: alive.lease.token }, true, "worker-b's ack for job-2 at 13000");
      },
    },
    {
      name: 'a lease expires exactly at expiresAt (the same rule the core uses to refuse a late ack)',
      hint: 'The core refuses an ack when lease.expiresAt <= now, so at now === expiresAt the lease is already over. Test expiresAt <= now (not <).',
      run(impl) {
        const state = queue();
        enqueue(state, 0, 'render invoice');
        const leased = lease(state, 0, 'worker-a');
        const early = reclaim(impl, state, 9_999);
        equal(job(state, 'job-1'), leased, 'job-1 at 9999, 1 ms before its lease ends (it must be unchanged)');
        returned(early, [], 9_999);
        const ids = reclaim(impl, state, 10_000);
        equal(job(state, 'job-1').status, 'pending', 'job-1 status at 10000, the moment its lease ends');
        returned(ids, ['job-1'], 10_000);
      },
    },
    {
      name: 'done jobs, pending jobs and jobs waiting out a retry backoff are not touched',
      hint: "Only jobs with status 'leased' can have an expired lease. Leave the others exactly as they are; in particular don't reset availableAt of a pending job, or a failed job would skip its backoff.",
      run(impl) {
        const state = queue();
        enqueue(state, 0, 'done already');
        enqueue(state, 0, 'failed once, backing off');
        enqueue(state, 0, 'worker crashed');
        const first = lease(state, 0, 'worker-a');
        const second = lease(state, 0, 'worker-b');
        lease(state, 0, 'worker-c'); // job-3, expires at 10 000; worker-c crashes
        must(state, { type: 'ack', now: 100, jobId: 'job-1', token: first.lease.token });
        // Backoff: job-2 may not run again before 100 + 0.9 * 20 000 = 18 100.
        must(state, { type: 'fail', now: 100, jobId: 'job-2', token: second.lease.token, error: 'smtp 451', jitter: 0.9 });
        enqueue(state, 1_000, 'not leased yet'); // job-4
        const before = structuredClone(state.jobs);
        const ids = reclaim(impl, state, 12_000);
        for (const id of ['job-1', 'job-2', 'job-4']) equal(job(state, id), before[id], `${id} (${job(state, id).status}) must be unchanged`);
        equal(job(state, 'job-3').status, 'pending', 'job-3 status (its lease ended at 10000)');
        equal(state.waiting, ['job-2', 'job-3', 'job-4'], 'state.waiting (done job-1 is not waiting)');
        returned(ids, ['job-3'], 12_000);
      },
    },
    {
      name: 'a job whose lease expires on its last attempt goes dead and leaves state.waiting (a poison message)',
      hint: "Compare job.attempts with state.config.maxAttempts. With no attempts left set status 'dead' and remove its id from state.waiting (build the new list after the loop). Say why in job.lastError.",
      run(impl) {
        const state = queue({ maxAttempts: 2 });
        enqueue(state, 0, 'poison: crashes every worker');
        enqueue(state, 0, 'ordinary job');
        lease(state, 0, 'worker-a'); // attempt 1 of 2, crashes
        reclaim(impl, state, 10_000);
        equal(job(state, 'job-1').status, 'pending', 'job-1 status after its first lease expired (1 of 2 attempts used)');
        lease(state, 10_000, 'worker-b'); // attempt 2 of 2, crashes too
        const ids = reclaim(impl, state, 20_000);
        const dead = job(state, 'job-1');
        equal(dead.status, 'dead', 'job-1 status after its last attempt expired');
        equal(dead.lease, undefined, 'job-1 lease (a dead job holds no lease)');
        equal(state.waiting, ['job-2'], 'state.waiting (a dead job is no longer waiting)');
        if (typeof dead.lastError !== 'string' || dead.lastError === '') {
          throw new Error(`job-1 lastError is ${show(dead.lastError)}: a dead job should say why it died, e.g. 'lease expired'`);
        }
        returned(ids, ['job-1'], 20_000);
        const next = lease(state, 20_000, 'worker-c');
        equal(next.id, 'job-2', 'the next job handed out (the poison message must not come back)');
        accepted(state, { type: 'redrive', now: 21_000, jobId: 'job-1' }, true, 'redriving dead job-1');
      },
    },
    {
      name: 'several expired leases are all reclaimed in one call, even when one of them goes dead',
      hint: "Handle every expired job in the same pass. Don't remove ids from state.waiting while looping over it (splice inside a for loop skips the next job): collect, then filter afterwards.",
      run(impl) {
        const state = queue({ maxAttempts: 2 });
        for (const what of ['a', 'b', 'c', 'd']) enqueue(state, 0, `job ${what}`);
        lease(state, 0, 'worker-a');
        apply(state, { type: 'tick', now: 10_000 }); // the core itself reclaims job-1: it has 1 attempt left
        lease(state, 10_000, 'worker-a'); // job-1, last attempt
        lease(state, 10_000, 'worker-b'); // job-2
        lease(state, 10_000, 'worker-c'); // job-3
        const alive = lease(state, 15_000, 'worker-d'); // job-4, until 25 000
        const ids = reclaim(impl, state, 20_000);
        equal(job(state, 'job-1').status, 'dead', 'job-1 status (its last attempt expired)');
        equal(job(state, 'job-2').status, 'pending', 'job-2 status (expired at 20000)');
        equal(job(state, 'job-3').status, 'pending', 'job-3 status (expired at 20000)');
        equal(job(state, 'job-4'), alive, 'job-4 (leased until 25000, must be unchanged)');
        equal(state.waiting, ['job-2', 'job-3', 'job-4'], 'state.waiting');
        returned(ids, ['job-1', 'job-2', 'job-3'], 20_000);
      },
    },
    {
      name: 'a lease extended by a heartbeat is not reclaimed at its old expiry time',
      hint: 'A heartbeat moves job.lease.expiresAt later. Decide with the lease\'s current expiresAt, not with the time the job was enqueued or leased plus the timeout.',
      run(impl) {
        const state = queue();
        enqueue(state, 0, 'long video transcode');
        enqueue(state, 0, 'short job');
        const busy = lease(state, 0, 'worker-a');
        lease(state, 0, 'worker-b'); // crashes
        const extended = must(state, { type: 'heartbeat', now: 8_000, jobId: 'job-1', token: busy.lease.token }); // until 18 000
        const ids = reclaim(impl, state, 12_000);
        equal(job(state, 'job-1'), extended, 'job-1 (heartbeat at 8000 extended it to 18000, so at 12000 it must be unchanged)');
        equal(job(state, 'job-2').status, 'pending', 'job-2 status (no heartbeat, expired at 10000)');
        returned(ids, ['job-2'], 12_000);
        accepted(state, { type: 'ack', now: 13_000, jobId: 'job-1', token: busy.lease.token }, true, "worker-a's ack after its heartbeat");
      },
    },
  ],
};
