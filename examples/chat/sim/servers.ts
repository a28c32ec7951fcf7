// The two chat servers and the bus, as the simulation runs them. Each chat server runs the REAL core
// (../core/server.ts step) and the bus runs the REAL sequencer (../core/sequencer.ts); this file only does what
// the Node adapters do around them: carry frames to clients, carry bus requests and their answers over the
// server's bus connection, turn a broken bus connection into failed requests and, once it is back, `bus-up`,
// give each server a clock (its own, skewed), and tick it.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { append, read } from '../core/sequencer.ts';
import { initialState, step } from '../core/server.ts';
import { defaultConfig, type ChatMessage, type ClientFrame, type Draft, type ServerEffects, type ServerInput } from '../core/types.ts';
import { breakConn, delayOf, emit, lostOn, schedule, toClient } from './network.ts';
import {
  BEAT_MS, BUS_RETRY_MS, CLOCK_SKEW, PRESENCE_TIMEOUT_MS, SERVERS, TICK_MS,
  type BusFrame, type BusReply, type Conn, type ServerName, type SimServer, type StampedFrame, type World,
} from './types.ts';

/** A server's own clock: true time plus its skew, from noon (so a stamp reads like a time of day). */
export const NOON = 12 * 3600 * 1000;
export function clockOf(world: World, server: ServerName): number {
  return NOON + world.now + CLOCK_SKEW[server];
}

export const otherServer = (name: ServerName): ServerName => (name === 's1' ? 's2' : 's1');

// #region lifecycle
export function bootServer(world: World, server: SimServer): void {
  server.up = true;
  server.boot += 1;
  server.core = initialState({ ...defaultConfig, id: server.name, beatMs: BEAT_MS, presenceTimeoutMs: PRESENCE_TIMEOUT_MS });
  server.busUp = false;
  server.pending = [];
  schedule(world, world.now + delayOf(world, busLink(server.name)), { type: 'bus-connect', server: server.name, boot: server.boot });
  schedule(world, world.now + TICK_MS, { type: 'tick', server: server.name, boot: server.boot });
}

/** The process dies: its memory is gone, every socket it had closes (its clients see it at once), its bus connection too. */
export function killServer(world: World, server: SimServer): void {
  server.up = false;
  server.boot += 1;
  server.core = null;
  server.busUp = false;
  server.busEpoch += 1;
  server.pending = [];
  for (const conn of Object.values(world.conns)) {
    if (conn.server === server.name && conn.open) breakConn(world, conn, 1006, `${server.name} went away`, false);
  }
}

export function tick(world: World, name: ServerName, boot: number): void {
  const server = world.servers[name];
  if (!server.up || server.boot !== boot) return;
  run(world, server, { kind: 'tick', at: clockOf(world, name) });
  schedule(world, world.now + TICK_MS, { type: 'tick', server: name, boot });
}
// #endregion lifecycle

// #region core
/** Feed the core one input and carry out what it asks. */
export function run(world: World, server: SimServer, input: ServerInput): void {
  if (!server.up || server.core === null) return;
  carryOut(world, server, step(server.core, input));
}

function carryOut(world: World, server: SimServer, effects: ServerEffects): void {
  const flushed: Record<string, number> = {};
  for (const { conn: id, frame } of effects.sends) {
    const conn = world.conns[id];
    if (conn === undefined) continue;
    toClient(world, conn, JSON.stringify(frame));
    flushed[id] = (flushed[id] ?? 0) + 1; // the simulated socket takes every frame at once
  }
  for (const { conn: id, code, reason } of effects.closes) {
    const conn = world.conns[id];
    if (conn === undefined || !conn.open) continue;
    emit(world, server.name, 'close', `${server.name} closes ${conn.client}'s connection (${code}: ${reason})`);
    breakConn(world, conn, code, reason, false);
  }
  for (const request of effects.bus) {
    if (request.op === 'beat') {
      if (server.busUp) toBus(world, server, { type: 'beat', beat: request.beat });
    } else if (request.op === 'append') {
      if (!server.busUp) run(world, server, { kind: 'append-failed', conn: request.conn, draft: request.draft, reason: 'the bus is unavailable' });
      else {
        const rid = world.nextRid++;
        server.pending.push({ rid, request: 'append', conn: request.conn, draft: request.draft });
        toBus(world, server, { type: 'append', rid, draft: request.draft });
      }
    } else if (!server.busUp) {
      run(world, server, { kind: 'read-failed', room: request.room, after: request.after, reason: 'the bus is unavailable' });
    } else {
      const rid = world.nextRid++;
      server.pending.push({ rid, request: 'read', room: request.room, after: request.after });
      toBus(world, server, { type: 'read', rid, room: request.room, after: request.after, limit: request.limit });
    }
  }
  for (const [id, count] of Object.entries(flushed)) {
    if (server.core?.conns[id] !== undefined) step(server.core, { kind: 'flushed', conn: id, count });
  }
}
// #endregion core

