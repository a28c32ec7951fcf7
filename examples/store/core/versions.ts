// Versions and conflicts: how the store tells "this write replaced that one" from "these two writes happened
// without knowing of each other", and what it does about the second case.
//
// In the available mode both sides of a partition accept writes. When the partition heals, a replica meets
// another replica's copy of a key and must decide, for every value in either copy: was it overwritten by a
// write that had seen it (drop it), or was it written concurrently (keep both, as siblings, and show them to
// the client, who knows what they mean)? Version vectors answer that question (Dynamo paper §4.4; Kleppmann,
// DDIA ch. 5, "Detecting Concurrent Writes").
//
// What this file chose, and why. The textbook picture gives every stored value its own version vector and
// drops a value whose vector another value's vector descends from. With one entry per SERVER (Dynamo's
// choice, which keeps vectors small) that loses writes: two clients read the key at the same moment (context
// {}), both write through node A. The first write gets {A:1}. The second cannot get {A:1} too (two different
// values, one version), and {A:2} descends from {A:1}, so the first value would be dropped although its
// writer never saw it: a lost update, the very thing version vectors are meant to prevent. Riak hit exactly
// this and fixed it in 2.0 with "dotted" version vectors (Preguiça, Baquero, Almeida et al., "Dotted Version
// Vectors: Logical Clocks for Optimistic Replication", 2010). This file uses their idea in its simplest form,
// which is also DDIA's per-key version-number algorithm with one counter per replica:
//
//   - every write gets a DOT, (node, counter): the node that took the write and that node's next number for
//     this key. A dot names one write, and no two writes ever share one.
//   - the key keeps ONE version vector, its `context`: every dot this replica has seen, whether the value is
//     still here or was since overwritten. (Counters per node are handed out in order, so "seen A:1..A:5"
//     fits in the single number A:5.)
//   - a client reads the values and the context, and sends the context back with its next write. The write
//     replaces exactly the values whose dots that context covers: the ones the client saw. Values the client
//     did not see stay, as siblings.
//
// So siblings are never ordered: a sibling stays only while no write that saw it has arrived. The context is
// what a client must treat as opaque: it should send back what it read, not invent one (a made-up context
// claiming {B:1000} would silently discard B's next writes as "already seen").

// #region version-vector
/** A version vector: node id -> how many writes from that node have been seen. A missing node counts as 0. */
export type VersionVector = Record<string, number>;

/** The counter for `node` in `vv` (0 if absent). `Object.hasOwn`, so a node called "constructor" is just a name. */
export function counterOf(vv: VersionVector, node: string): number {
  return Object.hasOwn(vv, node) ? vv[node]! : 0;
}

/** Pointwise maximum: everything either vector has seen. Keys come out sorted, so equal vectors print alike. */
export function merge(a: VersionVector, b: VersionVector): VersionVector {
  const nodes = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return Object.fromEntries(nodes.map((node) => [node, Math.max(counterOf(a, node), counterOf(b, node))]));
}

/** One more write seen from `node`. Returns a new vector; the argument is not changed. */
export function increment(vv: VersionVector, node: string): VersionVector {
  return merge(vv, { [node]: counterOf(vv, node) + 1 });
}
// #endregion version-vector

// #region compare
export type Ordering = 'equal' | 'before' | 'after' | 'concurrent';

/**
 * How two versions are ordered. 'before': everything `a` has seen, `b` has seen too, and more (a happened
 * before b, so b may replace a). 'after': the reverse. 'concurrent': each has seen a write the other has not
 * (neither knew of the other: a conflict). DDIA ch. 5; Dynamo §4.4.
 */
export function compare(a: VersionVector, b: VersionVector): Ordering {
  let aAhead = false; // a has seen some write that b has not
  let bAhead = false;
  for (const node of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (counterOf(a, node) > counterOf(b, node)) aAhead = true;
    if (counterOf(b, node) > counterOf(a, node)) bAhead = true;
  }
  if (aAhead) return bAhead ? 'concurrent' : 'after';
  return bAhead ? 'before' : 'equal';
}
// #endregion compare

/** Has a version vector seen the write named by this dot? */
export function covers(vv: VersionVector, dot: Dot): boolean {
  return counterOf(vv, dot.node) >= dot.counter;
}

