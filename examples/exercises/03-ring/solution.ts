// Reference solution for exercise 03. It answers exactly as the store's ring does (preferenceList in
// examples/store/core/ring.ts), which the checker proves on many keys; it is written against the plain token
// list of the exercise instead of the store's Ring.
import { hashString, type Token } from './tokens.ts';

export function lookup(ring: readonly Token[], key: string): Token {
  const hash = hashString(key);
  // Binary search: the first index whose token is at or after the hash. (A plain loop is just as right; on
  // 640 tokens it looks at up to 640 of them where this looks at 10.)
  let low = 0;
  let high = ring.length;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (ring[middle]!.position < hash) low = middle + 1;
    else high = middle;
  }
  // low === ring.length: the key is past the last token, so the circle wraps to the first.
  return ring[low % ring.length]!;
}

export function replicasFor(ring: readonly Token[], key: string, n: number): string[] {
  const start = ring.indexOf(lookup(ring, key));
  const nodes: string[] = [];
  // At most one turn round the ring: after that every node has been seen.
  for (let step = 0; step < ring.length && nodes.length < n; step++) {
    const { node } = ring[(start + step) % ring.length]!;
    if (!nodes.includes(node)) nodes.push(node);
  }
  return nodes;
}
