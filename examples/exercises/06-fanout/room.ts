// Seeded rooms for exercise 06: one chat room, a few clients whose sockets read at different speeds, and a
// server that fans each message out with the LEARNER's fanOut/offer/flushed. Pure and seeded (mulberry32): a
// seed replays a room exactly.
//
// Each step: some clients change speed (fast: the socket writes everything queued; slow: one frame now and
// then; stalled: nothing), 0 to 3 messages are fanned out to the room, every socket writes what its speed
// allows, and the server is told (`flushed`). A client the fan-out drops is closed a few steps later (until
// then it is still a member, and later messages must pass it by); its socket's unwritten frames are lost with
// the connection. It reconnects a few steps after that with a fresh queue and resumes: the server offers it
// the messages after the last seq it got, a page of at most `limit` at a time (the next page once the socket
// wrote the last one, as a server reading history page by page would), then live ones again. c1 is always
// fast: it must never wait. At the end the room goes quiet, every client turns fast and reconnects, and each
// must hold every message.
//
// Every call is also made to the chat core's own fanout.ts with the same input, and `watch` sees both.
import { mulberry32 } from '../../shared/random.ts';
import { emptyQueue, flushed as coreFlushed, offer as coreOffer, type ClientQueue } from '../../chat/core/fanout.ts';

export type Action = 'send' | 'drop' | 'ignore';
export interface FanOut {
  queues: Record<string, ClientQueue>;
  send: string[];
  drop: string[];
}
export interface FanoutImpl {
  offer(queue: ClientQueue, limit: number): { queue: ClientQueue; action: Action };
  flushed(queue: ClientQueue, count: number): ClientQueue;
  fanOut(queues: Readonly<Record<string, ClientQueue>>, members: readonly string[], limit: number): FanOut;
}

/** The chat core's answer to fanOut: core offer folded over the members, in order. */
export function referenceFanOut(queues: Readonly<Record<string, ClientQueue>>, members: readonly string[], limit: number): FanOut {
  const next: Record<string, ClientQueue> = { ...queues };
  const send: string[] = [];
  const drop: string[] = [];
  for (const member of members) {
    const offered = coreOffer(next[member] ?? emptyQueue(), limit);
    next[member] = offered.queue;
    if (offered.action === 'send') send.push(member);
    else if (offered.action === 'drop') drop.push(member);
  }
  return { queues: next, send, drop };
}

export type Speed = 'fast' | 'slow' | 'stalled';

export interface Client {
  name: string;
  speed: Speed;
  /** Connected (possibly dropped and waiting to be closed), or waiting to reconnect. */
  connected: boolean;
  /** Reconnected and still being sent what it missed: not yet a live member of the room. */
  catchingUp: boolean;
  queue: ClientQueue;
  /** Frames handed to the socket and not yet written (seqs, in order). */
  socket: number[];
  /** Every seq this client received, in order. */
  received: number[];
  /** The step its close completes (after a drop), or when it reconnects (while disconnected). */
  until: number | null;
  /** The seq it was dropped at (the message that found its queue full). */
  droppedAt: number | null;
  drops: number;
}

export interface Stats {
  messages: number;
  clients: number;
  frames: number;
  drops: number;
  reconnects: number;
  /** The most frames any fast client ever had queued. */
  fastMax: number;
}

export interface Watch {
  /** One fan-out: the queues and members given, the learner's result and the core's. May throw. */
  onFanOut(e: { step: number; seq: number; limit: number; queues: Readonly<Record<string, ClientQueue>>; members: readonly string[]; clients: Readonly<Record<string, Client>> }, got: FanOut, want: FanOut): void;
  /** One catch-up offer to a reconnected client. May throw. */
  onOffer(e: { step: number; seq: number; client: string; limit: number; queue: ClientQueue }, got: { queue: ClientQueue; action: Action }, want: { queue: ClientQueue; action: Action }): void;
  /** One flush. May throw. */
  onFlushed(e: { step: number; client: string; queue: ClientQueue; count: number }, got: ClientQueue, want: ClientQueue): void;
  /** A client's socket wrote `seq` to it. May throw. */
  onReceive(e: { step: number; client: Client; seq: number }): void;
  /** The end: every client and the number of messages. May throw. */
  onEnd(e: { clients: Readonly<Record<string, Client>>; messages: number; limit: number }): void;
}

const freeze = <T extends object>(x: T): T => Object.freeze(x);

