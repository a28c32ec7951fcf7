// Seeded chats for exercise 07: the real chat core end to end, with the LEARNER's receiver in every client.
// Pure and seeded (mulberry32): a seed replays a chat exactly.
//
//   clients (learner's joinFrame/accept/acceptGap + the core's caughtUp and outbox)
//      ⇅ links that deliver frames late, twice and out of order, and lose a connection's frames when it drops
//   two chat servers s1, s2 (core/server.ts step), killed and restarted now and then
//      ⇅ a bus that loses some live messages (at-most-once, as pub/sub does)
//   the sequencer (core/sequencer.ts), with a short history so long-gone clients get `gap` notices
//
// Clients send messages, disconnect at random and reconnect to either server (joining with joinFrame, then
// resending what was not confirmed). After `steps` a quiet spell: no more faults, everyone reconnects and
// sends one last message per room, and the chat runs until nothing is in flight. Every call to the learner's
// functions is made with frozen input and also to the core's receiver, and `watch` sees both answers.
import { mulberry32 } from '../../shared/random.ts';
import { append, emptySequencer, read, type SequencerConfig, type SequencerState } from '../../chat/core/sequencer.ts';
import { initialState, step as serverStep, type ServerState } from '../../chat/core/server.ts';
import {
  accept as coreAccept,
  acceptGap as coreAcceptGap,
  caughtUp,
  confirmed,
  emptyOutbox,
  emptyReceiver,
  joinFrame as coreJoinFrame,
  queueSend,
  resendAll,
  type Outbox,
  type Received,
  type Receiver,
} from '../../chat/core/receiver.ts';
import { defaultConfig, defaultLimits, type BusRequest, type ChatConfig, type ChatMessage, type ClientFrame, type ServerFrame, type ServerInput } from '../../chat/core/types.ts';

export interface ResumeImpl {
  joinFrame(receiver: Receiver, room: string): ClientFrame;
  accept(receiver: Receiver, message: ChatMessage): Received;
  acceptGap(receiver: Receiver, room: string, from: number, to: number): Received;
}

export const ROOMS = ['lobby', 'dev'] as const;
export const CLIENTS: Record<string, readonly string[]> = { alice: ['lobby', 'dev'], bob: ['lobby'], carol: ['dev', 'lobby'], dave: ['dev'] };
const SERVERS = ['s1', 's2'] as const;
const SEQUENCER: SequencerConfig = { historyLimit: 6, dedupeLimit: 256 };
const STEP_MS = 50;

function serverConfig(id: string): ChatConfig {
  // Generous rate limits and queues: this exercise is about ordering, not about protection.
  return { ...defaultConfig, id, limits: { ...defaultLimits, ratePerSecond: 1e6, rateBurst: 1e6, maxQueuedFrames: 1e6 } };
}

export interface Client {
  name: string;
  rooms: readonly string[];
  receiver: Receiver;
  outbox: Outbox;
  conn: string | null;
  reconnectAt: number | null;
  /** Per room: the highest seq accounted for on screen (shown, or announced lost). */
  cursor: Record<string, number>;
  shown: Record<string, number[]>;
}

export interface Stats {
  messages: number;
  disconnects: number;
  restarts: number;
  duplicates: number;
  held: number;
  rejoins: number;
  lost: number;
}

/** The context of one call to the learner's code. */
export interface CallEvent {
  step: number;
  client: string;
  /** What arrived: a message, or a gap notice, or a join being built. */
  what: { kind: 'message'; message: ChatMessage } | { kind: 'gap'; room: string; from: number; to: number } | { kind: 'join'; room: string };
  receiver: Receiver;
}

export interface Watch {
  /** A call and the learner's answer against the core's. May throw. */
  onCall(e: CallEvent, got: unknown, want: unknown): void;
  /** The learner's answer put `seq` on `client`'s screen (already checked against the core). May throw. */
  onShow(e: { step: number; client: Client; message: ChatMessage; log: readonly ChatMessage[] }): void;
  onEnd(e: { clients: Readonly<Record<string, Client>>; log: Readonly<Record<string, readonly ChatMessage[]>> }): void;
}

function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x)) deepFreeze(v);
  }
  return x;
}

interface Server {
  state: ServerState;
  up: boolean;
  gen: number;
  downUntil: number;
}

interface Later<T> {
  at: number;
  order: number;
  item: T;
}

