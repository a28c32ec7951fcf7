// Exercise 02: lease expiry and redelivery. The learner writes expireLease(state, job, now), the step the
// core's reclaimExpired takes for each lease that really ran out. The checks build queues with the REAL core
// (createQueue, apply), let a worker "crash" (it simply never sends anything again), run the core's own
// reclaim loop with the learner's expireLease in place of the core's (`reclaimWith` below), look at the job
// right away, and then drive the real core on: another worker leases the job, the late worker acks, stats
// are read. A seeded check then plays random histories and compares every answer with the core's own.
//
// Each failing check says what it saw against what it expected; its hint comes from `diagnose`, which runs
// the learner's function on two fresh expiries (one with attempts left, one without) and names the first
// thing it gets wrong, in the order of the starter's TODOs.
import { isDeepStrictEqual } from 'node:util';
import { heapPop, heapPush } from '../../queue/core/heap.ts';
import {
  apply,
  createQueue,
  own,
  stats,
  type Command,
  type Job,
  type QueueConfig,
  type QueueState,
  type Result,
} from '../../queue/core/queue.ts';
import { mulberry32 } from '../../shared/random.ts';
import { CheckFailure, exportedFunction, type Exercise } from '../types.ts';

export interface LeaseExpiryImpl {
  expireLease(state: QueueState, job: Job, now: number): void;
}

type Expire = LeaseExpiryImpl['expireLease'];
type LeasedJob = Job & { lease: NonNullable<Job['lease']> };

const TIMEOUT = 10_000; // visibility timeout used by every scenario: a lease taken at t lasts until t + 10 s
const RANDOM_RUNS = 200;

/**
 * The core's reclaimExpired (region reclaim-expired in queue.ts), line for line, except that it calls
 * `expire` where the core calls its own expireLease. tests/exercises proves the two agree when `expire` is the
 * core's expireLease, so this cannot drift from the core unnoticed.
 */
export function reclaimWith(state: QueueState, now: number, expire: Expire): string[] {
  const reclaimed: string[] = [];
  while (state.leases.length > 0 && state.leases[0]!.at <= now) {
    const entry = heapPop(state.leases)!;
    const job = own(state.jobs, entry.id);
    const lease = job?.lease;
    if (job === undefined || lease === undefined || lease.token !== entry.token) continue;
    if (lease.expiresAt > now) {
      heapPush(state.leases, { ...entry, at: lease.expiresAt });
      continue;
    }
    expire(state, job, now);
    reclaimed.push(job.id);
  }
  return reclaimed;
}

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

const enqueue = (state: QueueState, now: number, what: string): Job => must(state, { type: 'enqueue', now, payload: { what } });
/** A worker leases the next job. Returns a copy, so later changes to the state don't alter it. */
const lease = (state: QueueState, now: number, workerId: string): LeasedJob => must(state, { type: 'lease', now, workerId }) as LeasedJob;

const show = (x: unknown): string => (x === undefined ? 'undefined' : JSON.stringify(x));
const answer = (r: Result): string => (r.ok ? `accepted (${r.type})` : `${r.error} ("${r.message}")`);
const counts = (state: QueueState) => ({ ...state.counts });

/** After the learner's code ran, a worker leases the next job; no job to lease is the learner's failure. */
function leaseNext(impl: LeaseExpiryImpl, state: QueueState, now: number, workerId: string, why: string): LeasedJob {
  const r = apply(state, { type: 'lease', now, workerId });
  if (!r.ok || r.type !== 'leased' || r.job === null) {
    const stuck = Object.values(state.jobs).map((j) => `${j.id} ${j.status}`).join(', ');
    fail(impl, `${workerId} asked for a job at t=${now} and got none (${why}); the jobs: ${stuck}`,
      "lease() hands out the first entry of state.pending whose time has come: a job going back in line must be 'pending', available now, and in state.pending.");
  }
  return structuredClone(r.job) as LeasedJob;
}

function job(state: QueueState, id: string): Job {
  const j = own(state.jobs, id);
  if (j === undefined) throw new CheckFailure(`${id} disappeared from state.jobs`, { hint: 'Never delete a job whose lease expired: change its status instead.' });
  return j;
}

// ---- What the learner's expireLease does, found on two fresh expiries ---------------------------------------
interface Probe {
  before: LeasedJob;
  after: Job;
  counts: QueueState['counts'];
  inLine: { at: number; seq: number }[]; // state.pending entries for the job
  seqMoved: boolean;
}

