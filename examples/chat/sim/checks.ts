// The chat's promises, checked on a running or finished simulation. Each check returns a list of problems, one
// sentence each; an empty list means the promise held. The tests assert them over many seeds, `npm run
// sim:chat` prints them, and the browser example shows orders() and agreement().
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import type { World } from './types.ts';

// #region orders
export interface RoomOrders {
  room: string;
  /** client id -> the messages it shows, top to bottom, as clientId/id keys. */
  shown: Record<string, string[]>;
  /** Pairs of messages two clients show in opposite orders ("c1 shows a above b, c3 shows b above a"). */
  conflicts: { a: string; b: string; clients: [string, string] }[];
  /** True when no two clients show any two messages in opposite orders (a client may still lag behind). */
  agree: boolean;
}

/** Per room: what each client shows, and where two clients disagree on the order. */
export function orders(world: World): RoomOrders[] {
  const rooms = [...new Set(Object.values(world.clients).flatMap((c) => c.rooms))].sort();
  return rooms.map((room) => {
    const shown: Record<string, string[]> = {};
    for (const c of Object.values(world.clients)) {
      if (c.rooms.includes(room)) shown[c.id] = (c.shown[room] ?? []).filter((l) => l.lost === undefined).map((l) => l.key);
    }
    const conflicts: RoomOrders['conflicts'] = [];
    const ids = Object.keys(shown);
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        for (const [a, b] of opposite(shown[ids[i]!]!, shown[ids[j]!]!)) conflicts.push({ a, b, clients: [ids[i]!, ids[j]!] });
      }
    }
    return { room, shown, conflicts, agree: conflicts.length === 0 };
  });
}

/** The pairs (a above b in x, b above a in y). Each message once per list (a duplicate counts where it first shows). */
function opposite(x: string[], y: string[]): [string, string][] {
  const posY = new Map<string, number>();
  y.forEach((k, i) => {
    if (!posY.has(k)) posY.set(k, i);
  });
  const common = [...new Set(x)].filter((k) => posY.has(k)); // in x's order
  const out: [string, string][] = [];
  for (let i = 0; i < common.length; i++) {
    for (let j = i + 1; j < common.length; j++) {
      if (posY.get(common[i]!)! > posY.get(common[j]!)!) out.push([common[i]!, common[j]!]);
    }
  }
  return out;
}

/** Do all clients agree on the order of every room? */
export function agreement(world: World): boolean {
  return orders(world).every((r) => r.agree);
}
// #endregion orders

// #region invariants
/**
 * With the sequencer, at any moment: every client shows each room gap-free, duplicate-free and in seq order
 * (1, 2, 3 ... with nothing skipped: history is never outgrown here), each seq is the same message on every
 * screen and in the bus, every send a client saw confirmed is in the bus exactly once, at the seq the client
 * was told, and all clients agree on the order.
 */
export function problems(world: World): string[] {
  const out: string[] = [];
  const busKey = (room: string, seq: number): string | undefined => {
    const m = world.bus.rooms[room]?.history.find((x) => x.seq === seq);
    return m === undefined ? undefined : `${m.clientId}/${m.id}`;
  };
  for (const c of Object.values(world.clients)) {
    for (const room of c.rooms) {
      const lines = c.shown[room] ?? [];
      lines.forEach((line, i) => {
        if (line.lost !== undefined) out.push(`${c.id} ${room}: a gap notice for ${line.lost.from}-${line.lost.to}`);
        else if (line.seq !== i + 1) out.push(`${c.id} ${room}: line ${i + 1} shows seq ${line.seq} (a gap, a duplicate or out of order)`);
        else if (busKey(room, line.seq) !== line.key) out.push(`${c.id} ${room}: seq ${line.seq} shows ${line.key}, the bus has ${busKey(room, line.seq) ?? 'nothing'}`);
      });
    }
    for (const [id, seq] of Object.entries(c.confirmed)) {
      const key = `${c.id}/${id}`;
      const where = Object.values(world.bus.rooms).flatMap((log) => log.history.filter((m) => `${m.clientId}/${m.id}` === key));
      if (where.length !== 1) out.push(`${c.id}: message ${id} was confirmed as seq ${seq} but the bus holds it ${where.length} times`);
      else if (where[0]!.seq !== seq) out.push(`${c.id}: message ${id} was confirmed as seq ${seq} but the bus numbered it ${where[0]!.seq}`);
    }
  }
  for (const r of orders(world)) {
    for (const x of r.conflicts.slice(0, 3)) out.push(`${r.room}: ${x.clients[0]} and ${x.clients[1]} show ${x.a} and ${x.b} in opposite orders`);
  }
  return out;
}

/**
 * After quiet time with every link healed and both servers up: every client is caught up, has no unconfirmed
 * send, and shows every message of each of its rooms that the bus numbered (so every confirmed send shows
 * exactly once on every screen of its room).
 */
export function settledProblems(world: World): string[] {
  const out = problems(world);
  for (const c of Object.values(world.clients)) {
    if (c.state !== 'caught up') out.push(`${c.id} is ${c.state}, not caught up`);
    if (c.outbox.pending.length > 0) out.push(`${c.id} still has ${c.outbox.pending.length} unconfirmed sends (ids ${c.outbox.pending.map((p) => p.id).join(', ')})`);
    for (const room of c.rooms) {
      const last = (world.bus.rooms[room]?.next ?? 1) - 1;
      const shown = (c.shown[room] ?? []).length;
      if (shown !== last) out.push(`${c.id} ${room}: shows ${shown} messages, the bus numbered ${last}`);
    }
  }
  const sent = Object.values(world.clients).reduce((n, c) => n + c.sentCount, 0);
  const numbered = Object.values(world.bus.rooms).reduce((n, log) => n + log.next - 1, 0);
  if (sent !== numbered) out.push(`the clients sent ${sent} messages and the bus numbered ${numbered}`);
  return out;
}
// #endregion invariants