export function playChat(impl: ResumeImpl, seed: number, steps: number, watch: Watch): Stats {
  const random = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const chance = (p: number) => random() < p;
  let sequencer: SequencerState = emptySequencer();
  const log: Record<string, ChatMessage[]> = Object.fromEntries(ROOMS.map((r) => [r, []]));
  const servers: Record<string, Server> = Object.fromEntries(SERVERS.map((id) => [id, { state: initialState(serverConfig(id)), up: true, gen: 0, downUntil: 0 }]));
  const conns: Record<string, { client: string; server: string; open: boolean }> = {};
  const clients: Record<string, Client> = {};
  for (const [name, rooms] of Object.entries(CLIENTS)) {
    clients[name] = { name, rooms, receiver: emptyReceiver(), outbox: emptyOutbox(), conn: null, reconnectAt: 1, cursor: {}, shown: {} };
  }
  const stats: Stats = { messages: 0, disconnects: 0, restarts: 0, duplicates: 0, held: 0, rejoins: 0, lost: 0 };
  let order = 0;
  let step = 0;
  let faults = true;
  const bus: Later<{ server: string; gen: number; req: BusRequest }>[] = [];
  const toServer: Later<{ server: string; gen: number; input: ServerInput }>[] = [];
  const toClient: Later<{ conn: string; frame: ServerFrame }>[] = [];
  let connCount = 0;

  const later = <T>(list: Later<T>[], delay: number, item: T) => list.push({ at: step + delay, order: order++, item });
  const due = <T>(list: Later<T>[]): T[] => {
    const now = list.filter((l) => l.at <= step).sort((a, b) => a.at - b.at || a.order - b.order);
    for (const l of now) list.splice(list.indexOf(l), 1);
    return now.map((l) => l.item);
  };

  // ---- Servers ----
  const run = (id: string, input: ServerInput) => {
    const s = servers[id]!;
    if (!s.up) return;
    const fx = serverStep(s.state, input);
    const counts: Record<string, number> = {};
    for (const { conn, frame } of fx.sends) {
      counts[conn] = (counts[conn] ?? 0) + 1;
      later(toClient, faults ? int(0, 2) : int(0, 1), { conn, frame });
      if (faults && frame.type === 'message' && chance(0.08)) later(toClient, int(1, 4), { conn, frame }); // delivered twice
    }
    for (const close of fx.closes) closed(close.conn);
    for (const req of fx.bus) if (req.op !== 'beat') later(bus, int(0, 1), { server: id, gen: s.gen, req });
    for (const [conn, count] of Object.entries(counts)) if (conns[conn]?.open) serverStep(s.state, { kind: 'flushed', conn, count });
  };
  const frameTo = (conn: string, frame: ClientFrame) => {
    const c = conns[conn];
    if (c === undefined || !c.open) return;
    run(c.server, { kind: 'frame', conn, data: JSON.stringify(frame), at: step * STEP_MS });
  };

  // ---- Connections ----
  /** A connection is gone: the client will reconnect; frames still on their way are lost or arrive late. */
  const closed = (conn: string) => {
    const c = conns[conn];
    if (c === undefined || !c.open) return;
    c.open = false;
    const client = clients[c.client]!;
    if (client.conn === conn) {
      client.conn = null;
      client.reconnectAt = step + (faults ? (chance(0.15) ? int(15, 40) : int(1, 6)) : 1);
    }
    for (const l of [...toClient]) if (l.item.conn === conn && (!faults || chance(0.5))) toClient.splice(toClient.indexOf(l), 1);
  };
  const disconnect = (client: Client) => {
    const conn = client.conn!;
    const server = conns[conn]!.server;
    stats.disconnects += 1;
    closed(conn);
    run(server, { kind: 'closed', conn, at: step * STEP_MS });
  };
  const connect = (client: Client) => {
    const up = SERVERS.filter((id) => servers[id]!.up);
    if (up.length === 0) return;
    const server = up[int(0, up.length - 1)]!;
    const conn = `${client.name}#${++connCount}`;
    conns[conn] = { client: client.name, server, open: true };
    client.conn = conn;
    client.reconnectAt = null;
    run(server, { kind: 'open', conn, at: step * STEP_MS });
    frameTo(conn, { type: 'hello', user: client.name, clientId: client.name });
    for (const room of client.rooms) {
      const receiver = deepFreeze(client.receiver);
      const got = impl.joinFrame(receiver, room);
      watch.onCall({ step, client: client.name, what: { kind: 'join', room }, receiver }, got, coreJoinFrame(receiver, room));
      frameTo(conn, got);
    }
    for (const frame of resendAll(client.outbox)) frameTo(conn, frame);
  };

  // ---- Clients ----
  const applied = (client: Client, got: Received) => {
    client.receiver = got.receiver;
    for (const message of got.show) {
      client.shown[message.room] = [...(client.shown[message.room] ?? []), message.seq];
      watch.onShow({ step, client, message, log: log[message.room] ?? [] });
      client.cursor[message.room] = message.seq;
    }
    if (got.rejoin !== undefined && client.conn !== null) {
      stats.rejoins += 1;
      frameTo(client.conn, got.rejoin);
    }
  };
  const onFrame = (client: Client, frame: ServerFrame) => {
    if (frame.type === 'message') {
      const { type: _type, ...message } = frame;
      const receiver = deepFreeze(client.receiver);
      const m = deepFreeze(message);
      const want = coreAccept(receiver, m);
      const got = impl.accept(receiver, m);
      watch.onCall({ step, client: client.name, what: { kind: 'message', message: m }, receiver }, got, want);
      const before = receiver.rooms[m.room];
      if (m.seq <= (before?.last ?? 0) || before?.held.some((h) => h.seq === m.seq)) stats.duplicates += 1;
      else if (want.show.length === 0) stats.held += 1;
      applied(client, got);
    } else if (frame.type === 'gap') {
      const receiver = deepFreeze(client.receiver);
      const want = coreAcceptGap(receiver, frame.room, frame.from, frame.to);
      const got = impl.acceptGap(receiver, frame.room, frame.from, frame.to);
      watch.onCall({ step, client: client.name, what: { kind: 'gap', room: frame.room, from: frame.from, to: frame.to }, receiver }, got, want);
      if (got.lost !== undefined) {
        stats.lost += got.lost.to - got.lost.from + 1;
        client.cursor[frame.room] = Math.max(client.cursor[frame.room] ?? 0, got.lost.to);
      }
      applied(client, got);
    } else if (frame.type === 'caught-up') {
      applied(client, caughtUp(client.receiver, frame.room, frame.seq));
    } else if (frame.type === 'sent') {
      client.outbox = confirmed(client.outbox, frame.id);
    }
  };

  // ---- The bus and the sequencer ----
  const onBus = (server: string, gen: number, req: BusRequest) => {
    if (req.op === 'append') {
      const r = append(sequencer, req.draft, SEQUENCER);
      sequencer = r.state;
      if (!r.duplicate) {
        log[r.message.room]!.push(r.message);
        stats.messages += 1;
      }
      later(toServer, int(0, 1), { server, gen, input: { kind: 'appended', conn: req.conn, message: r.message, duplicate: r.duplicate } });
      for (const id of SERVERS) {
        if (faults && chance(0.1)) continue; // live delivery is at-most-once: this server never hears it live
        later(toServer, faults ? int(0, 2) : 0, { server: id, gen: servers[id]!.gen, input: { kind: 'bus-message', message: r.message } });
      }
    } else if (req.op === 'read') {
      const page = read(sequencer, req.room, req.after, req.limit);
      later(toServer, int(0, 1), { server, gen, input: { kind: 'history', after: req.after, page } });
    }
  };

  const idle = () =>
    bus.length === 0 && toServer.length === 0 && toClient.length === 0 &&
    Object.values(clients).every((c) => c.conn !== null && c.outbox.pending.length === 0 && c.rooms.every((r) => c.receiver.rooms[r]?.caughtUp === true && c.receiver.rooms[r]!.held.length === 0));
  let finalSent = false;
  const limit = steps + 2000;
  for (step = 1; step <= limit; step++) {
    if (step > steps && faults) {
      faults = false;
      for (const id of SERVERS) {
        const s = servers[id]!;
        if (!s.up) s.downUntil = step;
      }
      for (const c of Object.values(clients)) if (c.conn === null) c.reconnectAt = step;
    }
    // Servers come back (with an empty state: a restart), bus work and deliveries.
    for (const id of SERVERS) {
      const s = servers[id]!;
      if (!s.up && step >= s.downUntil) {
        s.up = true;
        s.state = initialState(serverConfig(id));
      }
    }
    for (const { server, gen, req } of due(bus)) onBus(server, gen, req);
    for (const { server, gen, input } of due(toServer)) if (servers[server]!.up && servers[server]!.gen === gen) run(server, input);
    const arriving = due(toClient);
    if (faults) arriving.sort(() => random() - 0.5); // out of order
    for (const { conn, frame } of arriving) {
      const c = conns[conn];
      if (c !== undefined) onFrame(clients[c.client]!, frame);
    }
    // The clients.
    for (const client of Object.values(clients)) {
      if (client.conn === null) {
        if (client.reconnectAt !== null && step >= client.reconnectAt) connect(client);
        continue;
      }
      if (faults && chance(0.2)) {
        const room = client.rooms[int(0, client.rooms.length - 1)]!;
        const q = queueSend(client.outbox, room, `${client.name} ${client.outbox.nextId}`);
        client.outbox = q.outbox;
        frameTo(client.conn, q.frame);
      }
      if (faults && chance(0.04)) disconnect(client);
    }
    // Now and then a server dies (its clients' connections with it) and restarts a few steps later.
    if (faults && chance(0.012) && SERVERS.every((id) => servers[id]!.up)) {
      const id = SERVERS[int(0, 1)]!;
      const s = servers[id]!;
      stats.restarts += 1;
      s.up = false;
      s.gen += 1;
      s.downUntil = step + int(2, 8);
      for (const [conn, c] of Object.entries(conns)) if (c.server === id && c.open) closed(conn);
    }
    if (!faults) {
      if (!finalSent && Object.values(clients).every((c) => c.conn !== null) && step > steps + 3) {
        // One last message per client and room: any client still missing a message learns of it now.
        finalSent = true;
        for (const client of Object.values(clients)) {
          for (const room of client.rooms) {
            const q = queueSend(client.outbox, room, `${client.name} says bye`);
            client.outbox = q.outbox;
            frameTo(client.conn!, q.frame);
          }
        }
      } else if (finalSent && idle()) break;
    }
  }
  watch.onEnd({ clients, log });
  return stats;
}
