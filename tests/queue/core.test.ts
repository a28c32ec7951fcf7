// Unit tests for the queue's pure core. Each test is named after the one behaviour it proves, in the style
// of etcd's raft_paper_test.go: read the names top to bottom and you have the queue's specification.
import { describe, expect, it } from 'vitest';
import {
  apply,
  backoffDelay,
  changedState,
  createQueue,
  defaultConfig,
  nextWakeup,
  stats,
  type Command,
  type Job,
  type QueueConfig,
  type QueueState,
  type Result,
} from '../../examples/queue/core/queue.ts';

const config: QueueConfig = { visibilityTimeoutMs: 1_000, maxAttempts: 3, backoffBaseMs: 100, backoffMaxMs: 1_000, doneRetentionMs: 60_000 };

/** The ids of the pending jobs in the order lease() will hand them out (the pending heap, fully sorted). */
function inLine(state: QueueState): string[] {
  return [...state.pending].sort((a, b) => a.at - b.at || a.seq - b.seq).map((e) => e.id);
}

/** Apply a command that must succeed and return its result, narrowed to the expected type. */
function ok<T extends Extract<Result, { ok: true }>['type']>(
  state: QueueState,
  cmd: Command,
  type: T,
): Extract<Result, { ok: true; type: T }> {
  const r = apply(state, cmd);
  if (!r.ok) throw new Error(`${cmd.type} was refused: ${r.error} (${r.message})`);
  if (r.type !== type) throw new Error(`expected ${type}, got ${r.type}`);
  return r as Extract<Result, { ok: true; type: T }>;
}

function enqueue(state: QueueState, now: number, payload: unknown = null, idempotencyKey?: string): Job {
  const cmd: Command = idempotencyKey === undefined ? { type: 'enqueue', now, payload } : { type: 'enqueue', now, payload, idempotencyKey };
  return ok(state, cmd, 'enqueued').job;
}

function lease(state: QueueState, now: number, workerId: string): Job | null {
  return ok(state, { type: 'lease', now, workerId }, 'leased').job;
}

/** Lease and insist a job came back; returns a snapshot (the live object keeps changing). */
function leaseJob(state: QueueState, now: number, workerId: string): { id: string; token: string; expiresAt: number; attempts: number } {
  const job = lease(state, now, workerId);
  if (job === null || job.lease === undefined) throw new Error(`expected ${workerId} to get a job at t=${now}`);
  return { id: job.id, token: job.lease.token, expiresAt: job.lease.expiresAt, attempts: job.attempts };
}

function refused(r: Result): string {
  if (r.ok) throw new Error(`expected a refusal, got ${r.type}`);
  return r.error;
}

describe('enqueue and lease', () => {
  it('hands out jobs oldest first (FIFO)', () => {
    const q = createQueue(config);
    enqueue(q, 0, 'a');
    enqueue(q, 1, 'b');
    enqueue(q, 2, 'c');
    const got = [lease(q, 3, 'w1'), lease(q, 3, 'w2'), lease(q, 3, 'w3')].map((j) => j?.payload);
    expect(got).toEqual(['a', 'b', 'c']);
    expect(lease(q, 3, 'w4')).toBeNull();
  });

  it('a leased job is handed to one worker only', () => {
    const q = createQueue(config);
    const job = enqueue(q, 0);
    const first = leaseJob(q, 0, 'w1');
    expect(first.id).toBe(job.id);
    expect(lease(q, 1, 'w2')).toBeNull();
    expect(q.jobs[job.id]!.lease!.workerId).toBe('w1');
  });

  it('a lease records the worker, a token and an expiry one visibility timeout away, and counts the attempt', () => {
    const q = createQueue(config);
    enqueue(q, 0);
    const l = leaseJob(q, 50, 'w1');
    expect(l.expiresAt).toBe(50 + config.visibilityTimeoutMs);
    expect(l.attempts).toBe(1);
    expect(typeof l.token).toBe('string');
  });

  it('createQueue fills missing settings from defaultConfig', () => {
    expect(createQueue().config).toEqual(defaultConfig);
    expect(createQueue({ maxAttempts: 9 }).config).toEqual({ ...defaultConfig, maxAttempts: 9 });
  });
});

