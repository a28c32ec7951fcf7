// The chat simulation's data: what the world shows (read by the CLI, the tests and the browser example), its
// default timings, and what it keeps inside. All of it is plain data except the seeded generators.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import type { SequencerState } from '../core/sequencer.ts';
import type { Outbox, Receiver } from '../core/receiver.ts';
import type { ServerState } from '../core/server.ts';
import type { ChatMessage } from '../core/types.ts';
import type { Action } from './script.ts';

// #region settings
export const SERVERS = ['s1', 's2'] as const;
export type ServerName = (typeof SERVERS)[number];

/** The clients: a name, the server each tries first, and the rooms it joins. */
export const CLIENTS = [
  { id: 'c1', user: 'ada', home: 's1', rooms: ['lobby'] },
  { id: 'c2', user: 'bo', home: 's1', rooms: ['lobby', 'dev'] },
  { id: 'c3', user: 'cy', home: 's2', rooms: ['lobby'] },
  { id: 'c4', user: 'dee', home: 's2', rooms: ['lobby', 'dev'] },
] as const satisfies readonly { id: string; user: string; home: ServerName; rooms: readonly string[] }[];
export const ROOMS = ['lobby', 'dev'] as const;

/**
 * Links. `c1`..`c4`: a client's own network (to whichever server it uses). `s1-bus`, `s2-bus`: a chat server's
 * connection to the bus. `s1-s2`: the direct line between the servers, used only without the sequencer.
 */
export const LINKS = ['c1', 'c2', 'c3', 'c4', 's1-bus', 's2-bus', 's1-s2'] as const;
export type LinkName = (typeof LINKS)[number];

export interface LinkSettings {
  /** Cut: nothing crosses, every connection over it breaks and none can be opened. */
  cut: boolean;
  /** One-way delay range in ms, drawn per frame (frames on one connection still arrive in order). */
  delay: [number, number];
  /** Percent of frames lost. A WebSocket runs over TCP, so a lost frame is a broken connection (see world.ts). */
  drop: number;
}

export const DEFAULT_LINKS: Record<LinkName, LinkSettings> = {
  c1: { cut: false, delay: [10, 40], drop: 0 },
  c2: { cut: false, delay: [10, 40], drop: 0 },
  c3: { cut: false, delay: [10, 40], drop: 0 },
  c4: { cut: false, delay: [10, 40], drop: 0 },
  's1-bus': { cut: false, delay: [2, 10], drop: 0 },
  's2-bus': { cut: false, delay: [2, 10], drop: 0 },
  // Two data centres apart: without the sequencer, messages crossing this line arrive in different orders.
  's1-s2': { cut: false, delay: [80, 250], drop: 0 },
};

/** Each server's clock, off true time by this much (ms): s2 runs 300 ms behind, as on the Session 7 page. */
export const CLOCK_SKEW: Record<ServerName, number> = { s1: 0, s2: -300 };

/** The chat servers' core config (types.ts defaults with a faster beat, so presence moves at demo speed). */
export const BEAT_MS = 1000;
export const PRESENCE_TIMEOUT_MS = 3500;
export const TICK_MS = 250;
/** A client pings this often (the core closes a client silent for clientTimeoutMs = 15 s). */
export const PING_MS = 5000;
/** Reconnect backoff: 250, 500, 1000 ... ms, at most this, plus up to half again of seeded jitter. */
export const BACKOFF_BASE_MS = 250;
export const BACKOFF_MAX_MS = 4000;
/** A connection attempt with no answer (a cut link) gives up after this long. */
export const CONNECT_TIMEOUT_MS = 1000;
/** A server's bus connection: reconnect after this long once it broke. */
export const BUS_RETRY_MS = 300;
/** A send the server refused as `unavailable` (bus down) is tried again this long after. */
export const RESEND_MS = 500;
/** Clients chat on their own: the wait between one message and the next, per client. */
export const CHATTER_MS: [number, number] = [600, 4000];
// #endregion settings

// #region api-types
export interface SimOptions {
  seed: number;
  /** True (default): the bus numbers every message. False: each server stamps messages by its own clock. */
  sequencer?: boolean;
  /** Clients send on their own until this time (ms); 0: they send only when told. Default: forever. */
  chatterUntil?: number;
  /** Actions at their times: sends, link changes, kills and restarts. */
  script?: Action[];
}

export interface TimelineEvent {
  at: number; // simulated ms
  who: string; // 's1', 'bus', 'c3', 'network', 'you'
  kind: string;
  text: string;
}

/** One line on a client's screen. */
export interface ShownLine {
  room: string;
  /** clientId/id: the same message on every screen. */
  key: string;
  from: string;
  text: string;
  /** With the sequencer: the bus's number. */
  seq?: number;
  /** Without: the stamp the showing client's server gave it (ms by that server's clock), and which server. */
  stamp?: number;
  by?: ServerName;
  /** A notice instead of a message: seqs from..to are gone from history. */
  lost?: { from: number; to: number };
}

export type ConnectionState = 'connecting' | 'connected' | 'caught up' | 'reconnecting';

export interface ClientView {
  id: string;
  user: string;
  state: ConnectionState;
  server: ServerName | null;
  rooms: Record<string, { lines: ShownLine[]; online: string[]; caughtUp: boolean }>;
  /** Sends not yet confirmed. */
  pending: number;
}

