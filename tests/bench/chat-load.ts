// One load-generator process of the chat bench (tests/bench/chat.ts forks a few of these with an IPC channel).
// It opens its share of the bench's WebSocket clients and speaks the real client protocol to the chat servers:
// hello {user, clientId} -> welcome, join {room} -> caught-up, then send {room, id, text} with increasing ids,
// and a ping every few seconds like a real client.
//
// Each process owns whole rooms: every member of a room is a socket in this process (spread over the servers
// given, member k on server k mod n). So the time a message was sent and the times its copies arrive are
// read from one clock (performance.now() of this process), and this process knows exactly how many copies of
// each message to expect: one per member of the room, the sender included (the server sends it back too).
//
// Two ways to send (`run` command):
//   rate    open loop: every client sends `perClientPerSec` messages a second on a fixed schedule, whatever
//           happens to earlier ones (a fixed offered load; the latency at that load);
//   closed  closed loop: a client sends its next message as soon as its own copy of the previous one came
//           back (one message in flight per client: as fast as the system delivers), never faster than
//           `maxPerClientPerSec` (below the servers' rate limit of 20 frames/s per connection).
// Copies delivered inside the measured window count toward messages/s; every copy of a message sent inside
// it gives a latency sample (send -> that subscriber), also when it arrives during the drain after the window.

import WebSocket from 'ws';
import { mulberry32 } from '../../examples/shared/random.ts';
import type { ServerFrame } from '../../examples/chat/core/types.ts';

export interface ConnectCommand {
  type: 'connect';
  /** Chat servers' WebSocket URLs (ws://host:port/ws); room member k connects to urls[k % urls.length]. */
  urls: string[];
  rooms: string[];
  perRoom: number;
  /** Makes user names and clientIds unique across processes and runs. */
  prefix: string;
  seed: number;
}

export interface RunCommand {
  type: 'run';
  mode: 'rate' | 'closed';
  perClientPerSec: number; // rate mode
  maxPerClientPerSec: number; // closed mode
  warmupMs: number;
  durationMs: number;
  /** After the window: how long to wait for the copies still on their way. */
  drainMs: number;
  textChars: number;
}

export type WorkerCommand = ConnectCommand | RunCommand | { type: 'close' };

export interface RunResult {
  /** Messages this process sent inside the window, and the copies it expected of them. */
  sent: number;
  expectedCopies: number;
  /** Copies of those messages that arrived (in the window or during the drain); the rest never came. */
  receivedCopies: number;
  /** Copies (of any message) that arrived inside the window: the throughput. */
  deliveredInWindow: number;
  windowMs: number;
  /** Latency of each received copy of a message sent in the window, ms (rounded to 1 µs). */
  latencies: number[];
  /** Copies that came twice to the same client (must be 0: the bus never numbers a message twice). */
  duplicates: number;
  /** Sends the server refused with an error frame (not counted as sent: never stored, no copy comes). */
  refused: number;
  /** Closed loop: times a client stopped waiting for its own copy (STALL_MS) and sent the next anyway. */
  gaveUp: number;
  errors: Record<string, number>;
  closes: Record<string, number>;
  /** CPU time this process used during the window, ms (user + system). */
  cpuMs: number;
}

export type WorkerReply =
  | { type: 'connected'; clients: number; ms: number }
  | { type: 'progress'; sent: number; delivered: number; atMs: number }
  | { type: 'result'; result: RunResult }
  | { type: 'failed'; error: string };

interface Pending {
  sentAt: number;
  inWindow: boolean;
  remaining: number;
  seenBy: Set<number> | null; // client indexes that got it (only tracked for window messages)
}

class BenchClient {
  ws: WebSocket | null = null;
  nextId = 1;
  /** Closed loop: the id whose own copy we wait for (0: none). */
  waitingFor = 0;
  lastSendAt = -Infinity;
  timer: NodeJS.Timeout | null = null;
  ready = false;
  constructor(
    readonly index: number,
    readonly room: string,
    readonly url: string,
    readonly clientId: string,
    readonly user: string,
  ) {}
}

/** Closed loop: a client whose own copy has not come back after this long sends its next message anyway. */
const STALL_MS = 5_000;

const send = (reply: WorkerReply) => process.send?.(reply);

let clients: BenchClient[] = [];
let byClientId = new Map<string, BenchClient>();
let members = new Map<string, number>(); // room -> clients in it
const pending = new Map<string, Pending>();
let run: { cmd: RunCommand; start: number; windowStart: number; windowEnd: number; stopped: boolean } | null = null;
let counters = { sent: 0, delivered: 0 };
let result: RunResult | null = null;
let pingTimer: NodeJS.Timeout | null = null;
let text = '';

