// One chat server's core: rooms, membership, fan-out, catch-up, presence and protection. The Node adapter
// (node/server.ts) turns WebSocket and bus events into inputs and carries out the effects; the simulator does
// the same with simulated sockets. It never numbers a message: the bus's sequencer does (sequencer.ts).
//
// `step` updates the state in place and returns the effects. A server holds thousands of connections and
// copying them all for every frame would cost more than the network; the state is still plain data, and
// everything that happens to it comes in as an input, so a run replays exactly from its inputs.

import { emptyQueue, flushed, offer, type ClientQueue } from './fanout.ts';
import { parseClientFrame } from './frames.ts';
import { emptyPresence, expire, observe, online, type PresenceTable } from './presence.ts';
import { fullBucket, take, type Bucket } from './rate.ts';
import {
  CLOSE,
  type ChatConfig,
  type ChatMessage,
  type ClientFrame,
  type HistoryPage,
  type ServerEffects,
  type ServerFrame,
  type ServerInput,
} from './types.ts';

// #region state
/** One client's place in one room. */
export interface Subscription {
  /** The last seq this client has been sent (null: it joined fresh and the first page decides). */
  after: number | null;
  /** True once it has everything up to the room's stream point: from then on it gets messages live. */
  caughtUp: boolean;
}

export interface Connection {
  /** Set by `hello`; nothing else is accepted before it. */
  user: string | null;
  clientId: string | null;
  rooms: Record<string, Subscription>;
  queue: ClientQueue;
  bucket: Bucket;
  /** Frames refused in a row by the rate limit. */
  strikes: number;
  /** When this client last sent anything (a ping counts). */
  lastHeard: number;
}

export interface Room {
  /**
   * The stream point: every message up to here has been sent to each caught-up member, and the rest can read
   * it from the bus. null until the first page of the room tells the server where the room is.
   */
  last: number | null;
  members: string[];
  /** The newest seq seen live that did not fit the stream yet: the server reads until the stream reaches it. */
  ahead: number;
}

export interface ServerState {
  config: ChatConfig;
  conns: Record<string, Connection>;
  rooms: Record<string, Room>;
  /** Bus reads asked for and not yet answered, as "room:after" (the same read is never asked twice). */
  reads: string[];
  presence: PresenceTable;
  /** The online list each room's members were last told. */
  told: Record<string, string[]>;
  lastBeatAt: number | null;
}

/** Messages per bus read. */
export const PAGE = 200;

export function initialState(config: ChatConfig): ServerState {
  return { config, conns: {}, rooms: {}, reads: [], presence: emptyPresence(), told: {}, lastBeatAt: null };
}
// #endregion state

interface Work {
  state: ServerState;
  effects: ServerEffects;
  /** Local membership changed in this step, or a beat is due: a presence beat goes out at the end. */
  changed: boolean;
  /** Connections that joined a room in this step: they are told who is online there at the end. */
  joined: { conn: string; room: string }[];
  /** "conn room" pairs sent an online list in this step (so a joiner is not told twice). */
  told: Set<string>;
}

