// The simulation's data: what the world shows (the api-types, read by the browser adapter and the CLI), the
// timings it runs on, and what it keeps inside. All of it is plain data except `World.random`, the seeded
// generator, so a world can be inspected, drawn and compared like any other value.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import type { Command, JobStatus, QueueConfig, QueueState, Stats } from '../core/queue.ts';
import type { Action } from './script.ts';

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
export const NETWORK_DELAY_MS = [40, 200] as const; // one way; every message draws its own delay in this range
export const WORK_MS = [800, 2_000] as const; // how long a worker takes for one job
export const REQUEST_TIMEOUT_MS = 1_000; // no reply by then: the request (or its reply) is lost; try again
export const POLL_WAIT_MS = 500; // a worker that was told "no job" asks again after this
export const PRODUCER_PAUSE_MS = 0; // between one enqueue's reply and the next enqueue
export const RETRY_BASE_MS = 100; // retries back off 100, 200, 400 ... ms (as producer.ts and worker.ts do)
export const RETRY_MAX_MS = 2_000;
/** The most jobs one run may have: more would make the picture and the timeline unreadable, and the run slow. */
export const MAX_JOBS = 200;
// #endregion settings

// ---------------------------------------------------------------------------------------------------------
// The world's data. All of it is plain data except `random`, the seeded generator.

export type WorkerActivity = 'idle' | 'asking' | 'working' | 'reporting' | 'down';

/** What a message carries. A request has a number; its reply carries the same number back. */
export type Body =
  | { type: 'enqueue'; req: number; key: string; payload: JobPayload }
  | { type: 'enqueued'; req: number; jobId: string; created: boolean }
  | { type: 'lease'; req: number }
  | { type: 'leased'; req: number; job: { id: string; token: string; attempts: number; poison: boolean } | null }
  | { type: 'ack'; req: number; jobId: string; token: string }
  | { type: 'fail'; req: number; jobId: string; token: string; error: string }
  | { type: 'answer'; req: number; ok: boolean };

export interface InFlight extends Message {
  body: Body;
}

export interface JobPayload {
  n: number; // the producer's job number (its key is p-n)
  poison: boolean; // a poison job makes every worker that runs it fail
}

/** Things due at a moment: the simulation's only source of change besides the learner. */
export type Due =
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

export interface Scheduled {
  at: number;
  phase: 0 | 1; // 0 = the system's own events, 1 = actions: an action at T runs after every event at T
  seq: number; // equal times and phases come out in the order they were scheduled
  due: Due;
}

export interface BrokerData {
  up: boolean;
  boot: number; // counts starts, so a wake-up timer set before a crash is ignored after it
  state: QueueState | null; // the core's state: in memory only, gone when the broker crashes
  log: Command[]; // the simulated disk: survives crashes
  restarts: number;
  wakeupAt: number | null; // the moment the wake-up timer is set for
  lastConfig: QueueConfig; // shown while the broker is down
}

export interface Outstanding {
  req: number;
  body: Body;
  label: string;
  tries: number;
  jobId?: string;
}

export interface WorkerData {
  name: NodeName;
  up: boolean;
  life: number; // counts kills and restarts, so a timer from a previous life is ignored
  activity: WorkerActivity;
  job?: { id: string; token: string; attempts: number; poison: boolean };
  outstanding?: Outstanding;
}

export interface ProducerData {
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