function fresh(windowMs: number): RunResult {
  return { sent: 0, expectedCopies: 0, receivedCopies: 0, deliveredInWindow: 0, windowMs, latencies: [], duplicates: 0, refused: 0, gaveUp: 0, errors: {}, closes: {}, cpuMs: 0 };
}
const bump = (record: Record<string, number>, key: string) => (record[key] = (record[key] ?? 0) + 1);

async function connect(cmd: ConnectCommand): Promise<void> {
  const t0 = performance.now();
  const random = mulberry32(cmd.seed);
  clients = [];
  for (const room of cmd.rooms) {
    members.set(room, cmd.perRoom);
    for (let k = 0; k < cmd.perRoom; k++) {
      const index = clients.length;
      const id = `${cmd.prefix}-${index}-${Math.floor(random() * 2 ** 32).toString(36)}`;
      clients.push(new BenchClient(index, room, cmd.urls[k % cmd.urls.length]!, id, `${cmd.prefix}-${index}`));
    }
  }
  byClientId = new Map(clients.map((c) => [c.clientId, c]));
  // At most 50 handshakes at a time: a burst of 500 SYNs would only overflow the servers' accept queues.
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < clients.length) await open(clients[next++]!);
    }),
  );
  // A ping every 5 s per client (spread over the 5 s), as a real client does, so no server times one out.
  let turn = 0;
  pingTimer = setInterval(() => {
    for (let i = turn; i < clients.length; i += 50) write(clients[i]!, '{"type":"ping"}');
    turn = (turn + 1) % 50;
  }, 100);
  send({ type: 'connected', clients: clients.length, ms: performance.now() - t0 });
}

function open(c: BenchClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(c.url, { perMessageDeflate: false });
    c.ws = ws;
    const timeout = setTimeout(() => reject(new Error(`client ${c.index}: no caught-up from ${c.url} within 30 s`)), 30_000);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', user: c.user, clientId: c.clientId })));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as ServerFrame;
      if (frame.type === 'welcome') ws.send(JSON.stringify({ type: 'join', room: c.room }));
      else if (frame.type === 'caught-up' && !c.ready) {
        c.ready = true;
        clearTimeout(timeout);
        resolve();
      } else onFrame(c, frame);
    });
    ws.on('error', (err) => {
      clearTimeout(timeout);
      if (!c.ready) reject(new Error(`client ${c.index} (${c.url}): ${err.message}`));
    });
    ws.on('close', (code) => {
      if (result !== null) bump(result.closes, String(code));
      if (!c.ready) {
        clearTimeout(timeout);
        reject(new Error(`client ${c.index} (${c.url}) was closed (${code}) before it had joined`));
      }
    });
  });
}

function write(c: BenchClient, frame: string): void {
  if (c.ws !== null && c.ws.readyState === WebSocket.OPEN) c.ws.send(frame);
}

function onFrame(c: BenchClient, frame: ServerFrame): void {
  if (frame.type === 'message') {
    const now = performance.now();
    counters.delivered++;
    if (run !== null && result !== null && now >= run.windowStart && now < run.windowEnd) result.deliveredInWindow++;
    const key = `${frame.clientId}:${frame.id}`;
    const p = pending.get(key);
    if (p !== undefined) {
      if (p.seenBy !== null) {
        if (p.seenBy.has(c.index)) {
          if (result !== null) result.duplicates++;
        } else {
          p.seenBy.add(c.index);
          if (p.inWindow && result !== null) {
            result.receivedCopies++;
            result.latencies.push(Math.round((now - p.sentAt) * 1000) / 1000);
          }
        }
      }
      if (--p.remaining <= 0) pending.delete(key);
    }
    // Closed loop: our own copy is back, so the next message may go.
    if (run !== null && run.cmd.mode === 'closed' && frame.clientId === c.clientId && frame.id === c.waitingFor) next(c, now);
  } else if (frame.type === 'error') {
    if (result !== null) bump(result.errors, frame.code);
    // A send the server refused (unavailable: the bus was down; rate-limited) was never stored: no copy of it
    // will come, so it is not counted as sent. (A real client resends it with the same id; the bench moves on.)
    if (frame.id !== undefined && frame.room === c.room) refused(c, frame.id);
  }
  // welcome, sent, caught-up, presence, pong: nothing to measure
}

