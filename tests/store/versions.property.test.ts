// Property tests for versions and conflicts (examples/store/core/versions.ts).
//
// fast-check generates histories of a key on three replicas (A, B, C) with three clients: a client reads a
// replica (and remembers its context), writes or deletes through a replica with the context it remembers
// (possibly stale, possibly {} after it "forgets") or reads just before writing, and replicas exchange states in random directions (a
// partition is simply "no exchange for a while"). Every write carries a unique value, and the test records
// the context its client sent, so it knows independently of the core which writes replaced which.
//
// The laws: reconcile is commutative, associative and idempotent (so the order in which replicas meet does
// not matter); it never drops a write that no other write's context covered, and drops every one that was;
// no two writes ever get the same dot; and at every moment no sibling is one that another sibling's writer
// had seen. On failure fast-check prints the seed and the shrunk history.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compare,
  covers,
  empty,
  increment,
  merge,
  put,
  read,
  reconcile,
  remove,
  resolveLww,
  type Dot,
  type Sibling,
  type Stored,
  type VersionVector,
} from '../../examples/store/core/versions.ts';

const NODES = ['A', 'B', 'C'] as const;
const CLIENTS = 3;
const NUM_RUNS = 200;

type Step =
  | { op: 'read'; client: number; replica: number }
  | { op: 'write' | 'delete'; client: number; replica: number; timestamp: number; readFirst: boolean }
  | { op: 'forget'; client: number }
  | { op: 'sync'; from: number; to: number };

const replica = fc.integer({ min: 0, max: NODES.length - 1 });
const client = fc.integer({ min: 0, max: CLIENTS - 1 });
const timestamp = fc.integer({ min: 0, max: 20 }); // small: equal timestamps happen, so LWW's tie-breaks run
// readFirst: the usual read-modify-write through the same replica; otherwise the client's remembered context.
const readFirst = fc.boolean();
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('read' as const), client, replica }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('write' as const), client, replica, timestamp, readFirst }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), client, replica, timestamp, readFirst }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('forget' as const), client }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('sync' as const), from: replica, to: replica }) },
);
// size 'max': lengths spread over 1..40 (the default favours short histories, where little conflicts).
const history = fc.array(step, { minLength: 1, maxLength: 40, size: 'max' });

const key = (d: Dot) => `${d.node}:${d.counter}`;

interface Run {
  replicas: Stored<string>[];
  /** Every state any replica passed through, for the laws (old and new states meet in real life too). */
  seen: Stored<string>[];
  /** Each write's dot -> the context its client sent: what that write replaced. */
  contexts: Map<string, VersionVector>;
  /** Problems found while running; checked by the properties. */
  duplicateDots: string[];
  orderedSiblings: string[];
}

/** No sibling may be one that another sibling's writer had seen. */
function orderedPairs(s: Stored<string>, contexts: Map<string, VersionVector>): string[] {
  const bad: string[] = [];
  for (const x of s.siblings) {
    for (const y of s.siblings) {
      if (x !== y && covers(contexts.get(key(y.dot))!, x.dot)) bad.push(`${key(y.dot)} saw ${key(x.dot)}`);
    }
  }
  return bad;
}

function run(steps: Step[]): Run {
  const replicas = NODES.map(() => empty<string>());
  const clients: VersionVector[] = Array.from({ length: CLIENTS }, () => ({}));
  const r: Run = { replicas, seen: [empty()], contexts: new Map(), duplicateDots: [], orderedSiblings: [] };
  let n = 0;
  const after = (i: number) => {
    r.seen.push(replicas[i]!);
    r.orderedSiblings.push(...orderedPairs(replicas[i]!, r.contexts));
  };
  for (const s of steps) {
    if (s.op === 'read') clients[s.client] = read(replicas[s.replica]!).context;
    else if (s.op === 'forget') clients[s.client] = {};
    else if (s.op === 'sync') {
      replicas[s.to] = reconcile(replicas[s.to]!, replicas[s.from]!);
      after(s.to);
    } else {
      if (s.readFirst) clients[s.client] = read(replicas[s.replica]!).context;
      const ctx = clients[s.client]!;
      const node = NODES[s.replica]!;
      const before = replicas[s.replica]!;
      const next =
        s.op === 'write' ? put(before, `w${++n}`, ctx, node, s.timestamp) : remove(before, ctx, node, s.timestamp);
      // The new sibling is the one whose dot the replica had not seen before.
      const added = next.siblings.filter((x) => !covers(before.context, x.dot));
      expect(added).toHaveLength(1);
      const dot = key(added[0]!.dot);
      if (r.contexts.has(dot)) r.duplicateDots.push(dot);
      r.contexts.set(dot, ctx);
      replicas[s.replica] = next;
      after(s.replica);
    }
  }
  return r;
}

const all = (states: Stored<string>[]) => states.reduce((acc, s) => reconcile(acc, s), empty<string>());
const pick = (r: Run, i: number) => r.seen[i % r.seen.length]!;

