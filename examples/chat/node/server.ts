// One chat server as a process: the pure core (../core/server.ts) behind HTTP and a WebSocket endpoint, joined
// to the other chat servers by a bus (bus.ts: the course bus or Redis).
//
//   CHAT_ID=s1 PORT=7301 BUS=ws://127.0.0.1:7300 node --import tsx examples/chat/node/server.ts   (USAGE below)
//
//   GET /          the browser client (examples/chat/web)      GET /health   200 {ok: true} while the bus is up
//   GET /app.js    its script                                  GET /status   JSON: connections, rooms, the bus
//   /ws            the WebSocket endpoint: JSON text frames (core/types.ts ClientFrame, ServerFrame)
//
// This file only translates. Everything that happens becomes one input to the core's `step`: a socket opens,
// a text frame arrives, a socket closes, a socket took the frames we wrote (`flushed`: that is how the core
// bounds each client's queue), the bus published a message or a beat, the bus came back, a bus request was
// answered or failed, and a tick every 250 ms (timeouts and presence beats). The effects that come out are
// carried out in order: frames written to sockets, sockets closed, requests made of the bus. The core never
// numbers a message; the bus does.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { initialState, step, type ServerState } from '../core/server.ts';
import { CLOSE, defaultConfig, type BusRequest, type ChatConfig, type HistoryPage, type ServerEffects, type ServerFrame, type ServerInput } from '../core/types.ts';
import { withPeers } from '../web/serve.ts';
import { connectBus, type Bus } from './bus.ts';
import { defaultPeers } from './topology.ts';
import { configFromEnv } from '../../shared/env-config.ts';

export const USAGE = `usage: CHAT_ID=s1 PORT=7301 BUS=ws://127.0.0.1:7300 [HOST=127.0.0.1] node --import tsx examples/chat/node/server.ts

  CHAT_ID   this server's name ([a-z0-9-], 1 to 32 characters, e.g. s1); it is how presence tells servers apart
  PORT      the port for HTTP and WebSocket (0-65535; 0 picks a free one, the real one is printed)
  BUS       the bus that joins the chat servers: ws://host:port for the course bus
            (examples/chat/node/bus-server.ts, e.g. ws://127.0.0.1:7300) or redis://host:port for Redis
  HOST      the interface to listen on (default 127.0.0.1; containers use 0.0.0.0)
  CHAT_PEERS  every chat server as the browser reaches it, comma-separated, for the page's failover: a port
            alone (7301,7302) means that port on the host the page came from; or host:port, http(s)://host:port.
            Default: 7301,7302 if PORT is one of those (the local topology), else none (the page knows only us).
            npm run example:chat sets it from the ports it really uses.
  optional timings, in milliseconds (defaults in examples/chat/core/types.ts, defaultConfig):
  CHAT_BEAT_MS (${defaultConfig.beatMs}), CHAT_PRESENCE_TIMEOUT_MS (${defaultConfig.presenceTimeoutMs}), CHAT_CLIENT_TIMEOUT_MS (${defaultConfig.clientTimeoutMs}),
  CHAT_WS_PING_MS (10000: a WebSocket-level ping to every client; one that has not answered the last is cut off)
  CHAT_MAX_BUFFERED_BYTES (4194304, 4 MiB: a client with more of our bytes unread is cut off as a slow consumer, 4008)`;

/** WebSocket frames bigger than this are refused by ws itself, which closes the connection with 1009. */
export const MAX_PAYLOAD = 64 * 1024;
export const TICK_MS = 250;
const NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
/** One CHAT_PEERS entry: a port, host:port, or an http(s)/ws(s) URL of a host (no spaces, quotes or markup). */
const PEER = /^(:?\d{1,5}|((https?|wss?):\/\/)?[A-Za-z0-9.\-[\]:]+(\/ws)?\/?)$/;
/**
 * A client that lets this many bytes of our frames pile up unread is cut off as a slow consumer (4008), checked
 * before every frame we write to it. The core bounds the same queue in frames (maxQueuedFrames); this bounds it
 * in bytes, since a thousand large frames are megabytes of this process's memory.
 */