/**
 * Check a version vector that came from outside (a client's context, a peer's message): an object whose
 * values are whole numbers >= 0. Errors are answers: the HTTP layer turns `error` into a 400.
 */
export function parseVersionVector(input: unknown): { ok: true; vv: VersionVector } | { ok: false; error: string } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, error: 'a version vector must be an object of node id -> counter' };
  }
  for (const [node, counter] of Object.entries(input)) {
    if (node === '') return { ok: false, error: 'a version vector has an empty node id' };
    if (!Number.isSafeInteger(counter) || counter < 0) {
      return { ok: false, error: `the counter for node "${node}" must be a whole number >= 0` };
    }
  }
  return { ok: true, vv: merge({}, input as VersionVector) };
}

// #region put
/** The name of one write: the node that took it and that node's counter for this key at the time. */
export interface Dot {
  node: string;
  counter: number;
}

/** One value of a key. A delete is a sibling too (a tombstone), so it can be in conflict with a write. */
export interface Sibling<V> {
  dot: Dot;
  value: V | null; // null exactly when deleted
  deleted: boolean;
  /** The taking node's clock when it took the write: used only by last-writer-wins (resolveLww). */
  timestamp: number;
}

/** A key as one replica holds it. Siblings are sorted by dot, so equal states are equal objects. */
export interface Stored<V> {
  siblings: Sibling<V>[];
  /** Every dot this replica has seen for the key, kept or overwritten: what a client sends back when it writes. */
  context: VersionVector;
}

/** A key nobody has written. */
export function empty<V>(): Stored<V> {
  return { siblings: [], context: {} };
}

/**
 * A client writes `value` through `node`, sending the `context` it read (or {} for a blind write). The write
 * replaces every sibling that context covers (the client saw it) and keeps the rest as siblings. `timestamp`
 * is the node's clock, kept only for last-writer-wins. DDIA ch. 5: "the server can overwrite all values with
 * that version number or below, but it must keep all values with a higher version number".
 */
export function put<V>(stored: Stored<V>, value: V, context: VersionVector, node: string, timestamp: number): Stored<V> {
  return write(stored, { value, deleted: false }, context, node, timestamp);
}

/** A delete is a write of a tombstone: it replaces what the client saw, and stays in conflict with the rest. */
export function remove<V>(stored: Stored<V>, context: VersionVector, node: string, timestamp: number): Stored<V> {
  return write<V>(stored, { value: null, deleted: true }, context, node, timestamp);
}

function write<V>(
  stored: Stored<V>,
  content: { value: V | null; deleted: boolean },
  context: VersionVector,
  node: string,
  timestamp: number,
): Stored<V> {
  // The new dot's counter is above everything `node` has handed out for this key: this replica's context
  // holds all of them (a node keeps every write it takes), and the client's context is merged in too. So a
  // node that lost its disk must come back under a new id: with an empty context it would hand out old dots.
  const seen = increment(merge(stored.context, context), node);
  const dot: Dot = { node, counter: counterOf(seen, node) };
  const kept = stored.siblings.filter((s) => !covers(context, s.dot));
  return { siblings: sortByDot([...kept, { dot, ...content, timestamp }]), context: seen };
}

function sortByDot<V>(siblings: Sibling<V>[]): Sibling<V>[] {
  return siblings.sort((x, y) => compareDots(x.dot, y.dot));
}

/** Dots in order of node id (by UTF-16 code units, the same in every runtime), then counter as a number. */
function compareDots(x: Dot, y: Dot): number {
  if (x.node < y.node) return -1;
  if (x.node > y.node) return 1;
  return x.counter - y.counter;
}
// #endregion put

// #region reconcile
/**
 * Merge two replicas' copies of a key: what anti-entropy and read repair do (Dynamo §4.7 and §5).
 * A sibling survives if both copies have it, or if the copy without it has never seen its dot. A copy
 * that HAS seen the dot but no longer holds the value had it overwritten (or deleted) by a write that saw
 * it, so the value must not come back. The order of merging does not matter: reconcile is commutative,
 * associative and idempotent (tests/store/versions.property.test.ts), so replicas that exchange states in
 * any order, any number of times, end up equal.
 */
