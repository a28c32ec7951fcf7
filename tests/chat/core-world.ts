// A whole chat system made of the pure cores, for the property tests (core-properties.test.ts): several chat
// servers (server.ts), one sequencer (sequencer.ts) standing in for the bus, and clients running receiver.ts.
// Nothing here decides what is right; it only carries frames and bus traffic the way the adapters do, with
// the faults the contract allows:
//  - live bus deliveries (messages and beats) are at-most-once: they can be dropped, duplicated, reordered,
//    and they are lost while a server's bus connection is down;
//  - bus requests (append, read) are reliable once executed, but their answers may come back in any order
//    relative to live deliveries (two connections, as with Redis); while the bus is down they fail;
//  - a WebSocket is ordered; a client can drop its connection at any point and reconnect to any server with
//    join{after: last shown} and resend its unconfirmed messages; a server can crash and restart empty.
// It records what every client showed, so the test can check it against the sequencer's full log.
import { accept, acceptGap, caughtUp, confirmed, emptyOutbox, emptyReceiver, joinFrame, queueSend, resendAll, type Outbox, type Received, type Receiver } from '../../examples/chat/core/receiver.ts';
import { append, emptySequencer, read, type SequencerConfig, type SequencerState } from '../../examples/chat/core/sequencer.ts';
import { initialState, step, type ServerState } from '../../examples/chat/core/server.ts';
import { defaultConfig, defaultLimits, type BusRequest, type ChatConfig, type ChatMessage, type ClientFrame, type ServerEffects, type ServerFrame, type ServerInput } from '../../examples/chat/core/types.ts';

/** A message as JSON with its keys in one order, to compare what a client showed with the sequencer's. */
const canonical = (m: ChatMessage | undefined) => JSON.stringify(m === undefined ? null : [m.room, m.seq, m.from, m.text, m.clientId, m.id]);

export type Event = { show: number } | { lost: [number, number]; legit: boolean };

interface Node {
  id: string;
  state: ServerState;
  gen: number;
  busUp: boolean;
  /** Bus requests made and not yet carried out by the bus. */
  requests: BusRequest[];
  /** What the bus sends back: answers (reliable) and live deliveries (at-most-once). */
  inbox: { live: boolean; input: ServerInput }[];
  conns: number;
  /** A live delivery to it was lost since its last bus-up. */
  lossy: boolean;
}

interface Client {
  user: string;
  clientId: string;
  rooms: readonly string[];
  receiver: Receiver;
  outbox: Outbox;
  conn: { node: number; id: string } | null;
  /** Frames the server sent on the current connection, not yet read by the client. */
  incoming: ServerFrame[];
  /** Has this client joined each room yet (its first join may be a fresh one: no `after`). */
  joinedOnce: Record<string, boolean>;
  fresh: boolean;
  events: Record<string, Event[]>;
  presence: Record<string, string[]>;
}

export interface WorldOptions {
  servers: number;
  clients: { rooms: readonly string[]; fresh: boolean }[];
  historyLimit: number;
  maxQueuedFrames: number;
  recentOnJoin: number;
}

export class World {
  clock = 0;
  seq: SequencerState = emptySequencer();
  seqConfig: SequencerConfig;
  /** Every message the sequencer ever numbered, per room, by seq (history is bounded; this is not). */
  log: Record<string, ChatMessage[]> = {};
  nodes: Node[] = [];
  clients: Client[] = [];
  config: Omit<ChatConfig, 'id'>;
  /** Problems the world saw that are not for the final checks (e.g. an error frame no client should get). */
  problems: string[] = [];

  constructor(readonly opts: WorldOptions) {
    this.seqConfig = { historyLimit: opts.historyLimit, dedupeLimit: 100_000 };
    this.config = {
      ...defaultConfig,
      recentOnJoin: opts.recentOnJoin,
      clientTimeoutMs: 1e12,
      limits: { ...defaultLimits, rateBurst: 1e9, ratePerSecond: 1e9, maxQueuedFrames: opts.maxQueuedFrames },
    };
    for (let i = 0; i < opts.servers; i++) {
      this.nodes.push({ id: `s${i + 1}`, state: initialState({ ...this.config, id: `s${i + 1}` }), gen: 0, busUp: true, requests: [], inbox: [], conns: 0, lossy: false });
    }
    opts.clients.forEach((c, i) => {
      this.clients.push({
        user: `u${i}`,
        clientId: `c${i}`,
        rooms: c.rooms,
        receiver: emptyReceiver(),
        outbox: emptyOutbox(),
        conn: null,
        incoming: [],
        joinedOnce: {},
        fresh: c.fresh,
        events: Object.fromEntries(c.rooms.map((r) => [r, []])),
        presence: {},
      });
    });
  }

