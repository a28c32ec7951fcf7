// The work queue's pure core.
//
// Everything here is plain data in, plain data out: no `node:` imports, no timers, no clock, no randomness.
// Time arrives as `now` (milliseconds) inside every command, and the one random number the core needs
// (backoff jitter) arrives as `jitter` in [0, 1). That makes the core deterministic: the broker can write
// each command to an append-only log and rebuild exactly the same state by applying the log again.
//
// No command's cost grows with the backlog: the state keeps three small indexes (min-heaps, see heap.ts) of
// what happens next, so enqueue, lease, ack and lease expiry cost O(log n) and stats O(1), whether the
// queue holds ten jobs or a million.

import { heapPop, heapPush, type HeapEntry } from './heap.ts';

// #region types
export interface QueueConfig {
  /** How long a lease lasts before the job is handed to another worker (the "visibility timeout"). */
  visibilityTimeoutMs: number;
  /** After this many attempts a job that keeps failing goes to the dead-letter queue. */
  maxAttempts: number;
  /** First retry waits about this long; each further retry doubles it, up to backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /**
   * How long a done job, and so its idempotency key, is remembered. After that it is forgotten: memory and
   * snapshots stay bounded, and a producer that retries the same key later than this creates a new job.
   */
  doneRetentionMs: number;
}

export type JobStatus = 'pending' | 'leased' | 'done' | 'dead';

export interface Lease {
  token: string; // proves which lease an ack or heartbeat belongs to
  workerId: string;
  expiresAt: number;
}

export interface Job {
  id: string;
  payload: unknown;
  idempotencyKey?: string;
  status: JobStatus;
  attempts: number; // how many times the job has been leased (redrive starts it again at 0)
  leaseCount: number; // how many leases it has ever had; never reset, so a lease token is never issued twice
  availableAt: number; // a pending job is not handed out before this time (backoff)
  lease?: Lease;
  /** The last lease that ended, and why: a late worker holding that token is told what happened to it. */
  endedLease?: { token: string; reason: 'expired' | 'acked' | 'failed' };
  lastError?: string; // for people reading the job; no decision depends on this text
  enqueuedAt: number;
  doneAt?: number;
}

export interface QueueState {
  config: QueueConfig;
  jobs: Record<string, Job>; // every job not yet forgotten, by id
  byKey: Record<string, string>; // idempotency key -> job id
  nextId: number;
  // The indexes (min-heaps): what happens next, cheapest first.
  pending: HeapEntry[]; // every pending job, by its place in line (a time: see pushPending); first at [0]
  leases: HeapEntry[]; // live leases by expiry; may also hold entries of leases that ended (skipped when due)
  done: HeapEntry[]; // done jobs by the time they were done, so the oldest is forgotten first
  nextSeq: number; // stamps heap entries: equal times come out in the order they went in
  counts: Record<JobStatus, number>; // how many jobs are in each status, kept up to date by setStatus
}
// #endregion types

// #region commands
/** Every change to the queue is one of these commands. The broker logs them; replay applies them again. */
export type Command =
  | { type: 'enqueue'; now: number; payload: unknown; idempotencyKey?: string }
  | { type: 'lease'; now: number; workerId: string }
  | { type: 'heartbeat'; now: number; jobId: string; token: string }
  | { type: 'ack'; now: number; jobId: string; token: string }
  | { type: 'fail'; now: number; jobId: string; token: string; error: string; jitter: number }
  | { type: 'tick'; now: number }
  | { type: 'redrive'; now: number; jobId: string }
  | { type: 'configure'; now: number; config: QueueConfig };

/** What a command did. Errors are answers too: a stale ack is refused, not thrown. */
export type Result =
  | { ok: true; type: 'enqueued'; job: Job; created: boolean }
  | { ok: true; type: 'leased'; job: Job | null }
  | { ok: true; type: 'extended'; job: Job }
  | { ok: true; type: 'acked'; job: Job }
  | { ok: true; type: 'failed'; job: Job }
  | { ok: true; type: 'ticked'; reclaimed: string[]; forgotten: string[] }
  | { ok: true; type: 'redriven'; job: Job }
  | { ok: true; type: 'configured'; config: QueueConfig }
  | { ok: false; error: QueueError; message: string };

export type QueueError = 'unknown-job' | 'not-leased' | 'wrong-lease' | 'lease-expired' | 'not-dead';
// #endregion commands

export const defaultConfig: QueueConfig = {
  visibilityTimeoutMs: 10_000,
  maxAttempts: 5,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  doneRetentionMs: 3_600_000,
};

export function createQueue(config: Partial<QueueConfig> = {}): QueueState {
  return {
    config: { ...defaultConfig, ...config },
    jobs: {},
    byKey: {},
    nextId: 1,
    pending: [],
    leases: [],
    done: [],
    nextSeq: 1,
    counts: { pending: 0, leased: 0, done: 0, dead: 0 },
  };
}

