// The chat system's vocabulary: the frames a browser and a chat server exchange, the messages the bus carries,
// and what goes in and comes out of a chat server's core (server.ts).
//
// Plain data only (JSON-safe), so the Node server can send it over a WebSocket, the simulator can copy it and
// the browser can draw it. The story is told in docs/real-time/06-websockets-pubsub.md and 07-chat-system.md.

// #region message
/** One chat message after the sequencer numbered it. `seq` is 1, 2, 3, ... per room, with no gaps. */
export interface ChatMessage {
  room: string;
  seq: number;
  /** The sender's display name (rendered as text, never as HTML). */
  from: string;
  text: string;
  /** Which client sent it, and that client's own number for it: together they make a resend recognisable. */
  clientId: string;
  id: number;
}

/** A message before the sequencer numbered it. */
export type Draft = Omit<ChatMessage, 'seq'>;
// #endregion message

// #region limits
export interface ChatLimits {
  /** Largest frame a client may send, in bytes of UTF-8. Bigger frames get an error frame. */
  maxFrameBytes: number;
  /** Longest message text, in characters. */
  maxTextChars: number;
  /** Token bucket per connection: `burst` frames at once, refilled at `perSecond`. */
  ratePerSecond: number;
  rateBurst: number;
  /** A connection that keeps sending while rate-limited is closed after this many refused frames in a row. */
  maxStrikes: number;
  /** Slow consumers: frames sent to one client and not yet flushed to its socket. Above this, it is dropped. */
  maxQueuedFrames: number;
  /** Rooms one connection may be in. */
  maxRooms: number;
}

export interface ChatConfig {
  /** This server's name, e.g. "s1". */
  id: string;
  limits: ChatLimits;
  /** A server tells every other server who is online here this often (and at once on every change). */
  beatMs: number;
  /** Another server's presence counts until this long after its last beat. */
  presenceTimeoutMs: number;
  /** A client that sends nothing (not even a ping) for this long is closed and leaves presence. */
  clientTimeoutMs: number;
  /** How many recent messages a client gets when it joins without saying what it has seen. */
  recentOnJoin: number;
}

export const defaultLimits: ChatLimits = {
  maxFrameBytes: 8192,
  maxTextChars: 2000,
  ratePerSecond: 20,
  rateBurst: 40,
  maxStrikes: 100,
  maxQueuedFrames: 1000,
  maxRooms: 20,
};

export const defaultConfig: Omit<ChatConfig, 'id'> = {
  limits: defaultLimits,
  beatMs: 1000,
  presenceTimeoutMs: 3500,
  clientTimeoutMs: 15_000,
  recentOnJoin: 50,
};
// #endregion limits

// #region client-frames
/** What a client sends (JSON text frames). `hello` must come first. */
export type ClientFrame =
  | { type: 'hello'; user: string; clientId: string }
  /** Subscribe to a room. `after`: the last seq this client has (resume); omitted: send recent history. */
  | { type: 'join'; room: string; after?: number }
  | { type: 'leave'; room: string }
  /** `id`: the client's own number for this message, increasing; a resend uses the same id. */
  | { type: 'send'; room: string; id: number; text: string }
  | { type: 'ping' };
// #endregion client-frames

// #region server-frames
/** What a server sends. */
export type ServerFrame =
  | { type: 'welcome'; server: string; user: string; limits: ChatLimits; clientTimeoutMs: number }
  | ({ type: 'message' } & ChatMessage)
  /** Your message `id` in `room` got sequence number `seq` (also sent for a resend the bus already had). */
  | { type: 'sent'; room: string; id: number; seq: number }
  /** Everything up to `seq` has been sent to you; from here on, messages arrive live. */
  | { type: 'caught-up'; room: string; seq: number }
  /** Messages `from`..`to` are no longer kept (history is bounded): you cannot get them. */
  | { type: 'gap'; room: string; from: number; to: number }
  | { type: 'presence'; room: string; online: string[] }
  | { type: 'error'; code: ErrorCode; message: string; room?: string; id?: number }
  | { type: 'pong' };

export type ErrorCode =
  | 'bad-json'
  | 'bad-frame'
  | 'too-large'
  | 'hello-first'
  | 'not-joined'
  | 'too-many-rooms'
  | 'rate-limited'
  | 'unavailable';
// #endregion server-frames

// #region bus
/** Who is online on one server, per room. A server sends one every `beatMs` and at once on every change. */
export interface PresenceBeat {
  server: string;
  rooms: Record<string, string[]>;
}

/** A bus read: messages with seq > after (at most `limit`), and what the bus still keeps of the room. */
export interface HistoryPage {
  room: string;
  messages: ChatMessage[];
  /** The oldest seq the bus still keeps for the room (last + 1 when it keeps none). */
  oldest: number;
  /** The newest seq the room has (0 when it has none). */
  last: number;
}

/** What a chat server's core asks of the bus; the adapter does it and feeds the answer back as an input. */
export type BusRequest =
  | { op: 'append'; conn: string; draft: Draft }
  | { op: 'read'; room: string; after: number; limit: number }
  | { op: 'beat'; beat: PresenceBeat };
// #endregion bus

// #region inputs
/** Everything that can happen to a chat server. `at` is the adapter's clock in ms (the core has none). */
export type ServerInput =
  | { kind: 'open'; conn: string; at: number }
  /** A text frame from a client, exactly as received (the core validates it). */
  | { kind: 'frame'; conn: string; data: string; at: number }
  | { kind: 'closed'; conn: string; at: number }
  /** The adapter wrote `count` more frames of this connection to its socket. */
  | { kind: 'flushed'; conn: string; count: number }
  /** The bus numbered a message this server appended for `conn` (`duplicate`: it already had it). */
  | { kind: 'appended'; conn: string; message: ChatMessage; duplicate: boolean }
  | { kind: 'append-failed'; conn: string; draft: Draft; reason: string }
  /** A live message from the bus (it may come twice, late or after a gap; the core sorts that out). */
  | { kind: 'bus-message'; message: ChatMessage }
  /** The answer to a `read` request (`after` is the request's). */
  | { kind: 'history'; after: number; page: HistoryPage }
  | { kind: 'read-failed'; room: string; after: number; reason: string }
  | { kind: 'beat'; beat: PresenceBeat; at: number }
  /** The bus connection came back: messages may have been missed while it was down. */
  | { kind: 'bus-up'; at: number }
  | { kind: 'tick'; at: number };
// #endregion inputs

// #region effects
export interface ServerEffects {
  sends: { conn: string; frame: ServerFrame }[];
  closes: { conn: string; code: number; reason: string }[];
  bus: BusRequest[];
}

/** WebSocket close codes the server uses (4000-4999 are the application's own). */
export const CLOSE = {
  /** A client that stopped sending heartbeats. */
  timeout: 4000,
  /** A client whose socket does not keep up: reconnect and resume from your last seq. */
  slowConsumer: 4008,
  /** A client that kept flooding after being rate-limited (1008 = policy violation). */
  policy: 1008,
} as const;
// #endregion effects
