// A chat client for Node, on `ws`, built on the client core (../core/receiver.ts): what the tests, the
// benchmark and the Docker scenario use to talk to chat servers the way a browser does.
//
//   const client = new ChatClient({ urls: ['ws://127.0.0.1:7301/ws', 'ws://127.0.0.1:7302/ws'], user: 'ada' });
//   client.join('general');
//   client.send('general', 'hello');          // resent after a reconnect until the server confirms it
//   client.shown('general')                   // what it has shown, in order: seq 1, 2, 3, ... once each
//
// What it does, and why:
//   - it says hello, then joins each room with `after`: the last seq it showed (0 at first), so after a
//     reconnect, to this server or another, it receives exactly what it missed;
//   - the receiver core shows each message once, in seq order, holds early ones and asks again on a gap;
//   - the outbox core keeps every send until the server answers `sent`; after a reconnect, and after an
//     `unavailable` (the bus was down) or `rate-limited` answer, it sends them again with the same ids, and
//     the bus recognises the resends, so nothing is lost and nothing is doubled;
//   - it paces its own frames with the server's token bucket (the limits come in `welcome`), and pings;
//   - when the socket closes it tries the next server in its list, with a growing, jittered delay.

import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { fullBucket, take, type Bucket } from '../core/rate.ts';
import {
  accept,
  acceptGap,
  caughtUp,
  confirmed,
  emptyOutbox,
  emptyReceiver,
  joinFrame,
  queueSend,
  resendAll,
  type Outbox,
  type Received,
  type Receiver,
} from '../core/receiver.ts';
import type { ChatLimits, ChatMessage, ClientFrame, ServerFrame } from '../core/types.ts';
import { mulberry32 } from '../../shared/random.ts';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ChatClientOptions {
  /** The servers' WebSocket URLs (ws://host:port/ws). The first is tried first; a reconnect tries the next. */
  urls: string[];
  user: string;
  /** Default: a random one. Resends are recognised by clientId + id, so keep it across reconnects (we do). */
  clientId?: string;
  /** An application-level ping this often, so the server does not time us out (default 5,000 ms). */
  pingMs?: number;
  /** Reconnect delays: first, doubling up to max, with jitter (defaults 100 and 2,000 ms). */
  backoffFirstMs?: number;
  backoffMaxMs?: number;
  /** Seeds the jitter (and the default clientId), so a test run can be replayed. */
  seed?: number;
  /** Where the client reports what it does (default: nowhere). */
  log?: (line: string) => void;
}

export interface Ack {
  room: string;
  id: number;
  seq: number;
}

/** Events: 'state' (ConnectionState), 'message' (ChatMessage shown), 'sent' (Ack), 'presence' (room, online), 'caught-up' (room), 'frame' (ServerFrame). */
export class ChatClient extends EventEmitter {
  readonly user: string;
  readonly clientId: string;
  state: ConnectionState = 'connecting';
  /** The server that welcomed us on the current connection (null while not connected). */
  server: string | null = null;
  /** Which of `urls` the current (or next) connection goes to. */
  urlIndex = 0;
  /** How many times a connection was welcomed (1 = never reconnected). */
  connections = 0;

  private receiver: Receiver = emptyReceiver();
  private outbox: Outbox = emptyOutbox();
  private readonly rooms = new Set<string>();
  private readonly caught = new Set<string>();
  private readonly messages = new Map<string, ChatMessage[]>();
  private readonly lostRanges = new Map<string, { from: number; to: number }[]>();
  private readonly online = new Map<string, string[]>();
  readonly acks = new Map<number, Ack>();
  readonly errors: Extract<ServerFrame, { type: 'error' }>[] = [];
  /** How each connection ended (1006: cut without a close frame; 4000, 4008, 1008, 1001: the server closed it). */
  readonly closes: { code: number; reason: string }[] = [];

  private ws: WebSocket | null = null;
  private welcomed = false;
  private limits: ChatLimits | null = null;
  private bucket: Bucket | null = null;
  private queue: ClientFrame[] = [];
  private pumpTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private resendTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  /** When the current connection last brought us anything (a pong counts). */
  private lastHeard = 0;
  private readonly random: () => number;
  private readonly log: (line: string) => void;

  constructor(readonly options: ChatClientOptions) {
    super();
    if (options.urls.length === 0) throw new Error('ChatClient: give at least one server URL (ws://host:port/ws)');
    this.random = mulberry32(options.seed ?? Math.floor(Math.random() * 2 ** 32));
    this.user = options.user;
    this.clientId = options.clientId ?? `c${Math.floor(this.random() * 2 ** 48).toString(36)}`;
    this.log = options.log ?? (() => {});
    this.connect();
  }

