// Part III's chat as a seeded simulation: the bus (running the REAL sequencer, ../core/sequencer.ts), two chat
// servers (each running the REAL server core, ../core/server.ts), and four clients (each running the REAL
// client core, ../core/receiver.ts), joined by links that delay frames, lose them, and can be cut; a server can
// be killed and restarted. The learner (or a script) sends messages from any client, changes links, kills
// servers, and sees what each client shows. One more mode, for the lesson only: without the sequencer
// (servers.ts, the direct relay), where each server stamps messages by its own clock.
//
// Nothing here knows the chat's rules (who gets which message, when a client is caught up, what a resend
// becomes): the cores decide, as in the Node servers (../node/). The simulation adds only what those add: a
// clock per server, sockets, the bus connection, and clients that reconnect.
//
// The API (used by `npm run sim:chat`, by tests/chat/sim*.test.ts and by the browser example):
//   const world = createWorld({ seed: 7, sequencer: true, script });
//   advance(world, 5_000);                    // run 5 simulated seconds
//   act(world, { do: 'kill', server: 's1' }); act(world, { do: 'cut', link: 'c2' }); ...
//   view(world)      -> servers, links, each client's screen (lines per room, presence, connection state)
//   orders(world)    -> per room, the order each client shows, and whether all clients agree (checks.ts)
//   timeline(world)  -> one short line per notable event (formatEvent prints it)
//   scriptOf(world)  -> the script that replays this run with the same seed (live actions included)
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { mulberry32 } from '../../shared/random.ts';
import { emptySequencer } from '../core/sequencer.ts';
import { emptyOutbox, emptyReceiver } from '../core/receiver.ts';
import { atClient, chatter, clientSend, closed, connect, connectTimeout, opened, ping, resend } from './clients.ts';
import { draw, emit, schedule } from './network.ts';
import { atBus, atRelay, atServer, atServerFromBus, bootServer, busConnect, busDown, busLink, clockOf, killServer, run, tick } from './servers.ts';
import type { Action } from './script.ts';
import {
  CHATTER_MS, CLIENTS, DEFAULT_LINKS, LINKS, SERVERS,
  type ClientView, type LinkName, type ServerName, type SimOptions, type TimelineEvent, type World, type WorldView,
} from './types.ts';

export { encodeScript, linkToRun, parseScript, MAX_TEXT, type Action } from './script.ts';
export { agreement, orders, problems, type RoomOrders } from './checks.ts';
export { CLIENTS, LINKS, ROOMS, SERVERS, type ClientView, type LinkName, type LinkSettings, type ServerName, type ShownLine, type SimOptions, type TimelineEvent, type World, type WorldView } from './types.ts';

/** An action without its time, for act(). */
export type LiveAction = Action extends infer A ? (A extends Action ? Omit<A, 'at'> : never) : never;

// #region create
export function createWorld(options: SimOptions): World {
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new Error(`the seed must be a whole number of at least 0, not ${options.seed}`);
  const script = [...(options.script ?? [])].sort((a, b) => a.at - b.at); // stable: equal times keep their order
  const world: World = {
    seed: options.seed,
    now: 0,
    sequencer: options.sequencer ?? true,
    chatterUntil: options.chatterUntil ?? Number.MAX_SAFE_INTEGER,
    random: mulberry32(options.seed),
    chatRandom: mulberry32((options.seed ^ 0x5bd1e995) >>> 0),
    bus: emptySequencer(),
    servers: {} as World['servers'],
    clients: {},
    links: Object.fromEntries(LINKS.map((l) => [l, { ...DEFAULT_LINKS[l], delay: [...DEFAULT_LINKS[l].delay] }])) as World['links'],
    conns: {},
    agenda: [],
    nextSeq: 1,
    nextFrame: 1,
    nextRid: 1,
    events: [],
    script,
    stats: { frames: 0, dropped: 0, appended: 0, duplicates: 0, reconnects: 0 },
  };
  for (const name of SERVERS) {
    world.servers[name] = { name, up: false, boot: 0, core: null, busUp: false, busEpoch: 0, pending: [], lastToBus: 0, lastFromBus: 0 };
    bootServer(world, world.servers[name]);
  }
  for (const c of CLIENTS) {
    world.clients[c.id] = {
      id: c.id, user: c.user, home: c.home, rooms: [...c.rooms], receiver: emptyReceiver(), outbox: emptyOutbox(),
      state: 'connecting', conn: null, attempts: 0, next: c.home, connects: 0,
      shown: Object.fromEntries(c.rooms.map((r) => [r, []])), online: {}, caughtUp: {}, confirmed: {}, sentCount: 0,
    };
    schedule(world, draw(world.random, 0, 50), { type: 'connect', client: c.id, token: 0 });
    if (world.chatterUntil > 0) schedule(world, draw(world.chatRandom, CHATTER_MS[0], CHATTER_MS[1]), { type: 'chatter', client: c.id });
  }
  for (const action of script) schedule(world, action.at, { type: 'action', action }, 1);
  return world;
}
// #endregion create