describe('heartbeat and ack', () => {
  it('a heartbeat extends the lease, so the job is not redelivered at the old expiry', () => {
    const q = createQueue(config);
    enqueue(q, 0);
    const l = leaseJob(q, 0, 'w1');
    const hb = ok(q, { type: 'heartbeat', now: 900, jobId: l.id, token: l.token }, 'extended');
    expect(hb.job.lease!.expiresAt).toBe(900 + config.visibilityTimeoutMs);
    // Past the original expiry (1000) but before the extended one (1900): nobody else gets it.
    expect(lease(q, 1_500, 'w2')).toBeNull();
    ok(q, { type: 'ack', now: 1_800, jobId: l.id, token: l.token }, 'acked');
  });

  it('an ack with the current token completes the job and takes it out of the line', () => {
    const q = createQueue(config);
    enqueue(q, 0);
    const l = leaseJob(q, 0, 'w1');
    const r = ok(q, { type: 'ack', now: 10, jobId: l.id, token: l.token }, 'acked');
    expect(r.job.status).toBe('done');
    expect(r.job.lease).toBeUndefined();
    expect(inLine(q)).toEqual([]);
    expect(stats(q)).toEqual({ pending: 0, leased: 0, done: 1, dead: 0, total: 1 });
    expect(lease(q, 20, 'w2')).toBeNull();
  });

  it('an ack for an unknown job is refused (unknown-job); a second ack of a done job is refused (not-leased)', () => {
    const q = createQueue(config);
    enqueue(q, 0);
    const l = leaseJob(q, 0, 'w1');
    expect(refused(apply(q, { type: 'ack', now: 1, jobId: 'job-99', token: 'x' }))).toBe('unknown-job');
    ok(q, { type: 'ack', now: 2, jobId: l.id, token: l.token }, 'acked');
    expect(refused(apply(q, { type: 'ack', now: 3, jobId: l.id, token: l.token }))).toBe('not-leased');
  });

  it('after expiry and redelivery, an ack with the old token is refused (wrong-lease) and the new holder can ack', () => {
    const q = createQueue(config);
    enqueue(q, 0);
    const old = leaseJob(q, 0, 'w1');
    const fresh = leaseJob(q, old.expiresAt, 'w2'); // expired exactly now: redelivered to w2
    expect(fresh.id).toBe(old.id);
    expect(fresh.token).not.toBe(old.token);
    expect(fresh.attempts).toBe(2);
    const before = structuredClone(q);
    expect(refused(apply(q, { type: 'ack', now: old.expiresAt + 1, jobId: old.id, token: old.token }))).toBe('wrong-lease');
    expect(q).toEqual(before);
    ok(q, { type: 'ack', now: old.expiresAt + 2, jobId: fresh.id, token: fresh.token }, 'acked');
  });

  it('an ack after the lease expired is refused and the job is redelivered to the next worker', () => {
    const q = createQueue(config);
    enqueue(q, 0);
    const l = leaseJob(q, 0, 'w1');
    // The expired lease is reclaimed as part of this very command; the late worker is told why it lost it.
    const r = apply(q, { type: 'ack', now: l.expiresAt, jobId: l.id, token: l.token });
    expect(refused(r)).toBe('lease-expired');
    expect(q.jobs[l.id]!.status).toBe('pending');
    expect(q.jobs[l.id]!.lastError).toBe('lease expired');
    const again = leaseJob(q, l.expiresAt, 'w2');
    expect(again.id).toBe(l.id);
  });

  it('a heartbeat or fail after the lease expired is refused too, and changes nothing but the reclaim', () => {
    for (const type of ['heartbeat', 'fail'] as const) {
      const q = createQueue(config);
      enqueue(q, 0);
      const l = leaseJob(q, 0, 'w1');
      const cmd: Command =
        type === 'heartbeat'
          ? { type, now: 1_500, jobId: l.id, token: l.token }
          : { type, now: 1_500, jobId: l.id, token: l.token, error: 'boom', jitter: 0.5 };
      expect(refused(apply(q, cmd))).toBe('lease-expired');
      expect(q.jobs[l.id]).toMatchObject({ status: 'pending', availableAt: 1_500, lastError: 'lease expired' });
    }
  });

  it('the lease boundary is exact: accepted 1 ms before expiresAt, refused at expiresAt', () => {
    const q = createQueue(config);
    enqueue(q, 0);
    enqueue(q, 0);
    const a = leaseJob(q, 0, 'w1');
    const b = leaseJob(q, 0, 'w2');
    ok(q, { type: 'ack', now: a.expiresAt - 1, jobId: a.id, token: a.token }, 'acked');
    refused(apply(q, { type: 'ack', now: b.expiresAt, jobId: b.id, token: b.token }));
  });
});

