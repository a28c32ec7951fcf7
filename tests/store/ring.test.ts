// The consistent-hashing ring (examples/store/core/ring.ts), by example: pinned hash values, a small ring worked
// out by hand, the preference list's rules (Dynamo §4.3), the tie-break, joins and leaves, and every error.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_VNODES,
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

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('hashString: MurmurHash3 x86_32, seed 0, over UTF-8', () => {
  // The published reference values (SMHasher's MurmurHash3_x86_32 with seed 0); each was also checked
  // against an independent implementation fed the same UTF-8 bytes.
  it.each([
    ['', 0x00000000],
    ['hello', 0x248bfa47],
    ['test', 0xba6bd213],
    ['Hello, world!', 0xc0363e43],
    ['The quick brown fox jumps over the lazy dog', 0x2e4ff723],
  ])('hashString(%j) is the reference value', (text, expected) => {
    expect(hashString(text)).toBe(expected);
  });

  // 1, 2, 3 and 4 bytes, then 4 + 1: every length of leftover tail, and a whole block followed by a tail.
  it.each([
    ['a', 0x3c2569b2],
    ['ab', 0x9bbfd75f],
    ['abc', 0xb3dd93fa],
    ['abcd', 0x43ed676a],
    ['abcde', 0xe89b9af6],
  ])('every tail length: hashString(%j)', (text, expected) => {
    expect(hashString(text)).toBe(expected);
  });

  it.each([
    ['é', 0x10110787], // 2 UTF-8 bytes from one UTF-16 unit
    ['日本語', 0xa5a47297], // 3 bytes per character, 9 in all
    ['🙂', 0x3e226063], // 4 bytes from a surrogate pair
  ])('hashes the UTF-8 bytes, not UTF-16 units: hashString(%j)', (text, expected) => {
    expect(hashString(text)).toBe(expected);
  });

  it('mixes in the length: zero bytes are not the same as no bytes', () => {
    expect(hashString('\u0000')).toBe(0x514e28b7);
    expect(hashString('\u0000\u0000\u0000\u0000')).toBe(0x2362f9de);
  });

  it('the names the ring uses: a token and a key', () => {
    expect(hashString('node-1#0')).toBe(0x4122ee3e);
    expect(hashString('key-0')).toBe(0xe337f8bf);
  });

  it('is an unsigned 32-bit whole number', () => {
    for (const text of ['', 'a', 'hello', 'key-2', '🙂']) {
      const h = hashString(text);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
    expect(hashString('key-2')).toBe(4093138188); // above 2^31: would be negative without `>>> 0`
  });
});

describe('a ring worked out by hand: A, B, C with 2 tokens each', () => {
  const ring = createRing(['A', 'B', 'C'], 2);

  it('places token v of node X at hashString("X#v"), sorted clockwise', () => {
    expect(ring).toEqual({
      vnodes: 2,
      nodes: ['A', 'B', 'C'],
      tokens: [
        { position: 991333856, node: 'B', vnode: 0 },
        { position: 1282568964, node: 'A', vnode: 1 },
        { position: 2240555685, node: 'B', vnode: 1 },
        { position: 2938563154, node: 'C', vnode: 0 },
        { position: 3365151463, node: 'C', vnode: 1 },
        { position: 3945461583, node: 'A', vnode: 0 },
      ],
    });
  });

  it.each([
    ['key-6', 136335094, 'BAC'], // before the first token: B#0 owns it
    ['key-3', 2034982562, 'BCA'], // between A#1 and B#1
    ['key-1', 2561742240, 'CAB'], // C#0, C#1 (same node, skipped), A#0, then B#0 after wrapping around
    ['key-0', 3812096191, 'ABC'], // A#0, wrap: B#0, A#1 skipped, B#1 skipped, C#0
    ['key-2', 4093138188, 'BAC'], // past the last token: wraps to B#0
  ])('%s (hash %d) has the preference list %s', (key, hash, expected) => {
    expect(hashString(key)).toBe(hash);
    expect(preferenceList(ring, key, 3).join('')).toBe(expected);
    expect(preferenceList(ring, key, 2).join('')).toBe(expected.slice(0, 2));
    expect(preferenceList(ring, key, 1)).toEqual([expected[0]]);
    expect(ownerOf(ring, key)).toBe(expected[0]);
  });

  it('asking for more nodes than there are gives every node once', () => {
    expect(preferenceList(ring, 'key-0', 4)).toEqual(['A', 'B', 'C']);
    expect(preferenceList(ring, 'key-0', 100)).toEqual(['A', 'B', 'C']);
  });

  it('a key that hashes exactly onto a token belongs to that token (arcs include their end)', () => {
    // "C#1" is a token's own name, so as a key it hashes to that token's position; the next token is A#0.
    expect(hashString('C#1')).toBe(3365151463);
    expect(ownerOf(ring, 'C#1')).toBe('C');
    expect(preferenceList(ring, 'C#1', 3)).toEqual(['C', 'A', 'B']);
    // The first token and the last one, so neither end of the search is special.
    expect(preferenceList(ring, 'B#0', 3)).toEqual(['B', 'A', 'C']);
    expect(preferenceList(ring, 'A#0', 3)).toEqual(['A', 'B', 'C']);
  });
});

describe('createRing', () => {
  it(`gives each node ${DEFAULT_VNODES} tokens unless told otherwise`, () => {
    expect(DEFAULT_VNODES).toBe(128);
    const ring = createRing(['x', 'y']);
    expect(ring.vnodes).toBe(128);
    expect(ring.tokens).toHaveLength(256);
    expect(ring.tokens.filter((t) => t.node === 'x').map((t) => t.vnode).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 128 }, (_, i) => i),
    );
  });

  it('does not depend on the order the nodes are listed in', () => {
    expect(createRing(['c', 'a', 'b'], 8)).toEqual(createRing(['a', 'b', 'c'], 8));
    expect(createRing(['c', 'a', 'b'], 8).nodes).toEqual(['a', 'b', 'c']);
  });

  it('an empty ring is allowed, but cannot place a key', () => {
    const empty = createRing([], 4);
    expect(empty).toEqual({ vnodes: 4, nodes: [], tokens: [] });
    expect(() => ownerOf(empty, 'k')).toThrow(new Error('the ring is empty: no node can hold key "k"'));
    expect(() => preferenceList(empty, 'k', 3)).toThrow(new Error('the ring is empty: no node can hold key "k"'));
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses vnodes = %d', (vnodes) => {
    expect(() => createRing(['a'], vnodes)).toThrow(new Error(`vnodes must be a whole number of at least 1, got ${vnodes}`));
  });

  it('accepts vnodes = 1', () => {
    expect(createRing(['a'], 1).tokens).toEqual([{ position: hashString('a#0'), node: 'a', vnode: 0 }]);
  });

  it('refuses a node listed twice, an empty name and a name that is not a string', () => {
    expect(() => createRing(['a', 'b', 'a'], 2)).toThrow(new Error('node "a" is already on the ring'));
    expect(() => createRing([''], 2)).toThrow(new Error('a node name must be a non-empty string'));
    expect(() => createRing([7 as unknown as string], 2)).toThrow(new Error('a node name must be a non-empty string'));
  });
});