describe('reconcile, over states from random histories', () => {
  const three = fc.tuple(history, fc.nat(), fc.nat(), fc.nat());

  it('is commutative: reconcile(a, b) equals reconcile(b, a)', () => {
    fc.assert(
      fc.property(three, ([h, i, j]) => {
        const r = run(h);
        const [a, b] = [pick(r, i), pick(r, j)];
        expect(reconcile(a, b)).toEqual(reconcile(b, a));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('is associative: the grouping of merges does not matter', () => {
    fc.assert(
      fc.property(three, ([h, i, j, k]) => {
        const r = run(h);
        const [a, b, c] = [pick(r, i), pick(r, j), pick(r, k)];
        expect(reconcile(reconcile(a, b), c)).toEqual(reconcile(a, reconcile(b, c)));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('is idempotent, and the empty state changes nothing', () => {
    fc.assert(
      fc.property(three, ([h, i, j]) => {
        const r = run(h);
        const [a, b] = [pick(r, i), pick(r, j)];
        expect(reconcile(a, a)).toEqual(a);
        expect(reconcile(a, empty())).toEqual(a);
        const ab = reconcile(a, b);
        expect(reconcile(ab, b)).toEqual(ab); // meeting the same replica again changes nothing
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('writes, siblings and dots over random histories', () => {
  it('never drops a write that no write\'s context covered, and drops every one that was covered', () => {
    fc.assert(
      fc.property(history, (h) => {
        const r = run(h);
        const final = all(r.replicas);
        const survivors = final.siblings.map((s) => key(s.dot)).sort();
        const uncovered = [...r.contexts.keys()]
          .filter((d) => {
            const [node, counter] = d.split(':');
            return ![...r.contexts.values()].some((ctx) => covers(ctx, { node: node!, counter: Number(counter) }));
          })
          .sort();
        expect(survivors).toEqual(uncovered);
        // Every replica reaches that same state by meeting the others' merged state: they converge.
        for (const s of r.replicas) expect(reconcile(s, final)).toEqual(final);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('no two writes share a dot, and no sibling is one another sibling\'s writer had seen, at any moment', () => {
    fc.assert(
      fc.property(history, (h) => {
        const r = run(h);
        expect(r.duplicateDots).toEqual([]);
        expect(r.orderedSiblings).toEqual([]);
        expect(orderedPairs(all(r.replicas), r.contexts)).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('every state is plain data: siblings sorted by dot, each dot seen by the context, JSON-safe', () => {
    fc.assert(
      fc.property(history, (h) => {
        for (const s of run(h).seen) {
          for (const x of s.siblings) expect(covers(s.context, x.dot)).toBe(true);
          const sorted = [...s.siblings].sort((x, y) => x.dot.node.localeCompare(y.dot.node) || x.dot.counter - y.dot.counter);
          expect(s.siblings).toEqual(sorted);
          expect(JSON.parse(JSON.stringify(s))).toEqual(s);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('resolveLww picks the greatest (timestamp, node, counter), and every replica picks the same after healing', () => {
    const rank = (s: Sibling<string>) => [s.timestamp, s.dot.node, s.dot.counter] as const;
    const greater = (x: Sibling<string>, y: Sibling<string>) => {
      const [a, b] = [rank(x), rank(y)];
      return a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] > b[2];
    };
    fc.assert(
      fc.property(history, (h) => {
        const r = run(h);
        const final = all(r.replicas);
        const winner = resolveLww(final);
        if (final.siblings.length === 0) expect(winner).toBeUndefined();
        for (const s of final.siblings) if (s !== winner) expect(greater(winner!, s)).toBe(true);
        for (const s of r.replicas) expect(resolveLww(reconcile(final, s))).toEqual(winner);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('version vector laws', () => {
  const vv = fc.dictionary(fc.constantFrom('A', 'B', 'C', 'D'), fc.integer({ min: 0, max: 3 }));
  const flip = { equal: 'equal', before: 'after', after: 'before', concurrent: 'concurrent' } as const;

  it('compare agrees with merge: a before b exactly when b already holds everything a has, and more', () => {
    fc.assert(
      fc.property(vv, vv, (a, b) => {
        const m = merge(a, b);
        const aHasAll = compare(m, a) === 'equal';
        const bHasAll = compare(m, b) === 'equal';
        const expected = aHasAll && bHasAll ? 'equal' : bHasAll ? 'before' : aHasAll ? 'after' : 'concurrent';
        expect(compare(a, b)).toBe(expected);
        expect(compare(b, a)).toBe(flip[expected]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('merge is commutative, associative and idempotent, and never before either input', () => {
    fc.assert(
      fc.property(vv, vv, vv, (a, b, c) => {
        expect(merge(a, b)).toEqual(merge(b, a));
        expect(merge(merge(a, b), c)).toEqual(merge(a, merge(b, c)));
        expect(compare(merge(a, a), a)).toBe('equal');
        expect(['equal', 'after']).toContain(compare(merge(a, b), a));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('increment makes a vector that comes after the old one and is concurrent with none of its past', () => {
    fc.assert(
      fc.property(vv, fc.constantFrom('A', 'B', 'E'), (a, node) => {
        expect(compare(increment(a, node), a)).toBe('after');
        expect(compare(a, increment(a, node))).toBe('before');
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
