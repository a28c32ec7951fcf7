// Exercise 03: a key's owner and replicas on a consistent-hashing ring with virtual nodes. The learner writes
// lookup(ring, key) (the first token clockwise from the key's hash, wrapping past the last token) and
// replicasFor(ring, key, n) (the first n DIFFERENT nodes clockwise). The rings are built by the store's own
// code (tokens.ts calls createRing in examples/store/core/ring.ts), and every answer is compared with that
// code's ownerOf and preferenceList. Two checks then MEASURE the learner's lookup, as the store's ring tests
// do, and print what they measured: the balance of 10,000 keys over n1..n5 with 128 tokens each, and how
// many keys move when n6 joins.
//
// A failing check says what it saw against what it expected; its hint comes from `lookupHint` or
// `replicasHint`, which run the learner's code on a known ring and name the mistake it makes (no wrap-around,
// the token before instead of after, `>` instead of `>=`, only one token per node, hash mod N, duplicate or
// misordered replicas, ...).
import { isDeepStrictEqual } from 'node:util';
import { createRing, ownerOf, preferenceList } from '../../store/core/ring.ts';
import { mulberry32 } from '../../shared/random.ts';
import { CheckFailure, exportedFunction, num, type Exercise } from '../types.ts';
import { buildTokens, hashString, type Token } from './tokens.ts';

export interface RingImpl {
  lookup(ring: readonly Token[], key: string): Token;
  replicasFor(ring: readonly Token[], key: string, n: number): string[];
}

const FIVE = ['n1', 'n2', 'n3', 'n4', 'n5'];
const VNODES = 128;
const KEY_COUNT = 10_000;
const BALANCE_BOUND = 1.25; // measured with the store's ring: 1.11 (16 tokens: 1.27, 1 token: 2.16)
const MOVE_LOW = 0.11; // measured with the store's ring: 0.160 of the keys move when n6 joins (ideal 1/6)
const MOVE_HIGH = 0.22;
const LOOKUP_RUNS = 100;
const REPLICA_RUNS = 100;

// ---- Rings and keys -------------------------------------------------------------------------------------------
/** The tokens, frozen: a learner's function may read the ring, not reorder or change it. */
function ring(nodes: readonly string[], vnodes: number): readonly Token[] {
  return Object.freeze(buildTokens(nodes, vnodes).map((t) => Object.freeze(t)));
}

const SMALL = ring(['n1', 'n2', 'n3'], 4); // 12 tokens: small enough to read in a message
const PROBE = ring(FIVE, VNODES); // the store's shape: 5 nodes, 128 tokens each
const KEYS = Array.from({ length: KEY_COUNT }, (_, i) => `key-${i}`);

/** The index of the first token at or after `hash`; past the last token, 0. */
function ownerIndex(tokens: readonly Token[], hash: number): number {
  const i = tokens.findIndex((t) => t.position >= hash);
  return i < 0 ? 0 : i;
}

/** The first few keys key-0, key-1, ... that `which` accepts (by their hash). */
function keysWhere(which: (hash: number) => boolean, count: number): string[] {
  const found: string[] = [];
  for (let i = 0; found.length < count; i++) if (which(hashString(`key-${i}`))) found.push(`key-${i}`);
  return found;
}

const last = (tokens: readonly Token[]) => tokens[tokens.length - 1]!;
const SMALL_PAST_END = keysWhere((h) => h > last(SMALL).position, 3);
const SMALL_BEFORE_START = keysWhere((h) => h < SMALL[0]!.position, 1);
const PROBE_PAST_END = keysWhere((h) => h > last(PROBE).position, 3);

// ---- Showing things -------------------------------------------------------------------------------------------
const show = (x: unknown): string => (x === undefined ? 'undefined' : JSON.stringify(x));
const tokenName = (t: Token) => `${t.node}#${t.vnode}`;

