// Versions and conflicts (examples/store/core/versions.ts), case by case: every outcome of compare, a write
// replacing exactly what its client saw, siblings for what it did not see, tombstones that an older replica
// cannot undo, last-writer-wins and the update it loses. The laws (reconcile in any order) are in
// versions.property.test.ts.
import { describe, expect, it } from 'vitest';
import {
  compare,
  counterOf,
  covers,
  empty,
  increment,
  merge,
  parseVersionVector,
  put,
  read,
  reconcile,
  remove,
  resolveLww,
  shoppingListScenario,
  type Sibling,
  type Stored,
} from '../../examples/store/core/versions.ts';

/** The siblings of a state as `node:counter=value` strings, in stored order: short to compare. */
const dots = (s: Stored<string>) => s.siblings.map((x) => `${x.dot.node}:${x.dot.counter}=${x.deleted ? '(deleted)' : x.value}`);

describe('version vectors', () => {
  it('counterOf: a missing node is 0, and names like "constructor" or "__proto__" are only names', () => {
    expect(counterOf({ A: 3 }, 'A')).toBe(3);
    expect(counterOf({ A: 3 }, 'B')).toBe(0);
    expect(counterOf({}, 'constructor')).toBe(0);
    expect(counterOf({}, '__proto__')).toBe(0);
    expect(counterOf({}, 'toString')).toBe(0);
    const vv = increment(increment({}, '__proto__'), 'constructor');
    expect(counterOf(vv, '__proto__')).toBe(1);
    expect(counterOf(vv, 'constructor')).toBe(1);
    expect(Object.keys(vv)).toEqual(['__proto__', 'constructor']);
  });

  it('merge takes the pointwise maximum, sorts the node ids and leaves its arguments alone', () => {
    const a = { C: 1, A: 4, B: 1 };
    const b = { B: 2, D: 0 };
    const m = merge(a, b);
    expect(m).toEqual({ A: 4, B: 2, C: 1, D: 0 });
    expect(Object.keys(m)).toEqual(['A', 'B', 'C', 'D']);
    expect(merge(b, a)).toEqual(m);
    expect(merge({}, {})).toEqual({});
    expect(a).toEqual({ C: 1, A: 4, B: 1 });
    expect(b).toEqual({ B: 2, D: 0 });
  });

  it('increment adds one for that node only and returns a new vector', () => {
    expect(increment({}, 'A')).toEqual({ A: 1 });
    const vv = { A: 2, B: 7 };
    expect(increment(vv, 'B')).toEqual({ A: 2, B: 8 });
    expect(increment(vv, 'C')).toEqual({ A: 2, B: 7, C: 1 });
    expect(vv).toEqual({ A: 2, B: 7 });
  });

  it('covers: a vector has seen a dot when its counter for that node is at least the dot\'s', () => {
    expect(covers({ A: 2 }, { node: 'A', counter: 1 })).toBe(true);
    expect(covers({ A: 2 }, { node: 'A', counter: 2 })).toBe(true);
    expect(covers({ A: 2 }, { node: 'A', counter: 3 })).toBe(false);
    expect(covers({ A: 2 }, { node: 'B', counter: 1 })).toBe(false);
  });
});

describe('compare', () => {
  it('equal: the same writes seen (a missing node and a 0 are the same)', () => {
    expect(compare({}, {})).toBe('equal');
    expect(compare({ A: 1, B: 2 }, { B: 2, A: 1 })).toBe('equal');
    expect(compare({ A: 0 }, {})).toBe('equal');
    expect(compare({}, { A: 0 })).toBe('equal');
  });

  it('before: b has seen everything a has, and more', () => {
    expect(compare({}, { A: 1 })).toBe('before');
    expect(compare({ A: 1 }, { A: 2 })).toBe('before');
    expect(compare({ A: 1 }, { A: 1, B: 1 })).toBe('before');
    expect(compare({ A: 2, B: 1 }, { A: 2, B: 3, C: 1 })).toBe('before');
    expect(compare({ A: 1, B: 5 }, { A: 2, B: 5, C: 0 })).toBe('before');
  });

  it('after: a has seen everything b has, and more', () => {
    expect(compare({ A: 1 }, {})).toBe('after');
    expect(compare({ A: 2 }, { A: 1 })).toBe('after');
    expect(compare({ A: 1, B: 1 }, { A: 1 })).toBe('after');
    expect(compare({ A: 2, B: 3, C: 1 }, { A: 2, B: 1 })).toBe('after');
  });

  it('concurrent: each has seen a write the other has not', () => {
    expect(compare({ A: 1 }, { B: 1 })).toBe('concurrent');
    expect(compare({ A: 2, B: 1 }, { A: 1, B: 2 })).toBe('concurrent');
    expect(compare({ A: 3, C: 1 }, { A: 3, B: 1 })).toBe('concurrent');
  });
});