describe('fail, retry and backoff', () => {
  it('a failed job is retried after its backoff: not leasable before availableAt, leasable at it', () => {
    const q = createQueue(config);
    enqueue(q, 0);
    const l = leaseJob(q, 0, 'w1');
    const r = ok(q, { type: 'fail', now: 100, jobId: l.id, token: l.token, error: 'db down', jitter: 0.5 }, 'failed');
    const expectedDelay = backoffDelay(config, 1, 0.5);
    expect(expectedDelay).toBeGreaterThan(0);
    expect(r.job).toMatchObject({ status: 'pending', lastError: 'db down', availableAt: 100 + expectedDelay });
    expect(r.job.lease).toBeUndefined();
    expect(lease(q, 100 + expectedDelay - 1, 'w2')).toBeNull();
    expect(leaseJob(q, 100 + expectedDelay, 'w2')).toMatchObject({ id: l.id, attempts: 2 });
  });

  it("a crashed worker's job goes back in line at its enqueue time, ahead of jobs enqueued after it", () => {
    const q = createQueue(config);
    enqueue(q, 0, 'first');
    const l = leaseJob(q, 0, 'w1'); // w1 crashes holding it
    for (let t = 100; t <= 500; t += 100) enqueue(q, t, `later-${t}`);
    expect(ok(q, { type: 'tick', now: l.expiresAt }, 'ticked').reclaimed).toEqual([l.id]);
    expect(leaseJob(q, l.expiresAt, 'w2')).toMatchObject({ id: l.id, attempts: 2 });
    expect(lease(q, l.expiresAt, 'w3')?.payload).toBe('later-100');
  });

  it('a job in backoff does not block younger jobs behind it', () => {
    const q = createQueue(config);
    enqueue(q, 0, 'old');
    enqueue(q, 0, 'young');
    const l = leaseJob(q, 0, 'w1');
    ok(q, { type: 'fail', now: 1, jobId: l.id, token: l.token, error: 'x', jitter: 0.99 }, 'failed');
    expect(lease(q, 2, 'w2')?.payload).toBe('young');
  });

  it('backoffDelay doubles per attempt up to the cap', () => {
    const c: QueueConfig = { ...config, backoffBaseMs: 100, backoffMaxMs: 1_000 };
    const ceilings = [1, 2, 3, 4, 5, 6, 10].map((a) => backoffDelay(c, a, 0.999_999_999) + 1);
    expect(ceilings).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it('backoffDelay with jitter in [0, 1) stays in [0, ceiling)', () => {
    for (const attempts of [1, 2, 3, 8]) {
      const ceiling = Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** (attempts - 1));
      expect(backoffDelay(config, attempts, 0)).toBe(0);
      for (const jitter of [0.001, 0.25, 0.5, 0.75, 0.999_999]) {
        const d = backoffDelay(config, attempts, jitter);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
      }
    }
  });
});

describe('dead-letter queue', () => {
  it('a job that fails maxAttempts times goes dead and leaves the line', () => {
    const q = createQueue(config);
    enqueue(q, 0);
    let now = 0;
    for (let attempt = 1; attempt <= config.maxAttempts; attempt++) {
      const l = leaseJob(q, now, 'w1');
      expect(l.attempts).toBe(attempt);
      const r = ok(q, { type: 'fail', now, jobId: l.id, token: l.token, error: `fail ${attempt}`, jitter: 0 }, 'failed');
      expect(r.job.status).toBe(attempt < config.maxAttempts ? 'pending' : 'dead');
      now = r.job.availableAt;
    }
    expect(inLine(q)).toEqual([]);
    expect(q.jobs['job-1']).toMatchObject({ status: 'dead', attempts: config.maxAttempts, lastError: `fail ${config.maxAttempts}` });
    expect(lease(q, now + 100_000, 'w1')).toBeNull();
  });

  it('a poison message that crashes every worker (leases keep expiring) goes dead after maxAttempts', () => {
    const q = createQueue(config);
    enqueue(q, 0, 'poison');
    let now = 0;
    for (let attempt = 1; attempt <= config.maxAttempts; attempt++) {
      const l = leaseJob(q, now, `w${attempt}`); // the worker crashes: it never acks
      expect(l).toMatchObject({ id: 'job-1', attempts: attempt });
      now = l.expiresAt;
      const r = ok(q, { type: 'tick', now }, 'ticked');
      expect(r.reclaimed).toEqual(['job-1']);
    }
    expect(q.jobs['job-1']).toMatchObject({ status: 'dead', lastError: 'lease expired' });
    expect(q.jobs['job-1']!.lease).toBeUndefined();
    expect(inLine(q)).toEqual([]);
    enqueue(q, now, 'fine');
    expect(lease(q, now, 'w9')?.payload).toBe('fine');
  });

  it('redrive puts a dead job back as pending with fresh attempts; redriving a live job is refused', () => {
    const q = createQueue({ ...config, maxAttempts: 1 });
    enqueue(q, 0);
    enqueue(q, 0);
    const l = leaseJob(q, 0, 'w1');
    ok(q, { type: 'fail', now: 5, jobId: l.id, token: l.token, error: 'bad', jitter: 0 }, 'failed');
    expect(refused(apply(q, { type: 'redrive', now: 6, jobId: 'job-2' }))).toBe('not-dead');
    expect(refused(apply(q, { type: 'redrive', now: 6, jobId: 'job-9' }))).toBe('unknown-job');
    const r = ok(q, { type: 'redrive', now: 10, jobId: l.id }, 'redriven');
    expect(r.job).toMatchObject({ status: 'pending', attempts: 0, availableAt: 10 });
    expect(inLine(q)).toEqual(['job-2', 'job-1']); // back of the line
    leaseJob(q, 10, 'w2');
    expect(leaseJob(q, 10, 'w3')).toMatchObject({ id: 'job-1', attempts: 1 });
  });

  it('after a redrive, a token from the job\'s earlier life is refused: no lease token is ever issued twice', () => {
    const q = createQueue({ ...config, maxAttempts: 1 });
    enqueue(q, 0);
    const first = leaseJob(q, 0, 'slow-worker'); // stalls (GC pause, network partition), does not crash
    ok(q, { type: 'tick', now: first.expiresAt }, 'ticked'); // maxAttempts 1: dead
    ok(q, { type: 'redrive', now: first.expiresAt + 1, jobId: first.id }, 'redriven');
    const second = leaseJob(q, first.expiresAt + 1, 'w2');
    expect(second.attempts).toBe(1);
    expect(second.token).not.toBe(first.token);
    // The slow worker wakes up and acks with the token of its long-gone lease: must not complete w2's job.
    const r = apply(q, { type: 'ack', now: first.expiresAt + 2, jobId: first.id, token: first.token });
    expect(refused(r)).toBe('wrong-lease');
    expect(q.jobs[first.id]!.status).toBe('leased');
  });
});

describe('idempotent enqueue', () => {
  it('enqueueing twice with the same key returns the same job with created=false', () => {
    const q = createQueue(config);
    const a = ok(q, { type: 'enqueue', now: 0, payload: { n: 1 }, idempotencyKey: 'order-7' }, 'enqueued');
    const b = ok(q, { type: 'enqueue', now: 5, payload: { n: 2 }, idempotencyKey: 'order-7' }, 'enqueued');
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.job.id).toBe(a.job.id);
    expect(b.job.payload).toEqual({ n: 1 }); // the first payload wins
    expect(stats(q).total).toBe(1);
    expect(inLine(q)).toEqual([a.job.id]);
  });

  it('the key still deduplicates after the job is done; different keys and no key create new jobs', () => {
    const q = createQueue(config);
    const a = enqueue(q, 0, null, 'k');
    const l = leaseJob(q, 0, 'w');
    ok(q, { type: 'ack', now: 1, jobId: l.id, token: l.token }, 'acked');
    const again = ok(q, { type: 'enqueue', now: 2, payload: null, idempotencyKey: 'k' }, 'enqueued');
    expect(again).toMatchObject({ created: false, job: { id: a.id, status: 'done' } });
    expect(enqueue(q, 3, null, 'other').id).not.toBe(a.id);
    expect(enqueue(q, 4).id).not.toBe(enqueue(q, 4).id);
    expect(stats(q).total).toBe(4);
  });
});