// #region apply
/** Apply one command. The state object is updated in place; the result says what happened. */
export function apply(state: QueueState, cmd: Command): Result {
  // A lease that ran out is reclaimed before anything else happens, so no command can see a stale lease;
  // done jobs past their retention are forgotten at the same moment.
  const reclaimed = reclaimExpired(state, cmd.now);
  const forgotten = forgetDone(state, cmd.now);
  const result = dispatch(state, cmd, reclaimed, forgotten);
  tidyLeases(state); // keeps the first lease entry exact, for nextWakeup
  return result;
}

function dispatch(state: QueueState, cmd: Command, reclaimed: string[], forgotten: string[]): Result {
  switch (cmd.type) {
    case 'enqueue':
      return enqueue(state, cmd.now, cmd.payload, cmd.idempotencyKey);
    case 'lease':
      return lease(state, cmd.now, cmd.workerId);
    case 'heartbeat':
      return heartbeat(state, cmd.now, cmd.jobId, cmd.token);
    case 'ack':
      return ack(state, cmd.now, cmd.jobId, cmd.token);
    case 'fail':
      return fail(state, cmd.now, cmd.jobId, cmd.token, cmd.error, cmd.jitter);
    case 'tick':
      return { ok: true, type: 'ticked', reclaimed, forgotten };
    case 'redrive':
      return redrive(state, cmd.now, cmd.jobId);
    case 'configure':
      // Settings are part of the history too: a lease granted under a 10 s timeout keeps its expiry when
      // the broker restarts with 30 s, because replay meets this command at the point it was given.
      // A field the command does not name keeps its value (a log written before the field existed).
      state.config = { ...state.config, ...cmd.config };
      return { ok: true, type: 'configured', config: state.config };
  }
}
// #endregion apply

// #region enqueue
function enqueue(state: QueueState, now: number, payload: unknown, key?: string): Result {
  // Idempotent enqueue: a producer that retries after a lost reply sends the same key again,
  // and gets the job it already created instead of a second copy.
  if (key !== undefined) {
    const existing = own(state.byKey, key);
    if (existing !== undefined) return { ok: true, type: 'enqueued', job: state.jobs[existing]!, created: false };
  }
  const id = `job-${state.nextId++}`;
  const job: Job = { id, payload, status: 'pending', attempts: 0, leaseCount: 0, availableAt: now, enqueuedAt: now };
  if (key !== undefined) {
    job.idempotencyKey = key;
    put(state.byKey, key, id);
  }
  put(state.jobs, id, job);
  state.counts.pending += 1;
  pushPending(state, job, now);
  return { ok: true, type: 'enqueued', job, created: true };
}
// #endregion enqueue

// #region lease
function lease(state: QueueState, now: number, workerId: string): Result {
  // The first job in line. A place in line is a time, and a job still backing off is placed at the moment
  // its backoff ends: if even the first place is later than now, every job is still waiting out a backoff.
  const first = state.pending[0];
  if (first === undefined || first.at > now) return { ok: true, type: 'leased', job: null };
  heapPop(state.pending);
  const job = state.jobs[first.id]!;
  setStatus(state, job, 'leased');
  job.attempts += 1;
  job.leaseCount += 1;
  // The token names this lease and no other: after a redelivery the old worker's token stops working.
  // It counts leases, not attempts: a redriven job starts its attempts again, and a worker still holding
  // `job-3.1` from the job's first life must not be able to ack the new `job-3.1`.
  job.lease = { token: `${job.id}.${job.leaseCount}`, workerId, expiresAt: now + state.config.visibilityTimeoutMs };
  fileLease(state, job);
  return { ok: true, type: 'leased', job };
}
// #endregion lease

// #region check-lease
/** A heartbeat, ack or fail is accepted only from the worker that holds the current, unexpired lease. */
function checkLease(state: QueueState, jobId: string, token: string): Job | Result {
  const job = own(state.jobs, jobId);
  if (job === undefined) return refuse('unknown-job', `no job with id ${jobId}`);
  // apply() has reclaimed every lease that ran out before this runs, so a lease still here is live.
  if (job.lease?.token === token) return job;
  if (job.lease !== undefined) {
    return refuse('wrong-lease', `job ${jobId} is now held by lease ${job.lease.token}, not ${token}`);
  }
  // A late worker finds its lease gone. The job remembers how its last lease ended, which tells this worker
  // why: its lease expired (it was too slow, or lost touch) and the job went back to the queue.
  if (job.endedLease?.token === token && job.endedLease.reason === 'expired') {
    return refuse('lease-expired', `the lease ${token} on ${jobId} expired; the job is now ${job.status}`);
  }
  return refuse('not-leased', `job ${jobId} is ${job.status}, not leased`);
}
// #endregion check-lease