// #region bus
export const busLink = (name: ServerName): 's1-bus' | 's2-bus' => (name === 's1' ? 's1-bus' : 's2-bus');

function toBus(world: World, server: SimServer, frame: BusFrame): void {
  world.stats.frames += 1;
  if (lostOn(world, busLink(server.name))) return busDown(world, server, world.links[busLink(server.name)].cut ? 'its link to the bus was cut' : 'a frame was lost and the connection broke');
  const at = Math.max(world.now + delayOf(world, busLink(server.name)), server.lastToBus);
  server.lastToBus = at;
  schedule(world, at, { type: 'to-bus', server: server.name, epoch: server.busEpoch, boot: server.boot, frame }, 0, {
    id: world.nextFrame++, link: busLink(server.name), from: server.name, to: 'bus', sentAt: world.now, label: frame.type,
  });
}

function fromBus(world: World, name: ServerName, reply: BusReply): void {
  const server = world.servers[name];
  if (!server.up || !server.busUp) return; // published while it was not connected: missed (at-most-once)
  world.stats.frames += 1;
  if (lostOn(world, busLink(name))) return busDown(world, server, world.links[busLink(name)].cut ? 'its link to the bus was cut' : 'a frame was lost and the connection broke');
  const at = Math.max(world.now + delayOf(world, busLink(name)), server.lastFromBus);
  server.lastFromBus = at;
  const label = reply.type === 'message' ? `message ${reply.message.seq}` : reply.type === 'appended' ? `appended ${reply.message.seq}` : reply.type;
  schedule(world, at, { type: 'from-bus', server: name, epoch: server.busEpoch, boot: server.boot, frame: reply }, 0, {
    id: world.nextFrame++, link: busLink(name), from: 'bus', to: name, sentAt: world.now, label,
  });
}

/**
 * The server's bus connection broke: requests on their way fail at once (an append may or may not have been
 * done: the client sends it again with the same id, and the sequencer recognises it), and it reconnects.
 */
export function busDown(world: World, server: SimServer, reason: string): void {
  if (!server.busUp) return;
  server.busUp = false;
  server.busEpoch += 1;
  emit(world, server.name, 'bus-down', `${server.name} lost the bus: ${reason}`);
  const pending = server.pending;
  server.pending = [];
  for (const p of pending) {
    if (p.request === 'append') run(world, server, { kind: 'append-failed', conn: p.conn!, draft: p.draft!, reason: 'the bus connection broke' });
    else run(world, server, { kind: 'read-failed', room: p.room!, after: p.after!, reason: 'the bus connection broke' });
  }
  schedule(world, world.now + BUS_RETRY_MS, { type: 'bus-connect', server: server.name, boot: server.boot });
}

export function busConnect(world: World, name: ServerName, boot: number): void {
  const server = world.servers[name];
  if (!server.up || server.boot !== boot || server.busUp) return;
  if (world.links[busLink(name)].cut) {
    schedule(world, world.now + BUS_RETRY_MS, { type: 'bus-connect', server: name, boot });
    return;
  }
  server.busUp = true;
  server.busEpoch += 1;
  emit(world, name, 'bus-up', `${name} is connected to the bus`);
  run(world, server, { kind: 'bus-up', at: clockOf(world, name) });
}

/** A frame reaches the bus: the sequencer numbers, reads, and publishes. */
export function atBus(world: World, name: ServerName, epoch: number, boot: number, frame: BusFrame): void {
  const server = world.servers[name];
  if (server.boot !== boot || server.busEpoch !== epoch || !server.busUp) return; // the connection it came on is gone
  if (frame.type === 'append') {
    const done = append(world.bus, frame.draft);
    world.bus = done.state;
    if (done.duplicate) world.stats.duplicates += 1;
    else world.stats.appended += 1;
    fromBus(world, name, { type: 'appended', rid: frame.rid, message: done.message, duplicate: done.duplicate });
    if (!done.duplicate) for (const s of SERVERS) fromBus(world, s, { type: 'message', message: done.message });
  } else if (frame.type === 'read') {
    fromBus(world, name, { type: 'page', rid: frame.rid, page: read(world.bus, frame.room, frame.after, frame.limit) });
  } else {
    for (const s of SERVERS) if (s !== name) fromBus(world, s, { type: 'beat', beat: frame.beat });
  }
}