  // #region public
  /** Join a room (now, and again after every reconnect, from the last seq shown). */
  join(room: string): void {
    this.rooms.add(room);
    if (this.welcomed) this.write(joinFrame(this.receiver, room));
  }

  leave(room: string): void {
    this.rooms.delete(room);
    this.caught.delete(room);
    if (this.welcomed) this.write({ type: 'leave', room });
  }

  /** Send a message; returns its id. It is kept and resent until the server confirms it (`sent`). */
  send(room: string, text: string): number {
    const { outbox, frame } = queueSend(this.outbox, room, text);
    this.outbox = outbox;
    if (this.welcomed) this.write(frame);
    return (frame as { id: number }).id;
  }

  /** The messages shown in `room`, in the order shown. */
  shown(room: string): ChatMessage[] {
    return this.messages.get(room) ?? [];
  }

  /** The seqs shown in `room`, in the order shown. */
  seqs(room: string): number[] {
    return this.shown(room).map((m) => m.seq);
  }

  /** Ranges the server said are no longer in history (shown as a notice, never as messages). */
  lost(room: string): { from: number; to: number }[] {
    return this.lostRanges.get(room) ?? [];
  }

  presence(room: string): string[] {
    return this.online.get(room) ?? [];
  }

  isCaughtUp(room: string): boolean {
    return this.caught.has(room);
  }

  /** Sends not yet confirmed by a server. */
  unconfirmed(): number {
    return this.outbox.pending.length;
  }

  /** Cut the connection as a network failure would (no close handshake); the client reconnects. */
  dropConnection(): void {
    this.ws?.terminate();
  }

