// Property tests for the queue core: fast-check generates random interleavings of enqueue, lease (several
// workers), heartbeat, ack, fail, redrive and time passing, where workers may present stale tokens. A small,
// independent model tracks what SHOULD be true (which lease is live, how many attempts, which jobs are
// finished); the properties compare the core against it. On failure fast-check prints the seed and the
// shrunk command list, so the run can be reproduced with `fc.assert(..., { seed, path })`.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  apply,
  createQueue,
  stats,
  type Command,
  type QueueConfig,
  type QueueState,
  type Result,
} from '../../examples/queue/core/queue.ts';

// doneRetentionMs is far beyond any run: these properties follow every job to the end (forgetting has unit tests).
const config: QueueConfig = { visibilityTimeoutMs: 100, maxAttempts: 2, backoffBaseMs: 40, backoffMaxMs: 60, doneRetentionMs: 1e9 };
const WORKERS = 3;
const NUM_RUNS = 300;

// ---- Abstract steps (what fast-check generates) -------------------------------------------------------------
// Steps name a worker and "which of its tokens" instead of a concrete token, because tokens only exist once
// the core hands them out. `dt` is how far the clock moves first; large steps make leases expire.
type Step =
  | { op: 'enqueue'; dt: number; key: string | null }
  | { op: 'lease'; dt: number; worker: number }
  | { op: 'heartbeat' | 'ack'; dt: number; worker: number; pick: number }
  | { op: 'fail'; dt: number; worker: number; pick: number; jitter: number }
  | { op: 'tick'; dt: number }
  | { op: 'redrive'; dt: number; pick: number };

const dt = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 30, max: 160 }));
const worker = fc.integer({ min: 0, max: WORKERS - 1 });
const pick = fc.nat({ max: 20 });
// Jitter in [0, 1) in steps of 0.001 (fc.double favours tiny values, which would make every backoff 0 ms).
const jitter = fc.integer({ min: 0, max: 999 }).map((n) => n / 1000);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('enqueue' as const), dt, key: fc.option(fc.constantFrom('k1', 'k2', 'k3'), { nil: null }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('lease' as const), dt, worker }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('heartbeat' as const), dt, worker, pick }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('ack' as const), dt, worker, pick }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('fail' as const), dt, worker, pick, jitter }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), dt }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('redrive' as const), dt, pick }) },
);
// size 'max': lengths spread over the whole 1..60 range (the default favours short arrays); long runs are
// where jobs die, get redriven and meet workers with tokens from their earlier life.
const steps = fc.array(step, { minLength: 1, maxLength: 60, size: 'max' });

// ---- The model ----------------------------------------------------------------------------------------------
// Every lease the core hands out gets a model-side serial number. A worker keeps every lease it ever got,
// so it can replay stale ones. The model decides on its own whether a token should still work: only the most
// recent lease of a job, only until its expiry (which accepted heartbeats move), and only until it ends.
interface HeldLease { serial: number; jobId: string; token: string }
interface ModelJob {
  status: 'pending' | 'leased' | 'done' | 'dead';
  attempts: number;
  availableAt: number;
  place: number; // its place in line: enqueue or redrive time, end of backoff, or enqueue time after a crash
  enqueuedAt: number;
  live: { serial: number; expiresAt: number } | null;
}

/** One executed step: the concrete command, what the core answered, and what the model expected. */
interface Executed {
  cmd: Command;
  result: Result;
  before: QueueState; // core state before the command
  after: QueueState; // core state after it
  expectAccepted?: boolean; // for heartbeat/ack/fail: does the model think this token holds a live lease?
  expectLeased?: string[]; // for lease: the jobs it may hand out (pending, available earliest), [] for none
  expectEnqueued?: string | null; // for enqueue: the existing job for this idempotency key, or null for a new one
  heldSerial?: number; // which lease the worker presented (model serial), if any
  liveBefore: Map<string, { serial: number; expiresAt: number } | null>; // model leases before, after expiry
  modelAfter: Map<string, ModelJob>;
  liveTokenCounts: Map<string, number>; // per job: how many issued leases the core would accept right now
}

