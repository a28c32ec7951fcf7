// Exercise 02 (Session 2, docs/fundamentals/02-queue-system.md): lease expiry and redelivery.
//
// A worker leases a job and then crashes (or stalls in a long GC pause, or loses its network). It will never
// ack. Without lease expiry the job would stay "leased" forever and nobody would ever do it. Your task: write
// the function the broker runs before every command, which finds leases that have run out and takes the
// jobs back.
//
// Run the checker (from the repository root):
//   npm run check -- 02-lease-expiry              grades this file
//   npm run check -- 02-lease-expiry --solution   shows what passing looks like
// Each failing check prints a hint. Read examples/queue/core/queue.ts for the types and for how `lease`,
// `ack` and `fail` change a job; your function should leave jobs in states those functions expect.
import type { QueueState } from '../../queue/core/queue.ts';

/**
 * Reclaim every job whose lease has expired at time `now` (milliseconds). Change `state` in place and
 * return the ids of the jobs you reclaimed.
 */
export function reclaimExpired(state: QueueState, now: number): string[] {
  const reclaimed: string[] = [];

  // TODO 1: Look at every job that is still waiting (`state.waiting` holds their ids, oldest first;
  //         `state.jobs[id]` is the job itself). Only a job whose status is 'leased' can have an expired lease.

  // TODO 2: Decide whether its lease has expired. `job.lease.expiresAt` is the moment it runs out.
  //         Hint: the core refuses an ack when `expiresAt <= now`, so a lease that ends exactly at `now`
  //         has expired too. A heartbeat moves expiresAt later, so always use the lease's own expiresAt.

  // TODO 3: Take the job back: remove its lease (`delete job.lease`), and record why: set `job.lastError`
  //         to exactly 'lease expired'. People reading the job see it, and the core's checkLease looks for
  //         those words to tell a late worker "lease-expired" rather than just "not leased".

  // TODO 4: Where does it go?
  //         - Attempts left (`job.attempts < state.config.maxAttempts`): status 'pending', and available
  //           right away (`job.availableAt = now`): the worker crashed, the job did nothing wrong.
  //         - No attempts left: status 'dead' (the dead-letter queue). A job that crashes every worker
  //           that touches it is a "poison message"; retrying it forever would take the workers down with it.
  //           Dead jobs are not waiting any more, so remove their ids from `state.waiting`.
  //           Careful: removing items from an array while a for-loop walks over it skips the next item.
  //           Collect first and filter afterwards, or build a new array.

  // TODO 5: Push the id of every job you reclaimed (pending or dead) onto `reclaimed`.

  return reclaimed;
}
