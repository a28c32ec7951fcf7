// The work queue's pure core.
//
// Everything here is plain data in, plain data out: no `node:` imports, no timers, no clock, no randomness.
// Time arrives as `now` (milliseconds) inside every command, and the one random number the core needs
// (backoff jitter) arrives as `jitter` in [0, 1). That makes the core deterministic: the broker can write
// each command to an append-only log and rebuild exactly the same state by applying the log again.

// #region types
export interface QueueConfig {
  /** How long a lease lasts before the job is handed to another worker (the "visibility timeout"). */
  visibilityTimeoutMs: number;
  /** After this many attempts a job that keeps failing goes to the dead-letter queue. */
  maxAttempts: number;
  /** First retry waits about this long; each further retry doubles it, up to backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
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
  lastError?: string;
  enqueuedAt: number;
}

export interface QueueState {
  config: QueueConfig;
  jobs: Record<string, Job>; // every job ever enqueued, by id
  waiting: string[]; // ids of jobs not yet done or dead, oldest first
  byKey: Record<string, string>; // idempotency key -> job id
  nextId: number;
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
  | { ok: true; type: 'ticked'; reclaimed: string[] }
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
};

export function createQueue(config: Partial<QueueConfig> = {}): QueueState {
  return { config: { ...defaultConfig, ...config }, jobs: {}, waiting: [], byKey: {}, nextId: 1 };
}

// #region apply
/** Apply one command. The state object is updated in place; the result says what happened. */
export function apply(state: QueueState, cmd: Command): Result {
  // A lease that ran out is reclaimed before anything else happens, so no command can see a stale lease.
  const reclaimed = reclaimExpired(state, cmd.now);
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
      return { ok: true, type: 'ticked', reclaimed };
    case 'redrive':
      return redrive(state, cmd.now, cmd.jobId);
    case 'configure':
      // Settings are part of the history too: a lease granted under a 10 s timeout keeps its expiry when
      // the broker restarts with 30 s, because replay meets this command at the point it was given.
      state.config = { ...cmd.config };
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
  state.waiting.push(id);
  return { ok: true, type: 'enqueued', job, created: true };
}
// #endregion enqueue

// #region lease
function lease(state: QueueState, now: number, workerId: string): Result {
  // Oldest job first, skipping jobs that are leased or still backing off.
  for (const id of state.waiting) {
    const job = state.jobs[id]!;
    if (job.status !== 'pending' || job.availableAt > now) continue;
    job.status = 'leased';
    job.attempts += 1;
    job.leaseCount += 1;
    // The token names this lease and no other: after a redelivery the old worker's token stops working.
    // It counts leases, not attempts: a redriven job starts its attempts again, and a worker still holding
    // `job-3.1` from the job's first life must not be able to ack the new `job-3.1`.
    job.lease = { token: `${job.id}.${job.leaseCount}`, workerId, expiresAt: now + state.config.visibilityTimeoutMs };
    return { ok: true, type: 'leased', job };
  }
  return { ok: true, type: 'leased', job: null };
}
// #endregion lease

// #region check-lease
/** A heartbeat, ack or fail is accepted only from the worker that holds the current, unexpired lease. */
function checkLease(state: QueueState, now: number, jobId: string, token: string): Job | Result {
  const job = own(state.jobs, jobId);
  if (job === undefined) return refuse('unknown-job', `no job with id ${jobId}`);
  // apply() reclaims expired leases before this runs, so a late worker usually finds its lease already
  // gone. Its token is still the last one issued for the job, which tells us why: the lease expired.
  const expired = job.lease === undefined && token === `${job.id}.${job.leaseCount}` && job.lastError === 'lease expired';
  if (expired || (job.lease?.token === token && job.lease.expiresAt <= now)) {
    return refuse('lease-expired', `the lease ${token} on ${jobId} expired; the job is now ${job.status}`);
  }
  if (job.status !== 'leased' || job.lease === undefined) {
    return refuse('not-leased', `job ${jobId} is ${job.status}, not leased`);
  }
  if (job.lease.token !== token) {
    return refuse('wrong-lease', `job ${jobId} is now held by lease ${job.lease.token}, not ${token}`);
  }
  return job;
}
// #endregion check-lease

// #region heartbeat
function heartbeat(state: QueueState, now: number, jobId: string, token: string): Result {
  const job = checkLease(state, now, jobId, token);
  if (!isJob(job)) return job;
  job.lease!.expiresAt = now + state.config.visibilityTimeoutMs;
  return { ok: true, type: 'extended', job };
}
// #endregion heartbeat

// #region ack
function ack(state: QueueState, now: number, jobId: string, token: string): Result {
  const job = checkLease(state, now, jobId, token);
  if (!isJob(job)) return job;
  job.status = 'done';
  delete job.lease;
  removeWaiting(state, jobId);
  return { ok: true, type: 'acked', job };
}
// #endregion ack

// #region fail
function fail(state: QueueState, now: number, jobId: string, token: string, error: string, jitter: number): Result {
  const job = checkLease(state, now, jobId, token);
  if (!isJob(job)) return job;
  delete job.lease;
  job.lastError = error;
  if (job.attempts >= state.config.maxAttempts) {
    // A poison message: it has failed every time. Park it in the dead-letter queue for a human.
    job.status = 'dead';
    removeWaiting(state, jobId);
  } else {
    job.status = 'pending';
    job.availableAt = now + backoffDelay(state.config, job.attempts, jitter);
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
 * back to pending for another worker, or to the dead-letter queue if it has used up its attempts.
 * Returns the ids of the jobs it reclaimed.
 */
export function reclaimExpired(state: QueueState, now: number): string[] {
  const reclaimed: string[] = [];
  for (const id of state.waiting) {
    const job = state.jobs[id]!;
    if (job.status !== 'leased' || job.lease === undefined || job.lease.expiresAt > now) continue;
    delete job.lease;
    job.lastError = 'lease expired';
    if (job.attempts >= state.config.maxAttempts) {
      job.status = 'dead';
    } else {
      job.status = 'pending';
      job.availableAt = now;
    }
    reclaimed.push(id);
  }
  // Dead jobs leave the waiting list (done outside the loop so the loop does not skip entries).
  state.waiting = state.waiting.filter((id) => state.jobs[id]!.status !== 'dead');
  return reclaimed;
}
// #endregion reclaim-expired

function redrive(state: QueueState, now: number, jobId: string): Result {
  const job = own(state.jobs, jobId);
  if (job === undefined) return refuse('unknown-job', `no job with id ${jobId}`);
  if (job.status !== 'dead') return refuse('not-dead', `job ${jobId} is ${job.status}; only dead jobs can be redriven`);
  job.status = 'pending';
  job.attempts = 0;
  job.availableAt = now;
  state.waiting.push(jobId);
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

export function stats(state: QueueState): Stats {
  const s: Stats = { pending: 0, leased: 0, done: 0, dead: 0, total: 0 };
  for (const job of Object.values(state.jobs)) {
    s[job.status] += 1;
    s.total += 1;
  }
  return s;
}
// #endregion stats

/**
 * The earliest time at which something changes by itself (a lease expires or a backoff ends), or null.
 * The broker sets one timer for this moment instead of polling.
 */
export function nextWakeup(state: QueueState, now: number): number | null {
  let next: number | null = null;
  for (const id of state.waiting) {
    const job = state.jobs[id]!;
    const t = job.status === 'leased' ? job.lease!.expiresAt : job.availableAt > now ? job.availableAt : null;
    if (t !== null && (next === null || t < next)) next = t;
  }
  return next;
}

function removeWaiting(state: QueueState, jobId: string): void {
  state.waiting = state.waiting.filter((id) => id !== jobId);
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