// #region heartbeat
function heartbeat(state: QueueState, now: number, jobId: string, token: string): Result {
  const job = checkLease(state, jobId, token);
  if (!isJob(job)) return job;
  job.lease!.expiresAt = now + state.config.visibilityTimeoutMs;
  fileLease(state, job); // the new expiry gets an entry of its own; the old entry is now out of date
  return { ok: true, type: 'extended', job };
}
// #endregion heartbeat

// #region ack
function ack(state: QueueState, now: number, jobId: string, token: string): Result {
  const job = checkLease(state, jobId, token);
  if (!isJob(job)) return job;
  endLease(job, 'acked');
  setStatus(state, job, 'done');
  job.doneAt = now;
  heapPush(state.done, { at: now, seq: state.nextSeq++, id: job.id });
  return { ok: true, type: 'acked', job };
}
// #endregion ack

// #region fail
function fail(state: QueueState, now: number, jobId: string, token: string, error: string, jitter: number): Result {
  const job = checkLease(state, jobId, token);
  if (!isJob(job)) return job;
  endLease(job, 'failed');
  job.lastError = error;
  if (job.attempts >= state.config.maxAttempts) {
    // A poison message: it has failed every time. Park it in the dead-letter queue for a human.
    setStatus(state, job, 'dead');
  } else {
    // Backing off: the job waits out a delay before it is handed out again (see backoffDelay).
    setStatus(state, job, 'pending');
    job.availableAt = now + backoffDelay(state.config, job.attempts, jitter);
    pushPending(state, job, job.availableAt); // back in line when the backoff ends
  }
  return { ok: true, type: 'failed', job };
}

/**
 * Exponential backoff with "full jitter": wait a random time between 0 and base * 2^(attempt-1),
 * capped at max. Jitter spreads retries out so that many failing jobs do not all come back at once.
 */
export function backoffDelay(config: QueueConfig, attempts: number, jitter: number): number {
  const ceiling = Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** (attempts - 1));
  return Math.floor(ceiling * jitter);
}
// #endregion fail

// #region reclaim-expired
/**
 * Lease expiry: a worker that crashed (or stalled) never acks, so when its lease runs out the job goes
 * back to the queue for another worker. Returns the ids of the jobs it reclaimed, in expiry order.
 *
 * `state.leases` holds leases by expiry time, earliest first, so only the leases that are due are looked
 * at. An entry can be out of date: its lease may have ended (ack, fail) or have a new expiry (heartbeat).
 */
export function reclaimExpired(state: QueueState, now: number): string[] {
  const reclaimed: string[] = [];
  while (state.leases.length > 0 && state.leases[0]!.at <= now) {
    const entry = heapPop(state.leases)!;
    const job = currentLease(state, entry);
    if (job === undefined) continue; // out of date: nothing to do
    expireLease(state, job, now);
    reclaimed.push(job.id);
  }
  return reclaimed;
}
// #endregion reclaim-expired

// #region expire-lease
/** The lease on `job` ran out at or before `now`: take the job back from the worker that held it. */
export function expireLease(state: QueueState, job: Job, now: number): void {
  endLease(job, 'expired'); // a late ack with the old token will be told "lease-expired"
  job.lastError = 'lease expired';
  if (job.attempts >= state.config.maxAttempts) {
    // Every attempt ended with a lost worker: a job that crashes whoever runs it is a poison message.
    setStatus(state, job, 'dead');
  } else {
    // The worker failed, not the job: no backoff, and the job goes back in line at its enqueue time, ahead
    // of every job that arrived after it, instead of queueing again behind all of them.
    setStatus(state, job, 'pending');
    job.availableAt = now;
    pushPending(state, job, job.enqueuedAt);
  }
}
// #endregion expire-lease

/** Redrive: a person has fixed the cause, and a dead job goes back in line with a fresh set of attempts. */
function redrive(state: QueueState, now: number, jobId: string): Result {
  const job = own(state.jobs, jobId);
  if (job === undefined) return refuse('unknown-job', `no job with id ${jobId}`);
  if (job.status !== 'dead') return refuse('not-dead', `job ${jobId} is ${job.status}; only dead jobs can be redriven`);
  setStatus(state, job, 'pending');
  job.attempts = 0;
  job.availableAt = now;
  pushPending(state, job, now); // the back of the line
  return { ok: true, type: 'redriven', job };
}

// #region stats
export interface Stats {
  pending: number;
  leased: number;
  done: number;
  dead: number;
  total: number;
}

/** Counted as jobs change status, so reading the stats costs the same for ten jobs or a million. */
export function stats(state: QueueState): Stats {
  const { pending, leased, done, dead } = state.counts;
  return { pending, leased, done, dead, total: pending + leased + done + dead };
}
// #endregion stats