function probe(expire: Expire, maxAttempts: number): Probe {
  const state = queue({ maxAttempts });
  enqueue(state, 0, 'probe');
  const before = lease(state, 0, 'worker-a');
  const seq = state.nextSeq;
  reclaimWith(state, TIMEOUT, expire);
  return {
    before,
    after: structuredClone(job(state, before.id)),
    counts: counts(state),
    inLine: state.pending.filter((e) => e.id === before.id).map(({ at, seq: s }) => ({ at, seq: s })),
    seqMoved: state.nextSeq > seq,
  };
}

/** The first thing the learner's expireLease gets wrong, as a hint; undefined if the probes find nothing. */
function diagnose(expire: Expire): string | undefined {
  let again: Probe;
  let dead: Probe;
  try {
    again = probe(expire, 3); // attempt 1 of 3 ran out: back in line
    dead = probe(expire, 1); // attempt 1 of 1 ran out: dead
  } catch (err) {
    return undefined; // it throws: the check's own message shows where
  }
  const token = again.before.lease.token;
  for (const [p, which] of [[again, 'a job with attempts left'], [dead, 'a job on its last attempt']] as const) {
    if (p.after.lease !== undefined) {
      return `After expireLease, ${which} still holds its lease ${show(p.after.lease)}: a lease that ran out must be gone ` +
        '(delete job.lease), or the core goes on treating that worker as the holder.';
    }
    const ended = p.after.endedLease;
    if (ended === undefined) {
      const other = p === again ? dead.after.endedLease : again.after.endedLease;
      return `After a lease expired on ${which}, job.endedLease is undefined` +
        (other !== undefined ? ` (on ${p === again ? 'a job on its last attempt' : 'a job with attempts left'} you do set it: ${show(other)})` : '') +
        '. The core reads job.endedLease, not lastError, to answer a late worker: without it the worker is told "not-leased" ' +
        'instead of "lease-expired". Record it for every lease that runs out, before you decide between pending and dead.';
    }
    if (ended.token !== token) {
      return `job.endedLease.token is ${show(ended.token)}, but the lease that ended was ${show(token)}: the core compares it with ` +
        'the token a late worker sends, so record the ending lease\'s own token (read it before you delete job.lease).';
    }
    if (ended.reason !== 'expired') {
      return `job.endedLease.reason is ${show(ended.reason)} for a lease that ran out. The core tells a late worker "lease-expired" ` +
        `only when the reason is 'expired'; ${show(ended.reason)} claims the worker ${ended.reason === 'acked' ? 'acked' : ended.reason === 'failed' ? 'reported a failure' : 'did something'}, which it never did.`;
    }
  }
  if (again.after.status !== 'pending') {
    return `A job on attempt 1 of maxAttempts 3 became ${show(again.after.status)}; with attempts left it goes back in line as 'pending'.` +
      (again.after.status === 'dead' ? ' (Compare job.attempts with state.config.maxAttempts: dead only when attempts >= maxAttempts.)' : '');
  }
  if (dead.after.status !== 'dead') {
    return `A job on attempt 1 of maxAttempts 1 became ${show(dead.after.status)}; it has no attempts left, so it is a poison message: ` +
      "status 'dead'. job.attempts already counts the attempt that just ran out, so the test is attempts >= maxAttempts.";
  }
  if (again.after.attempts !== again.before.attempts) {
    return `expireLease changed job.attempts from ${again.before.attempts} to ${again.after.attempts}; leave it: lease() counts each attempt when it hands the job out.`;
  }
  if (again.after.availableAt !== TIMEOUT) {
    return `The job went back in line with availableAt ${again.after.availableAt}; the lease ran out at ${TIMEOUT}, so it should be available at once (availableAt = now): the worker crashed, the job did nothing wrong.`;
  }
  if (again.inLine.length !== 1) {
    return again.inLine.length === 0
      ? "The job is 'pending' but not in state.pending, the heap lease() takes jobs from, so no worker will ever get it. Put it there with heapPush(state.pending, { at: job.enqueuedAt, seq: state.nextSeq++, id: job.id })."
      : `The job is in state.pending ${again.inLine.length} times; once is enough, or it will be handed out twice.`;
  }
  if (again.inLine[0]!.at !== again.after.enqueuedAt) {
    return `The job's entry in state.pending says at ${again.inLine[0]!.at}, but job.enqueuedAt is ${again.after.enqueuedAt}: the heap orders the line by "at", and a job taken back from a crashed worker gets back the place it had, so use job.enqueuedAt.`;
  }
  if (!again.seqMoved) {
    return 'state.nextSeq did not move when you pushed onto state.pending: the next entry gets the same seq, and jobs available at the same moment come out in the wrong order. Use state.nextSeq++.';
  }
  if (dead.inLine.length > 0) {
    return 'The dead job was put in state.pending, so lease() would hand it out again. A dead job waits for a person (redrive), not in line.';
  }
  const wantAgain = { pending: 1, leased: 0, done: 0, dead: 0 };
  const wantDead = { pending: 0, leased: 0, done: 0, dead: 1 };
  for (const [got, want, which] of [[again.counts, wantAgain, 'back in line'], [dead.counts, wantDead, 'dead']] as const) {
    if (!isDeepStrictEqual(got, want)) {
      return `With one job, leased and then ${which}, state.counts is ${show(got)}; it should be ${show(want)}. Every status change moves ` +
        'one job from one count to another: state.counts.leased -= 1, and += 1 on the new status.';
    }
  }
  if (typeof dead.after.lastError !== 'string' || dead.after.lastError.trim() === '') {
    return `A dead job's lastError is ${show(dead.after.lastError)}: the person who finds it in the dead-letter queue needs to know why it died. Give it a short text such as 'lease expired'.`;
  }
  return undefined;
}