/** Where `got` is in `tokens`: the same object, or a copy with the same position, node and vnode; else -1. */
function indexOfToken(tokens: readonly Token[], got: unknown): number {
  const i = tokens.indexOf(got as Token);
  if (i >= 0 || typeof got !== 'object' || got === null) return i;
  const g = got as Partial<Token>;
  return tokens.findIndex((t) => t.position === g.position && t.node === g.node && t.vnode === g.vnode);
}

/** "token n2#1 (position 1,234)", or what came back when it is not one of the ring's tokens. */
function describeToken(tokens: readonly Token[], got: unknown): string {
  const i = indexOfToken(tokens, got);
  if (i < 0) return `${show(got)}, which is not one of the ring's tokens`;
  return `token ${tokenName(tokens[i]!)} (position ${num(tokens[i]!.position)})`;
}

// The starter's functions throw "<name> is not written yet": that failure gets the hint for where to begin,
// whichever check meets it first. Any other error is left as it is (the checker shows it and its line).
const NOT_WRITTEN: Record<string, string> = {
  lookup: 'Start with TODO 1 and 2 in lookup: return the first token whose position is >= hashString(key), or ring[0] ' +
    'when there is none. The lookup checks come first; the others use lookup too.',
  replicasFor: 'Then TODO 3 and 4 in replicasFor: start at lookup\'s token, walk clockwise and collect n different nodes.',
};

/**
 * Runs a call into the learner's code. An error it throws is shown as it is (the checker prints it and the
 * line), with a hint that fits: the starter's "not written yet" gets where to begin; an error in replicasFor
 * while lookup is still wrong gets what is wrong with lookup (replicasFor starts from lookup's answer).
 */
function learner<T>(call: () => T, impl?: RingImpl): T {
  try {
    return call();
  } catch (err) {
    if (!(err instanceof Error) || err instanceof CheckFailure) throw err;
    const which = /^(lookup|replicasFor) is not written yet/.exec(err.message)?.[1];
    const wrongLookup = which === undefined && impl !== undefined ? lookupHint(impl) : undefined;
    const hint = which !== undefined ? NOT_WRITTEN[which]! : wrongLookup !== undefined ? `${LOOKUP_FIRST}${wrongLookup}` : undefined;
    if (hint === undefined) throw err;
    const failure = new CheckFailure(err.message, { hint });
    failure.stack = err.stack; // so the checker still points at the line in the learner's file
    throw failure;
  }
}

const LOOKUP_FIRST = 'replicasFor starts where lookup says, and lookup is not right yet. ';

/** The learner's lookup; a result that is not one of the ring's tokens fails the check right here. */
function owner(impl: RingImpl, tokens: readonly Token[], key: string, where: string): Token {
  const got: unknown = learner(() => impl.lookup(tokens, key));
  const i = indexOfToken(tokens, got);
  if (i < 0) {
    throw new CheckFailure(`${where}lookup(ring, ${show(key)}) returned ${describeToken(tokens, got)}`, {
      hint: lookupHint(impl) ?? 'lookup must return one of the ring\'s tokens (an element of `ring`): the checker reads its .node.',
    });
  }
  return tokens[i]!;
}

