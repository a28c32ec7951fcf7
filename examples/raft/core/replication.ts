// Log replication (§5.3), the commit rule (§5.4.2) and snapshots for followers that fell too far behind (§7).
import { entriesFrom, lastIndex, replaceFrom, snapshotIndex, termAt } from './log.ts';
import { becomeFollower, isMajority, peers, send } from './roles.ts';
import type { AppendEntries, AppendEntriesReply, InstallSnapshot, NodeId, RaftNode } from './types.ts';

// #region send
/** Send `to` what it is missing from its nextIndex on: entries, or our snapshot if we compacted them away. */
export function sendAppend(node: RaftNode, to: NodeId): void {
  const pr = node.progress[to]!;
  do {
    if (pr.nextIndex <= snapshotIndex(node)) {
      send(node, { type: 'InstallSnapshot', from: node.config.id, to, term: node.term, snapshot: node.snapshot! });
      pr.mode = 'probe'; // wait for its answer before sending more
      return;
    }
    const prevLogIndex = pr.nextIndex - 1;
    const entries = entriesFrom(node, pr.nextIndex, node.config.maxEntriesPerMessage);
    send(node, {
      type: 'AppendEntries',
      from: node.config.id,
      to,
      term: node.term,
      prevLogIndex,
      prevLogTerm: termAt(node, prevLogIndex)!,
      entries,
      leaderCommit: node.commitIndex,
    });
    if (pr.mode === 'probe') return; // one message at a time until the follower says where its log ends
    pr.nextIndex += entries.length; // replicate mode: assume it arrives, and keep going (pipelining)
  } while (pr.nextIndex <= lastIndex(node));
}

/** Heartbeat and catch-up in one: every follower gets an AppendEntries (§5.2: leaders send them to keep authority). */
export function broadcastAppend(node: RaftNode): void {
  for (const id of peers(node)) sendAppend(node, id);
}

/** New entries for the followers we are streaming to; probing ones get theirs on the next heartbeat or reply. */
export function replicateNew(node: RaftNode): void {
  for (const id of peers(node)) {
    const pr = node.progress[id]!;
    if (pr.mode === 'replicate' && pr.nextIndex <= lastIndex(node)) sendAppend(node, id);
  }
}
// #endregion send

// #region receive
/** A follower's side of AppendEntries. Called after step()'s term check: m.term ≤ our term. */
export function handleAppendEntries(node: RaftNode, m: AppendEntries): void {
  const reply = (r: Pick<AppendEntriesReply, 'success' | 'matchIndex' | 'conflictTerm' | 'conflictIndex'>): void =>
    send(node, { type: 'AppendEntriesReply', from: node.config.id, to: m.from, term: node.term, ...r });
  if (m.term < node.term) {
    reply({ success: false, matchIndex: 0, conflictTerm: null, conflictIndex: 0 }); // our term tells it to step down
    return;
  }
  acceptLeader(node, m.from);
  // Consistency check (§5.3): do we hold the entry just before the new ones, with the same term? Entries up to
  // our commitIndex need no check: every leader holds all committed entries (Leader Completeness, §5.4).
  if (m.prevLogIndex > node.commitIndex && termAt(node, m.prevLogIndex) !== m.prevLogTerm) {
    reply({ success: false, matchIndex: 0, ...conflictHint(node, m.prevLogIndex) });
    return;
  }
  // Append what is new. An entry that conflicts (same index, other term) and everything after it goes (§5.3);
  // entries we already hold stay: a late, duplicated message must not cut off entries that arrived after it.
  for (const [i, entry] of m.entries.entries()) {
    if (entry.index <= node.commitIndex) continue; // committed here: identical in every leader's log
    if (termAt(node, entry.index) !== entry.term) {
      replaceFrom(node, entry.index, m.entries.slice(i));
      break;
    }
  }
  const matchIndex = m.prevLogIndex + m.entries.length; // our log equals the leader's up to here, no further
  node.commitIndex = Math.max(node.commitIndex, Math.min(m.leaderCommit, matchIndex));
  reply({ success: true, matchIndex: Math.max(matchIndex, node.commitIndex), conflictTerm: null, conflictIndex: 0 });
}
// #endregion receive

/** A current-term leader spoke: follow it, and restart the election timer. A candidate or a leader never names
 *  another node as leader, so the first line also turns them into followers. */
function acceptLeader(node: RaftNode, leaderId: NodeId): void {
  if (node.leaderId !== leaderId) becomeFollower(node, node.term, leaderId);
  else node.electionElapsed = 0; // the same leader again: keep the timeout drawn when we began to follow it
}

