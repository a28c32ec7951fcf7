// Consistent hashing with virtual nodes: which nodes hold a key.
//
// Hash partitioning with `hash(key) mod N` moves almost every key when N changes. Consistent hashing (Karger et
// al. 1997, "Consistent hashing and random trees") puts nodes and keys on the same circle of hash values; a key
// belongs to the first node clockwise from it, so a node that joins takes keys only from its neighbours and a
// node that leaves hands only its own keys on. Dynamo (DeCandia et al. 2007, §4.2) gives each physical node many
// positions ("virtual nodes", here called tokens) so that the arcs even out, and (§4.3) stores a key on the
// first N DISTINCT physical nodes clockwise: its preference list.
//
// A ring is plain data (a list of tokens sorted by position). Every function here returns a NEW ring and never
// changes the one it was given: the page and the simulator keep the ring from before a join beside the ring
// from after it to measure what moved (keyMovement), and a value that cannot change under them is simpler to
// reason about than an object that can. Building a ring of a few hundred tokens again costs microseconds.

// #region hash
/**
 * MurmurHash3, x86 32-bit variant, seed 0 (Austin Appleby, SMHasher), over the UTF-8 bytes of the string.
 *
 * Why this hash and not the simpler FNV-1a: token names differ only in their last characters ("A#0", "A#1",
 * ...), and FNV-1a mixes its last byte poorly, so such names land in regular patterns on the circle instead of
 * scattered. MurmurHash3 ends with a finalizer in which every input bit flips about half the output bits, and
 * it is what Cassandra's default partitioner uses (in its 128-bit form). Measured on this ring (nodes node-1 ..
 * node-5, 128 tokens each, keys key-0 .. key-9999): the busiest node holds 1.06x the mean with MurmurHash3 and
 * 1.56x with FNV-1a, which stays near 1.5x however many tokens each node gets. It is not a cryptographic hash:
 * fine for spreading keys, no defence against someone choosing keys to overload one node.
 */