function run(input: Step[], probe = false): { records: Executed[]; commands: Command[]; state: QueueState; createdIds: Set<string> } {
  const state = createQueue(config);
  const model = new Map<string, ModelJob>();
  const held: HeldLease[][] = Array.from({ length: WORKERS }, () => []);
  const allLeases: HeldLease[] = [];
  const keys = new Map<string, string>();
  const createdIds = new Set<string>();
  const records: Executed[] = [];
  const commands: Command[] = [];
  let now = 0;
  let serial = 0;

  for (const s of input) {
    now += s.dt;
    // Model: every lease whose expiry has come ends now (back to pending, or dead when out of attempts).
    for (const [id, job] of model) {
      if (job.status === 'leased' && job.live !== null && job.live.expiresAt <= now) {
        job.live = null;
        job.status = job.attempts >= config.maxAttempts ? 'dead' : 'pending';
        job.availableAt = now;
        job.place = job.enqueuedAt; // a crashed worker's job goes back to where it was
      }
    }
    const liveBefore = new Map([...model].map(([id, j]) => [id, j.live && { ...j.live }]));

    let cmd: Command;
    let presented: HeldLease | undefined;
    const ids = [...model.keys()];
    switch (s.op) {
      case 'enqueue':
        cmd = s.key === null ? { type: 'enqueue', now, payload: { n: commands.length } } : { type: 'enqueue', now, payload: { n: commands.length }, idempotencyKey: s.key };
        break;
      case 'lease':
        cmd = { type: 'lease', now, workerId: `w${s.worker}` };
        break;
      case 'tick':
        cmd = { type: 'tick', now };
        break;
      case 'redrive': {
        // Mostly a dead job (that is what redrive is for); otherwise any id, or one that does not exist.
        const dead = ids.filter((id) => model.get(id)!.status === 'dead');
        const pool = dead.length > 0 && s.pick % 4 !== 0 ? dead : [...ids, 'job-404'];
        cmd = { type: 'redrive', now, jobId: pool[s.pick % pool.length]! };
        break;
      }
      default: {
        const mine = held[s.worker]!;
        // The worker's latest lease or one of the three before it (likely stale); a made-up token if it has none.
        presented = mine.length === 0 ? undefined : mine[Math.max(0, mine.length - 1 - (s.pick % 4))];
        const jobId = presented?.jobId ?? (ids[0] ?? 'job-1');
        const token = presented?.token ?? `${jobId}.999`;
        cmd = s.op === 'fail' ? { type: 'fail', now, jobId, token, error: 'boom', jitter: s.jitter } : { type: s.op, now, jobId, token };
      }
    }

    const before = structuredClone(state);
    const result = apply(state, cmd);
    commands.push(structuredClone(cmd));

    // Model: what should the answer be? Then follow the core where it has freedom (which job, which token).
    let expectAccepted: boolean | undefined;
    let expectLeased: string[] | undefined;
    let expectEnqueued: string | null | undefined;
    if (cmd.type === 'heartbeat' || cmd.type === 'ack' || cmd.type === 'fail') {
      const live = model.get(cmd.jobId)?.live ?? null;
      expectAccepted = presented !== undefined && live !== null && live.serial === presented.serial && now < live.expiresAt;
    } else if (cmd.type === 'lease') {
      // First in line: an available pending job with the earliest place (jobs with the same place may come in
      // any order the core likes; the unit tests pin first-in-first-out for those).
      const ready = [...model].filter(([, j]) => j.status === 'pending' && j.availableAt <= now);
      const earliest = Math.min(...ready.map(([, j]) => j.place));
      expectLeased = ready.filter(([, j]) => j.place === earliest).map(([id]) => id);
    } else if (cmd.type === 'enqueue') {
      expectEnqueued = cmd.idempotencyKey === undefined ? null : (keys.get(cmd.idempotencyKey) ?? null);
    }
    if (result.ok) {
      switch (result.type) {
        case 'enqueued':
          if (result.created) {
            createdIds.add(result.job.id);
            model.set(result.job.id, { status: 'pending', attempts: 0, availableAt: now, place: now, enqueuedAt: now, live: null });
            if (cmd.type === 'enqueue' && cmd.idempotencyKey !== undefined) keys.set(cmd.idempotencyKey, result.job.id);
          }
          break;
        case 'leased':
          if (result.job !== null) {
            const job = model.get(result.job.id)!;
            serial += 1;
            job.status = 'leased';
            job.attempts += 1;
            job.live = { serial, expiresAt: now + config.visibilityTimeoutMs };
            const h = { serial, jobId: result.job.id, token: result.job.lease!.token };
            held[Number(cmd.type === 'lease' ? cmd.workerId.slice(1) : 0)]!.push(h);
            allLeases.push(h);
          }
          break;
        case 'extended':
          model.get(result.job.id)!.live!.expiresAt = now + config.visibilityTimeoutMs;
          break;
        case 'acked':
          Object.assign(model.get(result.job.id)!, { status: 'done', live: null });
          break;
        case 'failed': {
          const job = model.get(result.job.id)!;
          job.live = null;
          job.status = job.attempts >= config.maxAttempts ? 'dead' : 'pending';
          job.availableAt = result.job.availableAt; // the jitter is the core's business; bounds are checked below
          job.place = job.availableAt;
          break;
        }
        case 'redriven':
          Object.assign(model.get(result.job.id)!, { status: 'pending', attempts: 0, availableAt: now, place: now });
          break;
        case 'ticked':
          break;
      }
    }
    // Probe (property c only, it is the slow part): for every lease ever handed out on a job the core says is
    // leased, would the core accept a heartbeat with it right now? (Other jobs are covered by property b.)
    const liveTokenCounts = new Map<string, number>();
    for (const h of probe ? allLeases : []) {
      if (state.jobs[h.jobId]?.status !== 'leased') continue;
      const copy = structuredClone(state); // probe a copy: an accepted heartbeat changes the state
      if (apply(copy, { type: 'heartbeat', now, jobId: h.jobId, token: h.token }).ok) {
        liveTokenCounts.set(h.jobId, (liveTokenCounts.get(h.jobId) ?? 0) + 1);
      }
    }
    const modelAfter = new Map([...model].map(([id, j]) => [id, structuredClone(j)]));
    records.push({
      cmd,
      result: structuredClone(result), // the core returns live Job objects; later commands change them
      before,
      after: structuredClone(state),
      expectAccepted,
      expectLeased,
      expectEnqueued,
      heldSerial: presented?.serial,
      liveBefore,
      modelAfter,
      liveTokenCounts,
    });
  }
  return { records, commands, state, createdIds };
}