// ---- What the learner's lookup does wrong, found on the store-shaped ring -------------------------------------
/** The first mistake the learner's lookup makes on PROBE, as a hint; undefined if it finds none (or it throws). */
function lookupHint(impl: RingImpl): string | undefined {
  const L = PROBE.length;
  const nodes = [...FIVE].sort();
  try {
    const ordinary = KEYS.slice(0, 2_000).filter((k) => hashString(k) <= last(PROBE).position);
    let right = 0;
    let before = 0;
    let after = 0;
    let vnodeZero = 0;
    let modN = 0;
    for (const key of ordinary) {
      const hash = hashString(key);
      const c = ownerIndex(PROBE, hash);
      const got: unknown = impl.lookup(PROBE, key);
      const i = indexOfToken(PROBE, got);
      if (i < 0) {
        if (typeof got === 'string') {
          return `lookup returned the string ${show(got)}. Return the token itself (the element of \`ring\` you found); the caller reads its .node.`;
        }
        if (got === undefined) {
          return `lookup returned undefined for ${show(key)}, whose hash ${num(hash)} is below the last token's position ` +
            `${num(last(PROBE).position)}, so a token at or after it exists (${tokenName(PROBE[c]!)}). Return the first token whose position is >= the hash.`;
        }
        return `lookup returned ${show(got)}, which is not one of the ring's tokens. Return an element of \`ring\` as it is.`;
      }
      if (i === c) right += 1;
      else if (i === (c - 1 + L) % L) before += 1;
      else if (i === (c + 1) % L) after += 1;
      if (PROBE[i]!.vnode === 0) vnodeZero += 1;
      if (PROBE[i]!.node === nodes[hash % nodes.length]) modN += 1;
    }
    const most = (n: number) => n >= 0.9 * ordinary.length;
    if (right < ordinary.length) {
      if (most(before)) {
        return 'Your lookup returns the token just BEFORE the key (the last token whose position is <= the hash). ' +
          'The owner is the first token clockwise from the key: the first whose position is >= the hash.';
      }
      if (most(after)) {
        return 'Your lookup returns the token one AFTER the owner: it skips the first token whose position is >= the hash. ' +
          'Return that first one (is there a `+ 1`, or does the loop go on one step after it found it?).';
      }
      if (most(modN)) {
        return 'Your lookup picks the node as hash mod (number of nodes), not by walking the ring. That spreads keys evenly, but ' +
          'when a 6th node joins, a key stays only if hash mod 5 = hash mod 6: 1 key in 6 stays, 5 in 6 move. Use the tokens: ' +
          'the first whose position is >= the hash.';
      }
      if (vnodeZero === ordinary.length) {
        return 'Your lookup only ever returns tokens with vnode 0: one position per node, as if the other tokens (the virtual ' +
          'nodes) were not there. Every token counts: the owner is the first of ALL tokens at or after the hash.';
      }
      return undefined; // no pattern: the check's own message says what it saw
    }
    for (const key of PROBE_PAST_END) {
      const got: unknown = impl.lookup(PROBE, key);
      const i = indexOfToken(PROBE, got);
      if (i === 0) continue;
      const start = `A key past the last token (${show(key)}, hash ${num(hashString(key))}) `;
      if (got === undefined || got === null) {
        return `${start}made your lookup return ${show(got)}: no token is >= its hash, so the search found nothing. ` +
          'The circle wraps around: when nothing is found, return ring[0].';
      }
      if (i === L - 1) {
        return `${start}got the LAST token from your lookup. The circle wraps around: past the last token the next one clockwise is the FIRST, ring[0].`;
      }
      return `${start}got ${describeToken(PROBE, got)} from your lookup; past the last token the circle wraps around to ring[0].`;
    }
    for (const t of PROBE.slice(0, 40)) {
      const key = tokenName(t); // hashes exactly onto t's position
      const got = indexOfToken(PROBE, impl.lookup(PROBE, key));
      if (got !== PROBE.indexOf(t)) {
        return `A key that hashes exactly onto a token's position (${show(key)} lands on token ${key}) got ` +
          `${got >= 0 ? `token ${tokenName(PROBE[got]!)}` : 'something else'} from your lookup. A token owns its stretch up to AND ` +
          'including its own position: compare with >=, not >.';
      }
    }
    return undefined;
  } catch {
    return undefined; // it throws: the check's own message shows the error and its line
  }
}

// ---- Random rings (seeded) ------------------------------------------------------------------------------------
interface RandomRing {
  nodes: string[];
  vnodes: number;
  tokens: readonly Token[];
  store: ReturnType<typeof createRing>; // the same ring as the store builds it
  random: () => number;
}