function fail(impl: LeaseExpiryImpl, message: string, fallback: string): never {
  throw new CheckFailure(message, { hint: diagnose(impl.expireLease) ?? fallback });
}

function insist(impl: LeaseExpiryImpl, actual: unknown, expected: unknown, what: string, fallback: string): void {
  if (!isDeepStrictEqual(actual, expected)) fail(impl, `${what}: expected ${show(expected)}, got ${show(actual)}`, fallback);
}

/** Let time pass to `now`: the core's reclaim loop runs, calling the learner's expireLease for what is due. */
function expireDue(impl: LeaseExpiryImpl, state: QueueState, now: number): string[] {
  return reclaimWith(state, now, (s, j, t) => impl.expireLease(s, j, t));
}

// ---- Random histories: the learner's expireLease against the core's own -------------------------------------
/** What a command's answer says, without the parts that legitimately differ (a tick's reclaimed list). */
function gist(r: Result): unknown {
  if (!r.ok) return { error: r.error };
  if (r.type === 'ticked' || r.type === 'configured') return { type: r.type };
  return { type: r.type, job: r.job === null ? null : view(r.job) };
}

function view(j: Job): unknown {
  return { id: j.id, status: j.status, attempts: j.attempts, availableAt: j.availableAt, lease: j.lease, endedLease: j.endedLease };
}

function describeCommand(cmd: Command): string {
  const { type, now, ...rest } = cmd;
  return `${type} at t=${now} ${show(rest)}`;
}

