// How time passes and how frames travel. The agenda is the simulation's clock: a sorted list of things due at
// future moments, and nothing else moves time. The network is made of links (types.ts LINKS), each with a
// seeded delay range, a loss percentage and a cut switch.
//
// A WebSocket runs over TCP, which hides lost packets by sending them again: frames on one connection arrive
// in order, or the connection breaks. So here a frame is never silently lost on a connection: a loss (the
// link's drop percentage) or a cut BREAKS the connection it was on, both ends learn that it closed, and the
// client reconnects and resumes. The one exception is the servers' direct line without the sequencer
// (servers.ts): a fire-and-forget forward that is simply lost.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { insertInOrder } from '../../shared/agenda.ts';
import type { Conn, Due, LinkName, Scheduled, TimelineEvent, World } from './types.ts';

// #region agenda
export function schedule(world: World, at: number, due: Due, phase: 0 | 1 = 0, frame?: Scheduled['frame']): void {
  const item: Scheduled = { at, phase, seq: world.nextSeq++, due };
  if (frame !== undefined) item.frame = frame;
  insertInOrder(world.agenda, item);
}
// #endregion agenda

export function emit(world: World, who: string, kind: string, text: string): void {
  world.events.push({ at: world.now, who, kind, text } satisfies TimelineEvent);
}

/** A whole number from lo to hi, both included, from the given generator. */
export function draw(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

/** How long one frame takes over `link` now. */
export function delayOf(world: World, link: LinkName): number {
  const [lo, hi] = world.links[link].delay;
  return draw(world.random, lo, hi);
}

/** Does this frame get lost (by chance, or the link is cut)? */
export function lostOn(world: World, link: LinkName): boolean {
  const settings = world.links[link];
  if (settings.cut) return true;
  if (settings.drop > 0 && world.random() * 100 < settings.drop) {
    world.stats.dropped += 1;
    return true;
  }
  return false;
}

// #region connections
/** The link a client's connection crosses: the client's own network. */
export const linkOf = (conn: Conn): LinkName => conn.client as LinkName;

/** Short label of a frame for the drawing: its type, and the seq or room when it has one. */
function labelOf(data: string): string {
  try {
    const f = JSON.parse(data) as { type?: string; seq?: number; room?: string; id?: number };
    return [f.type, f.seq ?? f.id].filter((x) => x !== undefined).join(' ');
  } catch {
    return 'frame';
  }
}

/** A frame from a client to its server. A loss breaks the connection. */
export function toServer(world: World, conn: Conn, data: string): void {
  if (!conn.open) return;
  world.stats.frames += 1;
  if (lostOn(world, linkOf(conn))) return breakConn(world, conn, 1006, world.links[linkOf(conn)].cut ? 'the link was cut' : 'a frame was lost and the connection broke');
  const at = Math.max(world.now + delayOf(world, linkOf(conn)), conn.lastToServer);
  conn.lastToServer = at;
  schedule(world, at, { type: 'to-server', conn: conn.id, data }, 0, { id: world.nextFrame++, link: linkOf(conn), from: conn.client, to: conn.server, sentAt: world.now, label: labelOf(data) });
}

/** A frame from a server to a client. A loss breaks the connection. */
export function toClient(world: World, conn: Conn, frame: string): void {
  if (!conn.open) return;
  world.stats.frames += 1;
  if (lostOn(world, linkOf(conn))) return breakConn(world, conn, 1006, world.links[linkOf(conn)].cut ? 'the link was cut' : 'a frame was lost and the connection broke');
  const at = Math.max(world.now + delayOf(world, linkOf(conn)), conn.lastToClient);
  conn.lastToClient = at;
  schedule(world, at, { type: 'to-client', conn: conn.id, frame }, 0, { id: world.nextFrame++, link: linkOf(conn), from: conn.server, to: conn.client, sentAt: world.now, label: labelOf(frame) });
}

/**
 * The connection breaks: nothing more crosses it, and each end learns it closed one link delay later (the
 * server's end only if `serverToo`: a killed server has no end left).
 */
export function breakConn(world: World, conn: Conn, code: number, reason: string, serverToo = true): void {
  if (!conn.open) return;
  conn.open = false;
  const [lo, hi] = world.links[linkOf(conn)].delay;
  schedule(world, world.now + draw(world.random, lo, hi), { type: 'conn-closed', conn: conn.id, side: 'client', code, reason });
  if (serverToo) schedule(world, world.now + draw(world.random, lo, hi), { type: 'conn-closed', conn: conn.id, side: 'server', code, reason });
}
// #endregion connections
