// Session 2's queue as a seeded simulation: a producer, the broker and three workers exchanging messages over
// a simulated network, with the learner's faults (kill a worker, crash the broker, a poison job) at chosen times.
//
// Every queue decision is made by the REAL core (../core/queue.ts: apply, stats, nextWakeup), exactly as the
// broker in ../node/ makes them. What this file adds is only what the node adapter adds: a clock, a network,
// a log that survives a crash, a wake-up timer, and the producer's and workers' loops. Nothing here knows the
// queue's rules (who gets which job, when a lease runs out, when a job is dead); it asks the core and reports.
//
// Simulated time: the world is a list of things due at future moments (a message arrives, a worker finishes
// its work, a timer fires). Running the world means taking the earliest one, doing it, and moving the clock
// to its moment. Nothing waits for real, so a 20 s run takes milliseconds, and every "random" choice (network
// delays, work times, backoff jitter) comes from one seeded generator: the same seed and the same script give
// the same timeline, in Node and in the browser.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/queue/sim-purity.test.ts).

import { mulberry32 } from '../../shared/random.ts';
import {
  apply,
  createQueue,
  defaultConfig,
  nextWakeup,
  stats,
  type Command,
  type Job,
  type JobStatus,
  type QueueConfig,
  type QueueState,
  type Result,
  type Stats,
} from '../core/queue.ts';
import type { Action } from './script.ts';

export { encodeScript, faultTour, parseScript, type Action } from './script.ts';

// #region api-types
export type NodeName = 'producer' | 'broker' | `worker-${number}`;

/**
 * An action without its time, for act(): one member per kind of action. (`Omit<Action, 'at'>` alone keeps only
 * the fields every action shares, so `{ do: 'kill-worker', worker: 2 }` would not type-check; act takes both.)
 */
export type LiveAction = Action extends infer A ? (A extends Action ? Omit<A, 'at'> : never) : never;

export interface SimOptions {
  seed: number;
  jobs?: number; // how many jobs the producer enqueues (default 12)
  workers?: number; // default 3
  visibilityTimeoutMs?: number; // default 5000
  maxAttempts?: number; // default 3 (so a poison job reaches the dead-letter queue soon)
  script?: Action[]; // actions applied at their times (headless runs and replay links)
}

export interface TimelineEvent {
  at: number; // simulated ms
  node: NodeName | 'network' | 'you';
  kind: string; // 'enqueued', 'leased', 'redelivered', 'acked', 'refused', 'lease-expired', 'dead', ...
  text: string; // one human line, e.g. "job-3 leased to worker-2 (attempt 2: redelivered)"
  jobId?: string;
}

/** One message in flight, for drawing. */
export interface Message {
  id: number;
  from: NodeName;
  to: NodeName;
  sentAt: number;
  deliverAt: number;
  label: string; // 'enqueue p-4' | 'lease?' | 'job-4' | 'ack job-4' | 'ok' ...
  jobId?: string;
}

export interface WorldView {
  now: number;
  seed: number;
  finished: boolean; // every job done or dead, and no scripted action left
  broker: {
    up: boolean;
    logLength: number;
    stats: Stats | null;
    visibilityTimeoutMs: number;
    jobs: { id: string; status: JobStatus; attempts: number; poison: boolean; holder?: string }[];
  };
  producer: { enqueued: number; total: number; poisonNext: boolean };
  workers: { name: NodeName; up: boolean; state: WorkerActivity; jobId?: string }[];
  messages: Message[];
}
// #endregion api-types

// #region settings
const NETWORK_DELAY_MS = [40, 200] as const; // one way; every message draws its own delay in this range
const WORK_MS = [800, 2_000] as const; // how long a worker takes for one job
const REQUEST_TIMEOUT_MS = 1_000; // no reply by then: the request (or its reply) is lost; try again
const POLL_WAIT_MS = 500; // a worker that was told "no job" asks again after this
const PRODUCER_PAUSE_MS = 0; // between one enqueue's reply and the next enqueue
const RETRY_BASE_MS = 100; // retries back off 100, 200, 400 ... ms (as producer.ts and worker.ts do)
const RETRY_MAX_MS = 2_000;
// #endregion settings

// ---------------------------------------------------------------------------------------------------------
// The world's data. All of it is plain data except `random`, the seeded generator.

type WorkerActivity = 'idle' | 'asking' | 'working' | 'reporting' | 'down';

