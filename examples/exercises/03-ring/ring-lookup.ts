// Exercise 03 (Session 3, docs/data-store/03-partitioning-cap.md): find a key's node on a consistent-hashing
// ring with virtual nodes.
//
// Picture a circle of numbers from 0 to 2^32 - 1. Every node has many points on it, its tokens (the store
// gives each node 128). A key goes on the circle too, at hashString(key), and belongs to the FIRST token
// clockwise from there: the first token whose position is >= the key's hash. Past the last token the circle
// wraps around, so such a key belongs to the very first token.
//
// You get the ring as a list of tokens, already sorted clockwise (smallest position first); tokens.ts builds
// it with the store's real code. Each token is { position, node, vnode }. You write two functions:
//   lookup(ring, key)          the token that owns the key (its .node is the node that stores the key)
//   replicasFor(ring, key, n)  the n different nodes that keep a copy of the key
//
// Run the checker (from the repository root):
//   npm run check -- 03-ring              grades this file
//   npm run check -- 03-ring --solution   shows what passing looks like
// It compares your answers with the store's own ring (examples/store/core/ring.ts) on many keys, then
// MEASURES your lookup: how evenly 10,000 keys spread over 5 nodes, and how many keys move when a 6th node
// joins. Each failing check says what it saw, what it expected, and a hint.
import { hashString, type Token } from './tokens.ts';

/** The token that owns `key`: the first token clockwise from hashString(key). `ring` is sorted and not empty. */
export function lookup(ring: readonly Token[], key: string): Token {
  const hash = hashString(key); // where the key sits on the circle
  // TODO 1: Go through the ring in order and return the first token whose position is >= hash. (`>=`: a token
  //         owns its stretch of the circle up to AND including its own position.) A simple loop is fine;
  //         the ring is sorted, so a binary search also works and is what the store does.
  // TODO 2: No token at or after the hash? The key is past the last token: wrap around and return ring[0].
  throw new Error(`lookup is not written yet (the key's hash is ${hash}): follow TODO 1 and 2`);
}

/**
 * The first `n` DIFFERENT nodes clockwise from `key`, in the order you meet them; the first is lookup's node.
 * With fewer than `n` nodes on the ring, every node once.
 */
export function replicasFor(ring: readonly Token[], key: string, n: number): string[] {
  // TODO 3: Start at the token lookup returns: `let i = ring.indexOf(lookup(ring, key));`
  // TODO 4: Walk clockwise one token at a time (i + 1, wrapping with % ring.length) and collect each token's
  //         node, SKIPPING a node already in your list: with 128 tokens per node the next token clockwise is
  //         often another token of a node you have. Stop when you have n nodes, or when you have gone once
  //         round the whole ring (ring.length tokens), because then there are no more nodes to find.
  throw new Error(`replicasFor is not written yet (key ${JSON.stringify(key)}, n = ${n}): follow TODO 3 and 4`);
}
