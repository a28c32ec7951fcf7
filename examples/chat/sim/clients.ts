// The simulated chat clients. Each runs the REAL client core (../core/receiver.ts: the receiver that shows a
// room's messages exactly once, in seq order, and the outbox that keeps unconfirmed sends) and does what a
// browser client does around it: connect (to its home server first), say hello, join its rooms with the last
// seq it showed, send again what the server has not confirmed, ping, and after a close reconnect with a
// growing, jittered backoff, to the other server first.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { accept, acceptGap, caughtUp, confirmed, joinFrame, queueSend, resendAll, type Received } from '../core/receiver.ts';
import type { ClientFrame, ServerFrame } from '../core/types.ts';
import { delayOf, draw, emit, schedule, toServer } from './network.ts';
import { clockOf, otherServer, run } from './servers.ts';
import {
  BACKOFF_BASE_MS, BACKOFF_MAX_MS, CHATTER_MS, CONNECT_TIMEOUT_MS, PING_MS, RESEND_MS,
  type Conn, type LinkName, type ShownLine, type SimClient, type StampedFrame, type World,
} from './types.ts';

// #region connect
/** Try to open a connection to `client.next`. */
export function connect(world: World, client: SimClient): void {
  if (client.conn !== null) return;
  const server = world.servers[client.next];
  client.connects += 1;
  const conn: Conn = {
    id: `${client.id}#${client.connects}`, client: client.id, server: server.name, boot: server.boot,
    open: false, lastToServer: 0, lastToClient: 0,
  };
  world.conns[conn.id] = conn;
  client.conn = conn;
  const link = client.id as LinkName;
  if (world.links[link].cut) {
    schedule(world, world.now + CONNECT_TIMEOUT_MS, { type: 'connect-timeout', client: client.id, conn: conn.id });
  } else if (!server.up) {
    // Connection refused: the machine answers, nothing listens.
    schedule(world, world.now + 2 * delayOf(world, link), { type: 'conn-closed', conn: conn.id, side: 'client', code: 1006, reason: `${server.name} refused the connection` });
  } else {
    schedule(world, world.now + 2 * delayOf(world, link), { type: 'conn-open', conn: conn.id });
  }
}

/** The WebSocket handshake is done: the server core has a new connection; hello, joins, resends. */
export function opened(world: World, conn: Conn): void {
  const client = world.clients[conn.client]!;
  const server = world.servers[conn.server];
  if (client.conn?.id !== conn.id) return;
  if (!server.up || server.boot !== conn.boot || world.links[conn.client as LinkName].cut) {
    client.conn = null;
    return retryLater(world, client, `${conn.server} did not answer`);
  }
  conn.open = true;
  run(world, server, { kind: 'open', conn: conn.id, at: clockOf(world, server.name) });
  emit(world, client.id, 'connected', `${client.user} (${client.id}) connected to ${conn.server}; joins ${client.rooms.map((r) => `${r} after ${client.receiver.rooms[r]?.last ?? 0}`).join(', ')}`);
  say(world, conn, { type: 'hello', user: client.user, clientId: client.id });
  for (const room of client.rooms) {
    client.caughtUp[room] = false;
    say(world, conn, joinFrame(client.receiver, room));
  }
  for (const frame of resendAll(client.outbox)) say(world, conn, frame);
  schedule(world, world.now + PING_MS, { type: 'ping', client: client.id, conn: conn.id });
}

export function connectTimeout(world: World, client: SimClient, connId: string): void {
  if (client.conn?.id !== connId || client.conn.open) return;
  client.conn = null;
  retryLater(world, client, `no answer from ${world.conns[connId]!.server} (the link is cut)`);
}

/** This end learned that its connection closed. */
export function closed(world: World, client: SimClient, connId: string, code: number, reason: string): void {
  if (client.conn?.id !== connId) return;
  client.conn.open = false;
  client.conn = null;
  retryLater(world, client, `${code}: ${reason}`);
}

function retryLater(world: World, client: SimClient, why: string): void {
  const was = client.state;
  client.state = 'reconnecting';
  client.attempts += 1;
  world.stats.reconnects += 1;
  // The other server first (this one just failed), then back and forth.
  client.next = otherServer(client.next);
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(client.attempts - 1, 8));
  const wait = base + draw(world.random, 0, Math.floor(base / 2));
  if (was !== 'reconnecting' || client.attempts <= 1) {
    emit(world, client.id, 'disconnected', `${client.user} (${client.id}) lost its connection (${why}); tries ${client.next} in ${wait} ms`);
  }
  schedule(world, world.now + wait, { type: 'connect', client: client.id, token: client.connects });
}

export function ping(world: World, client: SimClient, connId: string): void {
  if (client.conn?.id !== connId || !client.conn.open) return;
  say(world, client.conn, { type: 'ping' });
  schedule(world, world.now + PING_MS, { type: 'ping', client: client.id, conn: connId });
}

function say(world: World, conn: Conn, frame: ClientFrame): void {
  toServer(world, conn, JSON.stringify(frame));
}
// #endregion connect