/** What a message carries. A request has a number; its reply carries the same number back. */
type Body =
  | { type: 'enqueue'; req: number; key: string; payload: JobPayload }
  | { type: 'enqueued'; req: number; jobId: string; created: boolean }
  | { type: 'lease'; req: number }
  | { type: 'leased'; req: number; job: { id: string; token: string; attempts: number; poison: boolean } | null }
  | { type: 'ack'; req: number; jobId: string; token: string }
  | { type: 'fail'; req: number; jobId: string; token: string; error: string }
  | { type: 'answer'; req: number; ok: boolean };

interface InFlight extends Message {
  body: Body;
}

interface JobPayload {
  n: number; // the producer's job number (its key is p-n)
  poison: boolean; // a poison job makes every worker that runs it fail
}

/** Things due at a moment: the simulation's only source of change besides the learner. */
type Due =
  | { type: 'broker-start' }
  | { type: 'deliver'; messageId: number }
  | { type: 'producer-send' }
  | { type: 'producer-timeout'; req: number }
  | { type: 'worker-poll'; worker: number; life: number }
  | { type: 'work-done'; worker: number; life: number }
  | { type: 'worker-timeout'; worker: number; life: number; req: number }
  | { type: 'worker-resend'; worker: number; life: number }
  | { type: 'broker-wakeup'; at: number; boot: number }
  | { type: 'action'; action: Action };

interface Scheduled {
  at: number;
  phase: 0 | 1; // 0 = the system's own events, 1 = actions: an action at T runs after every event at T
  seq: number; // equal times and phases come out in the order they were scheduled
  due: Due;
}

interface BrokerData {
  up: boolean;
  boot: number; // counts starts, so a wake-up timer set before a crash is ignored after it
  state: QueueState | null; // the core's state: in memory only, gone when the broker crashes
  log: Command[]; // the simulated disk: survives crashes
  restarts: number;
  wakeupAt: number | null; // the moment the wake-up timer is set for
  lastConfig: QueueConfig; // shown while the broker is down
}

interface Outstanding {
  req: number;
  body: Body;
  label: string;
  tries: number;
  jobId?: string;
}

interface WorkerData {
  name: NodeName;
  up: boolean;
  life: number; // counts kills and restarts, so a timer from a previous life is ignored
  activity: WorkerActivity;
  job?: { id: string; token: string; attempts: number; poison: boolean };
  outstanding?: Outstanding;
}

interface ProducerData {
  next: number; // the job number being enqueued now (1-based); total + 1 once all are acknowledged
  total: number;
  enqueued: number; // acknowledged by the broker
  poisonNext: boolean;
  outstanding?: Outstanding & { key: string };
}

export interface World {
  seed: number;
  now: number;
  random: () => number; // mulberry32(seed): the one source of chance
  config: { jobs: number; workers: number; visibilityTimeoutMs: number; maxAttempts: number };
  agenda: Scheduled[]; // what is due, earliest first
  nextSeq: number;
  nextMessageId: number;
  nextReq: number;
  messages: InFlight[];
  broker: BrokerData;
  producer: ProducerData;
  workers: WorkerData[];
  events: TimelineEvent[];
  script: Action[]; // scripted and live actions, in time order
  actionsLeft: number;
}

// ---------------------------------------------------------------------------------------------------------
// Creating and running a world.