export interface WorldView {
  now: number;
  seed: number;
  sequencer: boolean;
  servers: { name: ServerName; up: boolean; busUp: boolean; clients: string[]; clock: number }[];
  links: Record<LinkName, LinkSettings>;
  clients: ClientView[];
  /** Frames on their way, for drawing. */
  frames: { id: number; link: LinkName; from: string; to: string; sentAt: number; deliverAt: number; label: string }[];
  stats: { frames: number; dropped: number; appended: number; duplicates: number; reconnects: number };
}
// #endregion api-types

// ---------------------------------------------------------------------------------------------------------
// The world's data.

/** A simulated WebSocket between a client and a server. Frames go each way in order; it breaks as a whole. */
export interface Conn {
  id: string; // 'c1#3': the client's third connection
  client: string;
  server: ServerName;
  /** The server's boot when it was opened: a restarted server knows nothing of it. */
  boot: number;
  open: boolean;
  /** The last arrival time scheduled each way (frames do not overtake each other on one connection). */
  lastToServer: number;
  lastToClient: number;
}

/** A frame a server sends its client without the sequencer (sim only: see servers.ts, the direct relay). */
export interface StampedFrame {
  type: 'stamped';
  room: string;
  from: string;
  text: string;
  clientId: string;
  id: number;
  stamp: number;
  by: ServerName;
}

export interface SimServer {
  name: ServerName;
  up: boolean;
  boot: number;
  core: ServerState | null;
  /** The bus connection: up, and its epoch (a reply from an older connection is ignored). */
  busUp: boolean;
  busEpoch: number;
  /** Bus requests waiting for an answer: what to feed the core if the connection breaks first. */
  pending: { rid: number; request: 'append' | 'read'; conn?: string; draft?: ChatMessage | Omit<ChatMessage, 'seq'>; room?: string; after?: number }[];
  lastToBus: number;
  lastFromBus: number;
}

export interface SimClient {
  id: string;
  user: string;
  home: ServerName;
  rooms: string[];
  receiver: Receiver;
  outbox: Outbox;
  state: ConnectionState;
  conn: Conn | null;
  /** Connection attempts since the last good one (the backoff grows with it). */
  attempts: number;
  /** Which server the next attempt goes to. */
  next: ServerName;
  connects: number;
  shown: Record<string, ShownLine[]>;
  online: Record<string, string[]>;
  caughtUp: Record<string, boolean>;
  /** Every confirmation: message id -> the seq (or stamp) it got. */
  confirmed: Record<string, number>;
  sentCount: number;
}

export type Due =
  | { type: 'to-server'; conn: string; data: string }
  | { type: 'to-client'; conn: string; frame: string }
  | { type: 'conn-open'; conn: string }
  | { type: 'conn-closed'; conn: string; side: 'client' | 'server'; code: number; reason: string }
  | { type: 'connect'; client: string; token: number }
  | { type: 'connect-timeout'; client: string; conn: string }
  | { type: 'to-bus'; server: ServerName; epoch: number; boot: number; frame: BusFrame }
  | { type: 'from-bus'; server: ServerName; epoch: number; boot: number; frame: BusReply }
  | { type: 'bus-connect'; server: ServerName; boot: number }
  | { type: 'relay'; to: ServerName; boot: number; message: Omit<ChatMessage, 'seq'> }
  | { type: 'tick'; server: ServerName; boot: number }
  | { type: 'ping'; client: string; conn: string }
  | { type: 'chatter'; client: string }
  | { type: 'resend'; client: string; conn: string; id: number }
  | { type: 'action'; action: Action };

export type BusFrame =
  | { type: 'append'; rid: number; draft: Omit<ChatMessage, 'seq'> }
  | { type: 'read'; rid: number; room: string; after: number; limit: number }
  | { type: 'beat'; beat: { server: string; rooms: Record<string, string[]> } };

export type BusReply =
  | { type: 'appended'; rid: number; message: ChatMessage; duplicate: boolean }
  | { type: 'page'; rid: number; page: { room: string; messages: ChatMessage[]; oldest: number; last: number } }
  | { type: 'message'; message: ChatMessage }
  | { type: 'beat'; beat: { server: string; rooms: Record<string, string[]> } };

export interface Scheduled {
  at: number;
  phase: 0 | 1; // 0 = the system's own events, 1 = actions: an action at T runs after every event at T
  seq: number;
  due: Due;
  /** For drawing: the frame's link and ends, when it is a frame on its way. */
  frame?: { id: number; link: LinkName; from: string; to: string; sentAt: number; label: string };
}

export interface World {
  seed: number;
  now: number;
  sequencer: boolean;
  chatterUntil: number;
  random: () => number; // the network's chances
  chatRandom: () => number; // what the clients say and when
  bus: SequencerState;
  servers: Record<ServerName, SimServer>;
  clients: Record<string, SimClient>;
  links: Record<LinkName, LinkSettings>;
  conns: Record<string, Conn>;
  agenda: Scheduled[];
  nextSeq: number;
  nextFrame: number;
  nextRid: number;
  events: TimelineEvent[];
  script: Action[];
  stats: WorldView['stats'];
}