  /** Stop for good. */
  close(): Promise<void> {
    this.setState('closed');
    for (const t of [this.pumpTimer, this.pingTimer, this.retryTimer, this.resendTimer]) if (t !== null) clearTimeout(t);
    const ws = this.ws;
    this.ws = null;
    if (ws === null || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once('close', () => resolve());
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'bye');
      setTimeout(() => ws.terminate(), 1_000).unref();
    });
  }
  // #endregion public

  // #region connection
  private connect(): void {
    if (this.state === 'closed') return;
    const url = this.options.urls[this.urlIndex % this.options.urls.length]!;
    const ws = new WebSocket(url, { handshakeTimeout: 5_000 });
    this.ws = ws;
    ws.on('open', () => {
      this.log(`${this.user}: connected to ${url}`);
      this.bucket = null;
      this.queue = [];
      this.sendNow({ type: 'hello', user: this.user, clientId: this.clientId });
    });
    ws.on('message', (data, isBinary) => {
      this.lastHeard = Date.now();
      if (isBinary) return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(data.toString()) as ServerFrame;
      } catch {
        return this.log(`${this.user}: a frame that is not JSON: ${data.toString().slice(0, 100)}`);
      }
      this.onFrame(frame);
    });
    ws.on('error', (err) => this.log(`${this.user}: ${url}: ${err.message}`)); // 'close' follows
    ws.on('close', (code, reason) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.closes.push({ code, reason: reason.toString() });
      this.log(`${this.user}: connection to ${url} closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`);
      this.disconnected();
    });
  }

  private disconnected(): void {
    this.welcomed = false;
    this.server = null;
    this.caught.clear();
    this.queue = [];
    for (const t of [this.pumpTimer, this.pingTimer, this.resendTimer]) if (t !== null) clearTimeout(t);
    this.pumpTimer = this.pingTimer = this.resendTimer = null;
    if (this.state === 'closed') return;
    this.setState('reconnecting');
    this.urlIndex = (this.urlIndex + 1) % this.options.urls.length;
    const first = this.options.backoffFirstMs ?? 100;
    const ceiling = Math.min(this.options.backoffMaxMs ?? 2_000, first * 2 ** this.failures);
    this.failures++;
    const delay = ceiling / 2 + this.random() * (ceiling / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private setState(state: ConnectionState): void {
    if (this.state === state || this.state === 'closed') return;
    this.state = state;
    this.emit('state', state);
  }
  // #endregion connection

  // #region frames
  private onFrame(frame: ServerFrame): void {
    this.emit('frame', frame);
    switch (frame.type) {
      case 'welcome':
        this.welcomed = true;
        this.failures = 0;
        this.connections++;
        this.server = frame.server;
        this.limits = frame.limits;
        this.bucket = fullBucket(this.burst() - 1, Date.now()); // the hello took one token
        this.setState('connected');
        // Rejoin every room from the last seq shown, then send again whatever was never confirmed.
        for (const room of this.rooms) this.write(joinFrame(this.receiver, room));
        for (const f of resendAll(this.outbox)) this.write(f);
        this.schedulePing(frame.clientTimeoutMs);
        return;
      case 'message': {
        const { type: _type, ...message } = frame;
        return this.received(accept(this.receiver, message));
      }
      case 'gap': {
        const result = acceptGap(this.receiver, frame.room, frame.from, frame.to);
        if (result.lost !== undefined) this.lostRanges.set(frame.room, [...this.lost(frame.room), result.lost]);
        return this.received(result);
      }
      case 'caught-up': {
        const result = caughtUp(this.receiver, frame.room, frame.seq);
        this.received(result);
        if (result.rejoin === undefined && this.rooms.has(frame.room)) {
          this.caught.add(frame.room);
          this.emit('caught-up', frame.room);
        }
        return;
      }
      case 'sent': {
        const pending = this.outbox.pending.some((p) => p.id === frame.id);
        this.outbox = confirmed(this.outbox, frame.id);
        const ack = { room: frame.room, id: frame.id, seq: frame.seq };
        if (pending || !this.acks.has(frame.id)) this.acks.set(frame.id, ack);
        this.emit('sent', ack);
        return;
      }
      case 'presence':
        this.online.set(frame.room, frame.online);
        this.emit('presence', frame.room, frame.online);
        return;
      case 'error':
        this.errors.push(frame);
        this.log(`${this.user}: error ${frame.code}: ${frame.message}`);
        // Nothing was done with the refused frame: try again in a moment (joins not caught up, sends unconfirmed).
        if (frame.code === 'unavailable' || frame.code === 'rate-limited') this.scheduleResync();
        return;
      case 'pong':
        return;
    }
  }

  private received(result: Received): void {
    this.receiver = result.receiver;
    const room = result.show[0]?.room;
    if (room !== undefined) {
      const list = this.messages.get(room) ?? [];
      this.messages.set(room, list);
      for (const m of result.show) {
        list.push(m);
        this.emit('message', m);
      }
    }
    if (result.rejoin !== undefined) this.write(result.rejoin);
  }

  private scheduleResync(): void {
    if (this.resendTimer !== null) return;
    this.resendTimer = setTimeout(() => {
      this.resendTimer = null;
      if (!this.welcomed) return; // the reconnect does all this anyway
      for (const room of this.rooms) if (!this.caught.has(room)) this.write(joinFrame(this.receiver, room));
      for (const f of resendAll(this.outbox)) this.write(f);
    }, 1_000);
  }

  private schedulePing(clientTimeoutMs: number): void {
    const every = Math.min(this.options.pingMs ?? 5_000, Math.max(100, clientTimeoutMs / 3));
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.lastHeard = Date.now();
    this.pingTimer = setInterval(() => {
      // A server that stopped answering without closing (a frozen machine, a cut cable): give up on it.
      if (Date.now() - this.lastHeard > 3 * every) {
        this.log(`${this.user}: nothing from ${this.server} for ${Date.now() - this.lastHeard} ms; reconnecting`);
        return this.dropConnection();
      }
      this.write({ type: 'ping' });
    }, every);
  }
  // #endregion frames

  // #region pacing
  /** Queue a frame; the pump sends it as soon as the server's rate limit allows. */
  private write(frame: ClientFrame): void {
    if (!this.welcomed) return; // on reconnect, joins and resends are written again
    this.queue.push(frame);
    this.pump();
  }

  private pump(): void {
    if (this.pumpTimer !== null) return;
    while (this.queue.length > 0 && this.welcomed) {
      if (this.limits !== null && this.bucket !== null) {
        const taken = take(this.bucket, Date.now(), this.rate(), this.burst());
        this.bucket = taken.bucket;
        if (!taken.allowed) {
          this.pumpTimer = setTimeout(() => {
            this.pumpTimer = null;
            this.pump();
          }, Math.ceil(1_000 / this.rate()));
          return;
        }
      }
      this.sendNow(this.queue.shift()!);
    }
  }

  // A little under the server's limits: frames sent evenly can arrive bunched.
  private rate(): number {
    return (this.limits?.ratePerSecond ?? 10) * 0.9;
  }

  private burst(): number {
    return Math.max(1, Math.floor((this.limits?.rateBurst ?? 4) / 2));
  }

  private sendNow(frame: ClientFrame): void {
    const ws = this.ws;
    if (ws !== null && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  }
  // #endregion pacing
}