function property(check: (r: ReturnType<typeof run>) => void, probe = false): void {
  fc.assert(fc.property(steps, (input) => check(run(input, probe))), { numRuns: NUM_RUNS });
}

describe('queue core properties (random interleavings, stale tokens, expiring leases)', () => {
  it('(a) no job is ever lost: a pending job is in line once, a leased one has its expiry filed, stats add up', () => {
    property(({ records, createdIds }) => {
      for (const { after, modelAfter } of records) {
        const counts = { pending: 0, leased: 0, done: 0, dead: 0 };
        for (const id of createdIds) {
          const job = after.jobs[id];
          if (job === undefined) continue; // created by a later step
          counts[job.status] += 1;
          const inLine = after.pending.filter((e) => e.id === id);
          expect(inLine.length, `${id} is ${job.status}`).toBe(job.status === 'pending' ? 1 : 0);
          if (job.status === 'pending') expect(inLine[0]!.at).toBe(modelAfter.get(id)!.place);
          const lease = job.lease;
          const filed = lease !== undefined && after.leases.some((e) => e.id === id && e.token === lease.token && e.at <= lease.expiresAt);
          expect(filed, `${id}'s lease has an entry in state.leases`).toBe(job.status === 'leased');
        }
        expect(stats(after)).toEqual({ ...counts, total: Object.keys(after.jobs).length });
        // The first lease entry is exact (a live lease at its real expiry), which is what nextWakeup relies on.
        const first = after.leases[0];
        if (first !== undefined) expect(after.jobs[first.id]!.lease).toEqual(expect.objectContaining({ token: first.token, expiresAt: first.at }));
      }
      const last = records.at(-1)!.after;
      expect(stats(last).total).toBe(createdIds.size);
      expect(new Set(Object.keys(last.jobs))).toEqual(createdIds);
    });
  });

  it('(b) an ack, heartbeat or fail is accepted exactly when it holds the live lease; a refused one changes nothing', () => {
    property(({ records }) => {
      for (const { cmd, result, before, after, expectAccepted } of records) {
        if (expectAccepted === undefined) continue;
        expect(result.ok, `${cmd.type} ${JSON.stringify(cmd)}`).toBe(expectAccepted);
        if (!result.ok) {
          // The only change a refused command may cause is what every command does first: a tick.
          const expected = structuredClone(before);
          apply(expected, { type: 'tick', now: cmd.now });
          expect(after).toEqual(expected);
        }
      }
    });
  });

  it('(c) at most one live lease per job: of all tokens ever handed out for it, the core accepts at most one', () => {
    property(({ records }) => {
      for (const { after, liveTokenCounts, modelAfter } of records) {
        for (const [id, job] of modelAfter) {
          const n = liveTokenCounts.get(id) ?? 0;
          expect(n, `tokens the core accepts for ${id}`).toBeLessThanOrEqual(1);
          // The model's expiry ran at this step's time, so a lease it still calls live has not expired.
          expect(n, `tokens the core accepts for ${id}`).toBe(job.live === null ? 0 : 1);
          expect(after.jobs[id]!.status).toBe(job.status);
        }
      }
    }, true);
  });

  it('lease hands out a pending job that became available earliest, or none; a known key returns its job', () => {
    property(({ records }) => {
      for (const { cmd, result, expectLeased, expectEnqueued } of records) {
        if (!result.ok) continue;
        if (result.type === 'leased' && result.job === null) expect(expectLeased, JSON.stringify(cmd)).toEqual([]);
        if (result.type === 'leased' && result.job !== null) expect(expectLeased, JSON.stringify(cmd)).toContain(result.job.id);
        if (result.type === 'enqueued') {
          expect(result.created).toBe(expectEnqueued === null);
          if (expectEnqueued !== null) expect(result.job.id).toBe(expectEnqueued);
        }
      }
    });
  });

  it('(d) a job becomes done only through an accepted ack carrying its then-current, unexpired token', () => {
    property(({ records }) => {
      for (const { cmd, before, after, heldSerial, liveBefore } of records) {
        for (const id of Object.keys(after.jobs)) {
          const was = before.jobs[id]?.status;
          if (after.jobs[id]!.status !== 'done' || was === 'done') continue;
          expect(cmd.type).toBe('ack');
          if (cmd.type !== 'ack') return;
          expect(cmd.jobId).toBe(id);
          expect(cmd.token).toBe(before.jobs[id]!.lease?.token);
          expect(before.jobs[id]!.lease!.expiresAt).toBeGreaterThan(cmd.now);
          expect(liveBefore.get(id)?.serial).toBe(heldSerial);
        }
      }
    });
  });

  it('(e) attempts never exceed maxAttempts, and a job goes dead only having used all of them', () => {
    property(({ records }) => {
      for (const { before, after, modelAfter } of records) {
        for (const [id, job] of Object.entries(after.jobs)) {
          expect(job.attempts).toBeLessThanOrEqual(config.maxAttempts);
          expect(job.attempts).toBe(modelAfter.get(id)!.attempts);
          if (job.status === 'dead' && before.jobs[id]?.status !== 'dead') expect(job.attempts).toBe(config.maxAttempts);
        }
      }
    });
  });

  it('a failed job waits at most its capped backoff ceiling before it may be leased again', () => {
    property(({ records }) => {
      for (const { cmd, result } of records) {
        if (cmd.type !== 'fail' || !result.ok || result.type !== 'failed' || result.job.status !== 'pending') continue;
        const ceiling = Math.min(config.backoffMaxMs, config.backoffBaseMs * 2 ** (result.job.attempts - 1));
        expect(result.job.availableAt).toBeGreaterThanOrEqual(cmd.now);
        expect(result.job.availableAt - cmd.now).toBeLessThanOrEqual(ceiling);
      }
    });
  });

  it('(f) replaying the same commands on a fresh state gives the same state and the same answers', () => {
    property(({ records, commands, state }) => {
      const replayed = createQueue(config);
      const answers = commands.map((c) => structuredClone(apply(replayed, structuredClone(c))));
      expect(replayed).toEqual(state);
      expect(answers.map((a) => a.ok)).toEqual(records.map((r) => r.result.ok));
    });
  });

  it('the generated interleavings reach the interesting cases (so the properties above are not vacuous)', () => {
    const seen = { staleRefused: 0, expired: 0, dead: 0, redrivenThenLeased: 0, backoff: 0, duplicateKey: 0 };
    for (const input of fc.sample(steps, { numRuns: NUM_RUNS, seed: 42 })) {
      const redriven = new Set<string>();
      for (const { cmd, result, before, after, expectAccepted } of run(input).records) {
        if (expectAccepted === false && cmd.type !== 'lease') seen.staleRefused += 1;
        for (const [id, job] of Object.entries(after.jobs)) {
          if (before.jobs[id]?.status === 'leased' && job.lastError === 'lease expired' && before.jobs[id]?.lastError !== 'lease expired') seen.expired += 1;
          if (job.status === 'dead' && before.jobs[id]?.status !== 'dead') seen.dead += 1;
        }
        if (result.ok && result.type === 'redriven') redriven.add(result.job.id);
        if (result.ok && result.type === 'leased' && result.job !== null && redriven.has(result.job.id)) seen.redrivenThenLeased += 1;
        if (result.ok && result.type === 'failed' && result.job.availableAt > cmd.now) seen.backoff += 1;
        if (result.ok && result.type === 'enqueued' && !result.created) seen.duplicateKey += 1;
      }
    }
    for (const [name, n] of Object.entries(seen)) expect(n, name).toBeGreaterThanOrEqual(20);
  });
});
