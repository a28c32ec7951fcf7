// Leader election (§5.2) with the voting restriction that keeps committed entries safe (§5.4.1).
import { lastIndex, lastTerm } from './log.ts';
import { becomeCandidate, becomeLeader, isMajority, peers, resetElectionTimer, send, setVote } from './roles.ts';
import { broadcastAppend } from './replication.ts';
import type { RaftNode, RequestVote, RequestVoteReply } from './types.ts';

// #region campaign
/** The election timer ran out without word from a leader: stand as a candidate and ask everyone. */
export function campaign(node: RaftNode): void {
  becomeCandidate(node);
  if (isMajority(node, 1)) {
    becomeLeader(node); // a cluster of one elects itself
    return;
  }
  for (const to of peers(node)) {
    send(node, {
      type: 'RequestVote',
      from: node.config.id,
      to,
      term: node.term,
      lastLogIndex: lastIndex(node),
      lastLogTerm: lastTerm(node),
    });
  }
}
// #endregion campaign

// #region vote
/** §5.4.1: a candidate's log is at least as up to date as ours if its last term is higher, or equal with an index as long. */
export function candidateIsUpToDate(node: RaftNode, m: RequestVote): boolean {
  const myTerm = lastTerm(node);
  return m.lastLogTerm > myTerm || (m.lastLogTerm === myTerm && m.lastLogIndex >= lastIndex(node));
}

/** Called after the term check in step(): m.term is never above ours here. */
export function handleRequestVote(node: RaftNode, m: RequestVote): void {
  const granted =
    m.term === node.term && // an older term's candidate gets "no", and our term tells it to step down
    (node.votedFor === null || node.votedFor === m.from) && // one vote per term (§5.2); asking twice is fine
    candidateIsUpToDate(node, m);
  if (granted) {
    setVote(node, m.from); // persisted before the reply leaves: a restarted node must not vote twice
    resetElectionTimer(node); // we just backed a candidate: give it time to win
  }
  send(node, { type: 'RequestVoteReply', from: node.config.id, to: m.from, term: node.term, granted });
}
// #endregion vote

// #region count
export function handleVoteReply(node: RaftNode, m: RequestVoteReply): void {
  if (node.role !== 'candidate' || m.term !== node.term) return; // a late answer from an earlier election
  node.votes[m.from] = m.granted;
  const yes = Object.values(node.votes).filter(Boolean).length;
  if (isMajority(node, yes)) {
    becomeLeader(node);
    broadcastAppend(node); // announce ourselves at once: the no-op reaches everyone and stops their timers
  }
}
// #endregion count