describe('two names on the same position: the tie-break', () => {
  // Found by search: these two token names have the same 32-bit hash.
  const position = 4158874788;

  it('the token of the node whose name sorts first comes first, whichever joined first', () => {
    expect(hashString('n16724#0')).toBe(position);
    expect(hashString('n100940#0')).toBe(position);
    const rings = [
      createRing(['n16724', 'n100940'], 1),
      createRing(['n100940', 'n16724'], 1),
      addNode(createRing(['n16724'], 1), 'n100940'),
      addNode(createRing(['n100940'], 1), 'n16724'),
    ];
    for (const ring of rings) {
      expect(ring.tokens).toEqual([
        { position, node: 'n100940', vnode: 0 }, // '0' < '6': "n100940" sorts before "n16724"
        { position, node: 'n16724', vnode: 0 },
      ]);
      // With one position on the ring, every key lands on it, so the first of the tied tokens owns them all.
      for (const key of ['a', 'key-2', 'n16724#0']) {
        expect(preferenceList(ring, key, 2)).toEqual(['n100940', 'n16724']);
      }
      expect(loadShare(ring, ['a', 'b', 'c'])).toEqual({ n100940: 3, n16724: 0 });
    }
  });

  it("one node's own tokens on the same position stay in vnode order", () => {
    // Also found by search: tokens 288 and 1041 of node s3147 have the same hash.
    expect(hashString('s3147#288')).toBe(67417051);
    expect(hashString('s3147#1041')).toBe(67417051);
    const ring = createRing(['s3147'], 1042);
    const tied = ring.tokens.filter((t) => t.position === 67417051);
    expect(tied).toEqual([
      { position: 67417051, node: 's3147', vnode: 288 },
      { position: 67417051, node: 's3147', vnode: 1041 },
    ]);
  });
});