describe('ids and keys that Object.prototype already "has"', () => {
  it('keys named constructor, __proto__ and toString create a job once and then deduplicate', () => {
    const q = createQueue(config);
    for (const key of ['constructor', '__proto__', 'toString']) {
      const first = ok(q, { type: 'enqueue', now: 0, payload: key, idempotencyKey: key }, 'enqueued');
      expect(first.created).toBe(true);
      expect(first.job.idempotencyKey).toBe(key);
      const again = ok(q, { type: 'enqueue', now: 1, payload: 'again', idempotencyKey: key }, 'enqueued');
      expect(again).toMatchObject({ created: false, job: { id: first.job.id, payload: key } });
    }
    expect(stats(q).total).toBe(3);
    expect(Object.keys(q.byKey).sort()).toEqual(['__proto__', 'constructor', 'toString']);
  });

  it('a job id that names an inherited property is an unknown job, not a crash', () => {
    const q = createQueue(config);
    for (const jobId of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(apply(q, { type: 'ack', now: 0, jobId, token: 'x' })).toMatchObject({ ok: false, error: 'unknown-job' });
      expect(apply(q, { type: 'redrive', now: 0, jobId })).toMatchObject({ ok: false, error: 'unknown-job' });
    }
  });
});

describe('stats and nextWakeup', () => {
  it('stats counts jobs by status', () => {
    const q = createQueue({ ...config, maxAttempts: 1 });
    for (let i = 0; i < 5; i++) enqueue(q, 0);
    const a = leaseJob(q, 0, 'w1');
    const b = leaseJob(q, 0, 'w2');
    leaseJob(q, 0, 'w3');
    ok(q, { type: 'ack', now: 1, jobId: a.id, token: a.token }, 'acked');
    ok(q, { type: 'fail', now: 1, jobId: b.id, token: b.token, error: 'x', jitter: 0 }, 'failed');
    expect(stats(q)).toEqual({ pending: 2, leased: 1, done: 1, dead: 1, total: 5 });
    expect(stats(createQueue())).toEqual({ pending: 0, leased: 0, done: 0, dead: 0, total: 0 });
  });

  it('nextWakeup is the earliest lease expiry or backoff end, and null when nothing will change by itself', () => {
    const q = createQueue(config);
    expect(nextWakeup(q, 0)).toBeNull();
    enqueue(q, 0);
    expect(nextWakeup(q, 0)).toBeNull(); // pending and available now: nothing to wait for
    const a = leaseJob(q, 0, 'w1');
    expect(nextWakeup(q, 0)).toBe(a.expiresAt);
    enqueue(q, 10);
    const b = leaseJob(q, 10, 'w2');
    ok(q, { type: 'fail', now: 20, jobId: b.id, token: b.token, error: 'x', jitter: 0.5 }, 'failed');
    const backoffEnd = q.jobs[b.id]!.availableAt;
    expect(backoffEnd).toBeGreaterThan(20);
    expect(nextWakeup(q, 20)).toBe(Math.min(backoffEnd, a.expiresAt));
    ok(q, { type: 'ack', now: 30, jobId: a.id, token: a.token }, 'acked');
    expect(nextWakeup(q, 30)).toBe(backoffEnd);
    expect(nextWakeup(q, backoffEnd)).toBeNull();
  });
});