// #region run
/** Runs everything due up to and including time t (whole ms); afterwards world.now === t (never backwards). */
export function runUntil(world: World, t: number): TimelineEvent[] {
  const until = Math.floor(t);
  const start = world.events.length;
  while (world.agenda.length > 0 && world.agenda[0]!.at <= until) processNext(world);
  world.now = Math.max(world.now, until);
  return world.events.slice(start);
}

export function advance(world: World, ms: number): TimelineEvent[] {
  return runUntil(world, world.now + ms);
}

/**
 * A live action at world.now: first what is due at now runs, then the action, which joins the script (after
 * every action at or before now) so that replaying scriptOf(world) meets it at the same point.
 */
export function act(world: World, action: LiveAction): TimelineEvent[] {
  const start = world.events.length;
  runUntil(world, world.now);
  const timed = { ...action, at: world.now } as Action;
  const place = world.script.findIndex((a) => a.at > timed.at);
  world.script.splice(place === -1 ? world.script.length : place, 0, timed);
  perform(world, timed);
  return world.events.slice(start);
}

function processNext(world: World): void {
  const item = world.agenda.shift()!;
  world.now = item.at;
  const due = item.due;
  switch (due.type) {
    case 'to-server': {
      const conn = world.conns[due.conn];
      if (conn?.open) atServer(world, conn, due.data);
      return;
    }
    case 'to-client': {
      const conn = world.conns[due.conn];
      if (conn?.open) atClient(world, conn, due.frame);
      return;
    }
    case 'conn-open':
      return opened(world, world.conns[due.conn]!);
    case 'conn-closed': {
      const conn = world.conns[due.conn]!;
      if (due.side === 'client') return closed(world, world.clients[conn.client]!, conn.id, due.code, due.reason);
      const server = world.servers[conn.server];
      if (server.up && server.boot === conn.boot) run(world, server, { kind: 'closed', conn: conn.id, at: clockOf(world, server.name) });
      return;
    }
    case 'connect': {
      const client = world.clients[due.client]!;
      if (client.conn === null && due.token === client.connects) connect(world, client);
      return;
    }
    case 'connect-timeout':
      return connectTimeout(world, world.clients[due.client]!, due.conn);
    case 'to-bus':
      return atBus(world, due.server, due.epoch, due.boot, due.frame);
    case 'from-bus':
      return atServerFromBus(world, due.server, due.epoch, due.boot, due.frame);
    case 'bus-connect':
      return busConnect(world, due.server, due.boot);
    case 'relay':
      return atRelay(world, due.to, due.boot, due.message);
    case 'tick':
      return tick(world, due.server, due.boot);
    case 'ping':
      return ping(world, world.clients[due.client]!, due.conn);
    case 'chatter':
      return chatter(world, world.clients[due.client]!);
    case 'resend':
      return resend(world, world.clients[due.client]!, due.conn, due.id);
    case 'action':
      return perform(world, due.action);
  }
}
// #endregion run

// #region actions
function perform(world: World, action: Action): void {
  const you = (kind: string, text: string): void => emit(world, 'you', kind, text);
  switch (action.do) {
    case 'send': {
      const client = world.clients[action.client]!;
      you('send', `${client.user} (${client.id}) sends "${action.text}" to ${action.room}${client.conn?.open ? '' : ' (not connected: it waits in the outbox)'}`);
      return clientSend(world, client, action.room, action.text);
    }
    case 'cut': {
      const link = world.links[action.link];
      if (link.cut) return you('ignored', `cut ${action.link}: it is cut already`);
      link.cut = true;
      you('cut', `the link ${describeLink(action.link)} is cut: nothing crosses it`);
      breakLink(world, action.link);
      return;
    }
    case 'heal': {
      const link = world.links[action.link];
      if (!link.cut) return you('ignored', `heal ${action.link}: it is not cut`);
      link.cut = false;
      return you('heal', `the link ${describeLink(action.link)} works again`);
    }
    case 'delay':
      world.links[action.link].delay = [action.delay[0], action.delay[1]];
      return you('delay', `the link ${describeLink(action.link)} now takes ${action.delay[0]}-${action.delay[1]} ms each way`);
    case 'drop':
      world.links[action.link].drop = action.drop;
      return you('drop', `the link ${describeLink(action.link)} now loses ${action.drop}% of frames${action.link === 's1-s2' ? '' : ' (each loss breaks the connection)'}`);
    case 'kill': {
      const server = world.servers[action.server];
      if (!server.up) return you('ignored', `kill ${action.server}: it is down already`);
      you('kill', `${action.server} is killed: its clients' sockets close`);
      return killServer(world, server);
    }
    case 'restart': {
      const server = world.servers[action.server];
      if (server.up) return you('ignored', `restart ${action.server}: it is running`);
      you('restart', `${action.server} restarts (empty memory; the history is in the bus)`);
      return bootServer(world, server);
    }
  }
}

