// The one door into a Raft node, in the style of etcd-io/raft: time arrives as tick(), the network as step(),
// clients as propose(); nothing happens inside except changes to plain data. What the calls produced is
// collected and handed over by ready(), whose comment (types.ts) lists the adapter's duties and their order.
import { campaign, handleRequestVote, handleVoteReply } from './election.ts';
import { entriesFrom, lastIndex, replaceFrom, snapshotIndex, termAt } from './log.ts';
import {
  checkQuorum,
  broadcastAppend,
  handleAppendEntries,
  handleAppendReply,
  handleInstallSnapshot,
  handleSnapshotReply,
  maybeCommit,
  replicateNew,
} from './replication.ts';
import { becomeFollower, emptyReady } from './roles.ts';
import type { Message, NodeId, RaftNode, Ready } from './types.ts';

export { createNode } from './roles.ts';
export { lastIndex, lastTerm, termAt } from './log.ts';

// #region tick
/** One unit of time passed. Followers and candidates count towards an election; leaders towards a heartbeat. */
export function tick(node: RaftNode): void {
  node.electionElapsed += 1;
  if (node.role !== 'leader') {
    if (node.electionElapsed >= node.electionTimeout) campaign(node); // the timer became an event (§5.2)
    return;
  }
  node.heartbeatElapsed += 1;
  if (node.electionElapsed >= node.config.electionTicks[1]) {
    node.electionElapsed = 0;
    checkQuorum(node);
    if (node.role !== 'leader') return;
  }
  if (node.heartbeatElapsed >= node.config.heartbeatTicks) {
    node.heartbeatElapsed = 0;
    broadcastAppend(node);
  }
}
// #endregion tick

// #region step
/** A message arrived from another node. */
export function step(node: RaftNode, m: Message): void {
  if (m.to !== node.config.id || !node.config.members.includes(m.from) || m.from === node.config.id) return;
  // §5.1: any message with a higher term makes us a follower in that term (a leader's message names the leader).
  if (m.term > node.term) {
    const fromLeader = m.type === 'AppendEntries' || m.type === 'InstallSnapshot';
    becomeFollower(node, m.term, fromLeader ? m.from : null);
  }
  switch (m.type) {
    case 'RequestVote':
      return handleRequestVote(node, m);
    case 'RequestVoteReply':
      return handleVoteReply(node, m);
    case 'AppendEntries':
      return handleAppendEntries(node, m);
    case 'InstallSnapshot':
      return handleInstallSnapshot(node, m);
    case 'AppendEntriesReply':
      if (node.role === 'leader' && m.term === node.term) handleAppendReply(node, m);
      return;
    case 'InstallSnapshotReply':
      if (node.role === 'leader' && m.term === node.term) handleSnapshotReply(node, m.from, m.matchIndex);
      return;
  }
}
// #endregion step

// #region propose
export type Proposal = { ok: true; index: number; term: number } | { ok: false; leaderId: NodeId | null };

/** A client's command. Only the leader takes it; it goes out to the followers with the next ready(). */
export function propose(node: RaftNode, command: unknown): Proposal {
  if (node.role !== 'leader') return { ok: false, leaderId: node.leaderId };
  const index = lastIndex(node) + 1;
  replaceFrom(node, index, [{ index, term: node.term, command }]);
  return { ok: true, index, term: node.term };
}
// #endregion propose

// #region ready
/** Hand over everything produced since the last call (and forget it). Proposals made since then are sent now,
 *  together: one AppendEntries per follower carries them all (batching). */
export function ready(node: RaftNode): Ready {
  if (node.role === 'leader') {
    replicateNew(node);
    maybeCommit(node);
  }
  const out = node.out;
  node.out = emptyReady();
  if (node.logDirtyFrom !== 0) {
    const from = Math.max(node.logDirtyFrom, snapshotIndex(node) + 1);
    out.log = { truncateFrom: node.logDirtyFrom, entries: entriesFrom(node, from, Infinity) };
    node.logDirtyFrom = 0;
  }
  out.committed = entriesFrom(node, node.lastApplied + 1, node.commitIndex - node.lastApplied);
  node.lastApplied = node.commitIndex;
  return out;
}
// #endregion ready

// #region compact
/** §7: the state machine has applied up to `index` and `data` is its image there: drop the log up to it. */
export function compact(node: RaftNode, index: number, data: unknown): void {
  if (index <= snapshotIndex(node) || index > node.lastApplied) return;
  const snapshot = { lastIndex: index, lastTerm: termAt(node, index)!, data };
  node.log = entriesFrom(node, index + 1, Infinity);
  node.snapshot = snapshot;
  node.out.snapshot = snapshot;
}
// #endregion compact

/** What a status view shows about a node. */
export function status(node: RaftNode) {
  return {
    id: node.config.id,
    role: node.role,
    term: node.term,
    leaderId: node.leaderId,
    votedFor: node.votedFor,
    commitIndex: node.commitIndex,
    lastApplied: node.lastApplied,
    lastIndex: lastIndex(node),
    snapshotIndex: snapshotIndex(node),
  };
}