// #region step
export function step(state: ServerState, input: ServerInput): ServerEffects {
  const work: Work = { state, effects: { sends: [], closes: [], bus: [] }, changed: false, joined: [], told: new Set() };
  switch (input.kind) {
    case 'open':
      state.conns[input.conn] = {
        user: null,
        clientId: null,
        rooms: {},
        queue: emptyQueue(),
        bucket: fullBucket(state.config.limits.rateBurst, input.at),
        strikes: 0,
        lastHeard: input.at,
      };
      break;
    case 'frame':
      onFrame(work, input.conn, input.data, input.at);
      break;
    case 'closed':
      drop(work, input.conn);
      break;
    case 'flushed': {
      const conn = state.conns[input.conn];
      if (conn !== undefined) conn.queue = flushed(conn.queue, input.count);
      break;
    }
    case 'appended':
      send(work, input.conn, { type: 'sent', room: input.message.room, id: input.message.id, seq: input.message.seq });
      break;
    case 'append-failed':
      send(work, input.conn, {
        type: 'error',
        code: 'unavailable',
        message: `not confirmed (${input.reason}): it may or may not be stored; send it again with the same id (never stored twice)`,
        room: input.draft.room,
        id: input.draft.id,
      });
      break;
    case 'bus-message':
      onLive(work, input.message);
      break;
    case 'history':
      forget(state, input.page.room, input.after);
      onPage(work, input.page);
      break;
    case 'read-failed':
      forget(state, input.room, input.after);
      break;
    case 'beat':
      if (input.beat.server !== state.config.id) {
        state.presence = observe(state.presence, input.beat, input.at);
        tellPresence(work);
      }
      break;
    case 'bus-up':
      // Messages may have been missed while the bus was down, and reads may have failed: read again. A read
      // still under way may have been answered from before the outage, so every room is read afresh.
      state.reads = [];
      for (const [name, room] of Object.entries(state.rooms)) askRead(work, name, room.last ?? 0);
      retryReads(work);
      beat(work, input.at);
      break;
    case 'tick':
      onTick(work, input.at);
      break;
  }
  if (work.changed) beat(work, inputTime(input) ?? state.lastBeatAt ?? 0);
  for (const { conn, room } of work.joined) {
    if (state.conns[conn]?.rooms[room] !== undefined && !work.told.has(`${conn} ${room}`)) send(work, conn, { type: 'presence', room, online: online(state.presence, room) });
  }
  return work.effects;
}

function inputTime(input: ServerInput): number | undefined {
  return 'at' in input ? input.at : undefined;
}
// #endregion step

// #region frames
function onFrame(work: Work, id: string, data: string, at: number): void {
  const { state } = work;
  const conn = state.conns[id];
  if (conn === undefined) return;
  conn.lastHeard = at;
  const limits = state.config.limits;
  const taken = take(conn.bucket, at, limits.ratePerSecond, limits.rateBurst);
  conn.bucket = taken.bucket;
  if (!taken.allowed) {
    conn.strikes += 1;
    if (conn.strikes >= limits.maxStrikes) {
      close(work, id, CLOSE.policy, `kept sending after ${limits.maxStrikes} rate-limited frames`);
      return;
    }
    send(work, id, { type: 'error', code: 'rate-limited', message: `slow down: at most ${limits.ratePerSecond} frames a second (bursts of ${limits.rateBurst})` });
    return;
  }
  conn.strikes = 0;
  const parsed = parseClientFrame(data, limits);
  if (!parsed.ok) {
    send(work, id, { type: 'error', code: parsed.code, message: parsed.message });
    return;
  }
  const frame = parsed.frame;
  if (frame.type === 'ping') {
    send(work, id, { type: 'pong' });
    return;
  }
  if (frame.type === 'hello') {
    if (conn.user !== null) {
      send(work, id, { type: 'error', code: 'bad-frame', message: 'hello: already said hello on this connection' });
      return;
    }
    conn.user = frame.user;
    conn.clientId = frame.clientId;
    send(work, id, { type: 'welcome', server: state.config.id, user: frame.user, limits, clientTimeoutMs: state.config.clientTimeoutMs });
    return;
  }
  if (conn.user === null) {
    send(work, id, { type: 'error', code: 'hello-first', message: 'say hello first: {"type":"hello","user":"ada","clientId":"..."}' });
    return;
  }
  onRequest(work, id, conn, frame);
}

function onRequest(work: Work, id: string, conn: Connection, frame: Exclude<ClientFrame, { type: 'hello' | 'ping' }>): void {
  const { state } = work;
  const joined = Object.hasOwn(conn.rooms, frame.room);
  if (frame.type === 'join') {
    if (!joined && Object.keys(conn.rooms).length >= state.config.limits.maxRooms) {
      send(work, id, { type: 'error', code: 'too-many-rooms', message: `at most ${state.config.limits.maxRooms} rooms per connection: leave one first`, room: frame.room });
      return;
    }
    join(work, id, conn, frame.room, frame.after ?? null);
    return;
  }
  if (!joined) {
    send(work, id, { type: 'error', code: 'not-joined', message: `join "${frame.room}" first`, room: frame.room });
    return;
  }
  if (frame.type === 'leave') {
    leave(work, id, frame.room);
    return;
  }
  work.effects.bus.push({
    op: 'append',
    conn: id,
    draft: { room: frame.room, from: conn.user!, text: frame.text, clientId: conn.clientId!, id: frame.id },
  });
}
// #endregion frames

