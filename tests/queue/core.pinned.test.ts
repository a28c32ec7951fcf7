// The queue core's behaviour pinned where the example tests left it loose (issue 5, section 5). Mutation
// testing (npm run test:mutation) showed which changes to queue.ts no test noticed; each test here states the
// behaviour a learner, the broker or the page relies on, through the public API only (apply, stats,
// nextWakeup), so it holds for any correct implementation of the core.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  apply,
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

const enqueue = (s: QueueState, now: number, idempotencyKey?: string) =>
  apply(s, { type: 'enqueue', now, payload: { now }, ...(idempotencyKey === undefined ? {} : { idempotencyKey }) });
const lease = (s: QueueState, now: number, workerId = 'w') => apply(s, { type: 'lease', now, workerId });
const ack = (s: QueueState, now: number, jobId: string, token: string) => apply(s, { type: 'ack', now, jobId, token });
const heartbeat = (s: QueueState, now: number, jobId: string, token: string) => apply(s, { type: 'heartbeat', now, jobId, token });
const fail = (s: QueueState, now: number, jobId: string, token: string, jitter = 0) =>
  apply(s, { type: 'fail', now, jobId, token, error: 'boom', jitter });
const tick = (s: QueueState, now: number) => apply(s, { type: 'tick', now });
const configure = (s: QueueState, now: number, change: Partial<QueueConfig>) =>
  apply(s, { type: 'configure', now, config: { ...s.config, ...change } });

/** The job a successful lease handed out (fails the test if none was). */
function leased(r: Result): Job & { lease: NonNullable<Job['lease']> } {
  if (!r.ok || r.type !== 'leased' || r.job === null || r.job.lease === undefined) throw new Error(`no lease: ${JSON.stringify(r)}`);
  return structuredClone(r.job) as Job & { lease: NonNullable<Job['lease']> };
}

describe('defaultConfig: the settings the page and the broker promise', () => {
  it('is a 10 s visibility timeout, 5 attempts, backoff from 500 ms capped at 30 s, done jobs kept for an hour', () => {
    expect(defaultConfig).toEqual({
      visibilityTimeoutMs: 10_000,
      maxAttempts: 5,
      backoffBaseMs: 500,
      backoffMaxMs: 30_000,
      doneRetentionMs: 3_600_000,
    });
  });

  it('a default queue behaves by those numbers: lease expiry, dead after 5 attempts, backoff ceiling', () => {
    const s = createQueue();
    expect(s.config).toEqual(defaultConfig);
    enqueue(s, 0);
    expect(leased(lease(s, 0)).lease.expiresAt).toBe(10_000);
    expect(tick(s, 9_999)).toMatchObject({ reclaimed: [] });
    expect(tick(s, 10_000)).toMatchObject({ reclaimed: ['job-1'] });
    // Attempt 2 fails with the largest jitter: it waits just under 500 * 2^(2-1) = 1000 ms.
    const second = leased(lease(s, 10_000));
    expect(fail(s, 10_000, 'job-1', second.lease.token, 0.9999)).toMatchObject({ job: { availableAt: 10_999, status: 'pending' } });
    for (let attempt = 3; attempt <= 5; attempt++) {
      const j = leased(lease(s, 100_000 * attempt));
      expect(j.attempts).toBe(attempt);
      fail(s, 100_000 * attempt, 'job-1', j.lease.token, 0.9999);
    }
    expect(s.jobs['job-1']!.status).toBe('dead');
  });

  it('createQueue overrides only the settings it is given, and does not share defaultConfig', () => {
    const s = createQueue({ maxAttempts: 2 });
    expect(s.config).toEqual({ ...defaultConfig, maxAttempts: 2 });
    s.config.visibilityTimeoutMs = 1;
    expect(defaultConfig.visibilityTimeoutMs).toBe(10_000);
  });
});

