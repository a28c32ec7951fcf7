// The simulated workers, the loop of ../node/worker.ts: each one leases a job, works on it for a seeded while,
// and reports the result. Each worker counts its lives, so a timer or a reply from before it was killed
// finds a different life and is ignored, as it would be by a new process.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { draw, emit, retryDelay, schedule, seconds, send } from './network.ts';
import { POLL_WAIT_MS, REQUEST_TIMEOUT_MS, WORK_MS, type Body, type World } from './types.ts';

// #region worker-loop
/**
 * A worker (worker.ts): ask for a job; none? ask again soon. Got one? Work on it, then ack it (or fail it:
 * a poison job always fails). A request without a reply is sent again; a refusal is final: the lease is gone,
 * so this worker's result does not count and someone else has (or will have) the job.
 */
export function workerPoll(world: World, n: number, life: number): void {
  const w = world.workers[n - 1]!;
  if (!w.up || w.life !== life || w.activity !== 'idle') return;
  w.activity = 'asking';
  request(world, n, { type: 'lease', req: 0 }, 'lease?');
}

export function workerReceive(world: World, n: number, body: Body): void {
  const w = world.workers[n - 1]!;
  if (w.outstanding?.req !== body.req) return; // a reply to a request given up on
  w.outstanding = undefined;
  if (body.type === 'leased' && body.job !== null) {
    w.job = body.job;
    w.activity = 'working';
    schedule(world, world.now + draw(world, WORK_MS), { type: 'work-done', worker: n, life: w.life });
  } else if (body.type === 'leased') {
    w.activity = 'idle';
    schedule(world, world.now + POLL_WAIT_MS, { type: 'worker-poll', worker: n, life: w.life });
  } else if (body.type === 'answer') {
    delete w.job; // acked, failed or refused: either way this worker is done with it
    w.activity = 'idle';
    schedule(world, world.now, { type: 'worker-poll', worker: n, life: w.life });
  }
}

export function workDone(world: World, n: number, life: number): void {
  const w = world.workers[n - 1]!;
  if (!w.up || w.life !== life || w.job === undefined) return;
  const { id, token, poison } = w.job;
  w.activity = 'reporting';
  if (poison) request(world, n, { type: 'fail', req: 0, jobId: id, token, error: 'poison: it always fails' }, `fail ${id}`, id);
  else request(world, n, { type: 'ack', req: 0, jobId: id, token }, `ack ${id}`, id);
}

function request(world: World, n: number, body: Body, label: string, jobId?: string): void {
  const w = world.workers[n - 1]!;
  w.outstanding = { req: 0, body, label, tries: 0, ...(jobId !== undefined ? { jobId } : {}) };
  workerResend(world, n, w.life);
}

export function workerResend(world: World, n: number, life: number): void {
  const w = world.workers[n - 1]!;
  const o = w.outstanding;
  if (!w.up || w.life !== life || o === undefined) return;
  o.req = world.nextReq++;
  o.tries += 1;
  o.body = { ...o.body, req: o.req } as Body;
  send(world, w.name, 'broker', o.label, o.body, o.jobId);
  schedule(world, world.now + REQUEST_TIMEOUT_MS, { type: 'worker-timeout', worker: n, life, req: o.req });
}

export function workerTimeout(world: World, n: number, life: number, req: number): void {
  const w = world.workers[n - 1]!;
  const o = w.outstanding;
  if (!w.up || w.life !== life || o === undefined || o.req !== req) return;
  const delay = retryDelay(o.tries);
  if (o.body.type === 'lease') {
    // Nothing is lost by asking again later, and nothing worth a line in the timeline.
    w.outstanding = undefined;
    w.activity = 'idle';
    schedule(world, world.now + delay, { type: 'worker-poll', worker: n, life });
    return;
  }
  emit(world, w.name, 'retry', `no reply to ${o.label} within ${seconds(REQUEST_TIMEOUT_MS)}; sending it again in ${delay} ms`, o.jobId);
  schedule(world, world.now + delay, { type: 'worker-resend', worker: n, life });
}
// #endregion worker-loop
