// The simulated broker: the core's state in memory, its commands on a (simulated) disk, and a wake-up timer,
// as the node adapter (../node/durable-queue.ts) keeps them. It decides nothing itself: every request becomes
// a core command, and what the core answers is what the broker logs, reports and replies.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { apply, changedState, createQueue, defaultConfig, nextWakeup, stats, type Command, type Job, type Result } from '../core/queue.ts';
import { dropMessages, emit, isPoison, schedule, seconds, send } from './network.ts';
import type { Body, InFlight, NodeName, World } from './types.ts';

export function brokerStart(world: World): void {
  // As durable-queue.ts does at start-up: settings that differ from the core's defaults are applied with a
  // `configure` command and logged like any other change, so replaying the log brings them back.
  const { visibilityTimeoutMs, maxAttempts } = world.config;
  execute(world, { type: 'configure', now: world.now, config: { ...defaultConfig, visibilityTimeoutMs, maxAttempts } });
  emit(world, 'broker', 'started', `up: visibility timeout ${seconds(visibilityTimeoutMs)}, at most ${maxAttempts} attempts per job`);
}

// #region broker-execute
/**
 * Runs one command through the core, the way durable-queue.ts's `execute` does. Time passes first: a lease
 * that has run out is reclaimed by an explicit `tick`, so the log records the reclaim at the moment it
 * happened. Only commands that changed something are logged (an empty lease or a refused ack leaves no
 * trace). The record is written in the same step as the command, before any reply leaves: a crash can only
 * fall between two steps, so no reply ever tells of a change the log could lose.
 */
export function execute(world: World, cmd: Command): Result {
  if (cmd.type !== 'tick') tick(world);
  const state = world.broker.state!;
  const result = apply(state, cmd);
  if (changedState(result)) world.broker.log.push(cmd);
  world.broker.lastConfig = state.config;
  scheduleWakeup(world);
  return result;
}

/** Lets time pass in the core; reports every lease that ran out (with who held it, for the timeline). */
function tick(world: World): void {
  const state = world.broker.state!;
  const holders = new Map<string, string>();
  for (const job of Object.values(state.jobs)) if (job.lease) holders.set(job.id, job.lease.workerId);
  const cmd: Command = { type: 'tick', now: world.now };
  const result = apply(state, cmd);
  if (!changedState(result)) return;
  world.broker.log.push(cmd);
  if (result.ok && result.type === 'ticked') {
    for (const id of result.reclaimed) {
      const job = state.jobs[id]!;
      const lease = `${holders.get(id) ?? 'a worker'}'s lease ${job.endedLease?.token ?? ''} ran out`;
      if (job.status === 'dead') {
        emit(world, 'broker', 'dead', `${lease} on attempt ${job.attempts} of ${state.config.maxAttempts}: ${id} moved to the dead-letter queue`, id);
      } else {
        emit(world, 'broker', 'lease-expired', `${lease}: ${id} is back in line`, id);
      }
    }
  }
}

// #endregion broker-execute

// #region wakeup-timer
/**
 * One timer for the earliest moment something changes by itself (the core's nextWakeup: a lease runs out, a
 * backoff ends), re-checked after every command, as durable-queue.ts's scheduleWakeup does. When it fires,
 * a `tick` reclaims what ran out: a killed worker's job comes back on time even if nobody asks.
 */
function scheduleWakeup(world: World): void {
  const broker = world.broker;
  const at = broker.state === null ? null : nextWakeup(broker.state, world.now);
  if (at === broker.wakeupAt) return; // the timer we have is already set for that moment
  broker.wakeupAt = at;
  if (at !== null) schedule(world, Math.max(at, world.now), { type: 'broker-wakeup', at, boot: broker.boot });
}

export function brokerWakeup(world: World, at: number, boot: number): void {
  const broker = world.broker;
  if (!broker.up || boot !== broker.boot || at !== broker.wakeupAt) return; // a timer that was replaced
  broker.wakeupAt = null;
  tick(world);
  scheduleWakeup(world);
}
// #endregion wakeup-timer

