// How time passes and how messages travel. The agenda is the simulation's clock: a sorted list of things due
// at future moments, and nothing else moves time. The network is a list of messages in flight, each with its
// own seeded delay (so messages overtake each other), each lost with the loss probability, some delivered
// twice, and every one that crosses a cut link (a partition) lost.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import type { Body, Due, InFlight, Scheduled, TimelineEvent, World } from './types.ts';
import { insertInOrder } from '../../shared/agenda.ts';

// #region agenda
export function schedule(world: World, at: number, due: Due, phase: 0 | 1 = 0): void {
  const item: Scheduled = { at, phase, seq: world.nextSeq++, due };
  insertInOrder(world.agenda, item);
}
// #endregion agenda

export function emit(world: World, node: string, kind: string, text: string, extra: Pick<TimelineEvent, 'group' | 'key'> = {}): void {
  world.events.push({ at: world.now, node, kind, text, ...extra });
}

/** A whole number from lo to hi, both included, from the given generator. */
export function draw(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

// #region links
/** True if a partition cuts the link between x and y. */
export function isCut(world: World, x: string, y: string): boolean {
  return world.partitions.some((p) => (p.a.includes(x) && p.b.includes(y)) || (p.a.includes(y) && p.b.includes(x)));
}

/**
 * Sends a message. `link` is the pair of nodes whose connection it crosses: such a message is lost if the
 * link is cut (now or when it arrives) or by chance (the loss setting), and may arrive twice (duplication).
 * `link` null is a client talking to the node it is next to: it is only delayed.
 */
export function send(world: World, from: string, to: string, label: string, body: Body, link: [string, string] | null): void {
  world.stats.sent += 1;
  if (link !== null && (isCut(world, link[0], link[1]) || world.random() * 100 < world.network.loss)) {
    world.stats.lost += 1;
    return;
  }
  // Only peer messages come twice (a sender that retries): a client's HTTP request is sent once, and so is its answer.
  const copies = body.kind === 'peer' && world.random() * 100 < world.network.dup ? 2 : 1;
  if (copies === 2) world.stats.duplicated += 1;
  for (let c = 0; c < copies; c++) {
    const [lo, hi] = world.network.delay;
    const msg: InFlight = { id: world.nextMessageId++, from, to, sentAt: world.now, deliverAt: world.now + draw(world.random, lo, hi), label, body };
    if (link !== null) msg.link = link;
    world.messages.push(msg);
    schedule(world, msg.deliverAt, { type: 'deliver', messageId: msg.id });
  }
}

/** Takes a due message out of the network: undefined if it was dropped on the way or its link is cut now. */
export function arrive(world: World, messageId: number): InFlight | undefined {
  const i = world.messages.findIndex((m) => m.id === messageId);
  if (i === -1) return undefined;
  const [msg] = world.messages.splice(i, 1) as [InFlight];
  if (msg.link && isCut(world, msg.link[0], msg.link[1])) {
    world.stats.lost += 1;
    return undefined;
  }
  return msg;
}

/** A node crashed: its connections break, and every message to or from it on the way is lost. */
export function dropMessagesOf(world: World, node: string): void {
  const kept = world.messages.filter((m) => m.from !== node && m.to !== node && !(m.link && m.link.includes(node)));
  world.stats.lost += world.messages.length - kept.length;
  world.messages = kept;
}
// #endregion links