/** A frame from the bus reaches a server. */
export function atServerFromBus(world: World, name: ServerName, epoch: number, boot: number, reply: BusReply): void {
  const server = world.servers[name];
  if (!server.up || server.boot !== boot || server.busEpoch !== epoch) return;
  if (reply.type === 'message') return run(world, server, { kind: 'bus-message', message: reply.message });
  if (reply.type === 'beat') return run(world, server, { kind: 'beat', beat: reply.beat, at: clockOf(world, name) });
  const i = server.pending.findIndex((p) => p.rid === reply.rid);
  if (i === -1) return;
  const [p] = server.pending.splice(i, 1);
  if (reply.type === 'appended') run(world, server, { kind: 'appended', conn: p!.conn!, message: reply.message, duplicate: reply.duplicate });
  else run(world, server, { kind: 'history', after: p!.after!, page: reply.page });
}
// #endregion bus

// #region frames-in
/** A client's frame reaches its server. */
export function atServer(world: World, conn: Conn, data: string): void {
  const server = world.servers[conn.server];
  if (!server.up || server.boot !== conn.boot) return;
  if (!world.sequencer && relay(world, server, conn, data)) return;
  run(world, server, { kind: 'frame', conn: conn.id, data, at: clockOf(world, server.name) });
}
// #endregion frames-in

// #region no-sequencer
// SIM ONLY: the world WITHOUT the sequencer, for the lesson "why wall clocks cannot order messages". This is
// not how the chat system works (the core always appends to the bus); it is what it would do without a bus:
// each server stamps a message by ITS OWN clock (s2's runs 300 ms behind s1's, types.ts CLOCK_SKEW) and gives
// it to its own clients, and forwards it straight to the other server, which stamps it by its own clock when
// it arrives and gives it to its clients. Each client orders a room by the stamps its server gave (see
// clients.ts). Two messages sent about the same time on the two servers reach each server in a different
// order, so the clients of s1 and the clients of s2 show the room in different orders, and nothing repairs it.
// A forward lost on the way (the s1-s2 line cut or lossy, the other server down) is lost for good: without
// the bus there is no history to resume from, and no dedupe, so a resend after a reconnect shows twice.
// Everything else (hello, join, presence, pings, closes) still goes through the real core.

/** Handles a client's `send` without the sequencer. False: not a send it can take, the core answers it. */
function relay(world: World, server: SimServer, conn: Conn, data: string): boolean {
  let frame: ClientFrame;
  try {
    frame = JSON.parse(data) as ClientFrame;
  } catch {
    return false;
  }
  const member = server.core?.conns[conn.id];
  if (frame.type !== 'send' || member?.user == null || member.rooms[frame.room] === undefined) return false;
  const draft: Draft = { room: frame.room, from: member.user, text: frame.text, clientId: member.clientId!, id: frame.id };
  const stamp = clockOf(world, server.name);
  run(world, server, { kind: 'frame', conn: conn.id, data: '{"type":"ping"}', at: stamp }); // it was heard from
  toClient(world, conn, JSON.stringify({ type: 'relayed', room: draft.room, id: draft.id, stamp }));
  deliverStamped(world, server, draft, stamp);
  const other = otherServer(server.name);
  world.stats.frames += 1;
  if (lostOn(world, 's1-s2')) {
    emit(world, 'network', 'relay-lost', `${server.name} → ${other}: the forward of ${draft.from}'s "${draft.text}" was lost`);
  } else {
    schedule(world, world.now + delayOf(world, 's1-s2'), { type: 'relay', to: other, boot: world.servers[other].boot, message: draft }, 0, {
      id: world.nextFrame++, link: 's1-s2', from: server.name, to: other, sentAt: world.now, label: 'forward',
    });
  }
  return true;
}

/** A forwarded message reaches the other server: it stamps it by its own clock and gives it to its clients. */
export function atRelay(world: World, to: ServerName, boot: number, draft: Draft): void {
  const server = world.servers[to];
  if (!server.up || server.boot !== boot) return; // nobody there: lost for good
  deliverStamped(world, server, draft, clockOf(world, to));
}

function deliverStamped(world: World, server: SimServer, draft: Draft, stamp: number): void {
  const frame: StampedFrame = { type: 'stamped', ...draft, stamp, by: server.name };
  for (const id of server.core?.rooms[draft.room]?.members ?? []) {
    const conn = world.conns[id];
    if (conn !== undefined) toClient(world, conn, JSON.stringify(frame));
  }
}
// #endregion no-sequencer

export type { ChatMessage };