describe('configure: settings are a command in the history', () => {
  it('answers "configured" with the new settings, and keeps its own copy of them', () => {
    const s = createQueue();
    const config: QueueConfig = { ...defaultConfig, visibilityTimeoutMs: 2_000, maxAttempts: 3 };
    expect(apply(s, { type: 'configure', now: 0, config })).toEqual({ ok: true, type: 'configured', config });
    expect(s.config).toEqual(config);
    config.visibilityTimeoutMs = 5; // the caller changing its object afterwards changes nothing in the queue
    expect(s.config.visibilityTimeoutMs).toBe(2_000);
  });

  it('a new visibility timeout applies to leases granted after it; a lease granted before keeps its expiry', () => {
    const s = createQueue({ visibilityTimeoutMs: 10_000 });
    enqueue(s, 0);
    enqueue(s, 0);
    const before = leased(lease(s, 0));
    configure(s, 100, { visibilityTimeoutMs: 30_000 });
    const after = leased(lease(s, 100));
    expect(before.lease.expiresAt).toBe(10_000);
    expect(after.lease.expiresAt).toBe(30_100);
    expect(tick(s, 10_000)).toMatchObject({ reclaimed: [before.id] });
  });

  it('a shorter timeout set while a lease is out: the next heartbeat gives the new, shorter lease, and it expires then', () => {
    const s = createQueue({ visibilityTimeoutMs: 10_000 });
    enqueue(s, 0);
    const j = leased(lease(s, 0));
    configure(s, 100, { visibilityTimeoutMs: 1_000 });
    expect(heartbeat(s, 200, j.id, j.lease.token)).toMatchObject({ ok: true, type: 'extended', job: { lease: { expiresAt: 1_200 } } });
    // The broker's timer must fire by then (never late), and at 1_200 the lease is gone.
    expect(nextWakeup(s, 200)).not.toBeNull();
    expect(nextWakeup(s, 200)!).toBeLessThanOrEqual(1_200);
    expect(tick(s, 1_200)).toMatchObject({ reclaimed: [j.id] });
    expect(ack(s, 1_200, j.id, j.lease.token)).toMatchObject({ ok: false, error: 'lease-expired' });
  });

  // A bug this test found in the core: a
  // heartbeat sets expiresAt = now + the CURRENT visibility timeout, which after a configure to a shorter
  // timeout is EARLIER than the expiry the lease was filed under in state.leases. tidyLeases re-files only
  // the first entry, so when another lease is due first, the shortened lease stayed filed under its old, later
  // time: nextWakeup answered 10_000 for a lease that ends at 1_020 (late), a tick at 2_000 reclaimed nothing,
  // and an ack at 2_000 was accepted 980 ms after the lease ran out. Fixed: a heartbeat files a new entry.
  it('a shorter timeout, then a heartbeat on a lease that is not the next to expire: it expires at its new time', () => {
    const s = createQueue({ visibilityTimeoutMs: 10_000 });
    enqueue(s, 0);
    enqueue(s, 0);
    leased(lease(s, 0)); // job-1 expires 10_000: the first entry in the index
    const b = leased(lease(s, 5)); // job-2 expires 10_005
    configure(s, 10, { visibilityTimeoutMs: 1_000 });
    expect(heartbeat(s, 20, b.id, b.lease.token)).toMatchObject({ ok: true, job: { lease: { expiresAt: 1_020 } } });
    expect(nextWakeup(s, 20)!).toBeLessThanOrEqual(1_020); // never late: the broker's timer must fire by then
    expect(tick(s, 2_000)).toMatchObject({ reclaimed: [b.id] });
    expect(ack(s, 2_000, b.id, b.lease.token)).toMatchObject({ ok: false, error: 'lease-expired' });
  });

  it('a lower maxAttempts sends the next failure of a job that has used them up to the dead-letter queue', () => {
    const s = createQueue({ maxAttempts: 5 });
    enqueue(s, 0);
    fail(s, 0, 'job-1', leased(lease(s, 0)).lease.token);
    const second = leased(lease(s, 0));
    configure(s, 0, { maxAttempts: 2 });
    expect(fail(s, 0, 'job-1', second.lease.token)).toMatchObject({ job: { status: 'dead', attempts: 2 } });
  });

  it('a longer doneRetentionMs keeps done jobs (and their keys) longer', () => {
    const s = createQueue({ doneRetentionMs: 1_000 });
    enqueue(s, 0, 'k');
    ack(s, 0, 'job-1', leased(lease(s, 0)).lease.token);
    configure(s, 10, { doneRetentionMs: 5_000 });
    expect(tick(s, 1_000)).toMatchObject({ forgotten: [] });
    expect(enqueue(s, 1_000, 'k')).toMatchObject({ created: false, job: { id: 'job-1' } });
    expect(tick(s, 5_000)).toMatchObject({ forgotten: ['job-1'] });
  });
});

