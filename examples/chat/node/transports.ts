// `npm run demo:transports`: four ways to push updates to a browser, measured on loopback.
//
// A server produces the same seeded workload four times (50 updates at random moments, about 1 s in all), and
// a client receives it by each of the four transports of Session 6 in turn:
//   1. short polling:  GET /poll?after=N every --poll-ms, answered at once (often with nothing);
//   2. long polling:   GET /long-poll?after=N, held open by the server until there is something new;
//   3. server-sent events: one GET /events, a response that never ends, one `data:` block per update;
//   4. WebSocket:      one GET /ws with `Upgrade: websocket`, then one frame per update (the `ws` package).
// For each it prints the HTTP requests the server received, the bytes its sockets read and wrote (HTTP headers
// and bodies, WebSocket frames; not TCP/IP headers), the updates received, and the p50/p99 delay from the
// moment the server produced an update to the moment the client had parsed it.
//
// Server and client run in this one process, on 127.0.0.1 and a free port, so both read the same clock
// (performance.now()) and a delay needs no clock synchronisation. They share one event loop, too, so a delay
// includes the other side's work: fine for comparing transports, not a benchmark of Node.
//
// Options: --seed N (1), --updates N (50), --mean-gap-ms N (20), --poll-ms N (100), --json (print the results
// as JSON on stdout, progress on stderr). Ctrl-C stops the servers and clients and exits.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import {
  SseParser,
  formatTable,
  parseArgs,
  schedule,
  summarise,
  updateText,
  type DemoOptions,
  type PlannedUpdate,
  type TransportCounts,
  type TransportSummary,
  type Update,
} from './transports-workload.ts';

/** A long poll is answered empty after this long without news (browsers and proxies give up around 30-60 s). */
const HOLD_MS = 25_000;

/** What a browser sends with every request (a real one adds cookies too): the same for every transport. */
const BROWSER_HEADERS = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  accept: '*/*',
  'accept-language': 'en-GB,en;q=0.9',
  'accept-encoding': 'gzip, deflate, br',
};

/** The updates produced so far (update `seq` is at index seq - 1), and who wants to hear of the next one. */
interface Feed {
  log: Update[];
  listeners: Set<(update: Update) => void>;
  /** Polls answered with nothing new: pure overhead. */
  emptyAnswers: number;
}

/** Things to stop on Ctrl-C or at the end. */
const cleanups = new Set<() => void>();

// ---------------------------------------------------------------------------------------------------------
// The server side: one handler per transport.