describe('addNode and removeNode', () => {
  it('return a new ring and leave the one they were given alone', () => {
    const ring = deepFreeze(createRing(['a', 'b'], 4));
    const copy = structuredClone(ring);
    const bigger = addNode(ring, 'c');
    const smaller = removeNode(ring, 'a');
    expect(ring).toEqual(copy);
    expect(bigger).toEqual(createRing(['a', 'b', 'c'], 4));
    expect(smaller).toEqual(createRing(['b'], 4));
  });

  it('keep the nodes sorted by name', () => {
    expect(addNode(createRing(['b', 'd'], 1), 'c').nodes).toEqual(['b', 'c', 'd']);
    expect(addNode(createRing(['b'], 1), 'a').nodes).toEqual(['a', 'b']);
  });

  it('a node added then removed leaves the ring as it was', () => {
    const ring = createRing(['a', 'b', 'c'], 16);
    expect(removeNode(addNode(ring, 'd'), 'd')).toEqual(ring);
  });

  it('removing the last node leaves an empty ring', () => {
    const empty = removeNode(createRing(['a'], 3), 'a');
    expect(empty).toEqual({ vnodes: 3, nodes: [], tokens: [] });
    expect(() => ownerOf(empty, 'key-1')).toThrow('the ring is empty');
  });

  it('refuse a node already there, a node not there, and a bad name', () => {
    const ring = createRing(['a'], 2);
    expect(() => addNode(ring, 'a')).toThrow(new Error('node "a" is already on the ring'));
    expect(() => removeNode(ring, 'b')).toThrow(new Error('node "b" is not on the ring'));
    expect(() => addNode(ring, '')).toThrow(new Error('a node name must be a non-empty string'));
  });
});

describe('preferenceList', () => {
  it.each([0, -2, 1.5, Number.NaN])('refuses n = %d', (n) => {
    expect(() => preferenceList(createRing(['a'], 1), 'k', n)).toThrow(
      new Error(`n must be a whole number of at least 1, got ${n}`),
    );
  });

  it('on a one-node ring, every key has that node alone, however many are asked for', () => {
    const ring = createRing(['only'], 8);
    for (const key of ['a', 'key-2', 'zzz']) expect(preferenceList(ring, key, 3)).toEqual(['only']);
  });

  it('never names a node twice, even with many tokens per node', () => {
    const ring = createRing(['a', 'b', 'c', 'd', 'e'], 64);
    for (let i = 0; i < 200; i++) {
      const list = preferenceList(ring, `key-${i}`, 3);
      expect(list).toHaveLength(3);
      expect(new Set(list).size).toBe(3);
    }
  });
});