export function reconcile<V>(a: Stored<V>, b: Stored<V>): Stored<V> {
  const keep = (mine: Stored<V>, theirs: Stored<V>) =>
    mine.siblings.filter((s) => theirs.siblings.some((t) => sameDot(s.dot, t.dot)) || !covers(theirs.context, s.dot));
  // A dot names one write, so a sibling in both copies is the same value: take it once, from a.
  const fromB = keep(b, a).filter((t) => !a.siblings.some((s) => sameDot(s.dot, t.dot)));
  return { siblings: sortByDot([...keep(a, b), ...fromB]), context: merge(a.context, b.context) };
}

function sameDot(x: Dot, y: Dot): boolean {
  return x.node === y.node && x.counter === y.counter;
}

/** What a client reads: every value no write has replaced yet, whether a delete is among them, and the context. */
export function read<V>(stored: Stored<V>): { values: V[]; deleted: boolean; context: VersionVector } {
  const live = stored.siblings.filter((s) => !s.deleted);
  return { values: live.map((s) => s.value as V), deleted: live.length < stored.siblings.length, context: stored.context };
}
// #endregion reconcile

// Tombstones. A delete keeps the key's record: its context remembers the deleted write's dot, so reconcile
// with an older replica that still holds the value drops that value instead of bringing it back. The
// tombstone sibling itself is what lets a delete take part in a conflict: shown beside a concurrent write,
// or compared by timestamp under last-writer-wins. It could be dropped (the context kept) once every replica
// holds it and no write concurrent with it can still arrive; the whole record only once every replica's
// context covers every dot of the key, so no replica anywhere can offer an old value back. Riak waits a few
// seconds after all primaries have the tombstone ("delete_mode"); Cassandra keeps them gc_grace_seconds
// (10 days by default) and asks that repair runs within that time. Neither is implemented here: tombstones
// stay until a later write replaces them.

// #region lww
/**
 * Last-writer-wins: of the siblings, keep the one with the highest (timestamp, node id); between two writes
 * of one node with the same timestamp, its later dot. A total order, so every replica picks the same one.
 * Returns undefined for a key nobody wrote; a tombstone winning means the key reads as deleted.
 *
 * Apply it when READING, never to what is stored: collapsing stored siblings to the winner would make
 * reconcile's result depend on the order replicas meet (tests/store/versions.test.ts shows two replicas
 * that then both lose their value). Read under LWW, the client gets one value and the full context, so its
 * next write replaces every sibling, and the losers are gone for good: that is the lost update.
 */
export function resolveLww<V>(stored: Stored<V>): Sibling<V> | undefined {
  const oldestFirst = [...stored.siblings].sort((x, y) => x.timestamp - y.timestamp || compareDots(x.dot, y.dot));
  return oldestFirst.at(-1);
}
// #endregion lww

// #region lost-update
/**
 * The lost update, step by step. Alice and Bob share a shopping list ["milk"]. Both read it; then a
 * partition cuts node A (Alice's side) off from node B (Bob's side). Alice adds eggs through A; a second
 * later Bob adds bread through B, whose clock runs two seconds slow. The partition heals and the replicas
 * reconcile. With siblings, both lists come back and the client merges them. Under last-writer-wins the
 * higher timestamp, Alice's, wins, and Bob's bread, acknowledged by B, is gone, although he wrote later.
 */
export function shoppingListScenario(): { healed: Stored<string[]>; siblings: string[][]; merged: string[]; lww: string[]; lost: string[] } {
  const start = put(empty<string[]>(), ['milk'], {}, 'A', 1_000);
  const replicaB = reconcile(empty<string[]>(), start); // B gets the list before the partition
  const { values, context } = read(start); // Alice and Bob both read ["milk"] with this context
  const [list] = values as [string[]];
  const replicaA = put(start, [...list, 'eggs'], context, 'A', 10_000); // Alice, through A, at 10.0 s
  const bobs = put(replicaB, [...list, 'bread'], context, 'B', 9_000); // Bob, through B, at 11.0 s real time; B reads 9.0 s
  const healed = reconcile(replicaA, bobs);
  const siblings = read(healed).values;
  // The client's merge for a list: the union. (A union can also bring back an item one side removed, as
  // Dynamo §4.4 says of its shopping cart; a set that must remember removals needs more than this.)
  const merged = [...new Set(siblings.flat())];
  const lww = resolveLww(healed)!.value!; // the winner: a list, not a delete, in this story
  return { healed, siblings, merged, lww, lost: merged.filter((item) => !lww.includes(item)) };
}
// #endregion lost-update
