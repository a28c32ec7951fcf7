// The Raft simulation's data. A World is plain data (JSON) apart from nothing: even its random generator is
// a seed and a count of draws, so the browser can copy a world, draw it, keep it for replay and step it.
// Time is counted in ticks; 1 tick = 1 simulated millisecond.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import type { KvCommand, KvOp, KvResult } from '../core/kv.ts';
import type { Service } from '../core/service.ts';
import type { Config, Message, NodeId, Persisted, Ready } from '../core/types.ts';

// #region settings
export const DEFAULT_NODES = 5;
export const DEFAULT_ELECTION_TICKS: [number, number] = [150, 300];
export const DEFAULT_HEARTBEAT_TICKS = 50;
export const DEFAULT_MAX_ENTRIES = 64;
/** Message delay on every link unless overridden: 5..25 ticks, mean 15. */
export const DEFAULT_DELAY: [number, number] = [5, 25];
/** How long an fsync takes: a ready's writes become durable this many ticks after they were written. */
export const DEFAULT_DISK_TICKS: [number, number] = [1, 3];
/** A client that hears nothing this long after sending tries again (same seq) at another node. */
export const CLIENT_TIMEOUT_TICKS = 400;
/** A client waits this long between an answer and its next request. */
export const CLIENT_THINK_TICKS: [number, number] = [0, 30];
/** The keys clients use: few, so that histories are checkable and operations really overlap. */
export const CLIENT_KEYS = ['x', 'y', 'z'];
// #endregion settings

// #region api-types
/** How one link behaves. loss and dup are probabilities from 0 to 1, delay a range of ticks (both ends included). */
export interface LinkSettings {
  delay: [number, number];
  loss: number;
  dup: number;
}

export interface SimOptions {
  seed: number;
  /** Nodes n1..nN (default 5). */
  nodes?: number;
  electionTicks?: [number, number];
  heartbeatTicks?: number;
  maxEntriesPerMessage?: number;
  /** A node snapshots after this many applied entries (0 = never; default 0). */
  snapshotEvery?: number;
  /** Every link's default behaviour (default: delay 5..25, no loss, no duplication). */
  network?: Partial<LinkSettings>;
  /** The fsync delay range in ticks (default 1..3). */
  diskTicks?: [number, number];
  /** KV clients started at once (default 0; see addClients). */
  clients?: number;
  /** false: each retry goes out as a new client (id 'c1#2'), so the state machine cannot tell it is a retry and
   *  may apply a request twice — what §8's client id + seq prevent (default true). */
  exactlyOnce?: boolean;
  /** Keep a record of every delivered message in world.delivered (for tests and a browser's trace; default false). */
  trace?: boolean;
  /** The command line that replays this world (without `npm run sim:raft -- `); built from the options if absent. */
  replay?: string;
}

/** A message on the wire, as the browser draws it: from, to, type, when it was sent and when it arrives. */
export interface InFlight {
  id: number;
  from: string; // a node id, or a client id ('c1') for requests
  to: string;
  type: Message['type'] | 'ClientRequest' | 'ClientReply';
  sent: number;
  arrives: number;
  body: WireBody;
}

export type WireBody =
  | { kind: 'raft'; message: Message }
  | { kind: 'request'; requestId: string; command: KvCommand }
  | { kind: 'reply'; requestId: string; answer: ClientAnswer };

/** What a node tells a client. */
export type ClientAnswer =
  | { ok: true; result: KvResult; index: number }
  | { ok: false; reason: 'not-leader'; leaderId: NodeId | null }
  | { ok: false; reason: 'lost-leadership' };

/** One write of a ready: what the adapter must make durable (types.ts Ready's duty 1). */
export interface DiskWrite {
  hardState: Ready['hardState'];
  snapshot: Ready['snapshot'];
  log: Ready['log'];
}

/** A node's disk. `written` is what the OS holds (every write, at once); `synced` is what survives power loss. */
export interface Disk {
  synced: Persisted;
  written: Persisted;
  /** Writes not yet synced, oldest first, each durable at `syncAt` (fsyncs complete in order). */
  pending: { syncAt: number; write: DiskWrite }[];
  syncs: number; // how many fsyncs completed (a figure for the browser)
}