describe('replay', () => {
  it('applying the same commands to a fresh state gives a deep-equal state and the same results', () => {
    const cmds: Command[] = [
      { type: 'enqueue', now: 0, payload: { to: 'ada' }, idempotencyKey: 'p-1' },
      { type: 'enqueue', now: 1, payload: { to: 'bob' } },
      { type: 'enqueue', now: 2, payload: { to: 'ada' }, idempotencyKey: 'p-1' },
      { type: 'lease', now: 3, workerId: 'w1' },
      { type: 'lease', now: 4, workerId: 'w2' },
      { type: 'heartbeat', now: 500, jobId: 'job-1', token: 'job-1.1' },
      { type: 'fail', now: 600, jobId: 'job-2', token: 'job-2.1', error: 'smtp 451', jitter: 0.37 },
      { type: 'tick', now: 1_600 },
      { type: 'lease', now: 1_700, workerId: 'w3' },
      { type: 'ack', now: 1_800, jobId: 'job-1', token: 'job-1.1' },
      { type: 'redrive', now: 1_900, jobId: 'job-1' },
    ];
    const run = () => {
      const q = createQueue(config);
      const results = cmds.map((c) => apply(q, structuredClone(c)));
      return { q, results: structuredClone(results) };
    };
    const first = run();
    const second = run();
    expect(second.q).toEqual(first.q);
    expect(second.results).toEqual(first.results);
    // The log did something worth replaying: a retry, a redelivery and a refused stale ack.
    expect(stats(first.q).total).toBe(2);
    expect(first.results.some((r) => !r.ok)).toBe(true);
  });
});