describe('parseVersionVector (input from clients and peers)', () => {
  it('accepts an object of whole numbers >= 0 and returns a sorted copy', () => {
    const input = { B: 2, A: 0 };
    const r = parseVersionVector(input);
    expect(r).toEqual({ ok: true, vv: { A: 0, B: 2 } });
    if (r.ok) {
      expect(Object.keys(r.vv)).toEqual(['A', 'B']);
      expect(r.vv).not.toBe(input);
    }
    expect(parseVersionVector({})).toEqual({ ok: true, vv: {} });
    expect(parseVersionVector({ A: Number.MAX_SAFE_INTEGER })).toEqual({ ok: true, vv: { A: Number.MAX_SAFE_INTEGER } });
  });

  it('keeps a node called "__proto__" from JSON as a plain entry', () => {
    const r = parseVersionVector(JSON.parse('{"__proto__": 3, "A": 1}'));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(counterOf(r.vv, '__proto__')).toBe(3);
      expect(Object.getPrototypeOf(r.vv)).toBe(Object.prototype);
    }
  });

  it('refuses anything that is not an object, with the reason', () => {
    const error = 'a version vector must be an object of node id -> counter';
    for (const bad of [null, undefined, 3, 'A:1', true, [1, 2], []]) {
      expect(parseVersionVector(bad)).toEqual({ ok: false, error });
    }
  });

  it('refuses an empty node id and any counter that is not a whole number >= 0, naming the node', () => {
    expect(parseVersionVector({ '': 1 })).toEqual({ ok: false, error: 'a version vector has an empty node id' });
    for (const bad of [-1, 1.5, '1', null, NaN, Infinity, 2 ** 53, [1], {}]) {
      expect(parseVersionVector({ A: 1, B: bad })).toEqual({
        ok: false,
        error: 'the counter for node "B" must be a whole number >= 0',
      });
    }
  });
});