function sendJson(feed: Feed, res: http.ServerResponse, updates: Update[]): void {
  if (updates.length === 0) feed.emptyAnswers++;
  const body = JSON.stringify(updates);
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

// #region short-poll
/** GET /poll?after=N: answer at once with every update after N, which is often none at all. */
function shortPoll(feed: Feed, after: number, res: http.ServerResponse): void {
  sendJson(feed, res, feed.log.slice(after));
}
// #endregion short-poll

// #region long-poll
/** GET /long-poll?after=N: answer at once if there is news; otherwise hold the request until there is. */
function longPoll(feed: Feed, after: number, res: http.ServerResponse): void {
  if (feed.log.length > after) return sendJson(feed, res, feed.log.slice(after));
  const answer = () => {
    feed.listeners.delete(answer);
    clearTimeout(timer);
    sendJson(feed, res, feed.log.slice(after));
  };
  const timer = setTimeout(answer, HOLD_MS); // nothing new for a long time: answer empty, the client asks again
  feed.listeners.add(answer);
  res.on('close', () => {
    feed.listeners.delete(answer);
    clearTimeout(timer);
  });
}
// #endregion long-poll

// #region sse
/** GET /events: one response that never ends; each update is an `id:` and a `data:` line and a blank line. */
function eventStream(feed: Feed, after: number, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' }).flushHeaders();
  const write = (u: Update) => res.write(`id: ${u.seq}\ndata: ${JSON.stringify(u)}\n\n`);
  feed.log.slice(after).forEach(write); // a reconnecting EventSource sends Last-Event-ID: resume after it
  feed.listeners.add(write);
  res.on('close', () => feed.listeners.delete(write));
}
// #endregion sse

// #region websocket
/** GET /ws with `Upgrade: websocket`: after the handshake, each update is one text frame on the socket. */
function webSocketFeed(feed: Feed, socket: WebSocket): void {
  const send = (u: Update) => socket.send(JSON.stringify(u));
  feed.listeners.add(send);
  socket.on('close', () => feed.listeners.delete(send));
}
// #endregion websocket

interface TestServer {
  port: number;
  feed: Feed;
  /** Requests received (a WebSocket handshake counts as one), answers that carried no update, socket bytes. */
  stats(): { requests: number; emptyAnswers: number; bytes: number };
  close(): Promise<void>;
}

async function startServer(): Promise<TestServer> {
  const feed: Feed = { log: [], listeners: new Set(), emptyAnswers: 0 };
  const sockets = new Set<Socket>();
  let requests = 0;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const server = http.createServer((req, res) => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://localhost');
    const lastEventId = Number(req.headers['last-event-id'] ?? NaN);
    const after = Number.isInteger(lastEventId) ? lastEventId : Number(url.searchParams.get('after') ?? 0);
    if (!Number.isInteger(after) || after < 0) return void res.writeHead(400).end('after must be a whole number\n');
    if (url.pathname === '/poll') shortPoll(feed, after, res);
    else if (url.pathname === '/long-poll') longPoll(feed, after, res);
    else if (url.pathname === '/events') eventStream(feed, after, res);
    else res.writeHead(404).end('not found\n');
  });
  server.on('upgrade', (req, socket, head) => {
    requests++;
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/ws') return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => webSocketFeed(feed, ws));
  });
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = async () => {
    cleanups.delete(stop);
    for (const ws of wss.clients) ws.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  const stop = () => void close();
  cleanups.add(stop);
  return {
    port: (server.address() as AddressInfo).port,
    feed,
    stats: () => ({
      requests,
      emptyAnswers: feed.emptyAnswers,
      bytes: [...sockets].reduce((sum, s) => sum + s.bytesRead + s.bytesWritten, 0),
    }),
    close,
  };
}

/** Produce the planned updates at their moments; resolves after the last. */
function produce(feed: Feed, plan: readonly PlannedUpdate[]): { done: Promise<void>; cancel(): void } {
  const start = performance.now();
  const timers: NodeJS.Timeout[] = [];
  const done = new Promise<void>((resolve) => {
    for (const p of plan) {
      timers.push(
        setTimeout(() => {
          const update: Update = { seq: p.seq, producedAt: performance.now(), text: updateText(p.seq) };
          feed.log.push(update);
          for (const listener of [...feed.listeners]) listener(update);
          if (p.seq === plan.length) resolve();
        }, Math.max(0, start + p.atMs - performance.now())),
      );
    }
  });
  const cancel = () => timers.forEach(clearTimeout);
  return { done, cancel };
}

// ---------------------------------------------------------------------------------------------------------
// The client side: what a browser page would run, one per transport.

/** Everything the client received, and the delay of each update. Resolves `all` once it has every update. */
class Inbox {
  last = 0;
  received = 0;
  duplicates = 0;
  latenciesMs: number[] = [];
  readonly all: Promise<void>;
  private resolve = () => {};
  private seen = new Set<number>();

  constructor(readonly expected: number) {
    this.all = new Promise((resolve) => (this.resolve = resolve));
  }

  take(update: Update): void {
    const now = performance.now();
    if (this.seen.has(update.seq)) {
      this.duplicates++;
      return;
    }
    this.seen.add(update.seq);
    this.received++;
    this.last = Math.max(this.last, update.seq);
    this.latenciesMs.push(now - update.producedAt);
    if (this.received === this.expected) this.resolve();
  }

  get complete(): boolean {
    return this.received === this.expected;
  }
}

function getJson(agent: http.Agent, port: number, path: string): Promise<Update[]> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, headers: { ...BROWSER_HEADERS, accept: 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as Update[]);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Client {
  /** Connected: the producer may start. */
  ready: Promise<void>;
  stop(): void;
}

function shortPollingClient(port: number, inbox: Inbox, pollMs: number): Client {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let stopped = false;
  void (async () => {
    while (!stopped && !inbox.complete) {
      const started = performance.now();
      for (const u of await getJson(agent, port, `/poll?after=${inbox.last}`)) inbox.take(u);
      await sleep(Math.max(0, pollMs - (performance.now() - started))); // one request every pollMs
    }
  })().catch((err: unknown) => stopped || console.error(`short polling: ${String(err)}`));
  return { ready: Promise.resolve(), stop: () => ((stopped = true), agent.destroy()) };
}

function longPollingClient(port: number, inbox: Inbox): Client {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let stopped = false;
  void (async () => {
    // As soon as an answer arrives, ask again: there is nearly always a request waiting at the server.
    while (!stopped && !inbox.complete) for (const u of await getJson(agent, port, `/long-poll?after=${inbox.last}`)) inbox.take(u);
  })().catch((err: unknown) => stopped || console.error(`long polling: ${String(err)}`));
  return { ready: sleep(20), stop: () => ((stopped = true), agent.destroy()) };
}

function sseClient(port: number, inbox: Inbox): Client {
  const parser = new SseParser();
  let request: http.ClientRequest | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    request = http.get({ host: '127.0.0.1', port, path: '/events', headers: { ...BROWSER_HEADERS, accept: 'text/event-stream' } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (const event of parser.push(chunk)) inbox.take(JSON.parse(event.data) as Update);
      });
      resolve();
    });
    request.on('error', reject);
  });
  return { ready, stop: () => request?.destroy() };
}