describe('changedState: which commands a log must keep', () => {
  it('keeps what changed the queue and drops refusals, empty leases, repeated keys and idle ticks', () => {
    const q = createQueue(config);
    const verdict = (cmd: Command): boolean => changedState(apply(q, cmd));
    expect(verdict({ type: 'enqueue', now: 0, payload: 1, idempotencyKey: 'k' })).toBe(true);
    expect(verdict({ type: 'enqueue', now: 1, payload: 1, idempotencyKey: 'k' })).toBe(false); // same key: same job
    expect(verdict({ type: 'lease', now: 2, workerId: 'w1' })).toBe(true);
    expect(verdict({ type: 'lease', now: 3, workerId: 'w2' })).toBe(false); // nothing to hand out
    expect(verdict({ type: 'tick', now: 4 })).toBe(false); // time passed, nothing ran out
    expect(verdict({ type: 'heartbeat', now: 5, jobId: 'job-1', token: 'job-1.1' })).toBe(true);
    expect(verdict({ type: 'ack', now: 6, jobId: 'job-1', token: 'wrong' })).toBe(false); // refused
    expect(verdict({ type: 'ack', now: 7, jobId: 'job-1', token: 'job-1.1' })).toBe(true);
    expect(verdict({ type: 'configure', now: 8, config })).toBe(true);
    enqueue(q, 9);
    leaseJob(q, 9, 'w1');
    expect(verdict({ type: 'tick', now: 9 + config.visibilityTimeoutMs })).toBe(true); // a lease ran out
    expect(verdict({ type: 'tick', now: 7 + config.doneRetentionMs })).toBe(true); // job-1 is forgotten
    expect(q.jobs['job-1']).toBeUndefined();
  });

  it('replaying only the commands it keeps rebuilds the same state', () => {
    const live = createQueue(config);
    const log: Command[] = [];
    const run = (cmd: Command): void => {
      if (changedState(apply(live, cmd))) log.push(cmd);
    };
    run({ type: 'enqueue', now: 0, payload: 'a', idempotencyKey: 'a' });
    run({ type: 'enqueue', now: 1, payload: 'a', idempotencyKey: 'a' });
    run({ type: 'enqueue', now: 2, payload: 'b' });
    run({ type: 'lease', now: 3, workerId: 'w1' });
    run({ type: 'lease', now: 4, workerId: 'w2' });
    run({ type: 'lease', now: 5, workerId: 'w3' });
    run({ type: 'fail', now: 6, jobId: 'job-2', token: 'job-2.1', error: 'boom', jitter: 0.5 });
    run({ type: 'tick', now: 2_000 });
    run({ type: 'ack', now: 2_001, jobId: 'job-1', token: 'job-1.1' }); // too late: refused
    expect(log.map((c) => c.type)).toEqual(['enqueue', 'enqueue', 'lease', 'lease', 'fail', 'tick']);
    const replayed = createQueue(config);
    for (const cmd of log) apply(replayed, cmd);
    expect(replayed).toEqual(live);
  });
});