describe('put: a write replaces exactly what its client saw', () => {
  it('the first write of a key gets the dot A:1 and the context {A:1}', () => {
    const s = put(empty<string>(), 'x', {}, 'A', 100);
    expect(s).toEqual({ siblings: [{ dot: { node: 'A', counter: 1 }, value: 'x', deleted: false, timestamp: 100 }], context: { A: 1 } });
  });

  it('a write carrying the context it read replaces the value; the input state is not changed', () => {
    const s1 = put(empty<string>(), 'x', {}, 'A', 100);
    const before = structuredClone(s1);
    const s2 = put(s1, 'y', read(s1).context, 'A', 200);
    expect(dots(s2)).toEqual(['A:2=y']);
    expect(s2.context).toEqual({ A: 2 });
    expect(s1).toEqual(before);
  });

  it('a blind write (empty context) keeps the value it did not see: two siblings', () => {
    const s1 = put(empty<string>(), 'x', {}, 'A', 100);
    const s2 = put(s1, 'y', {}, 'A', 200);
    expect(dots(s2)).toEqual(['A:1=x', 'A:2=y']);
    expect(read(s2)).toEqual({ values: ['x', 'y'], deleted: false, context: { A: 2 } });
  });

  it('two clients with the same stale context writing through the SAME node both survive (why dots)', () => {
    // Both read "x" (context {A:1}). With one version vector per value, the second write would get {A:3},
    // which descends from the first's {A:2}: the first value would be dropped unseen. With dots it stays.
    const s1 = put(empty<string>(), 'x', {}, 'A', 100);
    const ctx = read(s1).context;
    const s2 = put(s1, 'alice', ctx, 'A', 200);
    const s3 = put(s2, 'bob', ctx, 'A', 300);
    expect(dots(s3)).toEqual(['A:2=alice', 'A:3=bob']);
    expect(s3.context).toEqual({ A: 3 });
    // A client that read both and writes with that context resolves the conflict: one value again.
    const s4 = put(s3, 'alice+bob', read(s3).context, 'A', 400);
    expect(dots(s4)).toEqual(['A:4=alice+bob']);
  });

  it('a context that covers some siblings replaces those and keeps the others', () => {
    let s = put(empty<string>(), 'a1', {}, 'A', 1);
    s = put(s, 'b1', {}, 'B', 2);
    s = put(s, 'c1', {}, 'C', 3);
    expect(dots(s)).toEqual(['A:1=a1', 'B:1=b1', 'C:1=c1']);
    const s2 = put(s, 'new', { A: 1, C: 1 }, 'B', 4);
    expect(dots(s2)).toEqual(['B:1=b1', 'B:2=new']);
    expect(s2.context).toEqual({ A: 1, B: 2, C: 1 });
  });

  it("the client's context counts too: it is merged into the key's context and the new counter is above it", () => {
    // The client read a replica that had seen A:5; this replica has seen only A:1.
    const s = put(empty<string>(), 'old', {}, 'A', 1);
    const s2 = put(s, 'new', { A: 5, B: 2 }, 'A', 2);
    expect(dots(s2)).toEqual(['A:6=new']);
    expect(s2.context).toEqual({ A: 6, B: 2 });
    // ...and through another node: that node's own counter, the rest merged.
    const s3 = put(s, 'other', { B: 2 }, 'C', 3);
    expect(dots(s3)).toEqual(['A:1=old', 'C:1=other']);
    expect(s3.context).toEqual({ A: 1, B: 2, C: 1 });
  });

  it('siblings are sorted by node id, then by counter as a number (A:2 before A:10)', () => {
    let s = empty<string>();
    for (let i = 1; i <= 10; i++) s = put(s, `a${i}`, {}, 'A', i); // blind writes: ten siblings A:1..A:10
    s = put(s, 'b', {}, 'B', 11);
    s = put(s, 'late', { A: 8 }, 'A', 12); // replaces A:1..A:8
    expect(dots(s)).toEqual(['A:9=a9', 'A:10=a10', 'A:11=late', 'B:1=b']);
    const s2 = put(put(empty<string>(), 'z', {}, 'Z', 1), 'm', {}, 'M', 2);
    expect(dots(s2)).toEqual(['M:1=m', 'Z:1=z']);
  });
});

describe('remove: a delete is a tombstone sibling', () => {
  it('replaces what the client saw with a tombstone; the key reads as deleted', () => {
    const s1 = put(empty<string>(), 'x', {}, 'A', 100);
    const s2 = remove(s1, read(s1).context, 'B', 200);
    expect(s2).toEqual({ siblings: [{ dot: { node: 'B', counter: 1 }, value: null, deleted: true, timestamp: 200 }], context: { A: 1, B: 1 } });
    expect(read(s2)).toEqual({ values: [], deleted: true, context: { A: 1, B: 1 } });
  });

  it('a write that saw the tombstone replaces it; a blind one stays beside it (the client sees both)', () => {
    const s1 = remove(put(empty<string>(), 'x', {}, 'A', 1), { A: 1 }, 'A', 2);
    expect(dots(put(s1, 'y', read(s1).context, 'A', 3))).toEqual(['A:3=y']);
    const blind = put(s1, 'y', {}, 'B', 3);
    expect(dots(blind)).toEqual(['A:2=(deleted)', 'B:1=y']);
    expect(read(blind)).toEqual({ values: ['y'], deleted: true, context: { A: 2, B: 1 } });
  });

  it('a key nobody wrote reads as no values, not deleted, empty context', () => {
    expect(read(empty())).toEqual({ values: [], deleted: false, context: {} });
  });
});

