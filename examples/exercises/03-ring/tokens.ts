// The ring for exercise 03, built for you by the store's real code (examples/store/core/ring.ts), so that what
// you write is measured against the very tokens the store uses.
//
// Each node gets `vnodes` tokens ("virtual nodes"): token v of node "n3" sits at position
// hashString("n3#" + v), a number from 0 to 2^32 - 1. The list comes back sorted by position, smallest first,
// which is the clockwise order around the circle. For example buildTokens(['n1', 'n2'], 2) is four tokens:
// n1#0, n1#1, n2#0 and n2#1, in the order of their positions.
import { createRing, hashString, type Token } from '../../store/core/ring.ts';

export { hashString, type Token };

/** The tokens of a ring holding `nodes`, `vnodes` tokens each, sorted clockwise (by position). */
export function buildTokens(nodes: readonly string[], vnodes = 128): Token[] {
  return createRing(nodes, vnodes).tokens;
}