// #region broker-requests
/** A request arrives: turn it into a command, let the core decide, tell the timeline, and reply. */
export function brokerReceive(world: World, msg: InFlight): void {
  const body = msg.body;
  const now = world.now;
  switch (body.type) {
    case 'enqueue': {
      const result = execute(world, { type: 'enqueue', now, payload: body.payload, idempotencyKey: body.key });
      if (!result.ok || result.type !== 'enqueued') return;
      const id = result.job.id;
      if (result.created) {
        emit(world, 'broker', 'enqueued', `${id} enqueued (key ${body.key}${body.payload.poison ? ', poison' : ''})`, id);
      } else {
        emit(world, 'broker', 'deduplicated', `key ${body.key} again: that is ${id} already, so no second copy`, id);
      }
      return reply(world, msg, id, { type: 'enqueued', req: body.req, jobId: id, created: result.created }, id);
    }
    case 'lease': {
      const result = execute(world, { type: 'lease', now, workerId: msg.from });
      const job = result.ok && result.type === 'leased' ? result.job : null;
      if (job === null) return reply(world, msg, 'no job', { type: 'leased', req: body.req, job: null });
      reportLease(world, job, msg.from);
      const copy = { id: job.id, token: job.lease!.token, attempts: job.attempts, poison: isPoison(job) };
      return reply(world, msg, job.id, { type: 'leased', req: body.req, job: copy }, job.id);
    }
    case 'ack': {
      const result = execute(world, { type: 'ack', now, jobId: body.jobId, token: body.token });
      if (result.ok) emit(world, 'broker', 'acked', `${body.jobId} done (ack from ${msg.from})`, body.jobId);
      else refused(world, msg, result.message, body.jobId);
      return reply(world, msg, result.ok ? 'ok' : `refused: ${result.error}`, { type: 'answer', req: body.req, ok: result.ok }, body.jobId);
    }
    case 'fail': {
      // The backoff's jitter is drawn here and travels inside the command, so replaying the log gives the
      // same backoff: the core itself never draws a random number.
      const jitter = world.random();
      const result = execute(world, { type: 'fail', now, jobId: body.jobId, token: body.token, error: body.error, jitter });
      if (!result.ok) {
        refused(world, msg, result.message, body.jobId);
        return reply(world, msg, `refused: ${result.error}`, { type: 'answer', req: body.req, ok: false }, body.jobId);
      }
      if (result.type === 'failed') reportFail(world, result.job, body.error);
      return reply(world, msg, 'ok', { type: 'answer', req: body.req, ok: true }, body.jobId);
    }
    default:
      return; // replies are never sent to the broker
  }
}

function reportLease(world: World, job: Job, worker: NodeName): void {
  if (job.attempts === 1) {
    emit(world, 'broker', 'leased', `${job.id} leased to ${worker} (attempt 1)`, job.id);
  } else if (job.endedLease?.reason === 'expired') {
    emit(world, 'broker', 'redelivered', `${job.id} leased to ${worker} (attempt ${job.attempts}: redelivered after a lease ran out)`, job.id);
  } else {
    emit(world, 'broker', 'retried', `${job.id} leased to ${worker} (attempt ${job.attempts}: a retry after a failure)`, job.id);
  }
}

function reportFail(world: World, job: Job, error: string): void {
  const max = world.broker.state!.config.maxAttempts;
  if (job.status === 'dead') {
    emit(world, 'broker', 'dead', `${job.id} failed on attempt ${job.attempts} of ${max} (${error}): moved to the dead-letter queue`, job.id);
  } else {
    const wait = job.availableAt - world.now;
    emit(world, 'broker', 'failed', `${job.id} failed on attempt ${job.attempts} of ${max} (${error}): back in line after a ${wait} ms backoff`, job.id);
  }
}

function refused(world: World, msg: InFlight, coreAnswer: string, jobId: string): void {
  emit(world, 'broker', 'refused', `${msg.label} from ${msg.from} refused: ${coreAnswer}`, jobId);
}

function reply(world: World, request: InFlight, label: string, body: Body, jobId?: string): void {
  send(world, 'broker', request.from, label, body, jobId);
}
// #endregion broker-requests

// #region broker-crash
/** The process dies: everything in memory is gone. The log, on disk, is all that is left. */
export function crashBroker(world: World): void {
  const broker = world.broker;
  broker.up = false;
  broker.state = null;
  broker.boot += 1; // its wake-up timer died with it
  broker.wakeupAt = null;
  dropMessages(world, 'broker', 'the broker crashed');
}
// #endregion broker-crash

// #region broker-recover
/**
 * Start-up after a crash: rebuild the state by applying every logged command again, through the same
 * `apply`, from a fresh queue. The core is deterministic (time and jitter are inside the commands), so the
 * state comes back exactly as it was: nothing acknowledged is lost. Leases that ran out while the broker
 * was down are reclaimed by the first tick, which the wake-up timer runs right away.
 */
export function recoverBroker(world: World): void {
  const broker = world.broker;
  const state = createQueue();
  for (const cmd of broker.log) apply(state, cmd);
  broker.state = state;
  broker.up = true;
  broker.restarts += 1;
  const s = stats(state);
  emit(world, 'broker', 'broker-recovered', `replayed ${broker.log.length} commands: ${s.pending} pending, ${s.leased} leased, ${s.done} done, ${s.dead} dead`);
  scheduleWakeup(world);
}
// #endregion broker-recover