// #region next-wakeup
/**
 * The earliest time at which something changes by itself: a lease runs out, or the first job in line ends
 * its backoff. Null if nothing is due. The broker sets one timer for this moment instead of polling.
 * (While a job is available now, a backoff ending later is not counted: a waiting worker already has a job
 * to take, and the broker asks again after every change.)
 * Forgetting done jobs needs no timer: the next command does it.
 */
export function nextWakeup(state: QueueState, now: number): number | null {
  const leaseEnds = state.leases[0]?.at ?? null;
  const first = state.pending[0];
  const backoffEnds = first !== undefined && first.at > now ? first.at : null;
  if (leaseEnds === null) return backoffEnds;
  if (backoffEnds === null) return leaseEnds;
  return Math.min(leaseEnds, backoffEnds);
}
// #endregion next-wakeup

// #region forget-done
/** Forgets done jobs (and their idempotency keys) that were done at least doneRetentionMs ago. */
function forgetDone(state: QueueState, now: number): string[] {
  const forgotten: string[] = [];
  while (state.done.length > 0 && state.done[0]!.at + state.config.doneRetentionMs <= now) {
    const id = heapPop(state.done)!.id;
    const job = state.jobs[id]!;
    if (job.idempotencyKey !== undefined) delete state.byKey[job.idempotencyKey];
    delete state.jobs[id];
    state.counts.done -= 1;
    forgotten.push(id);
  }
  return forgotten;
}
// #endregion forget-done

/** Files the job's lease under its expiry time in `state.leases`. */
function fileLease(state: QueueState, job: Job): void {
  heapPush(state.leases, { at: job.lease!.expiresAt, seq: state.nextSeq++, id: job.id, token: job.lease!.token });
}

/** The job whose live lease this entry describes, or undefined if the entry is out of date. */
function currentLease(state: QueueState, entry: HeapEntry): Job | undefined {
  const job = own(state.jobs, entry.id);
  const lease = job?.lease;
  return lease !== undefined && lease.token === entry.token && lease.expiresAt === entry.at ? job : undefined;
}

/**
 * An ack, a fail or a heartbeat leaves the lease's entry in `state.leases` out of date, and digging it out
 * of the middle of the heap would be costly. Out-of-date entries are skipped when they come due, but the
 * FIRST entry must be current, or nextWakeup would wake the broker for a lease that is long gone (once per
 * acked job!). So after every command, drop out-of-date entries from the front.
 */
function tidyLeases(state: QueueState): void {
  while (state.leases.length > 0 && currentLease(state, state.leases[0]!) === undefined) heapPop(state.leases);
}

/** Every status change goes through here, so the counts behind stats() are always right. */
function setStatus(state: QueueState, job: Job, status: JobStatus): void {
  state.counts[job.status] -= 1;
  state.counts[status] += 1;
  job.status = status;
}

/**
 * Puts a pending job in line at place `at`: a time, never later than the moment the job becomes available
 * (its enqueue time, or the end of its backoff). lease() hands out the job with the earliest place, and
 * only once that place is not in the future.
 * Jobs with the same place come out in the order they were put in line.
 */
function pushPending(state: QueueState, job: Job, at: number): void {
  heapPush(state.pending, { at, seq: state.nextSeq++, id: job.id });
}

// #region changed-state
/**
 * Did this command change the state? Only those that did need to be written to a log: replaying the log must
 * rebuild the state, and a lease that found no job, a refused ack or a repeated idempotency key changed
 * nothing. The broker (node/durable-queue.ts) and the simulator (sim/broker.ts) log by this one rule.
 */
export function changedState(result: Result): boolean {
  if (!result.ok) return false; // refusals (stale token, unknown job...) change nothing
  switch (result.type) {
    case 'enqueued':
      return result.created; // a repeated idempotency key returns the existing job
    case 'leased':
      return result.job !== null;
    case 'ticked':
      return result.reclaimed.length > 0 || result.forgotten.length > 0;
    default:
      return true; // an ack, fail, heartbeat, redrive or configure that was accepted
  }
}
// #endregion changed-state

/** Ends the job's current lease, remembering which lease it was and why it ended. */
function endLease(job: Job, reason: 'expired' | 'acked' | 'failed'): void {
  job.endedLease = { token: job.lease!.token, reason };
  delete job.lease;
}

/**
 * Ids and keys come from clients, so they can be any string — including "constructor" or "__proto__",
 * which a plain object already "has" through Object.prototype. Look up and store own properties only.
 */
export function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function put<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

function refuse(error: QueueError, message: string): Result {
  return { ok: false, error, message };
}

function isJob(x: Job | Result): x is Job {
  return 'id' in x;
}
