// Session 2's queue as a seeded simulation: a producer, the broker and three workers exchanging messages over
// a simulated network, with the learner's faults (kill a worker, crash the broker, a poison job) at chosen times.
//
// Every queue decision is made by the REAL core (../core/queue.ts: apply, stats, nextWakeup), exactly as the
// broker in ../node/ makes them. What the simulation adds is only what the node adapter adds: a clock, a
// network, a log that survives a crash, a wake-up timer, and the producer's and workers' loops. Nothing here
// knows the queue's rules (who gets which job, when a lease runs out, when a job is dead); it asks the core
// and reports.
//
// Simulated time: the world is a list of things due at future moments (a message arrives, a worker finishes
// its work, a timer fires). Running the world means taking the earliest one, doing it, and moving the clock
// to its moment. Nothing waits for real, so a 20 s run takes milliseconds, and every "random" choice (network
// delays, work times, backoff jitter) comes from one seeded generator: the same seed and the same script give
// the same timeline, in Node and in the browser.
//
// The parts, one file each: types.ts (the data and the timings), network.ts (the agenda and the messages in
// flight), broker.ts, producer.ts, workers.ts, actions.ts (the learner's faults) and view.ts (what is shown).
// This file creates a world and runs it: it takes what is due next and hands it to the part it belongs to.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { mulberry32 } from '../../shared/random.ts';
import { createQueue, defaultConfig } from '../core/queue.ts';
import { checkAction, perform } from './actions.ts';
import { brokerReceive, brokerStart, brokerWakeup } from './broker.ts';
import { emit, isUp, schedule, workerNumber } from './network.ts';
import { producerReceive, producerSend, producerTimeout } from './producer.ts';
import type { Action } from './script.ts';
import type { InFlight, LiveAction, NodeName, SimOptions, TimelineEvent, World, WorkerActivity, WorldView } from './types.ts';
import { isFinished, view } from './view.ts';
import { workDone, workerPoll, workerReceive, workerResend, workerTimeout } from './workers.ts';

export { encodeScript, faultTour, linkToRun, parseScript, type Action } from './script.ts';
export type { LiveAction, Message, NodeName, SimOptions, TimelineEvent, World, WorldView } from './types.ts';
export { formatEvent, view } from './view.ts';
export { MAX_JOBS } from './types.ts';

// ---------------------------------------------------------------------------------------------------------
// Creating and running a world.

const DEFAULT_WORKERS = 3;

/** Throws a clear Error if an action cannot happen in a world of this many workers (e.g. kill worker 9 of 3). */
export function checkScript(script: readonly Action[], workers = DEFAULT_WORKERS): void {
  for (const action of script) checkAction(action, workers);
}