function randomRing(seed: number): RandomRing {
  const random = mulberry32(seed);
  const count = 1 + Math.floor(random() * 7);
  const vnodes = [1, 2, 8, 32, 128][Math.floor(random() * 5)]!;
  const nodes: string[] = [];
  while (nodes.length < count) {
    const name = `${['n', 'db', 'cache', 'node-'][Math.floor(random() * 4)]}${1 + Math.floor(random() * 99)}`;
    if (!nodes.includes(name)) nodes.push(name);
  }
  return { nodes, vnodes, tokens: ring(nodes, vnodes), store: createRing(nodes, vnodes), random };
}

/** `count` keys: random ones, and one in 50 that hashes exactly onto a token. */
function randomKeys(r: RandomRing, count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 50 === 49) keys.push(tokenName(r.tokens[Math.floor(r.random() * r.tokens.length)]!));
    else keys.push(`user:${Math.floor(r.random() * 1_000_000)}`);
  }
  return keys;
}

const about = (r: RandomRing) => `${r.nodes.length} node${r.nodes.length === 1 ? '' : 's'} × ${r.vnodes} token${r.vnodes === 1 ? '' : 's'}`;

function seeds(count: number, only: number | undefined): number[] {
  return only === undefined ? Array.from({ length: count }, (_, i) => i + 1) : [only];
}

// ---- What the learner's replicasFor does wrong ----------------------------------------------------------------
/** Why `got` is not `want` for replicasFor(tokens, key, n), as a hint; undefined if no pattern fits. */
function replicasHint(impl: RingImpl, tokens: readonly Token[], key: string, n: number, got: unknown, want: string[]): string | undefined {
  const lookupWrong = lookupHint(impl);
  if (lookupWrong !== undefined) return `${LOOKUP_FIRST}${lookupWrong}`;
  if (!Array.isArray(got) || got.some((x) => typeof x !== 'string')) {
    return 'replicasFor must return an array of node names (strings), such as ["n2", "n4", "n1"].';
  }
  const list = got as string[];
  const twice = list.find((node, i) => list.indexOf(node) !== i);
  if (twice !== undefined) {
    return `Your list names ${twice} more than once. With many tokens per node, the next token clockwise often belongs to a ` +
      'node you already have: skip it (`if (!nodes.includes(node)) nodes.push(node)`), so the copies land on different machines.';
  }
  if (list.length === want.length && isDeepStrictEqual([...list].sort(), [...want].sort())) {
    const sorted = isDeepStrictEqual(list, [...list].sort());
    return 'The right nodes in the wrong order' + (sorted ? ' (yours are sorted by name)' : '') + '. Keep them in the order you meet ' +
      'them walking clockwise: the first is the key\'s owner (it coordinates the writes), the next ones take over, in order, when it fails.';
  }
  let start: number;
  try {
    start = indexOfToken(tokens, impl.lookup(tokens, key));
  } catch {
    return undefined;
  }
  const backwards: string[] = [];
  for (let s = 0; s < tokens.length && backwards.length < n; s++) {
    const node = tokens[(start - s + tokens.length) % tokens.length]!.node;
    if (!backwards.includes(node)) backwards.push(node);
  }
  if (isDeepStrictEqual(list, backwards)) {
    return 'Your walk goes counterclockwise (i - 1). Clockwise is towards larger positions: i + 1, wrapping with % ring.length.';
  }
  if (list.length < want.length && isDeepStrictEqual(list, want.slice(0, list.length))) {
    return `You stopped after ${list.length} node${list.length === 1 ? '' : 's'}. Keep walking until you have n different nodes ` +
      '(or have gone once round the ring); wrap past the last token with % ring.length.';
  }
  if (list.length > want.length) return `You returned ${list.length} nodes; stop at n (${n}), or at the number of nodes on the ring if that is smaller.`;
  if (list[0] !== want[0]) return `The first node should be the key's owner, lookup's node (${want[0]}); yours starts with ${show(list[0])}.`;
  return undefined;
}