describe('lease tokens: "<job id>.<lease number>", never issued twice', () => {
  it('the first lease of each job is .1; the lease carries the worker and the expiry', () => {
    const s = createQueue({ visibilityTimeoutMs: 1_000 });
    enqueue(s, 0);
    enqueue(s, 0);
    expect(leased(lease(s, 5, 'alice')).lease).toEqual({ token: 'job-1.1', workerId: 'alice', expiresAt: 1_005 });
    expect(leased(lease(s, 6, 'bob')).lease).toEqual({ token: 'job-2.1', workerId: 'bob', expiresAt: 1_006 });
  });

  it('every redelivery counts up: after an expiry, a failure, and a redrive from the dead-letter queue', () => {
    const s = createQueue({ visibilityTimeoutMs: 1_000, maxAttempts: 3 });
    enqueue(s, 0);
    const tokens = [leased(lease(s, 0)).lease.token]; // expires at 1_000
    const second = leased(lease(s, 1_000));
    tokens.push(second.lease.token);
    fail(s, 1_000, 'job-1', second.lease.token, 0); // jitter 0: available again at once
    const third = leased(lease(s, 1_000));
    tokens.push(third.lease.token);
    fail(s, 1_000, 'job-1', third.lease.token, 0); // third attempt of three: dead
    apply(s, { type: 'redrive', now: 2_000, jobId: 'job-1' });
    tokens.push(leased(lease(s, 2_000)).lease.token);
    expect(tokens).toEqual(['job-1.1', 'job-1.2', 'job-1.3', 'job-1.4']);
  });
});

