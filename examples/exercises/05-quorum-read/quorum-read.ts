// Exercise 05 (Session 5, docs/data-store/05-consistency.md): a quorum read with read repair.
//
// The coordinator of a read asks all N replicas of a key for their copy and waits for R of them to answer.
// Replicas disagree after a partition or a lost message: one has a newer version, two have concurrent ones
// (siblings), one missed a delete. The read reconciles what it got, answers with every value that survives,
// and sends the reconciled version back to each replica that answered with something older (read repair,
// Dynamo §5), so the next read finds them up to date.
//
// You write `quorumRead(answers, r)`. `answers` has one entry per replica (read-types.ts):
//   { node, stored }   stored is the replica's copy (a Stored from versions.ts), null when it has no copy of
//                      the key, or 'timeout' when it did not answer in time.
// Return { ok: false, reason } when fewer than r replicas answered, else
//   { ok: true, values, context, repairs }
//     values    every value of the reconciled version (read() from versions.ts gives them, deletes left out)
//     context   its version vector: what the client sends back with its next write
//     repairs   [{ node, stored: <the reconciled version> }] for each replica that answered with an older copy
//
// Run the checker (from the repository root):
//   npm run check -- 05-quorum-read              grades this file
//   npm run check -- 05-quorum-read --solution   shows what passing looks like
// It replays seeded histories of writes, deletes, partitions and heals on three replicas, compares every
// read with a reference, checks that your repairs leave the replicas you read equal, and measures how many
// reads come back stale with R = W = 1 and with R + W > N.
import { compare, empty, read, reconcile } from '../../store/core/versions.ts';
import type { Answer, ReadResult } from './read-types.ts';

export function quorumRead(answers: readonly Answer[], r: number): ReadResult {
  // TODO 1: Keep the answers that came back (stored !== 'timeout'). Fewer than r of them: the read fails.
  //         Return { ok: false, reason: '...' } with a reason a person can act on (how many answered, of how
  //         many, and how many this read needs). Do NOT wait for all of them: r answers are enough.

  // TODO 2: Reconcile them: start from empty() and fold reconcile(merged, copy) over the answers, with
  //         empty() for a replica that answered null. Never "pick the newest": two copies can be concurrent,
  //         and picking one drops the other's value. A tombstone (a delete) is a version too: keep it in.

  // TODO 3: Answer with read(merged): its values (deletes are left out) and its context.

  // TODO 4: Repairs: for each replica that answered, compare(its context, merged.context). 'before' means it
  //         missed something: repair it with the merged version. 'equal' needs nothing. (It cannot be 'after'
  //         or 'concurrent': the merge has seen everything it has.) A replica that timed out gets no repair.
  throw new Error(`quorumRead is not written yet (${answers.length} answers, r = ${r}): follow TODO 1 to 4`);
}