/** Play one random history on two queues; return how they first differ, or undefined. */
function randomRun(seed: number, impl: LeaseExpiryImpl): string | undefined {
  const random = mulberry32(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const config = { maxAttempts: 1 + Math.floor(random() * 3), backoffBaseMs: 1_000, backoffMaxMs: 8_000 };
  const mine = queue(config);
  const core = queue(config);
  const held: { jobId: string; token: string }[] = []; // tokens workers hold, some of them long stale
  let now = 0;
  for (let step = 1; step <= 60; step++) {
    now += Math.floor(random() * 6_000);
    const roll = random();
    const h = held.length > 0 ? pick(held) : undefined;
    let cmd: Command;
    if (roll < 0.25 || (roll >= 0.55 && h === undefined)) cmd = { type: 'enqueue', now, payload: { step } };
    else if (roll < 0.55) cmd = { type: 'lease', now, workerId: `w${1 + Math.floor(random() * 3)}` };
    else if (roll < 0.72) cmd = { type: 'ack', now, jobId: h!.jobId, token: h!.token };
    else if (roll < 0.82) cmd = { type: 'fail', now, jobId: h!.jobId, token: h!.token, error: 'boom', jitter: random() };
    else if (roll < 0.95) cmd = { type: 'heartbeat', now, jobId: h!.jobId, token: h!.token };
    else cmd = { type: 'tick', now };

    const ids = expireDue(impl, mine, now); // your expireLease, for every lease due by now...
    const got = apply(mine, cmd); // ...so the core's own finds nothing left to do here
    const want = apply(core, cmd);
    const where = `random run ${seed} (maxAttempts ${config.maxAttempts}), step ${step}: ${describeCommand(cmd)}` +
      (ids.length > 0 ? `, right after your expireLease took back ${ids.join(', ')}` : '');
    if (!isDeepStrictEqual(gist(got), gist(want))) {
      return `${where}\n  with your expireLease the core answered ${show(gist(got))}\n  with its own expireLease:           ${show(gist(want))}`;
    }
    if (!isDeepStrictEqual(stats(mine), stats(core))) {
      return `${where}\n  stats() with your expireLease: ${show(stats(mine))}\n  with the core's own:          ${show(stats(core))}`;
    }
    for (const id of Object.keys(core.jobs)) {
      const a = own(mine.jobs, id);
      if (a === undefined || !isDeepStrictEqual(view(a), view(core.jobs[id]!))) {
        return `${where}\n  ${id} with your expireLease: ${show(a && view(a))}\n  with the core's own:       ${show(view(core.jobs[id]!))}`;
      }
    }
    if (got.ok && got.type === 'leased' && got.job !== null) held.push({ jobId: got.job.id, token: got.job.lease!.token });
    if ((cmd.type === 'ack' || cmd.type === 'fail') && random() < 0.7) held.splice(held.indexOf(h!), 1); // most workers move on
  }
  return undefined;
}

export const exercise: Exercise<LeaseExpiryImpl> = {
  title: 'Lease expiry: take jobs back from crashed workers',
  page: 'fundamentals/02-queue-system.md',
  learnerFile: 'lease-expiry.ts',
  load(mod) {
    return { expireLease: exportedFunction(mod, 'expireLease', 'expireLease(state, job, now)') as Expire };
  },
  checks: [
    {
      name: 'an expired lease puts the job back in line at its old place: pending, lease gone, available at once',
      hint: 'expireLease threw. It is called only for a leased job whose lease ran out, so job.lease is there to read.',
      run(impl) {
        const state = queue();
        enqueue(state, 0, 'send welcome e-mail');
        lease(state, 0, 'worker-a'); // ...and worker-a crashes: its lease runs until 10 000
        const ids = expireDue(impl, state, 15_000);
        if (ids.length !== 1) throw new Error(`setup: the reclaim loop found ${ids.length} due leases, expected 1`);
        const j = job(state, 'job-1');
        const fallback = 'After expireLease a job with attempts left must look like any other pending job: no lease, in state.pending, counted as pending.';
        insist(impl, j.status, 'pending', 'job-1 status after its lease expired at 10000 (attempt 1 of 3)', fallback);
        insist(impl, j.lease, undefined, 'job-1 lease after it expired (it should be gone)', fallback);
        insist(impl, j.availableAt, 15_000, 'job-1 availableAt (a crash is not the job\'s fault: available now, 15000)', fallback);
        insist(impl, j.attempts, 1, 'job-1 attempts (the crashed attempt still counts; lease() adds the next one)', fallback);
        insist(impl, stats(state), { pending: 1, leased: 0, done: 0, dead: 0, total: 1 }, 'stats() right after', fallback);
        // A job enqueued while job-1 was leased must not overtake it: job-1 keeps the place it had.
        enqueue(state, 12_000, 'send invoice');
        const next = leaseNext(impl, state, 15_000, 'worker-b', 'job-1 and job-2 are both pending');
        insist(impl, next.id, 'job-1', 'the job handed out next (job-1 was enqueued at 0, job-2 at 12000)',
          "job-1 lost its place in line: its entry in state.pending should be at job.enqueuedAt (0), where it stood before the crash, not at the time it came back. Otherwise a crashed worker's job waits behind every job that arrived meanwhile.");
      },
    },
    {
      name: "the crashed worker's late ack is told lease-expired, and the next worker gets the job",
      hint: 'expireLease threw. It is called only for a leased job whose lease ran out, so job.lease is there to read.',
      run(impl) {
        const state = queue();
        enqueue(state, 0, 'charge card');
        const crashed = lease(state, 0, 'worker-a');
        expireDue(impl, state, 12_000);
        // worker-a was only stalled: it wakes up and acks with the token of the lease that ran out.
        const late = apply(state, { type: 'ack', now: 12_000, jobId: 'job-1', token: crashed.lease.token });
        if (late.ok || late.error !== 'lease-expired') {
          fail(impl,
            `worker-a wakes up at 12000 and acks job-1 with its old token ${crashed.lease.token}, whose lease ran out at 10000. ` +
              `Expected the core to refuse it with lease-expired; it answered ${answer(late)}.`,
            'The core tells a late worker "lease-expired" when job.endedLease records that very token with the reason \'expired\'. Look at what your expireLease leaves in job.endedLease.');
        }
        const next = leaseNext(impl, state, 12_500, 'worker-b', 'job-1 should be back in line since its lease ran out at 10000');
        insist(impl, next.id, 'job-1', 'the job worker-b received', 'The expired job should be the one handed out next.');
        insist(impl, next.attempts, 2, 'job-1 attempts after the second lease', 'Leave job.attempts alone in expireLease: lease() counts attempts.');
        // Now that worker-b holds it, worker-a's token is simply the wrong lease.
        const again = apply(state, { type: 'ack', now: 13_000, jobId: 'job-1', token: crashed.lease.token });
        if (again.ok || again.error !== 'wrong-lease') {
          fail(impl, `worker-a acks again at 13000, now that worker-b holds job-1: expected wrong-lease, got ${answer(again)}`, 'Only the current lease may ack.');
        }
        const ok = apply(state, { type: 'ack', now: 13_500, jobId: 'job-1', token: next.lease.token });
        if (!ok.ok) fail(impl, `worker-b's ack with the current token ${next.lease.token} was refused: ${answer(ok)}`, 'The new lease is the one that counts.');
      },
    },
    {
      name: 'once a later lease is acked, a repeated ack is told not-leased, and stats stay right',
      hint: 'expireLease threw. It is called only for a leased job whose lease ran out, so job.lease is there to read.',
      run(impl) {
        const state = queue();
        enqueue(state, 0, 'resize photo');
        const crashed = lease(state, 0, 'worker-a');
        expireDue(impl, state, 10_000); // the lease ends exactly at its expiry time
        const second = leaseNext(impl, state, 10_000, 'worker-b', 'job-1 should be back in line since its lease ran out at 10000');
        must(state, { type: 'ack', now: 11_000, jobId: 'job-1', token: second.lease.token });
        const repeat = apply(state, { type: 'ack', now: 11_500, jobId: 'job-1', token: second.lease.token });
        if (repeat.ok || repeat.error !== 'not-leased') {
          fail(impl, `worker-b acked job-1 (lease ${second.lease.token}), then sent the same ack again (its reply was lost). ` +
            `Expected not-leased: that lease ended by an ack, not by expiry. The core answered ${answer(repeat)}.`,
            'Only the lease that ran out is recorded as expired; the core records the ack itself. Does your code write to a job other than the one passed in?');
        }
        const late = apply(state, { type: 'ack', now: 12_000, jobId: 'job-1', token: crashed.lease.token });
        if (late.ok) fail(impl, `worker-a's ack with its long-expired token ${crashed.lease.token} was accepted on a done job`, 'A token whose lease ended can never ack again.');
        insist(impl, stats(state), { pending: 0, leased: 0, done: 1, dead: 0, total: 1 }, 'stats() after the job was done',
          'Each status change moves one job between counts; check the counts your expireLease leaves behind.');
      },
    },
    {
      name: 'a job whose last attempt expires goes dead, is never leased again, and its late worker is told lease-expired',
      hint: 'expireLease threw. It is called only for a leased job whose lease ran out, so job.lease is there to read.',
      run(impl) {
        const state = queue({ maxAttempts: 2 });
        enqueue(state, 0, 'poison: crashes every worker');
        lease(state, 0, 'worker-a'); // job-1, attempt 1 of 2, crashes
        expireDue(impl, state, 10_000);
        insist(impl, job(state, 'job-1').status, 'pending', 'job-1 status after its first lease expired (1 of 2 attempts used)',
          'With attempts left, the job goes back in line.');
        const last = leaseNext(impl, state, 10_000, 'worker-b', 'job-1 should be back in line'); // attempt 2 of 2, crashes too
        enqueue(state, 15_000, 'ordinary job'); // job-2
        expireDue(impl, state, 20_000);
        const dead = job(state, 'job-1');
        const fallback = "With no attempts left (attempts >= maxAttempts) the job becomes 'dead', holds no lease, and stays out of state.pending.";
        insist(impl, dead.status, 'dead', 'job-1 status after its last attempt expired', fallback);
        insist(impl, dead.lease, undefined, 'job-1 lease (a dead job holds no lease)', fallback);
        if (typeof dead.lastError !== 'string' || dead.lastError.trim() === '') {
          fail(impl, `job-1 lastError is ${show(dead.lastError)}: a dead job should say why it died`, "Give job.lastError a short text for people, such as 'lease expired'.");
        }
        // The real core takes over: nobody may ever get the poison message again.
        const next = leaseNext(impl, state, 20_000, 'worker-c', 'job-2 is waiting');
        insist(impl, next.id, 'job-2', 'the next job handed out (the poison message must not come back)', fallback);
        must(state, { type: 'ack', now: 20_100, jobId: 'job-2', token: next.lease.token });
        for (const t of [30_000, 60_000, 600_000]) {
          const r = apply(state, { type: 'lease', now: t, workerId: 'worker-d' });
          if (r.ok && r.type === 'leased' && r.job !== null) fail(impl, `at t=${t} worker-d was handed ${r.job.id} (status now ${r.job.status}); the queue should be empty`, fallback);
        }
        const late = apply(state, { type: 'ack', now: 20_500, jobId: 'job-1', token: last.lease.token });
        if (late.ok || late.error !== 'lease-expired') {
          fail(impl, `worker-b acks dead job-1 late, with token ${last.lease.token}. Expected lease-expired; the core answered ${answer(late)}.`,
            "A lease that runs out on the last attempt ran out all the same: record job.endedLease with reason 'expired' on the way to 'dead' too.");
        }
        insist(impl, stats(state), { pending: 0, leased: 0, done: 1, dead: 1, total: 2 }, 'stats() with job-1 dead and job-2 done', fallback);
      },
    },
    {
      name: 'several leases expiring at once: each job goes its own way, and stats count every one',
      hint: 'expireLease threw. It is called only for a leased job whose lease ran out, so job.lease is there to read.',
      run(impl) {
        const state = queue({ maxAttempts: 2 });
        enqueue(state, 0, 'job a');
        lease(state, 0, 'worker-a');
        apply(state, { type: 'tick', now: 10_000 }); // the core itself takes job-1 back: it has 1 attempt left
        enqueue(state, 10_000, 'job b');
        enqueue(state, 10_000, 'job c');
        lease(state, 10_000, 'worker-a'); // job-1, last attempt, until 20 000
        lease(state, 10_000, 'worker-b'); // job-2, until 20 000
        lease(state, 10_000, 'worker-c'); // job-3, until 20 000
        enqueue(state, 15_000, 'job d');
        const alive = lease(state, 15_000, 'worker-d'); // job-4, until 25 000
        const ids = expireDue(impl, state, 20_000);
        if (ids.length !== 3) throw new Error(`setup: the reclaim loop found ${ids.length} due leases, expected 3`);
        const fallback = 'Each call handles one job; the checks expect the same result as one job at a time.';
        insist(impl, job(state, 'job-1').status, 'dead', 'job-1 status (its last attempt expired)', fallback);
        insist(impl, job(state, 'job-2').status, 'pending', 'job-2 status (attempt 1 of 2 expired at 20000)', fallback);
        insist(impl, job(state, 'job-3').status, 'pending', 'job-3 status (attempt 1 of 2 expired at 20000)', fallback);
        insist(impl, job(state, 'job-4'), alive, 'job-4 (leased until 25000, so it must be unchanged)', fallback);
        insist(impl, stats(state), { pending: 2, leased: 1, done: 0, dead: 1, total: 4 }, 'stats() right after', fallback);
        const order = [leaseNext(impl, state, 20_000, 'worker-e', 'job-2 and job-3 are back in line').id, leaseNext(impl, state, 20_000, 'worker-f', 'job-3 is back in line').id];
        insist(impl, order, ['job-2', 'job-3'], 'the jobs handed out next, in order (both available at 20000, job-2 expired first)', fallback);
      },
    },
    {
      name: `over ${RANDOM_RUNS} seeded random histories, every answer, job and count matches the core's own expireLease`,
      hint: 'expireLease threw during a random run. Replay that run alone with the command below and read the error there.',
      seeded: true,
      run(impl, { seed: only } = {}) {
        const seeds = only === undefined ? Array.from({ length: RANDOM_RUNS }, (_, i) => i + 1) : [only];
        for (const seed of seeds) {
          let difference: string | undefined;
          try {
            difference = randomRun(seed, impl);
          } catch (err) {
            throw new CheckFailure(`random run ${seed}: ${err instanceof Error ? err.message : String(err)}`, { seed });
          }
          if (difference !== undefined) {
            throw new CheckFailure(difference, {
              seed,
              hint: diagnose(impl.expireLease) ?? 'The one-story checks above pass; this history mixes heartbeats, fails with backoff, and acks with stale tokens. Compare the two lines above: the first field that differs is where to look.',
            });
          }
        }
      },
    },
  ],
};
