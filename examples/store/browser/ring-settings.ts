// The live ring's settings, and the link that reproduces what the learner is looking at.
//
// What is on screen is fixed by three things: the seed of the sample keys, the tokens per node, and the set of
// nodes. They travel in the page's query string (`?example=ring&seed=42&vnodes=128&nodes=n1,n2,n3,n4,n5`), so a
// learner can send someone the exact ring they see. A value the example cannot use is replaced by its default,
// and the example says which and why: a person who edited a link by hand should learn why the ring differs.

export interface RingSettings {
  /** Seeds the sample keys (examples/shared/random.ts mulberry32). */
  seed: number;
  /** Tokens per node: one of VNODE_CHOICES. */
  vnodes: number;
  /** The nodes on the ring, sorted by number: n1 .. n10. */
  nodes: string[];
}

export const VNODE_CHOICES = [1, 8, 32, 128] as const;
/** Node names are n1 .. n10: each number has its own colour, and ten are plenty to watch keys move. */
export const MAX_NODES = 10;
export const MAX_SEED = 99_999;
export const DEFAULT_VNODES = 128;
export const DEFAULT_NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** n3 -> 3; anything that is not n1 .. n10 -> undefined. */
export function nodeNumber(name: string): number | undefined {
  const m = /^n([1-9]\d?)$/.exec(name);
  const n = m ? Number(m[1]) : NaN;
  return n >= 1 && n <= MAX_NODES ? n : undefined;
}

/** Sorted by number (n2 before n10), the order the load table shows. */
export function sortNodes(nodes: readonly string[]): string[] {
  return [...nodes].sort((a, b) => (nodeNumber(a) ?? 0) - (nodeNumber(b) ?? 0));
}

/** The node "Add a node" adds: the number after the highest on the ring (n6 after n1 .. n5), else the lowest free. */
export function nextNodeName(nodes: readonly string[]): string | undefined {
  if (nodes.length >= MAX_NODES) return undefined;
  const used = new Set(nodes.map(nodeNumber));
  const highest = Math.max(0, ...nodes.map((n) => nodeNumber(n) ?? 0));
  if (highest < MAX_NODES) return `n${highest + 1}`;
  for (let i = 1; i <= MAX_NODES; i++) if (!used.has(i)) return `n${i}`;
  return undefined;
}

/** A seed a person can read and type. Math.random is fine here: the seed is shown and linked. */
export function randomSeed(): number {
  return 1 + Math.floor(Math.random() * MAX_SEED);
}

export interface FromQuery {
  settings: RingSettings;
  /** What in the link could not be used, in one sentence; absent when everything could. */
  problem?: string;
}

export function settingsFromQuery(query: URLSearchParams, pickSeed: () => number = randomSeed): FromQuery {
  const problems: string[] = [];
  let seed = pickSeed();
  const seedText = query.get('seed');
  if (seedText !== null) {
    const n = Number(seedText);
    if (seedText.trim() !== '' && Number.isInteger(n) && n >= 0 && n <= MAX_SEED) seed = n;
    else problems.push(`seed "${seedText}" is not a whole number from 0 to ${MAX_SEED}, so seed ${seed} was picked`);
  }
  let vnodes = DEFAULT_VNODES;
  const vnodesText = query.get('vnodes');
  if (vnodesText !== null) {
    const n = Number(vnodesText);
    if ((VNODE_CHOICES as readonly number[]).includes(n) && vnodesText.trim() !== '') vnodes = n;
    else problems.push(`vnodes "${vnodesText}" is not one of ${VNODE_CHOICES.join(', ')}, so ${DEFAULT_VNODES} is used`);
  }
  let nodes = [...DEFAULT_NODES];
  const nodesText = query.get('nodes');
  if (nodesText !== null) {
    const names = nodesText.split(',').map((s) => s.trim());
    const bad = names.filter((n) => nodeNumber(n) === undefined);
    const unique = new Set(names);
    if (nodesText.trim() === '' || bad.length > 0) {
      const what = nodesText.trim() === '' ? 'no node' : `${bad.map((b) => `"${b}"`).join(', ')} ${bad.length === 1 ? 'is not a node name' : 'are not node names'}`;
      problems.push(`the nodes in the link were ignored (${what}: the nodes are n1 to n${MAX_NODES}, comma-separated)`);
    } else if (unique.size !== names.length) {
      problems.push('the nodes in the link were ignored (a node is listed twice)');
    } else nodes = sortNodes(names);
  }
  return { settings: { seed, vnodes, nodes }, ...(problems.length > 0 ? { problem: `The link's ${problems.join('; ')}.` } : {}) };
}

/** The query part of a link that opens this ring on the same page. */
export function linkToRun(s: RingSettings): string {
  // Commas stay readable: URLSearchParams would write them as %2C.
  return `?example=ring&seed=${s.seed}&vnodes=${s.vnodes}&nodes=${sortNodes(s.nodes).join(',')}`;
}
