// Exercise 02 (Session 2, docs/fundamentals/02-queue-system.md): lease expiry and redelivery.
//
// A worker leases a job and then crashes (or stalls in a long GC pause, or loses its network). It will never
// ack. Without lease expiry the job would stay "leased" for ever and nobody would ever do it.
//
// The core already finds the leases that ran out: before every command, `reclaimExpired` (region
// reclaim-expired in examples/queue/core/queue.ts) pops the due entries from the lease-expiry heap
// `state.leases`, skips those whose lease ended or was extended, and calls `expireLease(state, job, now)` for
// each lease that really ran out. You write `expireLease`: take the job back from the worker that lost it.
//
// Run the checker (from the repository root):
//   npm run check -- 02-lease-expiry              grades this file
//   npm run check -- 02-lease-expiry --solution   shows what passing looks like
// The checker builds queues with the real core, calls YOUR expireLease where the core would call its own,
// then drives the real core on: another worker leases the job, the late worker acks, and so on. Each failing
// check says what it saw, what it expected, and a hint. Read the types at the top of queue.ts, and `ack` and
// `fail` below them: they end a lease the same way you will.
import { heapPush } from '../../queue/core/heap.ts';
import type { Job, QueueState } from '../../queue/core/queue.ts';

/**
 * The lease on `job` ran out at or before `now` (milliseconds): the worker holding it is presumed dead.
 * Change `job` and `state` in place. When this is called, `job.status` is 'leased' and `job.lease` is set.
 */
export function expireLease(state: QueueState, job: Job, now: number): void {
  // TODO 1: End the lease, and record why it ended. A worker that was only slow may still ack later with
  //         its old token; the core then looks at `job.endedLease` to tell it "lease-expired" (your lease ran
  //         out, someone else may be doing the job) instead of a puzzling "not-leased". So, in this order:
  //           job.endedLease = { token: <the token of the lease that is ending>, reason: <why it ended> };
  //           delete job.lease;
  //         The reason is one of 'expired' | 'acked' | 'failed' (see the Job type). Which one is this?
  //         Record it whatever happens next, whether the job goes back in line or dies.
  //         `job.lastError` is only for people reading the job: give it a short text such as 'lease expired'.

  // TODO 2: Pending or dead? `job.attempts` already counts the attempt whose worker just vanished (lease
  //         added 1). With attempts left (compare with state.config.maxAttempts) the job goes back in line:
  //           - status 'pending', available at once: job.availableAt = now (the crash was the worker's fault,
  //             not the job's, so no backoff);
  //           - put it in the pending heap, the line `lease` takes jobs from. An entry's `at` is its place in
  //             line; give the job back the place it had when it was enqueued, so it does not queue again
  //             behind every job that arrived while it was leased:
  //               heapPush(state.pending, { at: job.enqueuedAt, seq: state.nextSeq++, id: job.id });
  //         With no attempts left it is a poison message, a job that takes down every worker that runs it:
  //         status 'dead'. A dead job is NOT put in state.pending; it waits for a person to redrive it.

  // TODO 3: Keep the counts right. stats() reads `state.counts` (how many jobs have each status) instead of
  //         counting jobs, so every status change must move one job from one count to another: the job
  //         leaves 'leased' (state.counts.leased -= 1) and joins its new status (state.counts[...] += 1).
}
