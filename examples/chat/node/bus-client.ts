// The Bus interface over a WebSocket to the course bus (bus-server.ts). What a chat server needs from a
// connection it cannot trust to stay up:
//   - request ids: answers come back with the id of the request they answer (appends and reads interleave
//     with published messages and relayed beats on the same socket);
//   - a timeout per request: a bus that does not answer makes the request fail with a clear error, rather
//     than leave a client's message hanging;
//   - reconnect with backoff (doubling, with jitter so servers do not all knock at once), and `up`/`down`
//     handlers so the chat server's core knows when to read what it missed;
//   - requests in flight when the connection drops are rejected at once: an append may or may not have been
//     numbered, and the client's resend (same clientId and id) finds out without making a duplicate.

import WebSocket from 'ws';
import type { ChatMessage, Draft, HistoryPage, PresenceBeat } from '../core/types.ts';
import { checkReadArgs, checkReply, cleanDraft, MAX_BUS_FRAME_BYTES, type Bus, type BusHandlers, type BusOptions, type BusRequestFrame } from './bus.ts';

interface Pending {
  what: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const PING_EVERY_MS = 5_000;
const BACKOFF_FIRST_MS = 100;
const BACKOFF_MAX_MS = 3_000;

/** A course-bus client, resolved once its first connection is up (reconnects on its own after that). */
export async function connectCourseBus(url: string, options: BusOptions = {}): Promise<Bus> {
  const bus = new CourseBusClient(url, options);
  try {
    await bus.firstConnection(options.connectTimeoutMs ?? 15_000);
  } catch (err) {
    await bus.close();
    throw err;
  }
  return bus;
}

// #region client
export class CourseBusClient implements Bus {
  private ws: WebSocket | null = null;
  private isUp = false;
  private closed = false;
  private nextRid = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers: BusHandlers[] = [];
  private failures = 0; // connection attempts since the last success, for the backoff
  private lastProblem = 'not connected yet';
  private retryTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private readonly requestTimeoutMs: number;
  private readonly warn: (line: string) => void;
  private onFirstUp: (() => void) | null = null;

  constructor(
    readonly url: string,
    options: BusOptions = {},
  ) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    this.warn = options.warn ?? ((line) => console.warn(line));
    this.open();
  }