export function createWorld(options: SimOptions): World {
  const config = {
    jobs: options.jobs ?? 12,
    workers: options.workers ?? 3,
    visibilityTimeoutMs: options.visibilityTimeoutMs ?? 5_000,
    maxAttempts: options.maxAttempts ?? 3,
  };
  if (!Number.isSafeInteger(options.seed)) throw new Error(`the seed must be a whole number, not ${options.seed}`);
  for (const [name, value] of Object.entries(config)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1, not ${value}`);
  }
  const script = [...(options.script ?? [])].sort((a, b) => a.at - b.at); // stable: equal times keep their order
  for (const action of script) checkAction(action, config.workers);
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

export function scriptOf(world: World): Action[] {
  return world.script.map((a) => ({ ...a }));
}

/** Run headless until finished (or untilMs, default 120_000), e.g. for the CLI and tests. */
export function runToEnd(options: SimOptions, untilMs = 120_000): { timeline: TimelineEvent[]; view: WorldView } {
  const world = createWorld(options);
  while (!isFinished(world) && world.agenda.length > 0 && world.agenda[0]!.at <= untilMs) processNext(world);
  return { timeline: timeline(world), view: view(world) };
}

/** Every job done or dead, nothing left to report or to enqueue, and no scripted action left. */
function isFinished(world: World): boolean {
  const { broker, producer } = world;
  if (!broker.up || broker.state === null || producer.next <= producer.total || world.actionsLeft > 0) return false;
  if (world.workers.some((w) => w.up && (w.activity === 'working' || w.activity === 'reporting'))) return false;
  const s = stats(broker.state);
  return s.done + s.dead === producer.total;
}

export function view(world: World): WorldView {
  const { broker, producer } = world;
  const state = broker.state;
  return {
    now: world.now,
    seed: world.seed,
    finished: isFinished(world),
    broker: {
      up: broker.up,
      logLength: broker.log.length,
      stats: state === null ? null : stats(state),
      visibilityTimeoutMs: (state?.config ?? broker.lastConfig).visibilityTimeoutMs,
      jobs:
        state === null
          ? []
          : Object.values(state.jobs).map((j) => ({
              id: j.id,
              status: j.status,
              attempts: j.attempts,
              poison: isPoison(j),
              ...(j.lease ? { holder: j.lease.workerId } : {}),
            })),
    },
    producer: { enqueued: producer.enqueued, total: producer.total, poisonNext: producer.poisonNext },
    workers: world.workers.map((w) => ({
      name: w.name,
      up: w.up,
      state: w.up ? w.activity : 'down',
      ...(w.up && w.job ? { jobId: w.job.id } : {}),
    })),
    messages: world.messages.map(({ body: _body, ...m }) => ({ ...m })),
  };
}

/** One line per event, the same in the CLI and in the browser:  "  12.345s  worker-2   job-3 leased ..." */
export function formatEvent(e: TimelineEvent): string {
  // toFixed, not toLocaleString: the line must be byte-identical on every machine and in every browser.
  return `${(e.at / 1000).toFixed(3).padStart(8)}s  ${e.node.padEnd(9)}  ${e.text}`;
}

// ---------------------------------------------------------------------------------------------------------
// The agenda: what is due, earliest first.

function schedule(world: World, at: number, due: Due, phase: 0 | 1 = 0): void {
  const item: Scheduled = { at, phase, seq: world.nextSeq++, due };
  const agenda = world.agenda;
  // Insert in order (a handful of entries at a time, so a sorted array is plenty).
  let i = agenda.length;
  while (i > 0 && comesBefore(item, agenda[i - 1]!)) i--;
  agenda.splice(i, 0, item);
}

function comesBefore(a: Scheduled, b: Scheduled): boolean {
  if (a.at !== b.at) return a.at < b.at;
  if (a.phase !== b.phase) return a.phase < b.phase;
  return a.seq < b.seq;
}

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

function emit(world: World, node: TimelineEvent['node'], kind: string, text: string, jobId?: string): void {
  world.events.push({ at: world.now, node, kind, text, ...(jobId !== undefined ? { jobId } : {}) });
}

const draw = (world: World, [lo, hi]: readonly [number, number]): number => lo + Math.floor(world.random() * (hi - lo + 1));

const retryDelay = (tries: number): number => Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(tries - 1, 5));

// #region network
/**
 * Sends a message: it arrives after a seeded delay, unless the connection breaks first (either end is killed
 * or crashes while it is in flight) or nobody is listening when it arrives (the broker is down).
 */
function send(world: World, from: NodeName, to: NodeName, label: string, body: Body, jobId?: string): void {
  const msg: InFlight = {
    id: world.nextMessageId++,
    from,
    to,
    sentAt: world.now,
    deliverAt: world.now + draw(world, NETWORK_DELAY_MS),
    label,
    body,
    ...(jobId !== undefined ? { jobId } : {}),
  };
  world.messages.push(msg);
  schedule(world, msg.deliverAt, { type: 'deliver', messageId: msg.id });
}

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

/** A request and its reply travel over one connection: when one end dies, what is in flight on it is lost. */
function dropMessages(world: World, node: NodeName, reason: string): void {
  for (const msg of world.messages.filter((m) => m.from === node || m.to === node)) {
    emit(world, 'network', 'message-lost', `${msg.label} (${msg.from} -> ${msg.to}) lost: ${reason}`, msg.jobId);
  }
  world.messages = world.messages.filter((m) => m.from !== node && m.to !== node);
}

function isUp(world: World, node: NodeName): boolean {
  if (node === 'broker') return world.broker.up;
  if (node === 'producer') return true;
  return world.workers[workerNumber(node) - 1]!.up;
}
// #endregion network

// ---------------------------------------------------------------------------------------------------------
// The broker: the core's state in memory, its commands on a (simulated) disk, and a wake-up timer.

function brokerStart(world: World): void {
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
function execute(world: World, cmd: Command): Result {
  if (cmd.type !== 'tick') tick(world);
  const state = world.broker.state!;
  const result = apply(state, cmd);
  if (changedState(cmd, result)) world.broker.log.push(cmd);
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
  if (!changedState(cmd, result)) return;
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

/** The node adapter's rule for what is worth logging (durable-queue.ts, changedState). */
function changedState(cmd: Command, result: Result): boolean {
  if (!result.ok) return false;
  switch (result.type) {
    case 'enqueued':
      return result.created;
    case 'leased':
      return result.job !== null;
    case 'ticked':
      return result.reclaimed.length > 0 || result.forgotten.length > 0;
    default:
      return cmd.type !== 'tick';
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

function brokerWakeup(world: World, at: number, boot: number): void {
  const broker = world.broker;
  if (!broker.up || boot !== broker.boot || at !== broker.wakeupAt) return; // a timer that was replaced
  broker.wakeupAt = null;
  tick(world);
  scheduleWakeup(world);
}
// #endregion wakeup-timer

// #region broker-requests
/** A request arrives: turn it into a command, let the core decide, tell the timeline, and reply. */
function brokerReceive(world: World, msg: InFlight): void {
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
function crashBroker(world: World): void {
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
function recoverBroker(world: World): void {
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

// ---------------------------------------------------------------------------------------------------------
// #region producer
/**
 * The producer (producer.ts): one job at a time, each with the idempotency key p-<n>. A request that gets no
 * reply in time may or may not have created the job, so the producer sends the SAME request again; the
 * key makes the broker answer with the job it already has instead of creating a second one.
 */
function producerSend(world: World): void {
  const p = world.producer;
  if (p.next > p.total) return;
  if (p.outstanding === undefined) {
    const payload: JobPayload = { n: p.next, poison: p.poisonNext };
    p.poisonNext = false;
    p.outstanding = { req: 0, key: `p-${p.next}`, body: { type: 'enqueue', req: 0, key: `p-${p.next}`, payload }, label: `enqueue p-${p.next}`, tries: 0 };
  }
  const o = p.outstanding;
  o.req = world.nextReq++;
  o.tries += 1;
  o.body = { ...o.body, req: o.req } as Body;
  send(world, 'producer', 'broker', o.label, o.body);
  schedule(world, world.now + REQUEST_TIMEOUT_MS, { type: 'producer-timeout', req: o.req });
}

function producerTimeout(world: World, req: number): void {
  const o = world.producer.outstanding;
  if (o === undefined || o.req !== req) return; // the reply came in time
  const delay = retryDelay(o.tries);
  emit(world, 'producer', 'retry', `no reply to enqueue ${o.key} within ${seconds(REQUEST_TIMEOUT_MS)}; sending the same key again in ${delay} ms`);
  schedule(world, world.now + delay, { type: 'producer-send' });
}

function producerReceive(world: World, body: Body): void {
  const p = world.producer;
  if (body.type !== 'enqueued' || p.outstanding?.req !== body.req) return; // a reply to a request given up on
  p.outstanding = undefined;
  p.enqueued += 1;
  p.next += 1;
  if (p.next > p.total) emit(world, 'producer', 'producer-done', `all ${p.total} jobs acknowledged by the broker`);
  else schedule(world, world.now + PRODUCER_PAUSE_MS, { type: 'producer-send' });
}
// #endregion producer

// ---------------------------------------------------------------------------------------------------------
// #region worker-loop
/**
 * A worker (worker.ts): ask for a job; none? ask again soon. Got one? Work on it, then ack it (or fail it:
 * a poison job always fails). A request without a reply is sent again; a refusal is final: the lease is gone,
 * so this worker's result does not count and someone else has (or will have) the job.
 */
function workerPoll(world: World, n: number, life: number): void {
  const w = world.workers[n - 1]!;
  if (!w.up || w.life !== life || w.activity !== 'idle') return;
  w.activity = 'asking';
  request(world, n, { type: 'lease', req: 0 }, 'lease?');
}

function workerReceive(world: World, n: number, body: Body): void {
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

function workDone(world: World, n: number, life: number): void {
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

function workerResend(world: World, n: number, life: number): void {
  const w = world.workers[n - 1]!;
  const o = w.outstanding;
  if (!w.up || w.life !== life || o === undefined) return;
  o.req = world.nextReq++;
  o.tries += 1;
  o.body = { ...o.body, req: o.req } as Body;
  send(world, w.name, 'broker', o.label, o.body, o.jobId);
  schedule(world, world.now + REQUEST_TIMEOUT_MS, { type: 'worker-timeout', worker: n, life, req: o.req });
}

function workerTimeout(world: World, n: number, life: number, req: number): void {
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

// ---------------------------------------------------------------------------------------------------------
// #region actions
/** The learner's hand (or the scenario's): faults and settings, at a moment of simulated time. */
function perform(world: World, action: Action): void {
  const ignored = (why: string) => emit(world, 'you', 'ignored', `${describe(action)}: nothing to do, ${why}`);
  switch (action.do) {
    case 'kill-worker': {
      const w = world.workers[action.worker - 1]!;
      if (!w.up) return ignored(`${w.name} is already down`);
      // The simulator sees everything: say whether the broker still counts this worker's job as leased to it.
      const held = w.job ? world.broker.state?.jobs[w.job.id]?.lease : undefined;
      const leased = w.job !== undefined && held?.token === w.job.token;
      const note = w.job === undefined ? '' : leased ? `: ${w.job.id} dies with it, still leased to it` : `: it was busy with ${w.job.id}`;
      emit(world, 'you', 'worker-killed', `${describe(action)}${note}`, leased ? w.job!.id : undefined);
      w.up = false;
      w.life += 1; // its timers and replies from now on belong to a dead process
      w.activity = 'down';
      delete w.job;
      delete w.outstanding;
      return dropMessages(world, w.name, `${w.name} was killed`);
    }
    case 'restart-worker': {
      const w = world.workers[action.worker - 1]!;
      if (w.up) return ignored(`${w.name} is running`);
      emit(world, 'you', 'worker-restarted', describe(action));
      w.up = true;
      w.life += 1;
      w.activity = 'idle';
      return schedule(world, world.now, { type: 'worker-poll', worker: action.worker, life: w.life });
    }
    case 'crash-broker': {
      if (!world.broker.up) return ignored('the broker is already down');
      emit(world, 'you', 'broker-crashed', `${describe(action)}: its memory is gone; the log on disk (${world.broker.log.length} commands) survives`);
      return crashBroker(world);
    }
    case 'restart-broker': {
      if (world.broker.up) return ignored('the broker is running');
      emit(world, 'you', 'broker-restarted', describe(action));
      return recoverBroker(world);
    }
    case 'poison': {
      const p = world.producer;
      if (p.next > p.total) return ignored('the producer has enqueued every job');
      if (p.poisonNext) return ignored('the next job is poison already');
      p.poisonNext = true;
      return emit(world, 'you', 'poison', `${describe(action)}: it will fail on every attempt`);
    }
    case 'set-timeout': {
      if (!world.broker.up) return ignored('the broker is down');
      emit(world, 'you', 'set-timeout', describe(action));
      const config = { ...world.broker.state!.config, visibilityTimeoutMs: action.ms };
      execute(world, { type: 'configure', now: world.now, config });
      return emit(world, 'broker', 'configured', `visibility timeout now ${seconds(action.ms)} (logged; leases already granted keep their expiry)`);
    }
  }
}

function describe(action: Action): string {
  switch (action.do) {
    case 'kill-worker':
      return `kill worker-${action.worker}`;
    case 'restart-worker':
      return `restart worker-${action.worker}`;
    case 'crash-broker':
      return 'crash the broker';
    case 'restart-broker':
      return 'restart the broker';
    case 'poison':
      return 'make the next job poison';
    case 'set-timeout':
      return `set the visibility timeout to ${seconds(action.ms)}`;
  }
}

/** Throws if the action names a worker that does not exist or a timeout that is not a whole number of ms. */
function checkAction(action: Action, workers: number): void {
  if (!Number.isSafeInteger(action.at) || action.at < 0) throw new Error(`an action's time must be a whole number of ms, not ${action.at}`);
  if ((action.do === 'kill-worker' || action.do === 'restart-worker') && !(Number.isInteger(action.worker) && action.worker >= 1 && action.worker <= workers)) {
    throw new Error(`${action.do}: there is no worker ${action.worker} (workers are 1 to ${workers})`);
  }
  if (action.do === 'set-timeout' && !(Number.isSafeInteger(action.ms) && action.ms >= 1)) {
    throw new Error(`set-timeout: the timeout must be a whole number of ms of at least 1, not ${action.ms}`);
  }
}
// #endregion actions

// ---------------------------------------------------------------------------------------------------------

function isPoison(job: Job): boolean {
  return (job.payload as Partial<JobPayload> | null)?.poison === true;
}

function workerNumber(name: NodeName): number {
  return Number(name.slice('worker-'.length));
}

/** "5.0 s", "0.8 s", "12.5 s": one decimal, no locale. */
function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