/** A cut breaks every connection that crosses the link. */
function breakLink(world: World, link: LinkName): void {
  if (link === 's1-s2') return; // forwards are lost on arrival of the next (lostOn), there is no connection
  if (link === 's1-bus' || link === 's2-bus') {
    const name: ServerName = link === 's1-bus' ? 's1' : 's2';
    const server = world.servers[name];
    if (server.up) busDown(world, server, `its link to the bus was cut`);
    return;
  }
  const conn = world.clients[link]?.conn;
  if (conn?.open) {
    conn.open = false;
    // Neither end is told: each finds out by its own timeout. The client misses its pong within a second;
    // the server only when the core's heartbeat check closes the silent connection (clientTimeoutMs), so
    // the client stays in presence until then: the timeout for clients that vanish, at work.
    schedule(world, world.now + 1000, { type: 'conn-closed', conn: conn.id, side: 'client', code: 1006, reason: 'no answer to its ping: the link is cut' });
  }
}

export function describeLink(link: LinkName): string {
  if (link === 's1-bus' || link === 's2-bus') return `${link.slice(0, 2)} ↔ bus`;
  if (link === 's1-s2') return 's1 ↔ s2';
  const client = CLIENTS.find((c) => c.id === link)!;
  return `of ${client.user} (${link})`;
}
// #endregion actions

// #region view
export function view(world: World): WorldView {
  return {
    now: world.now,
    seed: world.seed,
    sequencer: world.sequencer,
    servers: SERVERS.map((name) => {
      const s = world.servers[name];
      return {
        name, up: s.up, busUp: s.busUp, clock: clockOf(world, name),
        clients: Object.values(world.clients).filter((c) => c.conn?.open && c.conn.server === name).map((c) => c.id),
      };
    }),
    links: Object.fromEntries(LINKS.map((l) => [l, { ...world.links[l], delay: [...world.links[l].delay] }])) as WorldView['links'],
    clients: Object.values(world.clients).map((c): ClientView => ({
      id: c.id, user: c.user, state: c.state, server: c.conn?.open ? c.conn.server : null, pending: c.outbox.pending.length,
      rooms: Object.fromEntries(c.rooms.map((r) => [r, { lines: (c.shown[r] ?? []).map((l) => ({ ...l })), online: [...(c.online[r] ?? [])], caughtUp: c.caughtUp[r] ?? false }])),
    })),
    frames: world.agenda.filter((s) => s.frame !== undefined && live(world, s)).map((s) => ({ ...s.frame!, deliverAt: s.at })),
    stats: { ...world.stats },
  };
}

/** A frame still on its way (not on a connection that broke). */
function live(world: World, s: World['agenda'][number]): boolean {
  const due = s.due;
  if (due.type === 'to-server' || due.type === 'to-client') return world.conns[due.conn]?.open === true;
  if (due.type === 'to-bus' || due.type === 'from-bus') return world.servers[due.server].busEpoch === due.epoch && world.servers[due.server].boot === due.boot;
  return true;
}

export function timeline(world: World): TimelineEvent[] {
  return [...world.events];
}

export function scriptOf(world: World): Action[] {
  return world.script.map((a) => (a.do === 'delay' ? { ...a, delay: [a.delay[0], a.delay[1]] } : { ...a }));
}

/** One line per event, the same in the CLI and in the browser:  "   2.345s  s1     s1 lost the bus ..." */
export function formatEvent(e: TimelineEvent): string {
  return `${(e.at / 1000).toFixed(3).padStart(8)}s  ${e.who.padEnd(7)}  ${e.text}`;
}

/** A server's clock reading as a time of day, "12:00:01.234" (stamps without the sequencer). */
export function formatStamp(ms: number): string {
  const t = Math.max(0, Math.floor(ms));
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(Math.floor(t / 3_600_000) % 24)}:${pad(Math.floor(t / 60_000) % 60)}:${pad(Math.floor(t / 1000) % 60)}.${pad(t % 1000, 3)}`;
}
// #endregion view

export { busLink };