describe('tick: exactly which jobs came back, and which were forgotten', () => {
  it('a tick with nothing due reclaims and forgets nothing', () => {
    expect(tick(createQueue(), 0)).toEqual({ ok: true, type: 'ticked', reclaimed: [], forgotten: [] });
  });

  it('reclaims exactly the leases that ran out by now, earliest expiry first; not acked, extended or live ones', () => {
    const s = createQueue({ visibilityTimeoutMs: 1_000 });
    for (let i = 0; i < 5; i++) enqueue(s, 0);
    const a = leased(lease(s, 300)); // job-1, expires 1_300
    const b = leased(lease(s, 100)); // job-2, expires 1_100
    const c = leased(lease(s, 200)); // job-3, expires 1_200, acked below
    const d = leased(lease(s, 0)); //   job-4, expires 1_000, extended below to 1_900
    const e = leased(lease(s, 500)); // job-5, expires 1_500: still live at the tick
    ack(s, 250, c.id, c.lease.token);
    heartbeat(s, 900, d.id, d.lease.token);
    const result = tick(s, 1_300);
    expect(result).toEqual({ ok: true, type: 'ticked', reclaimed: [b.id, a.id], forgotten: [] });
    expect(s.jobs[e.id]!.status).toBe('leased');
    expect(s.jobs[d.id]!.status).toBe('leased');
    expect(stats(s)).toEqual({ pending: 2, leased: 2, done: 1, dead: 0, total: 5 });
  });

  it('a lease that runs out is reclaimed by whatever command comes next, not only by a tick', () => {
    const s = createQueue({ visibilityTimeoutMs: 1_000 });
    enqueue(s, 0);
    const first = leased(lease(s, 0));
    const again = leased(lease(s, 1_000, 'w2'));
    expect(again.id).toBe(first.id);
    expect(again.lease.token).toBe('job-1.2');
    expect(tick(s, 1_000)).toMatchObject({ reclaimed: [] }); // already taken back by the lease above
  });

  it('forgets done jobs exactly doneRetentionMs after they were done, oldest first; never pending, leased or dead ones', () => {
    const s = createQueue({ doneRetentionMs: 1_000, maxAttempts: 1, visibilityTimeoutMs: 100_000 });
    for (let i = 0; i < 5; i++) enqueue(s, 0, `key-${i + 1}`);
    const jobs = [1, 2, 3, 4].map((i) => leased(lease(s, i)));
    ack(s, 20, jobs[1]!.id, jobs[1]!.lease.token); // job-2 done at 20
    ack(s, 10, jobs[0]!.id, jobs[0]!.lease.token); // job-1 done at 10
    fail(s, 30, jobs[2]!.id, jobs[2]!.lease.token); // job-3 dead (one attempt allowed)
    // job-4 stays leased, job-5 pending.
    expect(tick(s, 1_009)).toMatchObject({ forgotten: [] });
    expect(tick(s, 1_020)).toEqual({ ok: true, type: 'ticked', reclaimed: [], forgotten: ['job-1', 'job-2'] });
    expect(tick(s, 50_000)).toMatchObject({ forgotten: [] });
    expect(Object.keys(s.jobs).sort()).toEqual(['job-3', 'job-4', 'job-5']);
    expect(stats(s)).toEqual({ pending: 1, leased: 1, done: 0, dead: 1, total: 3 });
  });

  it('a forgotten job is unknown, and its idempotency key makes a new job', () => {
    const s = createQueue({ doneRetentionMs: 1_000 });
    enqueue(s, 0, 'order-7');
    const j = leased(lease(s, 0));
    ack(s, 0, j.id, j.lease.token);
    expect(enqueue(s, 999, 'order-7')).toMatchObject({ created: false, job: { id: 'job-1' } });
    expect(enqueue(s, 1_000, 'order-7')).toMatchObject({ created: true, job: { id: 'job-2', idempotencyKey: 'order-7' } });
    expect(ack(s, 1_000, 'job-1', j.lease.token)).toMatchObject({ ok: false, error: 'unknown-job' });
    expect(apply(s, { type: 'redrive', now: 1_000, jobId: 'job-1' })).toEqual({ ok: false, error: 'unknown-job', message: 'no job with id job-1' });
    expect(s.byKey).toEqual({ 'order-7': 'job-2' });
  });
});

