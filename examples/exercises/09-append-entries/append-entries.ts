// Exercise 09 (Session 9, docs/consensus/09-log-replication.md): the follower's side of AppendEntries.
//
// The leader sends AppendEntries(prevLogIndex, prevLogTerm, entries, leaderCommit): "here are my entries after
// index prevLogIndex, whose entry has term prevLogTerm; I have committed up to leaderCommit" (§5.3, Figure 2).
// You decide what the follower does with it. The term was checked before your function is called (a message
// of an older term never gets here), and the node has already made the sender its leader.
//
// `follower` is { log, commitIndex }: log[0] has index 1, log[i] has index i + 1, each entry { index, term,
// command }. termAt(log, i) (follower-types.ts) gives the term at index i: 0 for index 0, undefined past the end.
// Return an Outcome (follower-types.ts), and never change `follower` or `message` (they are read-only):
//   reply        { success, matchIndex, conflictTerm, conflictIndex }
//   change       { truncateFrom, entries }: drop every entry with index >= truncateFrom, then append entries;
//                or null when the log stays as it is. The node writes it to disk before the reply leaves.
//   commitIndex  the follower's commit index afterwards
//
// Run the checker (from the repository root):
//   npm run check -- 09-append-entries              grades this file
//   npm run check -- 09-append-entries --solution   shows what passing looks like
// It holds your answers against the Raft core's own handleAppendEntries (examples/raft/core/replication.ts)
// on the paper's Figure 7 and hundreds of cases from real runs, then runs five real Raft nodes whose follower
// side is YOUR function, through lost, duplicated and reordered messages, partitions and crashes.
import { termAt, type AppendEntries, type Follower, type Outcome } from './follower-types.ts';

export function appendEntries(follower: Follower, m: AppendEntries): Outcome {
  // TODO 1: The consistency check (§5.3). The new entries go right after index m.prevLogIndex, so this log must
  //         hold an entry there with term m.prevLogTerm (index 0 always matches: termAt gives 0). If it does
  //         not (the log is too short, or has another term there), refuse: success false, matchIndex 0,
  //         change null, the commit index unchanged, and the hint of TODO 4. (Entries at or below commitIndex
  //         are committed, so they match the leader's anyway: the check is needed only above commitIndex.)

  // TODO 2: Accepted. Walk through m.entries. Skip an entry at or below commitIndex (committed: never touched),
  //         and one this log already holds with the same term (same index and term: the same entry). The FIRST
  //         entry that is new (past the log's end) or conflicts (same index, another term) starts the change:
  //         { truncateFrom: its index, entries: it and every message entry after it }. No such entry: null.
  //         Never cut entries because the message is short: an old, duplicated message may arrive after a
  //         newer one, and what the newer one brought must stay.

  // TODO 3: The commit index. This message proves the log equal to the leader's up to
  //         prevLogIndex + m.entries.length, and no further (past it the log may hold an old leader's entries).
  //         New commitIndex: the larger of the old one and min(m.leaderCommit, that index). Reply success true,
  //         matchIndex that same index (but never below the new commit index), conflictTerm null, conflictIndex 0.

  // TODO 4: The hint in a refusal, so the leader skips back a whole term per round trip instead of one entry:
  //         - the log is too short (no entry at prevLogIndex): conflictTerm null, conflictIndex = last index + 1;
  //         - otherwise: conflictTerm = this log's term at prevLogIndex, and conflictIndex = the first index of
  //           the run of that term ending at prevLogIndex, going back no further than commitIndex + 1.
  throw new Error(`appendEntries is not written yet (a log of ${follower.log.length} entries, prevLogIndex ${m.prevLogIndex}, termAt gives ${termAt(follower.log, m.prevLogIndex)}): follow TODO 1 to 4`);
}