  // ---- servers and the bus ----------------------------------------------------------------------------------
  private stepNode(n: number, input: ServerInput): void {
    const node = this.nodes[n]!;
    const effects: ServerEffects = step(node.state, input);
    for (const { conn, frame } of effects.sends) {
      const client = this.clients.find((c) => c.conn?.node === n && c.conn.id === conn);
      if (client !== undefined) client.incoming.push(frame);
    }
    for (const { conn } of effects.closes) {
      // The server closes the socket after the frames it already handed to it (ws's close): the client still
      // reads those, then finds the connection closed.
      const client = this.clients.find((c) => c.conn?.node === n && c.conn.id === conn);
      if (client !== undefined) client.conn = null;
    }
    for (const request of effects.bus) {
      if (node.busUp) node.requests.push(request);
      else this.fail(node, request);
    }
  }

  private fail(node: Node, request: BusRequest): void {
    if (request.op === 'append') node.inbox.push({ live: false, input: { kind: 'append-failed', conn: request.conn, draft: request.draft, reason: 'bus down' } });
    if (request.op === 'read') node.inbox.push({ live: false, input: { kind: 'read-failed', room: request.room, after: request.after, reason: 'bus down' } });
  }

  /** The bus carries out one request of server n. */
  busExec(n: number, pick: number): void {
    const node = this.nodes[n]!;
    if (node.requests.length === 0) return;
    const [request] = node.requests.splice(pick % node.requests.length, 1);
    if (request!.op === 'append') {
      const r = append(this.seq, request!.draft, this.seqConfig);
      this.seq = r.state;
      node.inbox.push({ live: false, input: { kind: 'appended', conn: request!.conn, message: r.message, duplicate: r.duplicate } });
      if (!r.duplicate) {
        (this.log[r.message.room] ??= [])[r.message.seq] = r.message;
        for (const other of this.nodes) if (other.busUp) other.inbox.push({ live: true, input: { kind: 'bus-message', message: r.message } });
      }
    } else if (request!.op === 'read') {
      const page = read(this.seq, request!.room, request!.after, request!.limit);
      node.inbox.push({ live: false, input: { kind: 'history', after: request!.after, page } });
    } else {
      for (const other of this.nodes) {
        if (other !== node && other.busUp) other.inbox.push({ live: true, input: { kind: 'beat', beat: request!.beat, at: this.clock } });
      }
    }
  }

  /** Server n takes one thing the bus sent it. */
  serverRecv(n: number, pick: number): void {
    const node = this.nodes[n]!;
    if (node.inbox.length === 0) return;
    const [item] = node.inbox.splice(pick % node.inbox.length, 1);
    const input = item!.input.kind === 'beat' ? { ...item!.input, at: this.clock } : item!.input;
    this.stepNode(n, input);
  }

  /** A live delivery to server n is lost (or, with `twice`, arrives twice). Answers are never touched. */
  liveFault(n: number, pick: number, twice: boolean): void {
    const node = this.nodes[n]!;
    const live = node.inbox.filter((item) => item.live);
    if (live.length === 0) return;
    const item = live[pick % live.length]!;
    if (twice) node.inbox.push(item);
    else {
      node.inbox.splice(node.inbox.indexOf(item), 1);
      node.lossy = true;
    }
  }

  busDown(n: number): void {
    const node = this.nodes[n]!;
    if (!node.busUp) return;
    node.busUp = false;
    node.inbox = node.inbox.filter((item) => !item.live);
    for (const request of node.requests) this.fail(node, request);
    node.requests = [];
  }

  busUp(n: number): void {
    const node = this.nodes[n]!;
    if (node.busUp && !node.lossy) return;
    node.busUp = true;
    node.lossy = false;
    this.stepNode(n, { kind: 'bus-up', at: this.clock });
  }

  /** Server n crashes and starts again, empty: its clients lose their connections. */
  restart(n: number): void {
    const node = this.nodes[n]!;
    for (const client of this.clients) {
      if (client.conn?.node === n) {
        client.conn = null;
        client.incoming = [];
      }
    }
    node.state = initialState({ ...this.config, id: node.id });
    node.gen += 1;
    node.requests = [];
    node.inbox = [];
    node.busUp = true;
  }

  tick(n: number, dt: number): void {
    this.clock += dt;
    this.stepNode(n, { kind: 'tick', at: this.clock });
  }

  // ---- clients ------------------------------------------------------------------------------------------------
  private sendFrame(c: number, frame: ClientFrame): void {
    const client = this.clients[c]!;
    if (client.conn === null) return;
    this.stepNode(client.conn.node, { kind: 'frame', conn: client.conn.id, data: JSON.stringify(frame), at: this.clock });
  }

  connect(c: number, n: number): void {
    const client = this.clients[c]!;
    if (client.conn !== null) return;
    const node = this.nodes[n]!;
    const id = `${node.id}.${node.gen}.${node.conns++}`;
    client.conn = { node: n, id };
    client.incoming = [];
    this.stepNode(n, { kind: 'open', conn: id, at: this.clock });
    this.sendFrame(c, { type: 'hello', user: client.user, clientId: client.clientId });
    for (const room of client.rooms) {
      const fresh = client.fresh && !client.joinedOnce[room];
      client.joinedOnce[room] = true;
      this.sendFrame(c, fresh ? { type: 'join', room } : joinFrame(client.receiver, room));
    }
    for (const frame of resendAll(client.outbox)) this.sendFrame(c, frame);
  }