export function playRoom(impl: FanoutImpl, seed: number, steps: number, watch: Watch): Stats {
  const random = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const limit = [3, 5, 8][int(0, 2)]!;
  const count = int(3, 6);
  const clients: Record<string, Client> = {};
  const speeds: Speed[] = ['fast', 'slow', 'stalled'];
  for (let i = 1; i <= count; i++) {
    const name = `c${i}`;
    clients[name] = { name, speed: i === 1 ? 'fast' : speeds[int(0, 2)]!, connected: true, catchingUp: false, queue: emptyQueue(), socket: [], received: [], until: null, droppedAt: null, drops: 0 };
  }
  const stats: Stats = { messages: 0, clients: count, frames: 0, drops: 0, reconnects: 0, fastMax: 0 };
  let seq = 0;

  const offerOne = (c: Client, s: number, step: number) => {
    const queue = freeze({ ...c.queue });
    const got = impl.offer(queue, limit);
    watch.onOffer({ step, seq: s, client: c.name, limit, queue }, got, coreOffer(queue, limit));
    c.queue = got.queue;
    if (got.action === 'send') c.socket.push(s);
    else if (got.action === 'drop') dropped(c, s, step);
  };
  const dropped = (c: Client, s: number, step: number) => {
    c.drops += 1;
    stats.drops += 1;
    c.droppedAt = s;
    c.until = step + int(1, 3); // the close completes then
  };

  // After `steps`, a quiet spell: no messages, everyone fast, until every client has everything.
  const done = () => Object.values(clients).every((c) => c.connected && !c.catchingUp && c.until === null && c.socket.length === 0);
  for (let step = 1; step <= steps || (!done() && step <= steps + 1000); step++) {
    const quiet = step > steps;
    // Connections: closes complete, clients come back.
    for (const c of Object.values(clients)) {
      if (c.until === null || step < c.until) continue;
      if (c.connected) {
        // The close completes: what the socket had not written is lost with the connection.
        c.connected = false;
        c.socket = [];
        c.until = quiet ? step + 1 : step + int(2, 6);
      } else {
        // Reconnect with a fresh queue and resume from the last seq received.
        c.connected = true;
        c.catchingUp = true;
        c.until = null;
        c.droppedAt = null;
        c.queue = emptyQueue();
        c.speed = quiet || random() < 0.7 ? 'fast' : 'slow';
        stats.reconnects += 1;
      }
    }
    // Catch-up: the next page for each resuming client whose socket wrote the last one.
    for (const c of Object.values(clients)) {
      if (!c.connected || !c.catchingUp || c.socket.length > 0 || c.queue.dropped) continue;
      const last = c.received.at(-1) ?? 0;
      const end = Math.min(seq, last + limit);
      for (let s = last + 1; s <= end && !c.queue.dropped; s++) offerOne(c, s, step);
      if (end === seq && !c.queue.dropped) c.catchingUp = false; // from the next message on, it gets them live
    }
    // Speeds change now and then (c1 stays fast); in the quiet spell everyone is fast.
    for (const c of Object.values(clients)) {
      if (quiet) c.speed = 'fast';
      else if (c.name !== 'c1' && random() < 0.08) c.speed = speeds[int(0, 2)]!;
    }
    // Messages.
    const burst = quiet ? 0 : int(0, 3);
    for (let k = 0; k < burst; k++) {
      seq += 1;
      stats.messages += 1;
      const members = Object.values(clients).filter((c) => c.connected && !c.catchingUp).map((c) => c.name);
      const given = freeze(Object.fromEntries(members.map((m) => [m, freeze({ ...clients[m]!.queue })])));
      const frozenMembers = freeze([...members]);
      const got = impl.fanOut(given, frozenMembers, limit);
      watch.onFanOut({ step, seq, limit, queues: given, members: frozenMembers, clients }, got, referenceFanOut(given, frozenMembers, limit));
      for (const m of members) clients[m]!.queue = got.queues[m]!;
      for (const m of got.send) clients[m]!.socket.push(seq);
      for (const m of got.drop) dropped(clients[m]!, seq, step);
    }
    // Sockets write what their speed allows; the server hears how many.
    for (const c of Object.values(clients)) {
      if (!c.connected) continue;
      const n = c.speed === 'fast' ? c.socket.length : c.speed === 'slow' ? Math.min(c.socket.length, random() < 0.4 ? 1 : 0) : 0;
      if (c.name === 'c1') stats.fastMax = Math.max(stats.fastMax, c.queue.queued);
      for (const s of c.socket.splice(0, n)) {
        c.received.push(s);
        stats.frames += 1;
        watch.onReceive({ step, client: c, seq: s });
      }
      if (n === 0) continue;
      const queue = freeze({ ...c.queue });
      const got = impl.flushed(queue, n);
      watch.onFlushed({ step, client: c.name, queue, count: n }, got, coreFlushed(queue, n));
      c.queue = got;
    }
  }
  watch.onEnd({ clients, messages: seq, limit });
  return stats;
}
