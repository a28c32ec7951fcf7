// Exercise 08 (Session 8, docs/consensus/08-raft-leader-election.md): deciding a vote.
//
// A candidate sends RequestVote { from, term, lastLogIndex, lastLogTerm } to every other node. Each node that
// gets it decides, alone and at once, whether to give its vote. Two properties depend on that decision:
//   - election safety (§5.2): at most one leader per term, because each node votes at most once per term and
//     a leader needs a majority;
//   - committed entries survive (§5.4.1): a committed entry is on a majority, and every majority overlaps that
//     one, so refusing candidates whose log is less up to date keeps a leader without it from being elected.
//
// You write two functions (the shapes are in vote-types.ts):
//   logIsUpToDate(mine, theirs)  is the candidate's log (theirs) at least as up to date as the voter's (mine)?
//   decideVote(voter, request)   -> { term, votedFor, granted }: the voter's term and vote afterwards, and the
//                                   answer. Return a NEW object; do not change `voter` or `request`.
//
// Run the checker (from the repository root):
//   npm run check -- 08-request-vote              grades this file
//   npm run check -- 08-request-vote --solution   shows what passing looks like
// It holds your answers against the Raft core's own handler (it steps examples/raft/core on each case), then
// runs five real Raft nodes whose votes are all decided by YOUR decideVote: a stale node standing for
// election, a split vote, and seeded runs with crashes, partitions and lost messages.
import type { LogEnd, RequestVote, Vote, Voter } from './vote-types.ts';

export function logIsUpToDate(mine: LogEnd, theirs: LogEnd): boolean {
  // TODO 1 (§5.4.1): compare the terms of the two LAST entries first. A later last term is more up to date,
  //         whatever the lengths. With the same last term, the longer log is more up to date. A log exactly
  //         as up to date as mine also counts ("at least as up to date"): an empty log is as up to date as an
  //         empty log.
  throw new Error(`logIsUpToDate is not written yet (mine ends at ${mine.lastLogIndex}/${mine.lastLogTerm}, theirs at ${theirs.lastLogIndex}/${theirs.lastLogTerm}): follow TODO 1`);
}

export function decideVote(voter: Voter, request: RequestVote): Vote {
  // TODO 2 (§5.1): an OLDER term (request.term < voter.term): the candidate is behind. Refuse, change nothing,
  //         and answer with the voter's own term: the candidate sees it and steps down.

  // TODO 3 (§5.1): a NEWER term (request.term > voter.term): adopt it first. In the new term this node has not
  //         voted yet, so its vote becomes null; then decide as for the current term (TODO 4).

  // TODO 4 (§5.2, §5.4.1): the current term. Grant only if this node has not voted in this term, or voted for
  //         this very candidate already (its reply may have been lost, and it asks again), AND the candidate's
  //         log is at least as up to date as this node's (logIsUpToDate). A grant records the vote:
  //         votedFor = request.from. A refusal changes nothing beyond the term adopted in TODO 3.
  throw new Error(`decideVote is not written yet (${request.from} asks for a vote in term ${request.term}; ${voter.id} is in term ${voter.term}): follow TODO 2 to 4`);
}