  firstConnection(timeoutMs: number): Promise<void> {
    if (this.isUp) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.onFirstUp = null;
        reject(new Error(`cannot reach the course bus at ${this.url} within ${timeoutMs} ms (${this.lastProblem}); is it running? (PORT=7300 node --import tsx examples/chat/node/bus-server.ts)`));
      }, timeoutMs);
      this.onFirstUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  append(draft: Draft): Promise<{ message: ChatMessage; duplicate: boolean }> {
    const clean = cleanDraft(draft);
    if (clean === null) return Promise.reject(new Error(`append: not a valid draft: ${JSON.stringify(draft).slice(0, 200)}`));
    return this.request('append', (rid) => ({ type: 'append', rid, draft: clean }));
  }

  read(room: string, after: number, limit: number): Promise<HistoryPage> {
    const problem = checkReadArgs(room, after, limit);
    if (problem !== null) return Promise.reject(new Error(problem));
    return this.request(`read of ${room}`, (rid) => ({ type: 'read', rid, room, after, limit }));
  }

  beat(beat: PresenceBeat): void {
    if (this.isUp) this.ws?.send(JSON.stringify({ type: 'beat', beat } satisfies BusRequestFrame));
  }

  subscribe(handlers: BusHandlers): void {
    this.handlers.push(handlers);
    if (this.isUp) queueMicrotask(() => this.isUp && handlers.up()); // already up: say so, as a reconnect would
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.rejectPending('the bus client was closed');
    const ws = this.ws;
    if (ws === null || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      const force = setTimeout(() => ws.terminate(), 1_000);
      ws.once('close', () => clearTimeout(force));
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'chat server closing');
    });
  }

  private request<T>(what: string, frame: (rid: number) => BusRequestFrame): Promise<T> {
    if (!this.isUp || this.ws === null) {
      return Promise.reject(new Error(`bus unavailable: not connected to ${this.url} (${this.lastProblem}); reconnecting in the background, try again`));
    }
    const rid = this.nextRid++;
    const ws = this.ws;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new Error(`the bus at ${this.url} did not answer the ${what} within ${this.requestTimeoutMs} ms; it may or may not have been done`));
      }, this.requestTimeoutMs);
      this.pending.set(rid, { what, resolve: resolve as (v: unknown) => void, reject, timer });
      ws.send(JSON.stringify(frame(rid)));
    });
  }
  // #endregion client

  // #region connection
  private open(): void {
    const ws = new WebSocket(this.url, { maxPayload: MAX_BUS_FRAME_BYTES, handshakeTimeout: 5_000 });
    this.ws = ws;
    let alive = true;
    ws.on('open', () => {
      this.isUp = true;
      this.failures = 0;
      alive = true;
      this.pingTimer = setInterval(() => {
        // A bus that vanished without closing (a cable pulled, a frozen VM) is found by its missing pong.
        if (!alive) return void ws.terminate();
        alive = false;
        ws.ping();
      }, PING_EVERY_MS);
      this.onFirstUp?.();
      this.onFirstUp = null;
      for (const h of this.handlers) h.up();
    });
    ws.on('pong', () => (alive = true));
    ws.on('message', (data, isBinary) => this.onFrame(isBinary ? '' : data.toString()));
    ws.on('error', (err) => (this.lastProblem = err.message)); // 'close' follows
    ws.on('close', (code, reason) => {
      if (this.pingTimer !== null) clearInterval(this.pingTimer);
      this.pingTimer = null;
      if (this.ws === ws) this.ws = null;
      const wasUp = this.isUp;
      this.isUp = false;
      if (wasUp) this.lastProblem = `connection closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`;
      this.rejectPending(`the connection to the bus at ${this.url} was lost (${this.lastProblem}); it may or may not have been done`);
      if (this.closed) return;
      if (wasUp) for (const h of this.handlers) h.down(this.lastProblem);
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.failures);
    this.failures++;
    const delay = ceiling / 2 + Math.random() * (ceiling / 2); // jitter: servers that lost the bus together do not return together
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed) this.open();
    }, delay);
  }

  private rejectPending(reason: string): void {
    for (const [rid, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(rid);
      p.reject(new Error(`${p.what}: ${reason}`));
    }
  }

  private onFrame(data: string): void {
    const checked = checkReply(data);
    if (!checked.ok) {
      const p = checked.rid === undefined ? undefined : this.settle(checked.rid);
      if (p !== undefined) p.reject(new Error(`the bus sent a malformed answer to the ${p.what}: ${checked.message}`));
      else this.warn(`bus client: ignoring a malformed frame from ${this.url}: ${checked.message}`);
      return;
    }
    const frame = checked.frame;
    switch (frame.type) {
      case 'appended':
        return this.settle(frame.rid)?.resolve({ message: frame.message, duplicate: frame.duplicate });
      case 'page':
        return this.settle(frame.rid)?.resolve(frame.page);
      case 'error': {
        const p = frame.rid === undefined ? undefined : this.settle(frame.rid);
        if (p !== undefined) p.reject(new Error(`the bus refused the ${p.what}: ${frame.message}`));
        else this.warn(`bus client: the bus at ${this.url} says: ${frame.message}`);
        return;
      }
      case 'message':
        for (const h of this.handlers) h.message(frame.message);
        return;
      case 'beat':
        for (const h of this.handlers) h.beat(frame.beat);
        return;
    }
  }

  /** The pending request `rid`, removed; undefined if it already timed out (a late answer is ignored). */
  private settle(rid: number): Pending | undefined {
    const p = this.pending.get(rid);
    if (p === undefined) return undefined;
    clearTimeout(p.timer);
    this.pending.delete(rid);
    return p;
  }
  // #endregion connection
}