/** Messages and client replies of a ready, held until every write before them is synced (persist before send). */
export interface Held {
  releaseAt: number;
  messages: Message[];
  replies: { requestId: string; answer: ClientAnswer }[];
}

export interface SimNode {
  id: NodeId;
  up: boolean;
  /** The running service (Raft node + KV + waiting requests): volatile, null while the node is down. */
  service: Service | null;
  disk: Disk;
  held: Held[];
  /** 1 at the first start, +1 at each restart. */
  incarnation: number;
  /** The seed of this incarnation's election timeouts, drawn from the world's generator. */
  seed: number;
}

/** One client operation in the history format of tests/helpers/kv-history.ts (plus the node it went to last). */
export interface HistoryOp {
  client: string;
  op: KvOp['op'];
  key: string;
  value?: string;
  expected?: string | null;
  output?: string | boolean | null;
  call: number;
  return: number | null;
  error?: string;
  node?: string;
  seq: number;
}

export interface SimClient {
  id: string; // 'c1', 'c2', ...
  seq: number; // the last sequence number used
  /** The node it believes leads. */
  leader: NodeId | null;
  /** The request being served (one at a time), or null between requests. */
  current: null | {
    command: KvCommand;
    attempt: number;
    target: NodeId;
    /** Retry at this tick: a timeout, or (waiting) the end of a short pause after "no leader known". */
    deadline: number;
    waiting: boolean;
    /** Its record: world.history[historyIndex] (an index, not a second reference: a copied world stays whole). */
    historyIndex: number;
  };
  /** When it sends its next request (when current is null). */
  nextAt: number;
  /** Stop issuing new requests at this tick (the current one still finishes). */
  until: number;
  /** Last value seen per key, for cas. */
  seen: Record<string, string | null>;
  /** null: a workload client choosing random requests; a list: your own requests, sent in order. */
  queue: KvOp[] | null;
}

export interface TimelineEvent {
  at: number;
  node: string; // a node, 'network', 'client c1', 'you'
  kind: string; // 'election', 'leader', 'crash', 'restart', 'partition', 'heal', 'link', 'committed', ...
  text: string;
}

export interface World {
  seed: number;
  now: number;
  /** The one generator: mulberry32(seed), of which `draws` numbers were used (the next is draw number `draws`). */
  random: { seed: number; draws: number };
  ids: NodeId[];
  configBase: Omit<Config, 'id' | 'seed'>;
  snapshotEvery: number;
  diskTicks: [number, number];
  /** See SimOptions.exactlyOnce. */
  exactlyOnce: boolean;
  nodes: Record<NodeId, SimNode>;
  network: LinkSettings;
  /** Per-link overrides, keyed 'n1-n2' (the two ids sorted): replace the network's settings on that link. */
  links: Record<string, Partial<LinkSettings>>;
  /** Groups that can talk only inside themselves; a node in no group is alone. null: no partition. */
  partition: NodeId[][] | null;
  messages: InFlight[];
  /** With options.trace: every message delivered, in order (without its body); null otherwise. */
  delivered: Omit<InFlight, 'body'>[] | null;
  nextMessageId: number;
  clients: SimClient[];
  history: HistoryOp[];
  events: TimelineEvent[];
  checks: CheckState;
  /** Messages put on the wire (sent), lost on the way (loss, cut links), sent twice, delivered, dropped at a
   *  down node; sentByType counts Raft messages and client requests/replies by type (an RPC count). */
  stats: { sent: number; lost: number; duplicated: number; delivered: number; dropped: number; sentByType: Record<string, number> };
  replay: string;
}

/** What the invariant checker remembers across the whole run. */
export interface CheckState {
  /** The leader of every term seen so far. */
  leaders: Record<number, NodeId>;
  /** Every committed entry any node applied, by index: its term and command (JSON). */
  committed: Record<number, { term: number; command: string }>;
  /** Per node, the last index it applied (its state machine's position). */
  applied: Record<NodeId, number>;
  /** Per node, the role and term last seen (for the timeline). */
  seen: Record<NodeId, { role: string; term: number }>;
  /** The highest committed index any node reported. */
  highestCommitted: number;
}
// #endregion api-types