function webSocketClient(port: number, inbox: Inbox): Client {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: BROWSER_HEADERS, perMessageDeflate: false });
  socket.on('message', (data) => inbox.take(JSON.parse(String(data)) as Update));
  const ready = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    ready,
    stop: () => {
      if (socket.readyState === WebSocket.OPEN) socket.close(1000, 'done');
      else socket.terminate();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The run.

const TRANSPORTS = [
  { name: 'short polling', open: (port: number, inbox: Inbox, o: DemoOptions) => shortPollingClient(port, inbox, o.pollMs) },
  { name: 'long polling', open: (port: number, inbox: Inbox) => longPollingClient(port, inbox) },
  { name: 'server-sent events', open: (port: number, inbox: Inbox) => sseClient(port, inbox) },
  { name: 'WebSocket', open: (port: number, inbox: Inbox) => webSocketClient(port, inbox) },
] as const;

async function measure(transport: (typeof TRANSPORTS)[number], options: DemoOptions, plan: readonly PlannedUpdate[]): Promise<TransportCounts> {
  const server = await startServer();
  const inbox = new Inbox(plan.length);
  const client = transport.open(server.port, inbox, options);
  cleanups.add(client.stop);
  let readyTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.ready,
    new Promise((_, reject) => (readyTimer = setTimeout(() => reject(new Error(`${transport.name}: the client did not connect within 10 s`)), 10_000))),
  ]).finally(() => clearTimeout(readyTimer));
  const producer = produce(server.feed, plan);
  const limitMs = (plan.at(-1)?.atMs ?? 0) + options.pollMs + 10_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), limitMs)));
  const outcome = await Promise.race([inbox.all.then(() => 'ok' as const), timedOut]);
  clearTimeout(timer);
  producer.cancel();
  client.stop();
  cleanups.delete(client.stop);
  await sleep(50); // let the last bytes (a WebSocket's close frames) cross before the sockets are counted
  const stats = server.stats();
  await server.close();
  if (outcome === 'timeout') console.error(`${transport.name}: gave up after ${limitMs} ms with ${inbox.received}/${plan.length} updates`);
  return { transport: transport.name, ...stats, latenciesMs: inbox.latenciesMs, received: inbox.received, duplicates: inbox.duplicates };
}

/** Run the four transports in turn. `progress` gets a line as each one ends (the console by default). */
export async function runDemo(
  options: DemoOptions,
  progress: (line: string) => void = options.json ? (line) => console.error(line) : (line) => console.log(line),
): Promise<TransportSummary[]> {
  const plan = schedule(options.seed, options.updates, options.meanGapMs);
  progress(
    `Workload (seed ${options.seed}): ${plan.length} updates over ${((plan.at(-1)?.atMs ?? 0) / 1000).toFixed(2)} s ` +
      `(mean gap ${options.meanGapMs} ms), to one client on 127.0.0.1, by each transport in turn.`,
  );
  const rows: TransportSummary[] = [];
  for (const [i, transport] of TRANSPORTS.entries()) {
    const label = transport.name === 'short polling' ? `short polling (every ${options.pollMs} ms)` : transport.name;
    const started = performance.now();
    const row = summarise(await measure(transport, options, plan), plan.length);
    rows.push({ ...row, transport: label });
    progress(`[${i + 1}/${TRANSPORTS.length}] ${label}: ${row.received}/${row.expected} updates, ${row.requests} ${row.requests === 1 ? 'request' : 'requests'}, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return rows;
}

async function main(): Promise<void> {
  let options: DemoOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`demo:transports: ${(err as Error).message}`);
    process.exit(2);
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      console.error(`\nstopped (${signal === 'SIGINT' ? 'Ctrl-C' : signal}): closing the servers and clients`);
      for (const cleanup of [...cleanups]) cleanup();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
  const rows = await runDemo(options);
  if (options.json) {
    console.log(JSON.stringify({ seed: options.seed, updates: options.updates, meanGapMs: options.meanGapMs, pollMs: options.pollMs, results: rows }, null, 2));
  } else {
    console.log(`\n${formatTable(rows)}\n`);
    console.log('bytes: what the server\'s sockets read and wrote (HTTP headers and bodies, WebSocket frames; not TCP/IP).');
    console.log('p50/p99: delay from "produced" to "parsed by the client", in ms (nearest rank; p99 of 50 is the slowest).');
  }
  if (rows.some((r) => r.received !== r.expected)) process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