// #region membership
function join(work: Work, id: string, conn: Connection, name: string, after: number | null): void {
  const { state } = work;
  const room = state.rooms[name] ?? { last: null, members: [], ahead: 0 };
  state.rooms[name] = room;
  if (!room.members.includes(id)) {
    room.members.push(id);
    work.changed = true;
  }
  conn.rooms[name] = { after, caughtUp: false };
  askRead(work, name, after ?? 0);
  work.joined.push({ conn: id, room: name });
}

function leave(work: Work, id: string, name: string): void {
  const { state } = work;
  delete state.conns[id]?.rooms[name];
  const room = state.rooms[name];
  if (room === undefined) return;
  room.members = room.members.filter((member) => member !== id);
  if (room.members.length === 0) {
    delete state.rooms[name];
    // Its reads under way were asked before messages this server may since have seen and dropped: a room
    // joined again reads afresh (their answers, when they come, are still used).
    state.reads = state.reads.filter((key) => !key.startsWith(`${name}:`));
  }
  work.changed = true;
}

/** A connection is gone (closed by the client, by the adapter, or by this core). */
function drop(work: Work, id: string): void {
  const conn = work.state.conns[id];
  if (conn === undefined) return;
  for (const name of Object.keys(conn.rooms)) leave(work, id, name);
  delete work.state.conns[id];
}

function close(work: Work, id: string, code: number, reason: string): void {
  work.effects.closes.push({ conn: id, code, reason });
  drop(work, id);
}
// #endregion membership

// #region live
/** A message from the bus: extend the room's stream and send it to every caught-up member that is due it. */
function onLive(work: Work, message: ChatMessage): void {
  const room = work.state.rooms[message.room];
  if (room === undefined || (room.last !== null && message.seq <= room.last)) return; // not ours, or already had
  if (room.last === null || message.seq > room.last + 1) {
    // Some messages did not reach us (the bus delivers at most once), or the room's first page is still on its
    // way (and may have been read before this message). The bus stored them: read until the stream gets here.
    room.ahead = Math.max(room.ahead, message.seq);
    if (room.last !== null) askRead(work, message.room, room.last);
    return;
  }
  room.last = message.seq;
  for (const member of [...room.members]) deliver(work, member, message);
}

function deliver(work: Work, id: string, message: ChatMessage): void {
  const sub = work.state.conns[id]?.rooms[message.room];
  if (sub === undefined || !sub.caughtUp || sub.after === null || message.seq <= sub.after) return;
  if (message.seq > sub.after + 1) {
    sub.caughtUp = false; // behind: it reads the rest like a joining client
    askRead(work, message.room, sub.after);
    return;
  }
  sub.after = message.seq;
  send(work, id, { type: 'message', ...message });
}
// #endregion live

// #region catch-up
/** A page of history: first it extends the room's stream, then it brings each catching-up member along. */
function onPage(work: Work, page: HistoryPage): void {
  const room = work.state.rooms[page.room];
  if (room === undefined) return;
  if (room.last === null) {
    room.last = page.last;
  } else {
    if (room.last < page.oldest - 1) room.last = page.oldest - 1; // the bus no longer has the ones between
    for (const message of page.messages) {
      if (message.seq === room.last + 1) {
        room.last = message.seq;
        for (const member of [...room.members]) deliver(work, member, message);
      }
    }
  }
  // A page read before the newest live message we saw does not reach it: read on.
  if (room.last < Math.max(page.last, room.ahead)) askRead(work, page.room, room.last);
  for (const member of [...room.members]) catchUp(work, member, page, room.last);
}

function catchUp(work: Work, id: string, page: HistoryPage, streamPoint: number): void {
  const sub = work.state.conns[id]?.rooms[page.room];
  if (sub === undefined || sub.caughtUp) return;
  if (sub.after === null) {
    // A fresh join: the most recent messages, and a note that older ones exist.
    sub.after = Math.max(page.oldest - 1, page.last - work.state.config.recentOnJoin, 0);
    if (sub.after > 0) send(work, id, { type: 'gap', room: page.room, from: 1, to: sub.after });
  } else if (sub.after < page.oldest - 1) {
    send(work, id, { type: 'gap', room: page.room, from: sub.after + 1, to: page.oldest - 1 });
    sub.after = page.oldest - 1;
  }
  for (const message of page.messages) {
    if (message.seq === sub.after + 1) {
      sub.after = message.seq;
      send(work, id, { type: 'message', ...message });
    }
  }
  if (work.state.conns[id] === undefined) return; // dropped as a slow consumer while catching up
  if (sub.after >= streamPoint && sub.after >= page.last) {
    sub.caughtUp = true;
    send(work, id, { type: 'caught-up', room: page.room, seq: sub.after });
  } else {
    askRead(work, page.room, sub.after);
  }
}

