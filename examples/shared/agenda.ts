// A simulator's agenda: the things due at future moments, kept sorted, earliest first. Both simulators
// (examples/queue/sim, examples/store/sim) keep their clock this way; only what an entry carries differs.
// Pure: no clock, no timers, no randomness.

/** An agenda entry: due at `at`; at the same moment phase 0 before phase 1, then in the order scheduled. */
export interface AgendaEntry {
  at: number;
  phase: 0 | 1;
  seq: number;
}

/** Puts `item` in its place. Searching from the end: most new entries are due soon after the latest ones. */
export function insertInOrder<T extends AgendaEntry>(agenda: T[], item: T): void {
  let i = agenda.length;
  while (i > 0 && comesBefore(item, agenda[i - 1]!)) i--;
  agenda.splice(i, 0, item);
}

function comesBefore(a: AgendaEntry, b: AgendaEntry): boolean {
  if (a.at !== b.at) return a.at < b.at;
  if (a.phase !== b.phase) return a.phase < b.phase;
  return a.seq < b.seq;
}