function checkReplicas(impl: RingImpl, tokens: readonly Token[], store: ReturnType<typeof createRing>, key: string, n: number, where: string, extra: { seed?: number } = {}): void {
  const got: unknown = learner(() => impl.replicasFor(tokens, key, n), impl);
  const want = preferenceList(store, key, n);
  if (!isDeepStrictEqual(got, want)) {
    throw new CheckFailure(`${where}replicasFor(ring, ${show(key)}, ${n}): expected ${show(want)} (ring.ts's preferenceList), got ${show(got)}`, {
      ...extra,
      hint: replicasHint(impl, tokens, key, n, got, want) ?? 'Start at lookup\'s token, walk clockwise, collect each node the first time you meet it.',
    });
  }
}

// ---- Measuring: balance and movement --------------------------------------------------------------------------
function loads(impl: RingImpl, tokens: readonly Token[], nodes: readonly string[], where: string): Map<string, number> {
  const load = new Map(nodes.map((n) => [n, 0]));
  for (const key of KEYS) {
    const t = owner(impl, tokens, key, where);
    load.set(t.node, load.get(t.node)! + 1);
  }
  return load;
}

function busiest(load: Map<string, number>): { node: string; keys: number; ratio: number } {
  const [node, keys] = [...load].reduce((a, b) => (b[1] > a[1] ? b : a));
  return { node, keys, ratio: keys / (KEY_COUNT / load.size) };
}

const ratio = (x: number) => `${x.toFixed(2)}x`;
const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