describe('why a lease ended is state, not an error text', () => {
  it('repeating an ack after an earlier lease expired and a later lease acked is not-leased, not lease-expired', () => {
    const q = createQueue(config);
    enqueue(q, 0);
    const first = leaseJob(q, 0, 'w1');
    ok(q, { type: 'tick', now: first.expiresAt }, 'ticked'); // w1 lost touch: its lease expired
    const second = leaseJob(q, first.expiresAt, 'w2');
    expect(second.token).toBe('job-1.2');
    ok(q, { type: 'ack', now: first.expiresAt + 5, jobId: 'job-1', token: second.token }, 'acked');
    const again = apply(q, { type: 'ack', now: first.expiresAt + 6, jobId: 'job-1', token: second.token });
    expect(again).toEqual({ ok: false, error: 'not-leased', message: 'job job-1 is done, not leased' });
    // The first worker's token, from the lease that did expire, is not told lease-expired either: its job has
    // had a later life since, which ended with an ack.
    expect(refused(apply(q, { type: 'ack', now: first.expiresAt + 7, jobId: 'job-1', token: first.token }))).toBe('not-leased');
  });

  it('a late ack right after its lease expired is told lease-expired, whatever error text the job carries', () => {
    const q = createQueue(config);
    enqueue(q, 0);
    const l = leaseJob(q, 0, 'w1');
    ok(q, { type: 'fail', now: 1, jobId: l.id, token: l.token, error: 'lease expired', jitter: 0 }, 'failed');
    // A worker that failed the job with the words "lease expired" did not have its lease expire.
    expect(refused(apply(q, { type: 'ack', now: 2, jobId: l.id, token: l.token }))).toBe('not-leased');
    expect(q.jobs[l.id]!.endedLease).toEqual({ token: 'job-1.1', reason: 'failed' });
    const l2 = leaseJob(q, 200, 'w2');
    ok(q, { type: 'tick', now: l2.expiresAt }, 'ticked');
    expect(q.jobs[l.id]!.endedLease).toEqual({ token: 'job-1.2', reason: 'expired' });
    const late = apply(q, { type: 'ack', now: l2.expiresAt + 1, jobId: l.id, token: l2.token });
    expect(late).toEqual({ ok: false, error: 'lease-expired', message: 'the lease job-1.2 on job-1 expired; the job is now pending' });
  });

  it('an ack records the lease it ended', () => {
    const q = createQueue(config);
    enqueue(q, 0);
    const l = leaseJob(q, 0, 'w1');
    const r = ok(q, { type: 'ack', now: 3, jobId: l.id, token: l.token }, 'acked');
    expect(r.job).toMatchObject({ status: 'done', doneAt: 3, endedLease: { token: 'job-1.1', reason: 'acked' } });
  });
});

describe('the line and the lease index', () => {
  it('jobs available at the same moment come out first in, first out; earlier availability goes first', () => {
    const q = createQueue(config);
    for (const name of ['a', 'b', 'c']) enqueue(q, 10, name);
    enqueue(q, 5, 'early'); // a producer with a slower clock: available before the others
    expect([1, 2, 3, 4].map(() => lease(q, 20, 'w')?.payload)).toEqual(['early', 'a', 'b', 'c']);
  });

  it('a tick reclaims exactly the leases that ran out, in the order they ran out', () => {
    const q = createQueue(config);
    for (let i = 0; i < 4; i++) enqueue(q, 0);
    const a = leaseJob(q, 0, 'w1');
    const b = leaseJob(q, 10, 'w2');
    const c = leaseJob(q, 5, 'w3');
    const d = leaseJob(q, 20, 'w4');
    ok(q, { type: 'heartbeat', now: 500, jobId: a.id, token: a.token }, 'extended'); // a now runs until 1500
    ok(q, { type: 'ack', now: 600, jobId: d.id, token: d.token }, 'acked');
    const r = ok(q, { type: 'tick', now: 1_010 }, 'ticked');
    expect(r).toEqual({ ok: true, type: 'ticked', reclaimed: [c.id, b.id], forgotten: [] });
    expect(ok(q, { type: 'tick', now: 1_499 }, 'ticked').reclaimed).toEqual([]);
    expect(ok(q, { type: 'tick', now: 1_500 }, 'ticked').reclaimed).toEqual([a.id]);
  });

  it('nextWakeup follows the live leases only: an acked or extended lease does not wake the broker early', () => {
    const q = createQueue(config);
    enqueue(q, 0);
    enqueue(q, 0);
    const a = leaseJob(q, 0, 'w1'); // expires 1000
    const b = leaseJob(q, 100, 'w2'); // expires 1100
    ok(q, { type: 'ack', now: 200, jobId: a.id, token: a.token }, 'acked');
    expect(nextWakeup(q, 200)).toBe(1_100);
    ok(q, { type: 'heartbeat', now: 300, jobId: b.id, token: b.token }, 'extended');
    expect(nextWakeup(q, 300)).toBe(1_300);
    ok(q, { type: 'ack', now: 400, jobId: b.id, token: b.token }, 'acked');
    expect(nextWakeup(q, 400)).toBeNull();
  });
});

