// Reference solution for exercise 09: the follower's side of AppendEntries, making the same decisions as the
// Raft core's handleAppendEntries (examples/raft/core/replication.ts, regions `receive` and `backup`), which
// the checker proves case by case by running that code.
import { termAt, type AppendEntries, type Follower, type Outcome } from './follower-types.ts';

export function appendEntries(follower: Follower, m: AppendEntries): Outcome {
  const { log, commitIndex } = follower;
  // §5.3 consistency check: the entry before the new ones must be ours too. Committed entries agree anyway.
  if (m.prevLogIndex > commitIndex && termAt(log, m.prevLogIndex) !== m.prevLogTerm) {
    return { reply: { success: false, matchIndex: 0, ...conflictHint(follower, m.prevLogIndex) }, change: null, commitIndex };
  }
  // Only the first entry that is new or conflicts, and what follows it, is written; what we hold stays.
  let change: Outcome['change'] = null;
  for (const [i, entry] of m.entries.entries()) {
    if (entry.index <= commitIndex) continue;
    if (termAt(log, entry.index) !== entry.term) {
      change = { truncateFrom: entry.index, entries: m.entries.slice(i) };
      break;
    }
  }
  // This message vouches for the log up to its last entry, no further: commit no higher than that.
  const matchIndex = m.prevLogIndex + m.entries.length;
  const newCommit = Math.max(commitIndex, Math.min(m.leaderCommit, matchIndex));
  return {
    reply: { success: true, matchIndex: Math.max(matchIndex, newCommit), conflictTerm: null, conflictIndex: 0 },
    change,
    commitIndex: newCommit,
  };
}

/** §5.3's closing note: tell the leader where to retry, so it skips a whole term per round trip. */
function conflictHint({ log, commitIndex }: Follower, prevLogIndex: number): { conflictTerm: number | null; conflictIndex: number } {
  if (prevLogIndex > log.length) return { conflictTerm: null, conflictIndex: log.length + 1 };
  const conflictTerm = termAt(log, prevLogIndex)!;
  let first = prevLogIndex;
  while (first - 1 > commitIndex && termAt(log, first - 1) === conflictTerm) first -= 1;
  return { conflictTerm, conflictIndex: first };
}
