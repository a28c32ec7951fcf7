// The store simulation's data: what the world shows (read by the CLI, the tests and the browser example), its
// default timings, and what it keeps inside. All of it is plain data except the two seeded generators.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import type { NodeStatus } from '../core/node.ts';
import type { Change, Consistency, NodeState, Outcome, PeerMessage, StoreConfig } from '../core/types.ts';
import type { Action, OpName, RequestSpec } from './script.ts';

// #region api-types
export interface SimOptions {
  seed: number;
  /** How many nodes, named n1..nN (default 5). */
  nodes?: number;
  /** Copies of every key (default 3). */
  replicas?: number;
  /** Core timings (types.ts defaultConfig unless given). */
  config?: Partial<Omit<StoreConfig, 'id' | 'replicas'>>;
  /** Actions at their times: faults, network settings, workload clients, requests. */
  script?: Action[];
}

export interface TimelineEvent {
  at: number; // simulated ms
  node: string; // 'n3', 'network', 'you' (a scripted or live action), 'client 2', ...
  kind: string; // 'election', 'leader', 'ready', 'step-down', 'fenced', 'committed', 'refused', 'unknown', 'siblings', ...
  text: string; // one human line
  group?: string;
  key?: string;
}

/**
 * One client operation as the client saw it: the history format of tests/helpers/kv-history.ts (KvOperation),
 * plus which node it was sent to and its consistency. `return` null = outcome unknown; `error` = definitely
 * refused. A get's `output` is the value read or null (absent); siblings, which a register cannot hold, are
 * written "a|b" so that a strong read that returns them can never pass as linearizable.
 */
export interface HistoryOp {
  client: string | number;
  op: OpName;
  key: string;
  value?: string;
  expected?: string | null;
  output?: string | boolean | null;
  call: number;
  return: number | null;
  error?: string;
  consistency: Consistency;
  node: string; // the node the client asked first
  values?: string[]; // a get: every value read (siblings)
}

/** A message in flight, for drawing. */
export interface Message {
  id: number;
  from: string; // a node, or 'client'
  to: string;
  sentAt: number;
  deliverAt: number;
  label: string; // 'heartbeat n1+n2+n3 t4', 'put k1', ...
}

export interface WorldView {
  now: number;
  seed: number;
  nodes: { name: string; up: boolean; status: NodeStatus | null; diskChanges: number }[];
  /** The cuts in force: each is two sides with no link between them. */
  partitions: { a: string[]; b: string[] }[];
  network: { loss: number; dup: number; delay: [number, number] };
  messages: Message[];
  /** Client operations still waiting for an answer. */
  open: { id: number; client: string | number; op: OpName; key: string; node: string; since: number }[];
  stats: { sent: number; lost: number; duplicated: number; delivered: number; operations: number };
}
// #endregion api-types

// #region settings
export const DEFAULT_NODES = 5;
export const DEFAULT_NETWORK = { loss: 0, dup: 0, delay: [5, 40] as [number, number] };
/** A client that has no answer this long after sending gives up: the outcome is unknown. */
export const CLIENT_TIMEOUT_MS = 3_000;
/** A refused ('unavailable') request is tried again after 100, 200, 400 ... ms, at most this many times in all. */
export const RETRY_BASE_MS = 100;
export const MAX_ATTEMPTS = 4;
/** A workload client waits this long between one answer and its next request. */
export const THINK_MS: [number, number] = [20, 300];
/** Forwarded requests follow at most this many hops (the Node server forwards once; a stale leader may need two). */
export const MAX_HOPS = 2;
// #endregion settings

// ---------------------------------------------------------------------------------------------------------
// The world's data.

export interface SimNode {
  name: string;
  up: boolean;
  /** The core's state: in memory only, gone when the node crashes. */
  state: NodeState | null;
  /** The simulated disk: every change the core asked to persist, oldest first. Survives crashes. */
  disk: Change[];
  /** Counts starts, so a timer or a reply from before a crash is ignored after it. */
  boot: number;
  /** The token of the one wake-up that counts (a newer one supersedes it). */
  wakeToken: number;
}

export type Body =
  | { kind: 'peer'; msg: PeerMessage }
  | { kind: 'request'; opId: number; attempt: number; hop: number }
  | { kind: 'reply'; opId: number; attempt: number; hop: number; outcome: Outcome; node: string; group: string; term: number; leader: string | null };

export interface InFlight extends Message {
  body: Body;
  /** The two nodes whose connection it crosses (absent: a client and the node next to it). */
  link?: [string, string];
}

export type Due =
  | { type: 'deliver'; messageId: number }
  | { type: 'wake'; node: string; token: number }
  | { type: 'client-timeout'; opId: number; attempt: number; hop: number }
  | { type: 'client-retry'; opId: number }
  | { type: 'client-next'; client: number; until: number }
  | { type: 'action'; action: Action };

export interface Scheduled {
  at: number;
  phase: 0 | 1; // 0 = the system's own events, 1 = actions: an action at T runs after every event at T
  seq: number;
  due: Due;
}

/** A client operation in progress (and after: `done`). */
export interface ClientOp extends RequestSpec {
  id: number;
  client: string | number;
  call: number;
  attempt: number; // 1, 2, ... (a new attempt after a refusal)
  hop: number; // 0 at the first node, 1 after a forward, ...
  target: string; // the node that holds the request now
  done: boolean;
  waiting: boolean; // refused, waiting to try again (no request out)
  context?: Record<string, number>; // an eventual put/delete: the context the client read
  record: HistoryOp;
}

export interface WorkloadClient {
  id: number;
  mode: Consistency;
  keys: string[];
  until: number;
  /** The context last read per key (eventual mode) and the value last seen (for cas). */
  contexts: Record<string, Record<string, number>>;
  lastSeen: Record<string, string | null>;
  ops: number;
}

export interface World {
  seed: number;
  now: number;
  random: () => number; // the network's chances: delays, losses, duplicates
  workloadRandom: () => number; // the workload's choices: which key, which op, which node
  nodeNames: string[];
  configBase: Omit<StoreConfig, 'id'>;
  nodes: Record<string, SimNode>;
  network: { loss: number; dup: number; delay: [number, number] };
  partitions: { a: string[]; b: string[] }[];
  agenda: Scheduled[];
  nextSeq: number;
  nextMessageId: number;
  messages: InFlight[];
  ops: ClientOp[];
  clients: WorkloadClient[];
  history: HistoryOp[];
  /** Every strong acknowledgement a node sent: who acknowledged a write or a read of which group in which term. */
  acks: { at: number; node: string; group: string; term: number; op: OpName; key: string; value?: string }[];
  events: TimelineEvent[];
  script: Action[];
  /** Said already, so the timeline says it once: fenced (node|from|group|term), siblings (node|key -> values). */
  said: Record<string, string>;
  stats: WorldView['stats'];
}