describe('forgetting done jobs (bounded memory)', () => {
  it('a done job and its key are forgotten doneRetentionMs after it was done, at the next command', () => {
    const q = createQueue({ ...config, doneRetentionMs: 1_000 });
    enqueue(q, 0, 'x', 'key-1');
    const l = leaseJob(q, 0, 'w');
    ok(q, { type: 'ack', now: 50, jobId: l.id, token: l.token }, 'acked');
    expect(ok(q, { type: 'tick', now: 1_049 }, 'ticked').forgotten).toEqual([]);
    expect(ok(q, { type: 'enqueue', now: 1_049, payload: 'again', idempotencyKey: 'key-1' }, 'enqueued').created).toBe(false);
    expect(ok(q, { type: 'tick', now: 1_050 }, 'ticked')).toEqual({ ok: true, type: 'ticked', reclaimed: [], forgotten: ['job-1'] });
    expect(q.jobs['job-1']).toBeUndefined();
    expect(stats(q)).toEqual({ pending: 0, leased: 0, done: 0, dead: 0, total: 0 });
    expect(refused(apply(q, { type: 'ack', now: 1_051, jobId: 'job-1', token: l.token }))).toBe('unknown-job');
    // Past the retention, the same key is a new job: the documented limit of deduplication.
    const again = ok(q, { type: 'enqueue', now: 1_052, payload: 'again', idempotencyKey: 'key-1' }, 'enqueued');
    expect(again).toMatchObject({ created: true, job: { id: 'job-2', payload: 'again' } });
  });

  it('forgets the oldest done jobs first and never forgets pending, leased or dead ones', () => {
    const q = createQueue({ ...config, doneRetentionMs: 100, maxAttempts: 1 });
    for (let i = 0; i < 4; i++) enqueue(q, 0);
    const [j1, j2, j3, j4] = [leaseJob(q, 0, 'w'), leaseJob(q, 0, 'w'), leaseJob(q, 0, 'w'), leaseJob(q, 0, 'w')];
    ok(q, { type: 'ack', now: 20, jobId: j2!.id, token: j2!.token }, 'acked');
    ok(q, { type: 'ack', now: 10, jobId: j1!.id, token: j1!.token }, 'acked');
    ok(q, { type: 'fail', now: 10, jobId: j3!.id, token: j3!.token, error: 'x', jitter: 0 }, 'failed'); // dead
    expect(ok(q, { type: 'tick', now: 115 }, 'ticked').forgotten).toEqual([j1!.id]);
    expect(ok(q, { type: 'tick', now: 10_000 }, 'ticked')).toEqual({ ok: true, type: 'ticked', reclaimed: [j4!.id], forgotten: [j2!.id] });
    expect(stats(q)).toEqual({ pending: 0, leased: 0, done: 0, dead: 2, total: 2 });
  });
});

describe('settings', () => {
  it('defaultConfig: a 10 s lease, 5 attempts, backoff from 500 ms to 30 s, done jobs kept for an hour', () => {
    expect(defaultConfig).toEqual({ visibilityTimeoutMs: 10_000, maxAttempts: 5, backoffBaseMs: 500, backoffMaxMs: 30_000, doneRetentionMs: 3_600_000 });
    expect(createQueue().config).toEqual(defaultConfig);
  });

  it('configure changes the settings from then on; a lease granted before keeps its expiry; unnamed fields stay', () => {
    const q = createQueue(config);
    enqueue(q, 0);
    enqueue(q, 0);
    const before = leaseJob(q, 0, 'w1');
    const partial = { visibilityTimeoutMs: 5_000 } as QueueConfig; // as an older log's record may look
    const r = ok(q, { type: 'configure', now: 10, config: partial }, 'configured');
    expect(r.config).toEqual({ ...config, visibilityTimeoutMs: 5_000 });
    const after = leaseJob(q, 20, 'w2');
    expect([before.expiresAt, after.expiresAt]).toEqual([1_000, 5_020]);
  });
});

describe('snapshots', () => {
  it('the state survives JSON.stringify/parse exactly: a restored copy answers every later command the same', () => {
    const q = createQueue(config);
    enqueue(q, 0, 'a', '__proto__');
    enqueue(q, 1, 'b');
    const l = leaseJob(q, 2, 'w1');
    ok(q, { type: 'heartbeat', now: 300, jobId: l.id, token: l.token }, 'extended');
    const copy = JSON.parse(JSON.stringify(q)) as QueueState;
    expect(copy).toEqual(q);
    const later: Command[] = [
      { type: 'enqueue', now: 400, payload: 'c', idempotencyKey: '__proto__' },
      { type: 'lease', now: 500, workerId: 'w2' },
      { type: 'tick', now: 1_400 },
      { type: 'lease', now: 1_400, workerId: 'w3' },
    ];
    for (const cmd of later) expect(apply(copy, structuredClone(cmd))).toEqual(apply(q, structuredClone(cmd)));
    expect(copy).toEqual(q);
  });
});