function askRead(work: Work, room: string, after: number): void {
  const key = `${room}:${after}`;
  if (work.state.reads.includes(key)) return;
  work.state.reads.push(key);
  work.effects.bus.push({ op: 'read', room, after, limit: PAGE });
}

/**
 * A member still catching up with no read under way had its read fail (the bus was down or slow): ask again.
 * Runs on every tick, so a failed read is retried within a tick and a client is never left waiting for good.
 */
function retryReads(work: Work): void {
  for (const [name, room] of Object.entries(work.state.rooms)) {
    for (const member of room.members) {
      const sub = work.state.conns[member]?.rooms[name];
      if (sub !== undefined && !sub.caughtUp && !work.state.reads.some((key) => key.startsWith(`${name}:`))) {
        askRead(work, name, sub.after ?? 0);
      }
    }
  }
}

function forget(state: ServerState, room: string, after: number): void {
  state.reads = state.reads.filter((key) => key !== `${room}:${after}`);
}
// #endregion catch-up

// #region presence
function localRooms(state: ServerState): Record<string, string[]> {
  const rooms: Record<string, string[]> = {};
  for (const [name, room] of Object.entries(state.rooms)) {
    // A room has members, and a member has a connection that said hello (a join needs one).
    rooms[name] = [...new Set(room.members.map((member) => state.conns[member]!.user!))].sort();
  }
  return rooms;
}

/** Tell the other servers who is online here, and update our own entry. */
function beat(work: Work, at: number): void {
  const { state } = work;
  const rooms = localRooms(state);
  state.presence = observe(state.presence, { server: state.config.id, rooms }, at);
  state.lastBeatAt = at;
  work.effects.bus.push({ op: 'beat', beat: { server: state.config.id, rooms } });
  tellPresence(work);
}

/** Send each room's members the online list if it changed since they were last told. */
function tellPresence(work: Work): void {
  const { state } = work;
  for (const [name, room] of Object.entries(state.rooms)) {
    const now = online(state.presence, name);
    if (now.join('\n') === (state.told[name] ?? []).join('\n')) continue;
    state.told[name] = now;
    for (const member of [...room.members]) {
      work.told.add(`${member} ${name}`);
      send(work, member, { type: 'presence', room: name, online: now });
    }
  }
  for (const name of Object.keys(state.told)) if (state.rooms[name] === undefined) delete state.told[name];
}

function onTick(work: Work, at: number): void {
  const { state } = work;
  for (const [id, conn] of Object.entries(state.conns)) {
    if (at - conn.lastHeard >= state.config.clientTimeoutMs) {
      close(work, id, CLOSE.timeout, `nothing heard for ${state.config.clientTimeoutMs} ms: send a ping now and then`);
    }
  }
  retryReads(work);
  state.presence = expire(state.presence, at, state.config.presenceTimeoutMs, state.config.id);
  tellPresence(work); // tells only the rooms whose online list changed
  if (state.lastBeatAt === null || at - state.lastBeatAt >= state.config.beatMs) work.changed = true;
}
// #endregion presence

// #region send
/** Every frame to a client goes through its bounded queue; a client too slow to take them is dropped. */
function send(work: Work, id: string, frame: ServerFrame): void {
  const conn = work.state.conns[id];
  if (conn === undefined) return;
  const offered = offer(conn.queue, work.state.config.limits.maxQueuedFrames);
  conn.queue = offered.queue;
  if (offered.action === 'send') {
    work.effects.sends.push({ conn: id, frame });
  } else if (offered.action === 'drop') {
    close(work, id, CLOSE.slowConsumer, 'slow consumer: reconnect and join with your last seq to resume');
  }
}
// #endregion send
