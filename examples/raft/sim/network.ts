// The world's one seeded generator, and how messages travel. Every message gets its own delay, drawn
// independently (so later messages overtake earlier ones: reordering), is lost with the link's loss
// probability, sometimes arrives twice (duplication), and is lost if a partition separates its two ends when
// it is sent or when it arrives.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { mulberry32 } from '../../shared/random.ts';
import type { InFlight, LinkSettings, TimelineEvent, WireBody, World } from './types.ts';

// #region random
/**
 * The next number from the world's mulberry32. mulberry32 adds a constant to its state before each number, so
 * number n of mulberry32(seed) is the first number of mulberry32(seed + n * 0x6d2b79f5): the generator is two
 * plain numbers (seed and draws), which is what lets a World be copied and replayed as data.
 */
export function nextRandom(world: World): number {
  const r = mulberry32((world.random.seed + Math.imul(world.random.draws, 0x6d2b79f5)) >>> 0)();
  world.random.draws += 1;
  return r;
}
// #endregion random

/** A whole number from lo to hi, both included. */
export function draw(world: World, lo: number, hi: number): number {
  return lo + Math.floor(nextRandom(world) * (hi - lo + 1));
}

export function emit(world: World, node: string, kind: string, text: string): void {
  world.events.push({ at: world.now, node, kind, text } satisfies TimelineEvent);
}

export function linkKey(a: string, b: string): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}

/** The settings of the link between a and b: the network's, replaced field by field by the link's override. */
export function linkSettings(world: World, a: string, b: string): LinkSettings {
  return { ...world.network, ...world.links[linkKey(a, b)] };
}

// #region links
/** True when a partition separates nodes a and b. */
export function isCut(world: World, a: string, b: string): boolean {
  if (world.partition === null) return false;
  const ga = world.partition.findIndex((g) => g.includes(a));
  const gb = world.partition.findIndex((g) => g.includes(b));
  return ga === -1 || gb === -1 || ga !== gb;
}

/** Puts a Raft message on the wire between two nodes (or loses it). */
export function sendRaft(world: World, body: Extract<WireBody, { kind: 'raft' }>): void {
  const { from, to, type } = body.message;
  world.stats.sent += 1;
  world.stats.sentByType[type] = (world.stats.sentByType[type] ?? 0) + 1;
  const link = linkSettings(world, from, to);
  if (isCut(world, from, to) || nextRandom(world) < link.loss) {
    world.stats.lost += 1;
    return;
  }
  const copies = link.dup > 0 && nextRandom(world) < link.dup ? 2 : 1;
  if (copies === 2) world.stats.duplicated += 1;
  // Each copy is a copy: a real network carries bytes, so no two nodes ever share an object (a node that
  // changed an entry in place would otherwise change it on every node at once, and hide the divergence).
  for (let c = 0; c < copies; c++) put(world, from, to, type, { kind: 'raft', message: structuredClone(body.message) }, link.delay);
}

/** A client's request or a node's reply to a client. Clients sit beside the cluster: only delayed, never cut. */
export function sendClient(world: World, from: string, to: string, body: Exclude<WireBody, { kind: 'raft' }>): void {
  const type = body.kind === 'request' ? 'ClientRequest' : 'ClientReply';
  world.stats.sent += 1;
  world.stats.sentByType[type] = (world.stats.sentByType[type] ?? 0) + 1;
  put(world, from, to, type, structuredClone(body), world.network.delay);
}

function put(world: World, from: string, to: string, type: InFlight['type'], body: WireBody, delay: [number, number]): void {
  const m: InFlight = { id: world.nextMessageId++, from, to, type, sent: world.now, arrives: world.now + draw(world, delay[0], delay[1]), body };
  world.messages.push(m);
}

/** Takes every message due now off the wire, in the order they arrive (then the order they were sent).
 *  Raft messages whose link is cut now are lost on the way. */
export function takeArrived(world: World): InFlight[] {
  const due: InFlight[] = [];
  const rest: InFlight[] = [];
  for (const m of world.messages) (m.arrives <= world.now ? due : rest).push(m);
  if (due.length === 0) return due;
  world.messages = rest;
  due.sort((a, b) => a.arrives - b.arrives || a.id - b.id);
  return due.filter((m) => {
    if (m.body.kind === 'raft' && isCut(world, m.from, m.to)) {
      world.stats.lost += 1;
      return false;
    }
    return true;
  });
}
// #endregion links