describe('reconcile: two replicas meet (anti-entropy, read repair)', () => {
  const base = put(empty<string>(), 'x', {}, 'A', 1); // both replicas had this before the partition

  it('with a replica that knows nothing, the result is the other copy, from either side', () => {
    expect(reconcile(base, empty())).toEqual(base);
    expect(reconcile(empty(), base)).toEqual(base);
    expect(reconcile(empty(), empty())).toEqual(empty());
  });

  it('an overwritten value does not come back from a replica that still has it', () => {
    const newer = put(base, 'y', read(base).context, 'B', 2);
    expect(dots(reconcile(newer, base))).toEqual(['B:1=y']);
    expect(dots(reconcile(base, newer))).toEqual(['B:1=y']);
    expect(reconcile(base, newer).context).toEqual({ A: 1, B: 1 });
  });

  it('writes on both sides of a partition, neither seeing the other, both survive as siblings', () => {
    const left = put(base, 'left', read(base).context, 'A', 2);
    const right = put(base, 'right', read(base).context, 'B', 3);
    const healed = reconcile(left, right);
    expect(dots(healed)).toEqual(['A:2=left', 'B:1=right']);
    expect(healed.context).toEqual({ A: 2, B: 1 });
    expect(reconcile(right, left)).toEqual(healed);
  });

  it('a sibling both copies hold appears once; the function changes neither argument', () => {
    const a = put(base, 'y', {}, 'B', 2);
    const b = put(base, 'z', {}, 'C', 3);
    const [ca, cb] = [structuredClone(a), structuredClone(b)];
    expect(dots(reconcile(a, b))).toEqual(['A:1=x', 'B:1=y', 'C:1=z']);
    expect(a).toEqual(ca);
    expect(b).toEqual(cb);
  });

  it('reconciling a copy with itself changes nothing', () => {
    const s = put(put(base, 'y', {}, 'B', 2), 'z', {}, 'C', 3);
    expect(reconcile(s, s)).toEqual(s);
  });

  it('a tombstone survives reconcile with an older replica: the delete is not undone', () => {
    const deleted = remove(base, read(base).context, 'A', 2);
    for (const healed of [reconcile(deleted, base), reconcile(base, deleted)]) {
      expect(dots(healed)).toEqual(['A:2=(deleted)']);
      expect(read(healed)).toEqual({ values: [], deleted: true, context: { A: 2 } });
    }
  });

  it('a delete on one side and a write on the other are a conflict the client sees', () => {
    const deleted = remove(base, read(base).context, 'A', 2);
    const written = put(base, 'y', read(base).context, 'B', 3);
    const healed = reconcile(deleted, written);
    expect(dots(healed)).toEqual(['A:2=(deleted)', 'B:1=y']);
    expect(read(healed)).toEqual({ values: ['y'], deleted: true, context: { A: 2, B: 1 } });
  });
});