// #region backup
/** Where the leader should retry: past our log's end, or the first index of the term that conflicts. */
function conflictHint(node: RaftNode, prevLogIndex: number): Pick<AppendEntriesReply, 'conflictTerm' | 'conflictIndex'> {
  if (prevLogIndex > lastIndex(node)) return { conflictTerm: null, conflictIndex: lastIndex(node) + 1 };
  const conflictTerm = termAt(node, prevLogIndex)!;
  let first = prevLogIndex;
  while (first - 1 > node.commitIndex && termAt(node, first - 1) === conflictTerm) first -= 1;
  return { conflictTerm, conflictIndex: first };
}

/** The leader's side of a refusal: skip back a whole term at a time instead of one entry per round trip. */
function backUp(node: RaftNode, m: AppendEntriesReply): number {
  if (m.conflictTerm !== null) {
    // Do we have that term too (the snapshot's last entry counts)? Resend from just after our last entry of it.
    for (let i = lastIndex(node); i >= snapshotIndex(node); i -= 1) if (termAt(node, i) === m.conflictTerm) return i + 1;
  }
  return m.conflictIndex; // its log is too short, or we never had that term: the follower's whole run of it must go
}
// #endregion backup

// #region ack
export function handleAppendReply(node: RaftNode, m: AppendEntriesReply): void {
  const pr = node.progress[m.from]!;
  pr.active = true;
  if (!m.success) {
    pr.mode = 'probe';
    pr.nextIndex = Math.max(pr.matchIndex + 1, Math.min(backUp(node, m), lastIndex(node) + 1));
    sendAppend(node, m.from);
    return;
  }
  acknowledged(node, m.from, m.matchIndex);
}

function acknowledged(node: RaftNode, from: NodeId, matchIndex: number): void {
  const pr = node.progress[from]!;
  pr.matchIndex = Math.max(pr.matchIndex, matchIndex);
  if (pr.mode === 'probe') {
    pr.mode = 'replicate'; // we know where its log ends now: stream to it
    pr.nextIndex = pr.matchIndex + 1;
  }
  maybeCommit(node);
  if (pr.nextIndex <= lastIndex(node)) sendAppend(node, from);
}

/** §5.3, §5.4.2: an entry is committed once a majority stores it — but only an entry of the leader's own term
 *  is committed by counting; earlier ones follow it (the paper's Figure 8 shows why). */
export function maybeCommit(node: RaftNode): void {
  const matched = [lastIndex(node), ...peers(node).map((id) => node.progress[id]!.matchIndex)].sort((a, b) => b - a);
  const held = matched[Math.floor(node.config.members.length / 2)]!; // the highest index a majority holds
  if (termAt(node, held) === node.term) node.commitIndex = Math.max(node.commitIndex, held); // never goes back
}
// #endregion ack

// #region snapshot
/** §7: a follower receives the leader's snapshot. Entries after it that agree with it are kept. */
export function handleInstallSnapshot(node: RaftNode, m: InstallSnapshot): void {
  const reply = (matchIndex: number): void =>
    send(node, { type: 'InstallSnapshotReply', from: node.config.id, to: m.from, term: node.term, matchIndex });
  if (m.term < node.term) return reply(0);
  acceptLeader(node, m.from);
  const s = m.snapshot;
  if (s.lastIndex <= node.commitIndex) return reply(node.commitIndex); // we are past it already
  const keep = termAt(node, s.lastIndex) === s.lastTerm ? entriesFrom(node, s.lastIndex + 1, Infinity) : [];
  node.snapshot = s;
  replaceFrom(node, s.lastIndex + 1, keep); // the log now starts after the snapshot: everything else goes
  node.commitIndex = s.lastIndex;
  node.lastApplied = s.lastIndex;
  node.out.snapshot = s;
  node.out.applySnapshot = s;
  reply(s.lastIndex);
}

export function handleSnapshotReply(node: RaftNode, from: NodeId, matchIndex: number): void {
  node.progress[from]!.active = true;
  acknowledged(node, from, matchIndex);
}
// #endregion snapshot

/** Used by tick(): a leader that has not heard from a majority in an election timeout steps down, so clients
 *  stuck with a cut-off leader learn to look elsewhere. (Not needed for safety: its writes cannot commit.) */
export function checkQuorum(node: RaftNode): void {
  const ids = peers(node);
  const heard = 1 + ids.filter((id) => node.progress[id]!.active).length;
  for (const id of ids) node.progress[id]!.active = false;
  if (!isMajority(node, heard)) becomeFollower(node, node.term, null);
}