function refused(c: BenchClient, id: number): void {
  const key = `${c.clientId}:${id}`;
  const p = pending.get(key);
  if (p === undefined) return;
  pending.delete(key);
  if (p.inWindow && result !== null) {
    result.refused++;
    result.sent--;
    result.expectedCopies -= members.get(c.room) ?? 1;
    result.receivedCopies -= p.seenBy?.size ?? 0;
  }
  if (run !== null && run.cmd.mode === 'closed' && c.waitingFor === id) next(c, performance.now());
}

/** Closed loop: the next message goes now, or once the rate cap allows it. */
function next(c: BenchClient, now: number): void {
  c.waitingFor = 0;
  if (c.timer !== null) clearTimeout(c.timer);
  const wait = c.lastSendAt + 1000 / run!.cmd.maxPerClientPerSec - now;
  if (wait <= 0) sendOne(c);
  else c.timer = setTimeout(() => sendOne(c), wait);
}

function sendOne(c: BenchClient): void {
  c.timer = null;
  if (run === null || run.stopped) return;
  const now = performance.now();
  if (now >= run.windowEnd) return;
  const id = c.nextId++;
  const inWindow = now >= run.windowStart;
  pending.set(`${c.clientId}:${id}`, { sentAt: now, inWindow, remaining: members.get(c.room) ?? 1, seenBy: new Set() });
  if (inWindow && result !== null) {
    result.sent++;
    result.expectedCopies += members.get(c.room) ?? 1;
  }
  counters.sent++;
  c.lastSendAt = now;
  write(c, JSON.stringify({ type: 'send', room: c.room, id, text }));
  if (run.cmd.mode === 'closed') {
    c.waitingFor = id;
    // Our own copy lost (a closed connection)? Do not wait for it forever: send the next after a while.
    c.timer = setTimeout(() => {
      if (c.waitingFor !== id || run === null) return;
      if (result !== null) result.gaveUp++;
      next(c, performance.now());
    }, STALL_MS);
  }
}

async function startRun(cmd: RunCommand): Promise<void> {
  const start = performance.now();
  pending.clear();
  counters = { sent: 0, delivered: 0 };
  run = { cmd, start, windowStart: start + cmd.warmupMs, windowEnd: start + cmd.warmupMs + cmd.durationMs, stopped: false };
  result = fresh(cmd.durationMs);
  text = 'x'.repeat(Math.max(1, cmd.textChars));
  const random = mulberry32(clients.length * 7919 + Math.round(cmd.perClientPerSec * 1000));
  const progress = setInterval(() => send({ type: 'progress', sent: counters.sent, delivered: counters.delivered, atMs: performance.now() - start }), 1000);
  if (cmd.mode === 'rate') {
    // A fixed schedule per client, each with its own phase: client c sends at phase + k * period.
    const period = 1000 / cmd.perClientPerSec;
    for (const c of clients) {
      const phase = random() * period;
      let k = 0;
      const tick = () => {
        sendOne(c);
        k++;
        const at = start + phase + k * period;
        if (at < run!.windowEnd && !run!.stopped) c.timer = setTimeout(tick, Math.max(0, at - performance.now()));
      };
      c.timer = setTimeout(tick, phase);
    }
  } else {
    // Closed loop: start over the first 200 ms, then each client's own copy triggers its next send.
    for (const c of clients) c.timer = setTimeout(() => sendOne(c), random() * 200);
  }
  let cpuAtWindow: NodeJS.CpuUsage | null = null;
  await sleep(cmd.warmupMs);
  cpuAtWindow = process.cpuUsage();
  await sleep(Math.max(0, run.windowEnd - performance.now()));
  const cpu = process.cpuUsage(cpuAtWindow);
  result.cpuMs = (cpu.user + cpu.system) / 1000;
  run.stopped = true;
  for (const c of clients) if (c.timer !== null) clearTimeout(c.timer);
  // Drain: wait for the window's messages still on their way (the copies that never come are counted missing).
  const drainEnd = performance.now() + cmd.drainMs;
  while (performance.now() < drainEnd && result.receivedCopies < result.expectedCopies) await sleep(50);
  clearInterval(progress);
  const done = result;
  result = null;
  run = null;
  pending.clear();
  for (const c of clients) c.waitingFor = 0;
  send({ type: 'result', result: done });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function closeAll(): void {
  if (pingTimer !== null) clearInterval(pingTimer);
  for (const c of clients) c.ws?.terminate();
  clients = [];
  process.disconnect?.();
}

process.on('message', (cmd: WorkerCommand) => {
  const fail = (err: unknown) => send({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
  if (cmd.type === 'connect') connect(cmd).catch(fail);
  else if (cmd.type === 'run') startRun(cmd).catch(fail);
  else closeAll();
});
// The bench is gone (Ctrl-C, a crash): so are we.
process.on('disconnect', () => process.exit(0));