export const MAX_BUFFERED_BYTES = 4 << 20; // CHAT_MAX_BUFFERED_BYTES overrides it

export interface ChatServerConfig {
  core: ChatConfig;
  host: string;
  port: number;
  bus: string;
  wsPingMs: number;
  /** Unread bytes after which a client is cut off as a slow consumer (MAX_BUFFERED_BYTES unless set). */
  maxBufferedBytes: number;
  /** The chat servers the browser page may reconnect to (CHAT_PEERS), written into the page. */
  peers: string[];
}

export function parseChatServerConfig(env: Record<string, string | undefined>): { ok: true; config: ChatServerConfig } | { ok: false; error: string } {
  const fail = (error: string) => ({ ok: false as const, error });
  const get = (name: string) => (env[name] ?? '').trim();
  const id = get('CHAT_ID');
  if (id === '') return fail('CHAT_ID is not set');
  if (!NAME.test(id)) return fail(`CHAT_ID "${id}" is not a server name ([a-z0-9-], 1 to 32 characters, e.g. s1)`);
  const portText = get('PORT');
  if (portText === '') return fail('PORT is not set');
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) return fail(`PORT must be a port number from 0 to 65535, got "${portText}"`);
  const bus = get('BUS');
  if (bus === '') return fail('BUS is not set');
  if (!/^(wss?|redis):\/\/[^/\s]+/i.test(bus)) {
    return fail(`BUS must be ws://host:port (the course bus, e.g. ws://127.0.0.1:7300) or redis://host:port (e.g. redis://127.0.0.1:6379), got "${bus}"`);
  }
  const core: ChatConfig = { id, ...defaultConfig };
  const numbers: [keyof Pick<ChatConfig, 'beatMs' | 'presenceTimeoutMs' | 'clientTimeoutMs'>, string][] = [
    ['beatMs', 'CHAT_BEAT_MS'],
    ['presenceTimeoutMs', 'CHAT_PRESENCE_TIMEOUT_MS'],
    ['clientTimeoutMs', 'CHAT_CLIENT_TIMEOUT_MS'],
  ];
  const whole = (name: string): number | string | undefined => {
    const text = get(name);
    if (text === '') return undefined;
    const value = Number(text);
    return /^\d+$/.test(text) && value >= 1 && Number.isSafeInteger(value) ? value : `${name} must be a whole number of milliseconds >= 1, got "${text}"`;
  };
  for (const [field, name] of numbers) {
    const value = whole(name);
    if (typeof value === 'string') return fail(value);
    if (value !== undefined) core[field] = value;
  }
  if (core.beatMs >= core.presenceTimeoutMs) {
    return fail(`CHAT_BEAT_MS (${core.beatMs}) must be shorter than CHAT_PRESENCE_TIMEOUT_MS (${core.presenceTimeoutMs}), or a live server's users would blink out between beats`);
  }
  const ping = whole('CHAT_WS_PING_MS');
  if (typeof ping === 'string') return fail(ping);
  const buffered = whole('CHAT_MAX_BUFFERED_BYTES');
  if (typeof buffered === 'string') return fail(buffered.replace('milliseconds', 'bytes'));
  const peers = get('CHAT_PEERS') === '' ? defaultPeers(Number(portText)) : get('CHAT_PEERS').split(',').map((p) => p.trim()).filter((p) => p !== '');
  const badPeer = peers.find((p) => !PEER.test(p));
  if (badPeer !== undefined) return fail(`CHAT_PEERS must list chat servers as the browser reaches them, comma-separated: a port (7302), host:port or http(s)://host:port; got "${badPeer}"`);
  return { ok: true, config: { core, host: get('HOST') || '127.0.0.1', port: Number(portText), bus, wsPingMs: ping ?? 10_000, maxBufferedBytes: buffered ?? MAX_BUFFERED_BYTES, peers } };
}

/** The browser client: GET / and GET /app.js. */
export interface ClientPage {
  html: string;
  js: string;
}

/** A bus URL without a password (redis://:secret@host), for printing. */
export function shownUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