describe('nextWakeup: the broker\'s only timer', () => {
  it('is null for an empty queue and for a queue whose jobs are all ready now (nothing changes by itself)', () => {
    const s = createQueue();
    expect(nextWakeup(s, 0)).toBeNull();
    enqueue(s, 0);
    enqueue(s, 5);
    expect(nextWakeup(s, 5)).toBeNull();
  });

  it('is the EARLIEST lease expiry, whichever job holds it and in whatever order the leases were granted', () => {
    const s = createQueue({ visibilityTimeoutMs: 1_000 });
    for (let i = 0; i < 4; i++) enqueue(s, 0);
    lease(s, 30); // job-1 expires 1_030
    lease(s, 10); // job-2 expires 1_010 (the earliest, neither first nor last)
    lease(s, 40); // job-3 expires 1_040
    lease(s, 20); // job-4 expires 1_020
    expect(nextWakeup(s, 40)).toBe(1_010);
  });

  it('is the earliest end of a backoff when no lease is out', () => {
    const s = createQueue({ backoffBaseMs: 1_000, backoffMaxMs: 1_000 });
    for (let i = 0; i < 3; i++) enqueue(s, 0);
    const jobs = [0, 1, 2].map(() => leased(lease(s, 0)));
    fail(s, 0, jobs[0]!.id, jobs[0]!.lease.token, 0.5); // available at 500
    fail(s, 0, jobs[1]!.id, jobs[1]!.lease.token, 0.2); // available at 200: the earliest
    fail(s, 0, jobs[2]!.id, jobs[2]!.lease.token, 0.9); // available at 900
    expect(nextWakeup(s, 0)).toBe(200);
  });

  it('is the earlier of a lease expiry and a backoff end, whichever of the two comes first', () => {
    const leaseFirst = createQueue({ visibilityTimeoutMs: 100, backoffBaseMs: 1_000 });
    enqueue(leaseFirst, 0);
    enqueue(leaseFirst, 0);
    fail(leaseFirst, 0, 'job-1', leased(lease(leaseFirst, 0)).lease.token, 0.5); // backoff ends 500
    lease(leaseFirst, 0); // job-2's lease expires at 100
    expect(nextWakeup(leaseFirst, 0)).toBe(100);

    const backoffFirst = createQueue({ visibilityTimeoutMs: 10_000, backoffBaseMs: 1_000 });
    enqueue(backoffFirst, 0);
    enqueue(backoffFirst, 0);
    fail(backoffFirst, 0, 'job-1', leased(lease(backoffFirst, 0)).lease.token, 0.5); // backoff ends 500
    lease(backoffFirst, 0); // job-2's lease expires at 10_000
    expect(nextWakeup(backoffFirst, 0)).toBe(500);
  });

  it('a job whose backoff ends exactly now is ready, not a wakeup (else the broker would spin on a 0 ms timer)', () => {
    const s = createQueue({ backoffBaseMs: 1_000 });
    enqueue(s, 0);
    fail(s, 0, 'job-1', leased(lease(s, 0)).lease.token, 0.5); // available at 500
    expect(nextWakeup(s, 499)).toBe(500);
    expect(nextWakeup(s, 500)).toBeNull();
  });

  it('over random histories: never late, and never in the past, so one timer at that moment catches every change', () => {
    type Op = { op: 'enqueue' | 'lease' | 'ack' | 'fail' | 'heartbeat' | 'tick' | 'timeout'; dt: number; pick: number; x: number };
    const op = fc.record({
      op: fc.constantFrom('enqueue', 'lease', 'ack', 'fail', 'heartbeat', 'tick', 'timeout'),
      dt: fc.integer({ min: 0, max: 150 }), // small steps: several leases are out at once
      pick: fc.nat(20),
      x: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    }) as fc.Arbitrary<Op>;
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: 60, size: 'max' }), (ops) => {
        const s = createQueue({ visibilityTimeoutMs: 500, backoffBaseMs: 200, backoffMaxMs: 800, maxAttempts: 3, doneRetentionMs: 700 });
        let now = 0;
        for (const { op, dt, pick, x } of ops) {
          now += dt;
          const live = Object.values(s.jobs).filter((j) => j.lease !== undefined);
          const held = live[pick % Math.max(1, live.length)];
          let cmd: Command;
          if (op === 'enqueue') cmd = { type: 'enqueue', now, payload: pick };
          else if (op === 'lease') cmd = { type: 'lease', now, workerId: 'w' };
          else if (op === 'timeout') cmd = { type: 'configure', now, config: { ...s.config, visibilityTimeoutMs: 100 + Math.floor(x * 900) } };
          else if (op === 'tick' || held === undefined) cmd = { type: 'tick', now };
          else if (op === 'fail') cmd = { type: 'fail', now, jobId: held.id, token: held.lease!.token, error: 'e', jitter: x };
          else cmd = { type: op, now, jobId: held.id, token: held.lease!.token };
          apply(s, cmd);

          // When does the state next change in a way a worker could see? A lease runs out, or, while no job is
          // available now, a backoff ends. (With a job available now, a backoff ending later changes nothing
          // for a waiting worker: it already has a job to take, and the broker asks again after that lease.)
          const jobs = Object.values(s.jobs);
          const availableNow = jobs.some((j) => j.status === 'pending' && j.availableAt <= now);
          const times = jobs.flatMap((j) =>
            j.status === 'leased' ? [j.lease!.expiresAt] : j.status === 'pending' && j.availableAt > now && !availableNow ? [j.availableAt] : [],
          );
          const wakeup = nextWakeup(s, now);
          if (times.length > 0) {
            expect(wakeup).not.toBeNull();
            expect(wakeup!).toBeLessThanOrEqual(Math.min(...times));
          }
          if (wakeup !== null) expect(wakeup).toBeGreaterThan(now);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('ack: the answers a worker gets', () => {
  it('an accepted ack answers "acked" with the job done and no lease left', () => {
    const s = createQueue();
    enqueue(s, 0);
    const j = leased(lease(s, 0));
    const r = ack(s, 7, j.id, j.lease.token);
    expect(r).toMatchObject({ ok: true, type: 'acked', job: { id: 'job-1', status: 'done', doneAt: 7 } });
    expect(r.ok && 'job' in r && r.job?.lease).toBeUndefined();
  });

  it('repeating an ack after an earlier lease expired answers not-leased (the job is done), not lease-expired', () => {
    const s = createQueue({ visibilityTimeoutMs: 1_000 });
    enqueue(s, 0);
    leased(lease(s, 0)); // job-1.1 expires at 1_000
    const second = leased(lease(s, 1_000));
    expect(ack(s, 1_500, second.id, second.lease.token)).toMatchObject({ ok: true, type: 'acked' });
    expect(ack(s, 1_600, second.id, second.lease.token)).toEqual({
      ok: false,
      error: 'not-leased',
      message: 'job job-1 is done, not leased',
    });
  });

  it('a late ack on a lease that expired (job back in line) answers lease-expired and names the job\'s status', () => {
    const s = createQueue({ visibilityTimeoutMs: 1_000 });
    enqueue(s, 0);
    const j = leased(lease(s, 0));
    expect(ack(s, 1_000, j.id, j.lease.token)).toEqual({
      ok: false,
      error: 'lease-expired',
      message: 'the lease job-1.1 on job-1 expired; the job is now pending',
    });
  });

  it('an ack with a token the job never had answers wrong-lease and names the holder', () => {
    const s = createQueue();
    enqueue(s, 0);
    leased(lease(s, 0));
    expect(ack(s, 1, 'job-1', 'job-1.9')).toEqual({
      ok: false,
      error: 'wrong-lease',
      message: 'job job-1 is now held by lease job-1.1, not job-1.9',
    });
    expect(ack(s, 1, 'job-9', 'job-9.1')).toEqual({ ok: false, error: 'unknown-job', message: 'no job with id job-9' });
  });
});

describe('heartbeat and fail: exact results', () => {
  it('a heartbeat answers "extended" with a full visibility timeout counted from the heartbeat', () => {
    const s = createQueue({ visibilityTimeoutMs: 1_000 });
    enqueue(s, 0);
    const j = leased(lease(s, 0));
    expect(heartbeat(s, 600, j.id, j.lease.token)).toMatchObject({ ok: true, type: 'extended', job: { lease: { expiresAt: 1_600, token: 'job-1.1' } } });
    expect(tick(s, 1_599)).toMatchObject({ reclaimed: [] });
    expect(tick(s, 1_600)).toMatchObject({ reclaimed: ['job-1'] });
  });

  it('a failure answers "failed", keeps the worker\'s error text, and backs off by floor(ceiling * jitter)', () => {
    const s = createQueue({ backoffBaseMs: 100, backoffMaxMs: 1_000 });
    enqueue(s, 0);
    const j = leased(lease(s, 0));
    const r = fail(s, 50, j.id, j.lease.token, 0.5);
    expect(r).toMatchObject({ ok: true, type: 'failed', job: { status: 'pending', lastError: 'boom', availableAt: 100 } });
    expect(stats(s)).toEqual({ pending: 1, leased: 0, done: 0, dead: 0, total: 1 });
  });

  it('a lease that runs out leaves a human-readable reason, and the job is available again at once', () => {
    const s = createQueue({ visibilityTimeoutMs: 1_000 });
    enqueue(s, 0);
    leased(lease(s, 0));
    tick(s, 1_234);
    expect(s.jobs['job-1']).toMatchObject({ status: 'pending', lastError: 'lease expired', availableAt: 1_234 });
  });
});

describe('stats', () => {
  it('counts every status exactly, and the total is their sum', () => {
    const s = createQueue({ maxAttempts: 1, visibilityTimeoutMs: 1_000 });
    for (let i = 0; i < 6; i++) enqueue(s, 0);
    const a = leased(lease(s, 0));
    const b = leased(lease(s, 0));
    leased(lease(s, 500));
    ack(s, 1, a.id, a.lease.token);
    fail(s, 1, b.id, b.lease.token); // dead: one attempt allowed
    expect(stats(s)).toEqual({ pending: 3, leased: 1, done: 1, dead: 1, total: 6 });
    tick(s, 1_500); // job-3's lease runs out with its only attempt used: dead
    expect(stats(s)).toEqual({ pending: 3, leased: 0, done: 1, dead: 2, total: 6 });
    apply(s, { type: 'redrive', now: 1_500, jobId: b.id });
    expect(stats(s)).toEqual({ pending: 4, leased: 0, done: 1, dead: 1, total: 6 });
  });
});

describe('idempotency keys are any string a client sends, and only keys deduplicate', () => {
  it('a job enqueued without a key never matches a key, not even the text "undefined"', () => {
    const s = createQueue();
    expect(enqueue(s, 0)).toMatchObject({ created: true, job: { id: 'job-1' } });
    expect(enqueue(s, 0, 'undefined')).toMatchObject({ created: true, job: { id: 'job-2', idempotencyKey: 'undefined' } });
    expect(enqueue(s, 0)).toMatchObject({ created: true, job: { id: 'job-3' } });
    expect(s.byKey).toEqual({ undefined: 'job-2' });
    expect('idempotencyKey' in s.jobs['job-1']!).toBe(false);
  });

  it('forgetting a done job without a key leaves every other job\'s key in place', () => {
    const s = createQueue({ doneRetentionMs: 100 });
    enqueue(s, 0);
    enqueue(s, 0, 'undefined');
    const j = leased(lease(s, 0));
    ack(s, 0, j.id, j.lease.token);
    expect(tick(s, 100)).toMatchObject({ forgotten: ['job-1'] });
    expect(enqueue(s, 100, 'undefined')).toMatchObject({ created: false, job: { id: 'job-2' } });
  });
});

describe('order and housekeeping of the indexes, seen from outside', () => {
  it('jobs done in the same millisecond are forgotten in the order they were done', () => {
    const s = createQueue({ doneRetentionMs: 100 });
    for (let i = 0; i < 3; i++) enqueue(s, 0);
    const jobs = [0, 1, 2].map(() => leased(lease(s, 0)));
    for (const j of [jobs[2]!, jobs[0]!, jobs[1]!]) ack(s, 5, j.id, j.lease.token);
    expect(tick(s, 105)).toMatchObject({ forgotten: ['job-3', 'job-1', 'job-2'] });
  });

  it('a job leased again after a failure is reclaimed when its NEW lease runs out, in expiry order', () => {
    const s = createQueue({ visibilityTimeoutMs: 1_000 });
    for (let i = 0; i < 3; i++) enqueue(s, 0);
    leased(lease(s, 0)); //                          job-1 expires 1_000
    const a = leased(lease(s, 0)); //                job-2's first lease would expire at 1_000 ...
    fail(s, 10, a.id, a.lease.token, 0); //          ... but it failed at 10 (back in line at once)
    expect(leased(lease(s, 10)).id).toBe('job-3'); // job-3 expires 1_010
    expect(leased(lease(s, 20)).lease).toMatchObject({ token: 'job-2.2', expiresAt: 1_020 });
    expect(tick(s, 5_000)).toMatchObject({ reclaimed: ['job-1', 'job-3', 'job-2'] });
  });

  // Retention shorter than the visibility timeout: job-2 is done and forgotten before its lease would have
  // run out, and job-1's earlier expiry keeps that old lease entry from being cleared at once. The next command
  // comes after job-1's expiry only (1_000), or after both (5_000).
  for (const later of [1_000, 5_000]) {
    it(`a done job forgotten while its old lease is still on file disturbs no later command (next one at ${later})`, () => {
      const s = createQueue({ visibilityTimeoutMs: 1_000, doneRetentionMs: 100 });
      enqueue(s, 0);
      enqueue(s, 0);
      leased(lease(s, 0)); // job-1 expires 1_000
      const b = leased(lease(s, 50)); // job-2 would expire 1_050
      ack(s, 60, b.id, b.lease.token);
      expect(tick(s, 160)).toMatchObject({ forgotten: ['job-2'] });
      expect(tick(s, later)).toEqual({ ok: true, type: 'ticked', reclaimed: ['job-1'], forgotten: [] });
      expect(nextWakeup(s, later)).toBeNull(); // job-1 is ready now; nothing else will change by itself
      expect(leased(lease(s, later)).lease.token).toBe('job-1.2');
    });
  }

  it('a heartbeat protects a lease even when another lease is due first', () => {
    const s = createQueue({ visibilityTimeoutMs: 1_000 });
    enqueue(s, 0);
    enqueue(s, 0);
    leased(lease(s, 0)); // job-1 expires 1_000, the first to expire
    const b = leased(lease(s, 10)); // job-2 expires 1_010 ...
    heartbeat(s, 500, b.id, b.lease.token); // ... extended to 1_500
    expect(tick(s, 1_200)).toMatchObject({ reclaimed: ['job-1'] });
    expect(heartbeat(s, 1_200, b.id, b.lease.token)).toMatchObject({ ok: true, job: { lease: { expiresAt: 2_200 } } });
    expect(tick(s, 2_199)).toMatchObject({ reclaimed: [] });
    expect(tick(s, 2_200)).toMatchObject({ reclaimed: ['job-2'] });
  });

  it('leases that run out in the same millisecond come back, and go out again, in the order they were granted', () => {
    const s = createQueue({ visibilityTimeoutMs: 1_000 });
    for (let i = 0; i < 3; i++) enqueue(s, 0);
    for (let i = 0; i < 3; i++) leased(lease(s, 0)); // all three expire at 1_000
    expect(tick(s, 1_000)).toMatchObject({ reclaimed: ['job-1', 'job-2', 'job-3'] });
    expect([0, 1, 2].map(() => leased(lease(s, 1_000)).id)).toEqual(['job-1', 'job-2', 'job-3']);
  });

  it('same-millisecond expiries follow the order the LIVE leases were granted, not an ended lease of the same job', () => {
    const s = createQueue({ visibilityTimeoutMs: 1_000 });
    for (let i = 0; i < 3; i++) enqueue(s, 0);
    expect(leased(lease(s, 0)).lease.token).toBe('job-1.1'); // every lease here expires at 1_000
    const ended = leased(lease(s, 0)); // job-2.1 ...
    fail(s, 0, ended.id, ended.lease.token, 0); // ... ends at once; job-2 goes back in line, behind job-3
    expect(leased(lease(s, 0)).lease.token).toBe('job-3.1');
    expect(leased(lease(s, 0)).lease.token).toBe('job-2.2');
    // job-2.1's entry (filed before job-3.1's, same time) is out of date: it must not bring job-2 forward.
    expect(tick(s, 1_000)).toMatchObject({ reclaimed: ['job-1', 'job-3', 'job-2'] });
  });

  it('redriving a job that is not dead is refused with a reason naming its status', () => {
    const s = createQueue();
    enqueue(s, 0);
    expect(apply(s, { type: 'redrive', now: 0, jobId: 'job-1' })).toEqual({
      ok: false,
      error: 'not-dead',
      message: 'job job-1 is pending; only dead jobs can be redriven',
    });
  });
});

describe('the state is plain data', () => {
  it('its job and key tables are ordinary objects a caller can copy into, overwrite and delete from', () => {
    // Restoring a snapshot, or a test setting up a state by hand, writes into these tables directly.
    const s = createQueue();
    enqueue(s, 0, 'k');
    const copy = structuredClone(s.jobs['job-1']!);
    s.jobs['job-1'] = copy;
    s.byKey['k'] = 'job-1';
    expect(s.jobs['job-1']).toBe(copy);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    delete s.byKey['k'];
    expect(s.byKey).toEqual({});
  });
});
