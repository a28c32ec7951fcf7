// The shapes exercise 09 works with. The message and the entries are the Raft core's own types
// (examples/raft/core/types.ts); the follower and the outcome are what the core's handleAppendEntries reads and
// writes (examples/raft/core/replication.ts, region `receive`), cut down to the log and the commit index.
import type { AppendEntries, AppendEntriesReply, Entry } from '../../raft/core/types.ts';

export type { AppendEntries, AppendEntriesReply, Entry };

/** What the follower holds when an AppendEntries of its current leader arrives. */
export interface Follower {
  /** The follower's log, oldest first: log[0] has index 1, log[i] has index i + 1 (no snapshot here). */
  log: readonly Entry[];
  /** The highest index this follower knows is committed. Entries up to it never change again. */
  commitIndex: number;
}

/** What the follower does with the message. */
export interface Outcome {
  /** The reply's fields (the core adds type, from, to and term). */
  reply: {
    success: boolean;
    /** Accepted: the log now matches the leader's up to here. Refused: 0. */
    matchIndex: number;
    /** Refused: the term at prevLogIndex, or null when the log is too short. Accepted: null. */
    conflictTerm: number | null;
    /** Refused: the first index the leader should try next. Accepted: 0. */
    conflictIndex: number;
  };
  /**
   * The log change to write to disk before the reply leaves: drop every entry with index ≥ truncateFrom, then
   * append `entries` (the same shape as the core's Ready.log). null: the log stays as it is.
   */
  change: { truncateFrom: number; entries: Entry[] } | null;
  /** The follower's commit index afterwards. */
  commitIndex: number;
}

export type FollowFn = (follower: Follower, message: AppendEntries) => Outcome;

/** The term of the entry at `index` in `log`: 0 for index 0 (before the first entry), undefined past the end. */
export function termAt(log: readonly Entry[], index: number): number | undefined {
  if (index === 0) return 0;
  return log[index - 1]?.term;
}