// #region send
/** The client sends a message: the outbox gives it the next id and keeps it until the server confirms it. */
export function clientSend(world: World, client: SimClient, room: string, text: string): void {
  const queued = queueSend(client.outbox, room, text);
  client.outbox = queued.outbox;
  client.sentCount += 1;
  if (client.conn?.open) say(world, client.conn, queued.frame); // otherwise it goes after the next connect
}

/** The server said `unavailable` (the bus was down): try that message again, same id. */
export function resend(world: World, client: SimClient, connId: string, id: number): void {
  const entry = client.outbox.pending.find((p) => p.id === id);
  if (entry === undefined || client.conn?.id !== connId || !client.conn.open) return;
  say(world, client.conn, { type: 'send', ...entry });
}

const PHRASES = [
  'hi all', 'lunch at noon?', 'yes!', 'who is on call?', 'me', 'the build is green', 'coffee?', 'brb',
  'deploying now', 'looks good', 'which room?', 'ok', 'thanks', 'back', 'ship it', 'one sec',
];

/** A client chatting on its own: a phrase in one of its rooms, then the next after a seeded pause. */
export function chatter(world: World, client: SimClient): void {
  if (world.now >= world.chatterUntil) return;
  const room = client.rooms[draw(world.chatRandom, 0, client.rooms.length - 1)]!;
  const phrase = PHRASES[draw(world.chatRandom, 0, PHRASES.length - 1)]!;
  clientSend(world, client, room, phrase);
  schedule(world, world.now + draw(world.chatRandom, CHATTER_MS[0], CHATTER_MS[1]), { type: 'chatter', client: client.id });
}
// #endregion send

// #region frames-in
/** A frame from the server reaches the client. */
export function atClient(world: World, conn: Conn, data: string): void {
  const client = world.clients[conn.client]!;
  if (client.conn?.id !== conn.id || !conn.open) return;
  const frame = JSON.parse(data) as ServerFrame | StampedFrame | { type: 'relayed'; room: string; id: number; stamp: number };
  switch (frame.type) {
    case 'welcome':
      client.state = 'connected';
      client.attempts = 0;
      return;
    case 'message': {
      const { type: _type, ...message } = frame;
      return received(world, client, conn, message.room, accept(client.receiver, message));
    }
    case 'gap':
      return received(world, client, conn, frame.room, acceptGap(client.receiver, frame.room, frame.from, frame.to));
    case 'caught-up': {
      const r = caughtUp(client.receiver, frame.room, frame.seq);
      received(world, client, conn, frame.room, r);
      if (r.rejoin === undefined) client.caughtUp[frame.room] = true;
      if (client.rooms.every((room) => client.caughtUp[room])) {
        if (client.state !== 'caught up') emit(world, client.id, 'caught-up', `${client.user} (${client.id}) is caught up: ${client.rooms.map((room) => `${room} to ${client.receiver.rooms[room]?.last ?? 0}`).join(', ')}`);
        client.state = 'caught up';
      }
      return;
    }
    case 'sent':
      client.outbox = confirmed(client.outbox, frame.id);
      client.confirmed[String(frame.id)] = frame.seq;
      return;
    case 'presence':
      client.online[frame.room] = [...frame.online];
      return;
    case 'error':
      if (frame.code === 'unavailable' && frame.id !== undefined) {
        schedule(world, world.now + RESEND_MS, { type: 'resend', client: client.id, conn: conn.id, id: frame.id });
      } else {
        emit(world, client.id, 'error', `${client.id} got an error: ${frame.code}: ${frame.message}`);
      }
      return;
    case 'pong':
      return;
    // Without the sequencer (servers.ts, the direct relay): a stamped message, and the server's "stamped it".
    case 'stamped':
      return showStamped(client, frame);
    case 'relayed':
      client.outbox = confirmed(client.outbox, frame.id);
      client.confirmed[String(frame.id)] = frame.stamp;
      return;
  }
}

/** What the receiver core decided: show these lines, note a loss, or ask again (a join with the last seq shown). */
function received(world: World, client: SimClient, conn: Conn, room: string, r: Received): void {
  client.receiver = r.receiver;
  const lines = (client.shown[room] ??= []);
  if (r.lost) {
    lines.push({ room, key: `lost ${r.lost.from}-${r.lost.to}`, from: '', text: `messages ${r.lost.from} to ${r.lost.to} are no longer kept`, lost: r.lost });
  }
  for (const m of r.show) lines.push({ room, key: `${m.clientId}/${m.id}`, from: m.from, text: m.text, seq: m.seq });
  if (r.rejoin) {
    client.caughtUp[room] = false;
    if (client.state === 'caught up') client.state = 'connected';
    say(world, conn, r.rejoin);
  }
}

/** Without the sequencer: put the message in its place by the stamp its server gave (ties: as they came). */
function showStamped(client: SimClient, frame: StampedFrame): void {
  const lines = (client.shown[frame.room] ??= []);
  const line: ShownLine = { room: frame.room, key: `${frame.clientId}/${frame.id}`, from: frame.from, text: frame.text, stamp: frame.stamp, by: frame.by };
  let i = lines.length;
  while (i > 0 && (lines[i - 1]!.stamp ?? 0) > frame.stamp) i--;
  lines.splice(i, 0, line);
}
// #endregion frames-in