export function createWorld(options: SimOptions): World {
  const config = {
    jobs: options.jobs ?? 12,
    workers: options.workers ?? DEFAULT_WORKERS,
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? 5_000,
    maxAttempts: options.maxAttempts ?? 3,
  };
  if (!Number.isSafeInteger(options.seed)) throw new Error(`the seed must be a whole number, not ${options.seed}`);
  for (const [name, value] of Object.entries(config)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1, not ${value}`);
  }
  const script = [...(options.script ?? [])].sort((a, b) => a.at - b.at); // stable: equal times keep their order
  checkScript(script, config.workers);
  const world: World = {
    seed: options.seed,
    now: 0,
    random: mulberry32(options.seed),
    config,
    agenda: [],
    nextSeq: 1,
    nextMessageId: 1,
    nextReq: 1,
    messages: [],
    broker: {
      up: true,
      boot: 1,
      state: createQueue(),
      log: [],
      restarts: 0,
      wakeupAt: null,
      lastConfig: { ...defaultConfig, visibilityTimeoutMs: config.visibilityTimeoutMs, maxAttempts: config.maxAttempts },
    },
    producer: { next: 1, total: config.jobs, enqueued: 0, poisonNext: false },
    workers: Array.from({ length: config.workers }, (_, i) => ({
      name: `worker-${i + 1}` as NodeName,
      up: true,
      life: 1,
      activity: 'idle' as WorkerActivity,
    })),
    events: [],
    script,
    actionsLeft: script.length,
  };
  schedule(world, 0, { type: 'broker-start' });
  schedule(world, 0, { type: 'producer-send' });
  world.workers.forEach((w, i) => schedule(world, 0, { type: 'worker-poll', worker: i + 1, life: w.life }));
  for (const action of script) schedule(world, action.at, { type: 'action', action }, 1);
  return world;
}

/**
 * Process events (and scripted actions) up to and including time t (whole ms); afterwards world.now === t
 * (the clock never goes back: a t before now processes nothing). An action at time T runs after every event
 * with time <= T. Returns the timeline events produced.
 */
export function runUntil(world: World, t: number): TimelineEvent[] {
  const until = Math.floor(t);
  const start = world.events.length;
  while (world.agenda.length > 0 && world.agenda[0]!.at <= until) processNext(world);
  world.now = Math.max(world.now, until);
  return world.events.slice(start);
}

/** Process events until one of them adds to the timeline (for the Step button). Returns [] once finished. */
export function step(world: World): TimelineEvent[] {
  const start = world.events.length;
  // The guard only stops a world in which nothing can happen any more from spinning (it cannot, today).
  for (let guard = 0; guard < 100_000 && !isFinished(world) && world.agenda.length > 0; guard++) {
    processNext(world);
    if (world.events.length > start) break;
  }
  return world.events.slice(start);
}

/**
 * A live action by the learner at world.now: first the events due at world.now run, then the action, which is
 * appended to the world's script (after every action at or before now) so that a replay with scriptOf(world)
 * meets it at the same point and reproduces the same timeline. Returns the events produced.
 */
export function act(world: World, action: LiveAction | Omit<Action, 'at'>): TimelineEvent[] {
  const start = world.events.length;
  runUntil(world, world.now);
  const timed = { ...action, at: world.now } as Action;
  checkAction(timed, world.config.workers);
  const place = world.script.findIndex((a) => a.at > timed.at);
  world.script.splice(place === -1 ? world.script.length : place, 0, timed);
  perform(world, timed);
  return world.events.slice(start);
}

export function timeline(world: World): TimelineEvent[] {
  return [...world.events];
}

/** The events after the first `count`: what a view that has shown `count` of them must still show. */
export function eventsSince(world: World, count: number): TimelineEvent[] {
  return world.events.slice(count);
}

export function scriptOf(world: World): Action[] {
  return world.script.map((a) => ({ ...a }));
}

/** Run headless until finished (or untilMs, default 120_000), e.g. for the CLI and tests. */
export function runToEnd(options: SimOptions, untilMs = 120_000): { timeline: TimelineEvent[]; view: WorldView } {
  const world = createWorld(options);
  while (!isFinished(world) && world.agenda.length > 0 && world.agenda[0]!.at <= untilMs) processNext(world);
  return { timeline: timeline(world), view: view(world) };
}

// ---------------------------------------------------------------------------------------------------------
// Handing what is due to the part it belongs to.

function processNext(world: World): void {
  const item = world.agenda.shift()!;
  world.now = item.at;
  const due = item.due;
  switch (due.type) {
    case 'broker-start':
      return brokerStart(world);
    case 'deliver':
      return deliver(world, due.messageId);
    case 'producer-send':
      return producerSend(world);
    case 'producer-timeout':
      return producerTimeout(world, due.req);
    case 'worker-poll':
      return workerPoll(world, due.worker, due.life);
    case 'work-done':
      return workDone(world, due.worker, due.life);
    case 'worker-timeout':
      return workerTimeout(world, due.worker, due.life, due.req);
    case 'worker-resend':
      return workerResend(world, due.worker, due.life);
    case 'broker-wakeup':
      return brokerWakeup(world, due.at, due.boot);
    case 'action':
      world.actionsLeft -= 1;
      return perform(world, due.action);
  }
}

/** A message is due: it is lost if its addressee is down, else the part it is addressed to handles it. */
function deliver(world: World, messageId: number): void {
  const i = world.messages.findIndex((m) => m.id === messageId);
  if (i === -1) return; // lost on the way (see dropMessages)
  const [msg] = world.messages.splice(i, 1) as [InFlight];
  if (!isUp(world, msg.to)) {
    emit(world, 'network', 'message-lost', `${msg.label} (${msg.from} -> ${msg.to}) lost: ${msg.to} is down`, msg.jobId);
    return;
  }
  if (msg.to === 'broker') brokerReceive(world, msg);
  else if (msg.to === 'producer') producerReceive(world, msg.body);
  else workerReceive(world, workerNumber(msg.to), msg.body);
}
