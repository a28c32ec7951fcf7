// Reference solution for exercise 05: a quorum read with read repair, built on the store's versions.ts.
import { compare, empty, read, reconcile, type Stored } from '../../store/core/versions.ts';
import type { Answer, ReadResult } from './read-types.ts';

export function quorumRead(answers: readonly Answer[], r: number): ReadResult {
  const answered = answers.filter((a): a is { node: string; stored: Stored<string> | null } => a.stored !== 'timeout');
  if (answered.length < r) {
    return { ok: false, reason: `only ${answered.length} of ${answers.length} replicas answered; this read needs ${r}` };
  }
  // reconcile is commutative, associative and idempotent: the order of the answers does not matter.
  let merged = empty<string>();
  for (const a of answered) merged = reconcile(merged, a.stored ?? empty<string>());
  const { values, context } = read(merged);
  // A copy whose context is 'before' the merge missed a write (or a delete): send it the merge.
  const repairs = answered
    .filter((a) => compare((a.stored ?? empty<string>()).context, merged.context) === 'before')
    .map((a) => ({ node: a.node, stored: merged }));
  return { ok: true, values, context, repairs };
}