describe('last-writer-wins', () => {
  const sib = (node: string, counter: number, timestamp: number, value = `${node}${counter}`): Sibling<string> => ({
    dot: { node, counter },
    value,
    deleted: false,
    timestamp,
  });
  const state = (...siblings: Sibling<string>[]): Stored<string> => ({ siblings, context: {} });

  it('nothing written: no winner', () => {
    expect(resolveLww(empty())).toBeUndefined();
  });

  it('the highest timestamp wins, wherever it stands among the siblings', () => {
    expect(resolveLww(state(sib('A', 1, 30), sib('B', 1, 20), sib('C', 1, 10)))?.value).toBe('A1');
    expect(resolveLww(state(sib('A', 1, 10), sib('B', 1, 30), sib('C', 1, 20)))?.value).toBe('B1');
    expect(resolveLww(state(sib('A', 1, 10), sib('B', 1, 20), sib('C', 1, 30)))?.value).toBe('C1');
    expect(resolveLww(state(sib('A', 1, 5)))?.value).toBe('A1');
  });

  it('equal timestamps: the higher node id wins, wherever it stands', () => {
    expect(resolveLww(state(sib('A', 1, 10), sib('B', 1, 10)))?.value).toBe('B1');
    expect(resolveLww(state(sib('B', 1, 10), sib('A', 1, 10)))?.value).toBe('B1');
    expect(resolveLww(state(sib('A', 9, 10), sib('B', 1, 10)))?.value).toBe('B1');
    expect(resolveLww(state(sib('B', 1, 10), sib('A', 9, 10)))?.value).toBe('B1');
  });

  it('reads without changing the stored siblings or their order', () => {
    const s = state(sib('B', 1, 30), sib('A', 1, 10), sib('C', 1, 20));
    const copy = structuredClone(s);
    expect(resolveLww(s)?.value).toBe('B1');
    expect(s).toEqual(copy);
  });

  it('equal timestamps from one node: its later dot wins', () => {
    expect(resolveLww(state(sib('A', 1, 10), sib('A', 2, 10)))?.value).toBe('A2');
    expect(resolveLww(state(sib('A', 2, 10), sib('A', 1, 10)))?.value).toBe('A2');
    // A lower node id with a higher counter does not beat a higher node id.
    expect(resolveLww(state(sib('A', 2, 10), sib('B', 1, 10), sib('A', 3, 10)))?.value).toBe('B1');
  });

  it('a delete can win: the key then reads as deleted', () => {
    const s = reconcile(remove(put(empty<string>(), 'x', {}, 'A', 1), { A: 1 }, 'A', 50), put(empty<string>(), 'y', {}, 'B', 40));
    expect(resolveLww(s)).toEqual({ dot: { node: 'A', counter: 2 }, value: null, deleted: true, timestamp: 50 });
  });

  it('the lost update: with siblings both lists survive and merge; under LWW the later write is lost', () => {
    const r = shoppingListScenario();
    expect(r.siblings).toEqual([['milk', 'eggs'], ['milk', 'bread']]);
    expect(r.merged).toEqual(['milk', 'eggs', 'bread']);
    expect(r.lww).toEqual(['milk', 'eggs']);
    expect(r.lost).toEqual(['bread']);
    expect(dots(r.healed as unknown as Stored<string>).map((d) => d.split('=')[0])).toEqual(['A:2', 'B:1']);
    expect(r.healed.context).toEqual({ A: 2, B: 1 });
    expect(r.healed.siblings.map((s) => s.timestamp)).toEqual([10_000, 9_000]);
    // And the loss becomes permanent: the LWW client's next write carries the full context.
    const next = put(r.healed, [...r.lww, 'tea'], read(r.healed).context, 'A', 12_000);
    expect(read(next).values).toEqual([['milk', 'eggs', 'tea']]);
  });

  it('why LWW resolves at read time: collapsing stored siblings to the winner breaks reconcile', () => {
    // Replica a holds x (t=10); b holds y (t=20); c holds w (t=5), written by a client that had read y but
    // not x. Resolving at every merge makes the outcome depend on the order of merging, and two replicas
    // that merged in different orders then wipe each other's survivor out.
    const collapse = (s: Stored<string>): Stored<string> => ({ siblings: [resolveLww(s)!], context: s.context });
    const merged = (p: Stored<string>, q: Stored<string>) => collapse(reconcile(p, q));
    const a = put(empty<string>(), 'x', {}, 'A', 10);
    const b = put(empty<string>(), 'y', {}, 'B', 20);
    const c = put(b, 'w', read(b).context, 'C', 5);
    const left = merged(merged(a, b), c);
    const right = merged(a, merged(b, c));
    expect(dots(left)).toEqual(['C:1=w']);
    expect(dots(right)).toEqual(['A:1=x']);
    expect(reconcile(left, right).siblings).toEqual([]); // both values gone
    // Resolving at read time instead: every order gives the same state, and the same winner.
    const l2 = reconcile(reconcile(a, b), c);
    expect(reconcile(a, reconcile(b, c))).toEqual(l2);
    expect(dots(l2)).toEqual(['A:1=x', 'C:1=w']);
    expect(resolveLww(l2)?.value).toBe('x');
  });
});

describe('plain data', () => {
  it('a state survives a JSON round trip unchanged (it can be stored and sent as is)', () => {
    const s = reconcile(remove(put(empty<string>(), 'x', {}, 'A', 1), { A: 1 }, 'A', 2), put(empty<string>(), 'y', {}, 'B', 3));
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