export const exercise: Exercise<RingImpl> = {
  title: 'Consistent hashing: find a key\'s nodes on a ring with virtual nodes',
  page: 'data-store/03-partitioning-cap.md',
  learnerFile: 'ring-lookup.ts',
  load(mod) {
    const lookup = exportedFunction(mod, 'lookup', 'lookup(ring, key)') as RingImpl['lookup'];
    const replicasFor = exportedFunction(mod, 'replicasFor', 'replicasFor(ring, key, n)') as RingImpl['replicasFor'];
    return { lookup, replicasFor };
  },
  checks: [
    {
      name: 'lookup: a key past the last token wraps around to the first token',
      hint: 'lookup threw (the error and its line are above). If it is the starter\'s "not written yet", follow TODO 1 and 2: ' +
        'return the first token whose position is >= hashString(key), or ring[0] when there is none.',
      run(impl) {
        for (const [tokens, key] of [...SMALL_PAST_END.map((k) => [SMALL, k] as const), ...SMALL_BEFORE_START.map((k) => [SMALL, k] as const), [PROBE, PROBE_PAST_END[0]!] as const]) {
          const hash = hashString(key);
          const got: unknown = learner(() => impl.lookup(tokens, key));
          if (indexOfToken(tokens, got) === 0) continue;
          const size = tokens === SMALL ? 'the ring n1..n3 with 4 tokens each' : 'the ring n1..n5 with 128 tokens each';
          const place = hash > last(tokens).position
            ? `past the last token (${tokenName(last(tokens))} at ${num(last(tokens).position)}). The circle wraps around, so its owner is the FIRST token,`
            : `before the first token, so its owner is that first token,`;
          throw new CheckFailure(`On ${size}, key ${show(key)} hashes to ${num(hash)}, ${place} ${describeToken(tokens, tokens[0])}. ` +
            `Your lookup returned ${describeToken(tokens, got)}.`, { hint: lookupHint(impl) ?? 'When no token is at or after the hash, return ring[0].' });
        }
      },
    },
    {
      name: 'lookup: a key that hashes exactly onto a token belongs to that token',
      hint: 'lookup threw (the error and its line are above): follow TODO 1 and 2 in lookup.',
      run(impl) {
        for (const [i, t] of SMALL.entries()) {
          const key = tokenName(t); // "n2#1" hashes to the position of token n2#1: that is how tokens are placed
          if (hashString(key) !== t.position) throw new Error(`setup: ${key} does not hash onto its token`);
          const got: unknown = learner(() => impl.lookup(SMALL, key));
          if (indexOfToken(SMALL, got) === i) continue;
          throw new CheckFailure(`Key ${show(key)} hashes to exactly ${num(t.position)}, the position of token ${key} itself. A token owns ` +
            `its stretch of the circle up to AND including its own position, so the owner is ${key}; your lookup returned ${describeToken(SMALL, got)}.`,
          { hint: lookupHint(impl) ?? 'Compare with >= (at or after the hash), not >.' });
        }
      },
    },
    {
      name: `lookup: over ${LOOKUP_RUNS} seeded random rings, every key's owner is the one the store's ring.ts gives`,
      hint: 'lookup threw during a random run. Replay that run alone with the command below and read the error there.',
      seeded: true,
      run(impl, { seed: only } = {}) {
        let compared = 0;
        for (const seed of seeds(LOOKUP_RUNS, only)) {
          const r = randomRing(seed);
          for (const key of randomKeys(r, 200)) {
            const hash = hashString(key);
            const want = r.tokens[ownerIndex(r.tokens, hash)]!;
            if (ownerOf(r.store, key) !== want.node) throw new Error(`setup: the exercise and ring.ts disagree on ${key}`);
            let got: unknown;
            try {
              got = learner(() => impl.lookup(r.tokens, key));
            } catch (err) {
              if (err instanceof CheckFailure) throw err; // the starter's "not written yet"
              throw new CheckFailure(`random run ${seed} (${about(r)}): lookup(ring, ${show(key)}) threw: ${err instanceof Error ? err.message : String(err)}`, { seed });
            }
            if (indexOfToken(r.tokens, got) !== r.tokens.indexOf(want)) {
              throw new CheckFailure(`random run ${seed} (${about(r)}): key ${show(key)} hashes to ${num(hash)}; the first token at or after it is ` +
                `${describeToken(r.tokens, want)}, so ring.ts's ownerOf says ${want.node}. Your lookup returned ${describeToken(r.tokens, got)}.`,
              { seed, hint: lookupHint(impl) ?? 'Compare the positions in the message: the owner is the first token at or after the hash.' });
            }
            compared += 1;
          }
        }
        return `the same owner as ring.ts for all ${num(compared)} keys`;
      },
    },
    {
      name: `balance: with ${VNODES} tokens per node, the busiest of 5 nodes holds at most ${BALANCE_BOUND}x the mean of ${num(KEY_COUNT)} keys`,
      hint: 'lookup threw while the checker measured with it: make the lookup checks above pass first.',
      run(impl) {
        const load = loads(impl, PROBE, FIVE, `on n1..n5 with ${VNODES} tokens each, `);
        const top = busiest(load);
        const spread = [...load].map(([node, keys]) => `${node} ${num(keys)}`).join(', ');
        const measured = `the busiest node, ${top.node}, holds ${num(top.keys)} keys: ${ratio(top.ratio)} the mean of ${num(KEY_COUNT / FIVE.length)}`;
        if (top.ratio > BALANCE_BOUND) {
          throw new CheckFailure(`Your lookup spread key-0 .. key-${KEY_COUNT - 1} over n1..n5 (${VNODES} tokens each) as ${spread}: ${measured}; ` +
            `the bound is ${BALANCE_BOUND}x (the store's ring gives 1.11x).`,
          { hint: lookupHint(impl) ?? 'Keys bunch up on a few nodes: does lookup consider every token, in ring order?' });
        }
        const fewer = [16, 1].map((v) => `${v} token${v === 1 ? '' : 's'} ${ratio(busiest(loads(impl, ring(FIVE, v), FIVE, `on n1..n5 with ${v} tokens each, `)).ratio)}`);
        return `measured: ${measured} (bound ${BALANCE_BOUND}x)\nkeys per node: ${spread}\n` +
          `the same keys with fewer tokens per node: ${fewer.join(', ')}`;
      },
    },
    {
      name: 'movement: when n6 joins n1..n5, only about 1/6 of the keys move, all of them to n6',
      hint: 'lookup threw while the checker measured with it: make the lookup checks above pass first.',
      run(impl) {
        const six = ring([...FIVE, 'n6'], VNODES);
        let moved = 0;
        const elsewhere: string[] = [];
        for (const key of KEYS) {
          const from = owner(impl, PROBE, key, 'with n1..n5, ').node;
          const to = owner(impl, six, key, 'with n1..n6, ').node;
          if (from === to) continue;
          moved += 1;
          if (to !== 'n6') elsewhere.push(`${key}: ${from} -> ${to}`);
        }
        const share = moved / KEY_COUNT;
        const modN = KEYS.filter((k) => hashString(k) % 5 !== hashString(k) % 6).length;
        const measured = `${num(moved)} of ${num(KEY_COUNT)} keys moved (${percent(share)})`;
        const ideal = 'the ideal is 1/6 (16.7%): the share the new node should own, taken from the others';
        if (elsewhere.length > 0) {
          throw new CheckFailure(`When n6 joined, ${measured}, and ${num(elsewhere.length)} of them moved between the OLD nodes, e.g. ${elsewhere.slice(0, 3).join(', ')}. ` +
            'A join should only hand keys to the new node; every other key stays where it was.',
          { hint: lookupHint(impl) ?? 'Your lookup must depend only on the ring it is given and the key: the first token at or after the hash.' });
        }
        if (share < MOVE_LOW || share > MOVE_HIGH) {
          throw new CheckFailure(`When n6 joined n1..n5 (${VNODES} tokens each), ${measured}; expected between ${percent(MOVE_LOW)} and ${percent(MOVE_HIGH)}: ${ideal}.`,
            { hint: lookupHint(impl) ?? (moved === 0
              ? 'n6 got no keys at all: does lookup use the ring it is given each time (no copy kept from an earlier call)?'
              : 'The moved share is far from 1/6: does lookup use every token, the first at or after the hash?') });
        }
        return `measured: ${measured}, every one to n6; ${ideal}\n` +
          `with hash(key) mod N instead, going from mod 5 to mod 6 would move ${num(modN)} keys (${percent(modN / KEY_COUNT)}): ` +
          'a key stays only when hash mod 5 = hash mod 6, i.e. hash mod 30 is 0..4, 1 key in 6';
      },
    },
    {
      name: `replicasFor: over ${REPLICA_RUNS} seeded random rings, n different nodes clockwise, as the store's preferenceList`,
      hint: 'replicasFor threw (or lookup, which it calls). If it is the starter\'s "not written yet", follow TODO 3 and 4; otherwise replay the run alone with the command below.',
      seeded: true,
      run(impl, { seed: only } = {}) {
        let compared = 0;
        for (const seed of seeds(REPLICA_RUNS, only)) {
          const r = randomRing(seed);
          const n = 1 + Math.floor(r.random() * Math.min(4, r.nodes.length)); // 1 .. min(4, nodes): enough nodes for n
          for (const key of randomKeys(r, 50)) {
            checkReplicas(impl, r.tokens, r.store, key, n, `random run ${seed} (${about(r)}): `, { seed });
            compared += 1;
          }
        }
        return `the same replicas as ring.ts for all ${num(compared)} keys`;
      },
    },
    {
      name: 'replicasFor: asking for more replicas than there are nodes gives each node once',
      hint: 'With fewer nodes than n there are not n different nodes to find, so a loop that runs until it has n never ends ' +
        '(a time-out), or reads past the ring. Stop after one turn of the ring: at most ring.length steps.',
      run(impl) {
        const cases: [string[], number, number][] = [[['n1', 'n2'], 4, 3], [['n1'], VNODES, 3], [FIVE, VNODES, 5], [FIVE, VNODES, 7]];
        for (const [nodes, vnodes, n] of cases) {
          const tokens = ring(nodes, vnodes);
          for (const key of ['key-0', 'key-1', 'key-2', ...keysWhere((h) => h > last(tokens).position, 1)]) {
            checkReplicas(impl, tokens, createRing(nodes, vnodes), key, n, `on a ring of ${nodes.length} node${nodes.length === 1 ? '' : 's'} (${nodes.join(', ')}) with ${vnodes} tokens each, `);
          }
        }
      },
    },
  ],
};