  disconnect(c: number): void {
    const client = this.clients[c]!;
    if (client.conn === null) return;
    const { node, id } = client.conn;
    client.conn = null;
    client.incoming = [];
    this.stepNode(node, { kind: 'closed', conn: id, at: this.clock });
  }

  send(c: number, r: number): void {
    const client = this.clients[c]!;
    const room = client.rooms[r % client.rooms.length]!;
    const queued = queueSend(client.outbox, room, `${client.clientId}#${client.outbox.nextId}`);
    client.outbox = queued.outbox;
    this.sendFrame(c, queued.frame);
  }

  /** Client c reads up to `count` frames; its socket reports them flushed. */
  clientRecv(c: number, count: number): void {
    const client = this.clients[c]!;
    let taken = 0;
    while (taken < count && client.incoming.length > 0) {
      const conn = client.conn;
      const frame = client.incoming.shift()!;
      taken += 1;
      this.onFrame(c, frame);
      if (conn !== null && client.conn === conn) this.stepNode(conn.node, { kind: 'flushed', conn: conn.id, count: 1 });
    }
  }

  private onFrame(c: number, frame: ServerFrame): void {
    const client = this.clients[c]!;
    const take = (room: string, out: Received) => {
      client.receiver = out.receiver;
      const events = client.events[room] ?? (client.events[room] = []);
      if (out.lost !== undefined) {
        const oldest = this.seq.rooms[room]?.history[0]?.seq ?? Infinity;
        // A gap is legitimate if the bus no longer keeps those messages, or it is a fresh join's first notice.
        const legit = out.lost.to < oldest || (client.fresh && events.length === 0 && out.lost.from === 1);
        events.push({ lost: [out.lost.from, out.lost.to], legit });
      }
      for (const m of out.show) {
        events.push({ show: m.seq });
        const truth = this.log[room]?.[m.seq];
        if (canonical(truth) !== canonical(m)) {
          this.problems.push(`${client.clientId} showed ${room}#${m.seq} = ${JSON.stringify(m)}, the sequencer has ${JSON.stringify(truth)}`);
        }
      }
      if (out.rejoin !== undefined) this.sendFrame(c, out.rejoin);
    };
    switch (frame.type) {
      case 'message': {
        const { type: _, ...message } = frame;
        take(frame.room, accept(client.receiver, message));
        break;
      }
      case 'gap':
        take(frame.room, acceptGap(client.receiver, frame.room, frame.from, frame.to));
        break;
      case 'caught-up':
        take(frame.room, caughtUp(client.receiver, frame.room, frame.seq));
        break;
      case 'sent': {
        const truth = this.log[frame.room]?.[frame.seq];
        if (truth?.clientId !== client.clientId || truth.id !== frame.id) {
          this.problems.push(`${client.clientId} was told ${frame.room} id ${frame.id} is seq ${frame.seq}; the sequencer has ${JSON.stringify(truth)}`);
        }
        client.outbox = confirmed(client.outbox, frame.id);
        break;
      }
      case 'presence':
        client.presence[frame.room] = frame.online;
        break;
      case 'error': {
        const pending = client.outbox.pending.find((p) => p.id === frame.id);
        if (frame.code !== 'unavailable') this.problems.push(`${client.clientId} got ${JSON.stringify(frame)}`);
        else if (pending !== undefined) this.sendFrame(c, { type: 'send', ...pending });
        break;
      }
      default:
        break;
    }
  }

  // ---- the end of a run -----------------------------------------------------------------------------------------
  /**
   * Everything comes back, every client connects, and all traffic is delivered without loss until nothing moves.
   * Both bus adapters lose live messages only when their connection drops, and say `up` when it is back; so a
   * server that lost one gets a bus-up here if it had none since (a lost last message is otherwise invisible).
   */
  settle(): boolean {
    this.nodes.forEach((_, n) => this.busUp(n));
    // One thing at a time, clients reading after each, as sockets that keep up would.
    const readAll = () => {
      for (let again = true; again; ) {
        again = false;
        this.clients.forEach((client, c) => {
          while (client.incoming.length > 0) this.clientRecv(c, client.incoming.length);
        });
        const c = this.clients.findIndex((client) => client.conn === null);
        if (c >= 0) {
          this.connect(c, c % this.nodes.length);
          again = true;
        }
      }
    };
    for (let round = 0; round < 20_000; round++) {
      readAll();
      const n = this.nodes.findIndex((node) => node.requests.length > 0 || node.inbox.length > 0);
      if (n < 0) return true;
      if (this.nodes[n]!.requests.length > 0) this.busExec(n, 0);
      else this.serverRecv(n, 0);
    }
    return false;
  }

  /** Beat from every server and deliver the beats, so presence is up to date everywhere. */
  beatAll(): void {
    this.clock += this.config.beatMs;
    this.nodes.forEach((_, n) => this.stepNode(n, { kind: 'tick', at: this.clock }));
    this.settle();
  }
}
