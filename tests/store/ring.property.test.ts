// The ring's laws, for any set of nodes and keys (fast-check), and its measured figures on fixed inputs.
//
// The laws are what consistent hashing promises (Karger et al. 1997; Dynamo §4.2-4.3): a lookup is the first
// DISTINCT nodes clockwise; a joining node takes keys only for itself; a leaving node gives up only its own.
// The figures (balance, how much moves) depend on the hash, which is fixed, so they are the same on every run;
// each bound below leaves a margin around the number measured, written beside it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addNode,
  createRing,
  hashString,
  imbalance,
  keyMovement,
  loadShare,
  ownerOf,
  preferenceList,
  removeNode,
} from '../../examples/store/core/ring.ts';

// ---- Generators ---------------------------------------------------------------------------------------------
const nodeName = fc.string({ minLength: 1, maxLength: 6 });
const nodeSet = (min: number) => fc.uniqueArray(nodeName, { minLength: min, maxLength: 7 });
const vnodes = fc.integer({ min: 1, max: 12 });
const keyList = fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 40 });
const replicas = fc.integer({ min: 1, max: 4 });
const RUNS = { numRuns: 150 };

// ---- A slow, obviously right model of a lookup --------------------------------------------------------------
// Every token with its position, sorted; scan ALL tokens from the key's position clockwise (twice around, to
// wrap), taking each node the first time it is seen.
function modelPreferenceList(nodes: string[], v: number, key: string, n: number): string[] {
  const tokens = nodes
    .flatMap((node) => Array.from({ length: v }, (_, i) => ({ position: hashString(`${node}#${i}`), node })))
    .sort((a, b) => a.position - b.position || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  const h = hashString(key);
  const start = tokens.findIndex((t) => t.position >= h);
  const from = start === -1 ? 0 : start;
  const list: string[] = [];
  for (let i = 0; i < 2 * tokens.length; i++) {
    const node = tokens[(from + i) % tokens.length]!.node;
    if (list.length < n && !list.includes(node)) list.push(node);
  }
  return list;
}

describe('ring laws (fast-check)', () => {
  it('preferenceList is the first n distinct nodes clockwise, n capped at the number of nodes', () => {
    fc.assert(
      fc.property(nodeSet(1), vnodes, keyList, fc.integer({ min: 1, max: 9 }), (nodes, v, keys, n) => {
        const ring = createRing(nodes, v);
        for (const key of keys) {
          const list = preferenceList(ring, key, n);
          expect(list).toEqual(modelPreferenceList(nodes, v, key, n));
          expect(list).toHaveLength(Math.min(n, nodes.length));
          expect(new Set(list).size).toBe(list.length);
          expect(ownerOf(ring, key)).toBe(list[0]);
          // A shorter list is the start of a longer one: the owner, then the next replicas in order.
          expect(preferenceList(ring, key, 1)).toEqual(list.slice(0, 1));
        }
      }),
      RUNS,
    );
  });

  it('a ring depends only on the set of nodes: any join order, and a join undone, give the same ring', () => {
    fc.assert(
      fc.property(nodeSet(1), vnodes, nodeName, (nodes, v, extra) => {
        const ring = createRing(nodes, v);
        expect(createRing([...nodes].reverse(), v)).toEqual(ring);
        expect(nodes.slice(1).reduce(addNode, createRing(nodes.slice(0, 1), v))).toEqual(ring);
        fc.pre(!nodes.includes(extra));
        expect(removeNode(addNode(ring, extra), extra)).toEqual(ring);
      }),
      RUNS,
    );
  });

  it('on a join, every key that changes owner moves TO the new node', () => {
    fc.assert(
      fc.property(nodeSet(1), vnodes, nodeName, keyList, (nodes, v, joining, keys) => {
        fc.pre(!nodes.includes(joining));
        const before = createRing(nodes, v);
        const after = addNode(before, joining);
        const movement = keyMovement(before, after, keys);
        for (const move of movement.moves) expect(move.to).toEqual([joining]);
        // ...and every key the new node now owns came from someone else: nothing else changed.
        expect(movement.moved).toBe(keys.filter((k) => ownerOf(after, k) === joining).length);
      }),
      RUNS,
    );
  });

  it('on a join with replicas, a key whose replicas change gains the new node and loses at most one other', () => {
    fc.assert(
      fc.property(nodeSet(1), vnodes, nodeName, keyList, replicas, (nodes, v, joining, keys, r) => {
        fc.pre(!nodes.includes(joining));
        const before = createRing(nodes, v);
        const after = addNode(before, joining);
        for (const { from, to } of keyMovement(before, after, keys, r).moves) {
          expect(to).toContain(joining);
          const lost = from.filter((node) => !to.includes(node));
          // With fewer nodes than replicas nobody is pushed out; otherwise exactly one is.
          expect(lost).toHaveLength(nodes.length < r ? 0 : 1);
        }
      }),
      RUNS,
    );
  });

  it('on a leave, exactly the keys that had a copy on the leaving node move, and nothing else', () => {
    fc.assert(
      fc.property(nodeSet(2), vnodes, keyList, replicas, fc.nat(), (nodes, v, keys, r, pick) => {
        const before = createRing(nodes, v);
        const leaving = nodes[pick % nodes.length]!;
        const after = removeNode(before, leaving);
        const movement = keyMovement(before, after, keys, r);
        const held = keys.filter((k) => preferenceList(before, k, r).includes(leaving));
        expect(movement.moves.map((m) => m.key)).toEqual(held);
        for (const { from, to } of movement.moves) {
          // The survivors keep their copies; at most one node takes over the leaver's copy.
          expect(from.filter((node) => node !== leaving).every((node) => to.includes(node))).toBe(true);
          expect(to).not.toContain(leaving);
        }
      }),
      RUNS,
    );
  });

  it('loadShare counts every key once per replica, min(replicas, nodes) nodes each', () => {
    fc.assert(
      fc.property(nodeSet(1), vnodes, keyList, replicas, (nodes, v, keys, r) => {
        const load = loadShare(createRing(nodes, v), keys, r);
        expect(Object.keys(load).sort()).toEqual([...nodes].sort());
        const total = Object.values(load).reduce((a, b) => a + b, 0);
        expect(total).toBe(keys.length * Math.min(r, nodes.length));
      }),
      RUNS,
    );
  });
});

// ---- Measured figures ---------------------------------------------------------------------------------------
// 10,000 keys key-0 .. key-9999 on nodes node-1 .. node-N. Deterministic: the hash is fixed, so these numbers
// are the same on every machine; the bounds leave room so that a harmless change (a renamed key) cannot trip them.
const KEYS = Array.from({ length: 10_000 }, (_, i) => `key-${i}`);
const nodesNamed = (n: number) => Array.from({ length: n }, (_, i) => `node-${i + 1}`);

describe('balance: virtual nodes even out the load (N = 5, 10,000 keys)', () => {
  it('with 128 tokens per node the busiest node holds 1.06x the mean (bound: at most 1.15x)', () => {
    const load = loadShare(createRing(nodesNamed(5)), KEYS);
    expect(load).toEqual({ 'node-1': 2100, 'node-2': 1953, 'node-3': 2127, 'node-4': 1793, 'node-5': 2027 });
    expect(imbalance(load)).toBe(1.0635); // node-3: 2,127 keys against a mean of 2,000
    expect(imbalance(load)).toBeLessThanOrEqual(1.15);
    // and the least loaded node still gets a fair part: node-4, 0.90x the mean
    expect(Math.min(...Object.values(load)) / 2000).toBeGreaterThanOrEqual(0.8);
  });

  it('with 1 token per node (plain consistent hashing) the busiest holds 1.83x the mean (bound: at least 1.5x)', () => {
    const load = loadShare(createRing(nodesNamed(5), 1), KEYS);
    expect(load).toEqual({ 'node-1': 2615, 'node-2': 3657, 'node-3': 576, 'node-4': 2923, 'node-5': 229 });
    expect(imbalance(load)).toBe(1.8285); // node-2: 3,657 keys against a mean of 2,000
    expect(imbalance(load)).toBeGreaterThanOrEqual(1.5);
    expect(Math.min(...Object.values(load))).toBeLessThan(400); // node-5: 229, nearly idle
  });

  it('with 128 tokens, any of several node namings stays within 1.15x (measured 1.06x, 1.14x, 1.11x)', () => {
    for (const names of [nodesNamed(5), ['A', 'B', 'C', 'D', 'E'], ['n1', 'n2', 'n3', 'n4', 'n5']]) {
      expect(imbalance(loadShare(createRing(names), KEYS))).toBeLessThanOrEqual(1.15);
    }
  });
});

describe('movement: a join moves about 1/(N+1) of the keys, all to the new node', () => {
  it('N = 5 -> 6 with 128 tokens: 1,437 of 10,000 keys move (0.144, ideal 1/6 = 0.167; bound 0.10-0.23)', () => {
    const before = createRing(nodesNamed(5));
    const after = addNode(before, 'node-6');
    const movement = keyMovement(before, after, KEYS);
    expect(movement.moved).toBe(1437);
    expect(movement.moved / KEYS.length).toBeGreaterThanOrEqual(0.1);
    expect(movement.moved / KEYS.length).toBeLessThanOrEqual(0.23);
    expect(movement.moves.every((m) => m.to[0] === 'node-6')).toBe(true);
    // Contrast: hash mod N sends 8,352 of the same keys (0.84, about N/(N+1)) to a different node.
    expect(KEYS.filter((k) => hashString(k) % 5 !== hashString(k) % 6).length).toBe(8352);
  });

  it('N = 5 -> 6, 3 replicas: 4,717 keys gain the new node as a replica (about 3/(N+1) = 0.5)', () => {
    const before = createRing(nodesNamed(5));
    const movement = keyMovement(before, addNode(before, 'node-6'), KEYS, 3);
    expect(movement.moved).toBe(4717);
  });

  it('for N = 1 .. 10, the fraction moved by one join is within 0.75x-1.25x of 1/(N+1) (measured 0.86x-1.09x)', () => {
    for (let n = 1; n <= 10; n++) {
      const before = createRing(nodesNamed(n));
      const moved = keyMovement(before, addNode(before, `node-${n + 1}`), KEYS).moved / KEYS.length;
      const ratio = moved * (n + 1);
      expect(ratio, `N = ${n}: moved ${moved}`).toBeGreaterThanOrEqual(0.75);
      expect(ratio, `N = ${n}: moved ${moved}`).toBeLessThanOrEqual(1.25);
    }
  });

  it("a leave moves exactly the leaving node's keys: node-3 held 2,127, and 2,127 move", () => {
    const before = createRing(nodesNamed(5));
    const load = loadShare(before, KEYS);
    expect(load['node-3']).toBe(2127);
    expect(keyMovement(before, removeNode(before, 'node-3'), KEYS).moved).toBe(2127);
  });
});