describe('keyMovement', () => {
  const keys = Array.from({ length: 12 }, (_, i) => `key-${i}`);
  const abc = createRing(['A', 'B', 'C'], 2);

  it('nothing moves between a ring and itself', () => {
    expect(keyMovement(abc, abc, keys)).toEqual({ total: 12, moved: 0, moves: [] });
  });

  it('lists each moved key with its nodes before and after, in the order the keys were given', () => {
    const withoutB = removeNode(abc, 'B');
    const movement = keyMovement(abc, withoutB, keys);
    const ownedByB = keys.filter((k) => ownerOf(abc, k) === 'B');
    expect(movement.total).toBe(12);
    expect(movement.moved).toBe(ownedByB.length);
    expect(movement.moves.map((m) => m.key)).toEqual(ownedByB);
    expect(movement.moves[0]).toEqual({ key: 'key-2', from: ['B'], to: ['A'] });
    for (const m of movement.moves) expect(m).toEqual({ key: m.key, from: ['B'], to: [ownerOf(withoutB, m.key)] });
  });

  it('with replicas, a key moves when the set of its nodes changes, not when only their order does', () => {
    const other = createRing(['A', 'B', 'C'], 5); // same nodes, different tokens: orders differ
    expect(keys.some((k) => preferenceList(abc, k, 3).join() !== preferenceList(other, k, 3).join())).toBe(true);
    expect(keyMovement(abc, other, keys, 3).moved).toBe(0);
    expect(keyMovement(abc, other, keys, 1).moved).toBeGreaterThan(0);
  });

  it('with replicas, a key moves when it gains a copy on a new node (lists of different length)', () => {
    const ab = createRing(['A', 'B'], 2);
    const movement = keyMovement(ab, abc, ['key-0'], 3);
    expect(movement).toEqual({ total: 1, moved: 1, moves: [{ key: 'key-0', from: ['A', 'B'], to: ['A', 'B', 'C'] }] });
  });

  it('with replicas, a key moves when one of its nodes is swapped for another', () => {
    // key-2 is on B and A; without A the second copy goes to C.
    const withoutA = removeNode(abc, 'A');
    const movement = keyMovement(abc, withoutA, ['key-2', 'key-3'], 2);
    expect(movement.moves).toEqual([{ key: 'key-2', from: ['B', 'A'], to: ['B', 'C'] }]);
  });

  it('an empty key list moves nothing', () => {
    expect(keyMovement(abc, createRing(['Z'], 1), [])).toEqual({ total: 0, moved: 0, moves: [] });
  });
});

describe('loadShare and imbalance', () => {
  const keys = Array.from({ length: 12 }, (_, i) => `key-${i}`);
  const abc = createRing(['A', 'B', 'C'], 2);

  it('counts the keys each node owns (from the hand-worked ring above)', () => {
    // Owners of key-0 .. key-11: A C B B A B B B B C B B
    expect(loadShare(abc, keys)).toEqual({ A: 2, B: 8, C: 2 });
    expect(imbalance({ A: 2, B: 8, C: 2 })).toBe(2);
  });

  it('with replicas, counts a copy on every node that holds one', () => {
    expect(loadShare(abc, keys, 3)).toEqual({ A: 12, B: 12, C: 12 });
    expect(loadShare(abc, keys, 2)).toEqual({ A: 9, B: 10, C: 5 });
  });

  it('lists every node, even one that holds no key', () => {
    expect(loadShare(abc, [])).toEqual({ A: 0, B: 0, C: 0 });
    expect(loadShare(abc, ['key-6'])).toEqual({ A: 0, B: 1, C: 0 });
    expect(loadShare(createRing([], 1), [])).toEqual({});
  });

  it('imbalance is the busiest node over the mean', () => {
    expect(imbalance({ a: 5, b: 5 })).toBe(1);
    expect(imbalance({ a: 3, b: 1 })).toBe(1.5);
    expect(imbalance({ a: 0, b: 0, c: 9 })).toBe(3);
    expect(imbalance({ a: 1, b: 2, c: 3, d: 6 })).toBe(2);
  });

  it('imbalance refuses a load with no keys in it', () => {
    const message = 'no keys were placed, so there is no balance to measure';
    expect(() => imbalance({ a: 0, b: 0 })).toThrow(new Error(message));
    expect(() => imbalance({})).toThrow(new Error(message));
  });
});