// #region server
export class ChatServer {
  readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly state: ServerState;
  private readonly sockets = new Map<string, WebSocket>();
  /** Frames written to each socket and taken by it since the last `flushed` input (reported in batches). */
  private readonly taken = new Map<string, number>();
  /** Heard from since the last WebSocket ping (a pong or any frame). */
  private readonly alive = new Map<string, boolean>();
  private flushScheduled = false;
  private nextConn = 1;
  private timers: NodeJS.Timeout[] = [];
  private busUp = false;
  private busProblem = '';
  private stopping = false;
  private readFailures = { count: 0, printedAt: 0 };
  readonly counters = { connections: 0, frames: 0, sent: 0, appends: 0, reads: 0, coreErrors: 0, binaryFrames: 0 };

  constructor(
    readonly config: ChatServerConfig,
    private readonly bus: Bus,
    private readonly page: () => Promise<ClientPage>,
    private readonly print: (line: string) => void,
  ) {
    this.state = initialState(config.core);
    this.http = http.createServer((req, res) => void this.answerHttp(req, res));
    this.wss = new WebSocketServer({ server: this.http, path: '/ws', maxPayload: MAX_PAYLOAD });
    this.wss.on('connection', (ws) => this.onConnection(ws));
    this.wss.on('error', (err) => this.print(`${this.id}: WebSocket server: ${err.message}`)); // http's error says it too
  }

  get id(): string {
    return this.config.core.id;
  }

  /** Start listening to the bus, the clock and the sockets' heartbeats (call once the HTTP server listens). */
  start(): void {
    this.bus.subscribe({
      message: (message) => this.input({ kind: 'bus-message', message }),
      beat: (beat) => this.input({ kind: 'beat', beat, at: Date.now() }),
      up: () => {
        if (!this.busUp && this.busProblem !== '') this.print(`${this.id}: the bus is back: reading what we may have missed`);
        this.busUp = true;
        this.input({ kind: 'bus-up', at: Date.now() });
      },
      down: (reason) => {
        this.busUp = false;
        this.busProblem = reason;
        this.print(`${this.id}: lost the bus (${reason}); clients' sends are refused as "unavailable" until it is back`);
      },
    });
    this.timers.push(setInterval(() => this.input({ kind: 'tick', at: Date.now() }), TICK_MS));
    this.timers.push(setInterval(() => this.pingSockets(), this.config.wsPingMs));
    // Build the browser client now, so the first visitor does not wait for the bundler.
    this.page().catch((err: unknown) => this.print(`${this.id}: the browser client could not be built: ${err instanceof Error ? err.message : String(err)}`));
  }
  // #endregion server