export function hashString(text: string): number {
  const bytes = utf8.encode(text);
  let h = 0; // the seed
  const whole = bytes.length - (bytes.length % 4); // bytes in whole 4-byte blocks
  for (let i = 0; i < whole; i += 4) {
    // Four bytes, little-endian, as one 32-bit number.
    const block = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h ^= scramble(block);
    h = rotateLeft(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  // The 0-3 bytes left over, little-endian too: folded in from the last one down, so the first ends up lowest.
  // (With none left, tail is 0 and scramble(0) is 0, so mixing it in changes nothing.)
  const tail = bytes.subarray(whole).reduceRight((sum, byte) => (sum << 8) | byte, 0);
  h ^= scramble(tail);
  // Finalizer: mix the length in, then spread every bit over the whole word.
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0; // as an unsigned number, 0 .. 2^32 - 1
}

/** Mixes one 4-byte block before it meets the running hash (MurmurHash3's constants c1 and c2). */
function scramble(k: number): number {
  return Math.imul(rotateLeft(Math.imul(k, 0xcc9e2d51), 15), 0x1b873593);
}

function rotateLeft(x: number, bits: number): number {
  return (x << bits) | (x >>> (32 - bits));
}

// TextEncoder is a web standard (browsers and Node alike) that turns a string into its UTF-8 bytes.
const utf8 = new TextEncoder();
// #endregion hash

// #region ring
/** One position on the ring, owned by one physical node. */
export interface Token {
  position: number; // hashString(`${node}#${vnode}`), 0 .. 2^32 - 1
  node: string; // the physical node
  vnode: number; // which of the node's tokens: 0 .. vnodes - 1
}

export interface Ring {
  vnodes: number; // tokens per physical node
  nodes: string[]; // the physical nodes, sorted by name
  tokens: Token[]; // clockwise: sorted by position, ties broken by node name (see compareTokens)
}

/**
 * Tokens per node unless the caller says otherwise. Measured with nodes node-1 .. node-5 and keys key-0 ..
 * key-9999, the busiest node's keys divided by the mean: 1 token 1.83x, 16 tokens 1.36x, 64 tokens 1.16x,
 * 128 tokens 1.06x, 256 tokens 1.08x (other node names give 1.10x-1.14x at 128). The spread of a node's share
 * shrinks like 1/sqrt(tokens), so past ~128 doubling the tokens buys little while the ring to search and draw
 * doubles. (Cassandra used 256 per node for years; Dynamo §6.2 discusses the same trade-off.)
 */
export const DEFAULT_VNODES = 128;

/** A ring holding the given nodes, each at `vnodes` positions. The order of `nodes` does not matter. */
export function createRing(nodes: readonly string[], vnodes: number = DEFAULT_VNODES): Ring {
  if (!Number.isInteger(vnodes) || vnodes < 1) {
    throw new Error(`vnodes must be a whole number of at least 1, got ${vnodes}`);
  }
  let ring: Ring = { vnodes, nodes: [], tokens: [] };
  for (const node of nodes) ring = addNode(ring, node);
  return ring;
}

/** A new ring with `node` added at its `ring.vnodes` positions; the keys it takes come only from the others. */
export function addNode(ring: Ring, node: string): Ring {
  if (typeof node !== 'string' || node === '') throw new Error('a node name must be a non-empty string');
  if (ring.nodes.includes(node)) throw new Error(`node "${node}" is already on the ring`);
  const added: Token[] = [];
  for (let vnode = 0; vnode < ring.vnodes; vnode++) {
    added.push({ position: hashString(`${node}#${vnode}`), node, vnode });
  }
  return {
    vnodes: ring.vnodes,
    nodes: [...ring.nodes, node].sort(),
    tokens: [...ring.tokens, ...added].sort(compareTokens),
  };
}

/** A new ring without `node`; only the keys it held move, each to the next node clockwise. */
export function removeNode(ring: Ring, node: string): Ring {
  if (!ring.nodes.includes(node)) throw new Error(`node "${node}" is not on the ring`);
  return {
    vnodes: ring.vnodes,
    nodes: ring.nodes.filter((n) => n !== node),
    tokens: ring.tokens.filter((t) => t.node !== node),
  };
}

/**
 * Clockwise order. Two different names can hash to the same 32-bit position; then the token of the node whose
 * name sorts first (by UTF-16 code units, the same on every machine) comes first, so it owns the keys of that
 * position whatever order the nodes joined in. One node's own tokens never need a tie-break: they are added
 * together in vnode order and Array.prototype.sort is stable.
 */
function compareTokens(a: Token, b: Token): number {
  if (a.position !== b.position) return a.position - b.position;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}
// #endregion ring

// #region preference-list
/**
 * The first n DISTINCT physical nodes clockwise from the key's hash, wrapping past the top of the ring (Dynamo
 * §4.3). The first is the key's owner (its coordinator); the next tokens of a node already in the list are
 * skipped, so the n copies land on n different machines. Asking for more nodes than there are gives every node
 * once. A token owns the arc from the previous token up to AND including its own position, so a key that
 * hashes exactly onto a token belongs to that token.
 */
export function preferenceList(ring: Ring, key: string, n: number): string[] {
  if (ring.tokens.length === 0) throw new Error(`the ring is empty: no node can hold key "${key}"`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`n must be a whole number of at least 1, got ${n}`);
  const wanted = Math.min(n, ring.nodes.length);
  const start = firstTokenAtOrAfter(ring.tokens, hashString(key));
  const list: string[] = [];
  for (let step = 0; list.length < wanted; step++) {
    const { node } = ring.tokens[(start + step) % ring.tokens.length]!;
    if (!list.includes(node)) list.push(node);
  }
  return list;
}

/** The node that owns the key: the first node clockwise from its hash. */
export function ownerOf(ring: Ring, key: string): string {
  return preferenceList(ring, key, 1)[0]!;
}

/** Binary search for the first token whose position is >= hash; past the last token, wrap to the first. */
function firstTokenAtOrAfter(tokens: Token[], hash: number): number {
  let low = 0;
  let high = tokens.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (tokens[middle]!.position < hash) low = middle + 1;
    else high = middle;
  }
  return low % tokens.length;
}
// #endregion preference-list

// #region movement
/** A key whose replicas changed: its preference list before and after. */
export interface KeyMove {
  key: string;
  from: string[];
  to: string[];
}

export interface Movement {
  total: number; // keys looked at
  moved: number; // keys whose set of replicas changed
  moves: KeyMove[]; // those keys, in the order given
}

/**
 * Which keys change hands between two rings. With replicas = 1 a key moves when its owner changes; with more,
 * when the SET of nodes holding a copy changes (a reordering moves no data). Consistent hashing promises that
 * a join or a leave moves only about 1/N of the keys (Karger et al. 1997); this is how the page measures it.
 */
export function keyMovement(before: Ring, after: Ring, keys: readonly string[], replicas = 1): Movement {
  const moves: KeyMove[] = [];
  for (const key of keys) {
    const from = preferenceList(before, key, replicas);
    const to = preferenceList(after, key, replicas);
    const same = from.length === to.length && from.every((node) => to.includes(node));
    if (!same) moves.push({ key, from, to });
  }
  return { total: keys.length, moved: moves.length, moves };
}

/** How many of the keys each node holds (a copy counts for every node of the key's first `replicas`). */
export function loadShare(ring: Ring, keys: readonly string[], replicas = 1): Record<string, number> {
  const load: Record<string, number> = {};
  for (const node of ring.nodes) load[node] = 0;
  for (const key of keys) {
    for (const node of preferenceList(ring, key, replicas)) load[node]! += 1;
  }
  return load;
}

/** The busiest node's load divided by the mean load: 1 is perfect balance, 2 means one node does double. */
export function imbalance(load: Record<string, number>): number {
  const counts = Object.values(load);
  const total = counts.reduce((sum, c) => sum + c, 0);
  if (total === 0) throw new Error('no keys were placed, so there is no balance to measure');
  return Math.max(...counts) / (total / counts.length);
}
// #endregion movement
