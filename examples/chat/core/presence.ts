// Presence: who is online in each room, across all chat servers. Each server sends a beat, "who is online
// here, per room", every beatMs and at once on every change. Every server keeps the latest beat of each server
// and when it heard it (by its own clock: the servers' clocks need not agree). A server not heard from for
// presenceTimeoutMs is taken to be gone, and so are its users. A lost beat does no harm: the next one says
// everything again. That is why beats need no sequence numbers and may travel at-most-once.

import type { PresenceBeat } from './types.ts';

// #region table
export interface PresenceTable {
  /** server -> its latest beat's rooms, and when this server heard that beat. */
  servers: Record<string, { rooms: Record<string, string[]>; heardAt: number }>;
}

export function emptyPresence(): PresenceTable {
  return { servers: {} };
}

/** Take a beat in: it replaces everything known about that server. */
export function observe(table: PresenceTable, beat: PresenceBeat, at: number): PresenceTable {
  return { servers: { ...table.servers, [beat.server]: { rooms: beat.rooms, heardAt: at } } };
}

/** Forget the servers not heard from for `timeoutMs` (except `self`, which is never stale to itself). */
export function expire(table: PresenceTable, at: number, timeoutMs: number, self: string): PresenceTable {
  const servers = Object.fromEntries(
    Object.entries(table.servers).filter(([server, entry]) => server === self || at - entry.heardAt < timeoutMs),
  );
  return { servers };
}

/** Who is online in `room`: the union over all servers, sorted, each name once. */
export function online(table: PresenceTable, room: string): string[] {
  const users = new Set<string>();
  for (const entry of Object.values(table.servers)) {
    for (const user of entry.rooms[room] ?? []) users.add(user);
  }
  return [...users].sort();
}
// #endregion table