  // #region inputs
  /** One step of the core, and its effects carried out. Nothing a client or the bus sends may crash us. */
  private input(input: ServerInput): void {
    if (this.stopping) return;
    let effects: ServerEffects;
    try {
      effects = step(this.state, input);
    } catch (err) {
      this.counters.coreErrors++;
      const detail = input.kind === 'frame' ? ` (frame ${JSON.stringify(input.data.slice(0, 200))})` : '';
      this.print(`${this.id}: the core failed on a ${input.kind} input${detail}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return;
    }
    if (input.kind === 'history') effects = { ...effects, sends: effects.sends.map((send) => roomStartedOver(send, input.after, input.page)) };
    this.carryOut(effects);
  }

  private onConnection(ws: WebSocket): void {
    const conn = `c${this.nextConn++}`;
    this.counters.connections++;
    this.sockets.set(conn, ws);
    this.alive.set(conn, true);
    ws.on('pong', () => this.alive.set(conn, true));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      this.alive.set(conn, true);
      if (isBinary) return this.refuseBinary(conn, ws);
      this.counters.frames++;
      this.input({ kind: 'frame', conn, data: rawText(data), at: Date.now() });
    });
    // ws reports protocol errors (a frame over maxPayload: 1009, bad UTF-8: 1007) here, then closes.
    ws.on('error', (err) => this.print(`${this.id}: client ${conn}: ${err.message}; closing it`));
    ws.on('close', () => {
      this.sockets.delete(conn);
      this.taken.delete(conn);
      this.alive.delete(conn);
      this.input({ kind: 'closed', conn, at: Date.now() });
    });
    this.input({ kind: 'open', conn, at: Date.now() });
  }

  /** The core speaks JSON text; a binary frame gets an error frame and goes no further. */
  private refuseBinary(conn: string, ws: WebSocket): void {
    this.counters.binaryFrames++;
    if (this.tooFarBehind(conn, ws)) return; // sending us binary, not reading ours
    const frame: ServerFrame = { type: 'error', code: 'bad-frame', message: 'send text frames (JSON), not binary ones' };
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  }

  /** More than MAX_BUFFERED_BYTES of ours unread: close it as a slow consumer (the core hears 'closed'). */
  private tooFarBehind(conn: string, ws: WebSocket): boolean {
    const limit = this.config.maxBufferedBytes;
    if (ws.bufferedAmount <= limit) return false;
    this.closeConn(conn, CLOSE.slowConsumer, `slow consumer: more than ${limit} bytes unread; reconnect and join with your last seq`);
    return true;
  }

  /** WebSocket-level heartbeat: a client that did not answer the previous ping (a pulled cable) is cut off. */
  private pingSockets(): void {
    for (const [conn, ws] of this.sockets) {
      const answered = this.alive.get(conn) ?? true;
      this.alive.set(conn, false);
      if (!answered) {
        ws.terminate(); // 'close' follows, and the core is told
        continue;
      }
      if (ws.readyState === ws.OPEN) ws.ping();
    }
  }
  // #endregion inputs

  // #region effects
  private carryOut(effects: ServerEffects): void {
    for (const { conn, frame } of effects.sends) this.sendFrame(conn, frame);
    for (const { conn, code, reason } of effects.closes) this.closeConn(conn, code, reason);
    for (const request of effects.bus) this.ask(request);
  }

  private sendFrame(conn: string, frame: ServerFrame): void {
    const ws = this.sockets.get(conn);
    if (ws === undefined || ws.readyState !== ws.OPEN) return; // gone: its 'closed' input is on its way
    if (this.tooFarBehind(conn, ws)) return;
    this.counters.sent++;
    // The callback runs once the socket has taken the frame: the core counts it out of the client's queue.
    ws.send(JSON.stringify(frame), (err) => {
      if (err === undefined || err === null) this.noteFlushed(conn);
    });
  }

  /** `flushed` inputs are batched per connection, once per turn of the event loop, not one per frame. */
  private noteFlushed(conn: string): void {
    this.taken.set(conn, (this.taken.get(conn) ?? 0) + 1);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const batch = [...this.taken];
      this.taken.clear();
      for (const [c, count] of batch) if (this.sockets.has(c)) this.input({ kind: 'flushed', conn: c, count });
    });
  }

  private closeConn(conn: string, code: number, reason: string): void {
    const ws = this.sockets.get(conn);
    if (ws === undefined) return;
    this.print(`${this.id}: closing client ${conn} (${code}: ${reason})`);
    // Forget the socket so nothing more is written to it (the core has dropped it, or, when we cut it off
    // ourselves, hears 'closed' when the socket is gone).
    this.sockets.delete(conn);
    this.taken.delete(conn);
    ws.close(code, closeReason(reason));
    setTimeout(() => ws.terminate(), 2_000).unref(); // a client that never answers the close
  }

  private ask(request: BusRequest): void {
    switch (request.op) {
      case 'append': {
        this.counters.appends++;
        const { conn, draft } = request;
        this.bus.append(draft).then(
          ({ message, duplicate }) => this.input({ kind: 'appended', conn, message, duplicate }),
          (err: Error) => this.input({ kind: 'append-failed', conn, draft, reason: err.message }),
        );
        return;
      }
      case 'read': {
        this.counters.reads++;
        const { room, after, limit } = request;
        this.bus.read(room, after, limit).then(
          (page) => this.input({ kind: 'history', after, page }),
          (err: Error) => {
            this.noteReadFailure(`${room} after ${after}: ${err.message}`);
            this.input({ kind: 'read-failed', room, after, reason: err.message });
          },
        );
        return;
      }
      case 'beat':
        this.bus.beat(request.beat);
        return;
    }
  }
  /** While the bus is down the core retries reads every tick: say so once every few seconds, not every time. */
  private noteReadFailure(what: string): void {
    this.readFailures.count++;
    const now = Date.now();
    if (now - this.readFailures.printedAt < 5_000) return;
    const more = this.readFailures.count > 1 ? ` (${this.readFailures.count - 1} more since the last report)` : '';
    this.print(`${this.id}: a bus read failed: ${what}${more}; the core asks again`);
    this.readFailures = { count: 0, printedAt: now };
  }
  // #endregion effects

  // #region http
  status(): Record<string, unknown> {
    const rooms: Record<string, { members: string[]; last: number | null }> = {};
    for (const [name, room] of Object.entries(this.state.rooms)) {
      const users = room.members.map((m) => this.state.conns[m]?.user).filter((u): u is string => typeof u === 'string');
      rooms[name] = { members: [...new Set(users)].sort(), last: room.last };
    }
    const presence = Object.fromEntries(Object.entries(this.state.presence.servers).map(([server, entry]) => [server, entry.rooms]));
    return {
      server: this.id,
      peers: this.config.peers,
      connections: this.sockets.size,
      rooms,
      presence,
      bus: { url: shownUrl(this.config.bus), state: this.busUp ? 'up' : 'down', ...(this.busUp ? {} : { problem: this.busProblem }) },
      counters: this.counters,
    };
  }

  private async answerHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    };
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'only GET here; chat over the WebSocket at /ws' });
      if (url === '/health') return json(this.busUp ? 200 : 503, { ok: this.busUp, server: this.id, bus: this.busUp ? 'up' : 'down' });
      if (url === '/status') return json(200, this.status());
      if (url === '/' || url === '/index.html' || url === '/app.js') {
        const page = await this.page();
        const [type, body] = url === '/app.js' ? ['text/javascript; charset=utf-8', page.js] : ['text/html; charset=utf-8', withPeers(page.html, this.config.peers)];
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }).end(body);
        return;
      }
      if (url === '/ws') return json(426, { error: 'this is the WebSocket endpoint: connect with a WebSocket client' });
      json(404, { error: `no ${url} here: try /, /health, /status, or a WebSocket on /ws` });
    } catch (err) {
      this.print(`${this.id}: ${req.method} ${url} failed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) json(500, { error: 'the page could not be built; see the server output' });
      else res.destroy();
    }
  }
  // #endregion http

