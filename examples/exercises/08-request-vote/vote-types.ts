// The shapes exercise 08 works with. A RequestVote is the Raft core's own message (examples/raft/core/types.ts);
// the voter is the part of a Raft node the vote rule reads; a Vote is what the rule decides.
import type { NodeId, RequestVote } from '../../raft/core/types.ts';

export type { NodeId, RequestVote };

/** Where a log ends: the index and term of its last entry (0 and 0 for an empty log). */
export interface LogEnd {
  lastLogIndex: number;
  lastLogTerm: number;
}

/** What a node knows when a RequestVote reaches it. `term` and `votedFor` are on its disk (Figure 2). */
export interface Voter extends LogEnd {
  id: NodeId;
  /** The latest term this node has seen. */
  term: number;
  /** Who this node voted for in `term`, or null: no vote cast in this term yet. A candidate voted for itself. */
  votedFor: NodeId | null;
}

/** The decision. The voter's term and vote afterwards are written to disk before the reply leaves. */
export interface Vote {
  /** The voter's term afterwards; the reply carries it, so an out-of-date candidate learns the newer term. */
  term: number;
  /** The voter's vote afterwards, in `term`. */
  votedFor: NodeId | null;
  /** The answer the candidate gets. */
  granted: boolean;
}
