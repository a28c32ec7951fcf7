// Reference solution for exercise 08: the same decisions as the Raft core's vote rule (region `vote` in
// examples/raft/core/election.ts, after the term check in raft.ts's step()), which the checker proves case by
// case by running that code.
import type { LogEnd, RequestVote, Vote, Voter } from './vote-types.ts';

export function logIsUpToDate(mine: LogEnd, theirs: LogEnd): boolean {
  if (theirs.lastLogTerm !== mine.lastLogTerm) return theirs.lastLogTerm > mine.lastLogTerm;
  return theirs.lastLogIndex >= mine.lastLogIndex;
}

export function decideVote(voter: Voter, request: RequestVote): Vote {
  if (request.term < voter.term) return { term: voter.term, votedFor: voter.votedFor, granted: false };
  // A newer term: adopt it, with no vote cast in it yet.
  const term = request.term;
  const votedFor = request.term > voter.term ? null : voter.votedFor;
  const free = votedFor === null || votedFor === request.from; // one vote per term; asking twice is fine
  if (free && logIsUpToDate(voter, request)) return { term, votedFor: request.from, granted: true };
  return { term, votedFor, granted: false };
}