  /** Close every client with 1001 (going away: reconnect elsewhere), stop the clock, close the bus. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    const closed = [...this.sockets.values()].map((ws) => new Promise<void>((resolve) => {
      if (ws.readyState === ws.CLOSED) return resolve();
      ws.once('close', () => resolve());
      ws.close(1001, 'server shutting down: reconnect to another server');
    }));
    await Promise.race([Promise.all(closed), new Promise((r) => setTimeout(r, 2_000).unref())]);
    for (const ws of this.sockets.values()) ws.terminate();
    this.wss.close();
    this.http.close();
    this.http.closeAllConnections();
    await this.bus.close().catch(() => {});
  }
}

/**
 * A client that resumes a room after seq N, answered by a page read after N whose newest seq is below N, is
 * ahead of the bus itself: the room's history started over (the bus was restarted with an empty history, e.g.
 * a new `npm run example:chat`). The core would say `caught-up {seq: N}`, true of nothing; we say the room's
 * real newest seq instead, so the client can see that it is lower than what it showed and start the room
 * afresh (examples/chat/web/app.ts does). Only for the page of that client's own read (read after >= N): a
 * page read earlier may just be older than what the client saw elsewhere.
 */
export function roomStartedOver(send: { conn: string; frame: ServerFrame }, readAfter: number, page: HistoryPage): { conn: string; frame: ServerFrame } {
  const { frame } = send;
  if (frame.type !== 'caught-up' || frame.room !== page.room || frame.seq <= page.last || readAfter < frame.seq) return send;
  return { conn: send.conn, frame: { ...frame, seq: page.last } };
}

/** A close frame's reason is at most 123 bytes of UTF-8. */
function closeReason(reason: string): string {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  return r;
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

// #region page
const HERE = path.dirname(fileURLToPath(import.meta.url));
const WEB_SERVE = path.resolve(HERE, '..', 'web', 'serve.ts');

/**
 * The browser client from examples/chat/web/serve.ts (`clientPage()`: the HTML and the bundled script), built
 * once and kept. Until that file exists, a placeholder page says where the client will come from.
 */
export function loadClientPage(): () => Promise<ClientPage> {
  let built: Promise<ClientPage> | null = null;
  return () => {
    built ??= (async () => {
      if (!fs.existsSync(WEB_SERVE)) return placeholderPage();
      const mod = (await import(pathToFileURL(WEB_SERVE).href)) as { clientPage?: () => Promise<ClientPage> };
      if (typeof mod.clientPage !== 'function') return placeholderPage('examples/chat/web/serve.ts does not export clientPage()');
      return mod.clientPage();
    })();
    built.catch(() => (built = null)); // a failed build is tried again on the next request
    return built;
  };
}

function placeholderPage(why = 'examples/chat/web/serve.ts is not there yet'): ClientPage {
  const html = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Chat</title>
<p>The browser client is not built yet (${why}). The chat itself works: connect a WebSocket to <code>/ws</code>,
or run a Node client (examples/chat/node/client.ts). <a href="/status">/status</a> shows this server.</p>
<script src="/app.js"></script></html>`;
  return { html, js: '// placeholder: the browser client comes from examples/chat/web/serve.ts\n' };
}
// #endregion page

// #region main
async function main(): Promise<void> {
  const print = (line: string) => console.log(line);
  const config = configFromEnv('chat server', USAGE, parseChatServerConfig);
  const id = config.core.id;
  let stopping = false;
  let server: ChatServer | null = null;
  const shutdown = async (why: string) => {
    if (stopping) return;
    stopping = true;
    print(`${id}: ${why}: closing every client with 1001 and stopping`);
    setTimeout(() => process.exit(0), 5_000).unref(); // a stuck socket must not keep us alive forever
    await server?.stop();
    print(`${id}: bye`);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // Started by a runner with an IPC channel: when that parent dies, even by kill -9, the channel closes and we
  // stop too rather than hold the port for nobody. Our output went to the parent, so writes may now fail.
  if (process.send !== undefined) {
    process.on('disconnect', () => {
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
      void shutdown('the process that started this server is gone');
    });
  }

  // The bus first: a chat server without one could not number a single message. Keep trying until it answers.
  let bus: Bus | null = null;
  for (let attempt = 1; bus === null; attempt++) {
    try {
      bus = await connectBus(config.bus, { warn: print, connectTimeoutMs: 10_000 });
    } catch (err) {
      if (stopping) return;
      if (/unknown bus URL/.test(String(err))) throw err;
      print(`${id}: waiting for the bus at ${shownUrl(config.bus)} (try ${attempt}: ${err instanceof Error ? err.message : String(err)})`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  if (stopping) return void (await bus.close());
  server = new ChatServer(config, bus, loadClientPage(), print);
  server.http.on('error', (err: NodeJS.ErrnoException) => {
    const why = err.code === 'EADDRINUSE' ? `port ${config.port} is already in use (another chat server? an earlier run? the Docker setup?)` : err.message;
    console.error(`${id} cannot listen on ${config.host}:${config.port}: ${why}; stop that program or set PORT to another port`);
    process.exit(1);
  });
  server.http.listen(config.port, config.host, () => {
    const address = server!.http.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const { beatMs, presenceTimeoutMs, clientTimeoutMs } = config.core;
    print(`chat server ${id} listening on http://${config.host}:${port} (WebSocket on /ws; bus ${shownUrl(config.bus)}; beat ${beatMs} ms, presence timeout ${presenceTimeoutMs} ms, client timeout ${clientTimeoutMs} ms)`);
    server!.start();
  });
}
// #endregion main

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error('chat server failed to start:', err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
