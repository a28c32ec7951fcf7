// What the live ring draws and counts, computed with the REAL ring (../core/ring.ts): the sample keys, where
// each token and key sits on the circle, and what a change of the ring moved. Pure: no Vue, no DOM, so the
// browser test can compute the same figures for the same inputs and compare.
import { mulberry32 } from '../../shared/random.ts';
import { createRing, hashString, imbalance, keyMovement, loadShare, ownerOf, type KeyMove, type Ring } from '../core/ring.ts';
import { nodeNumber, type RingSettings } from './ring-settings.ts';

export const SAMPLE_KEYS = 200;
/** Copies of each key, as in the store (Dynamo §4.3: the preference list). */
export const REPLICAS = 3;
const FULL_CIRCLE = 2 ** 32;

/** `count` distinct keys like "user:48213", the same for the same seed on every machine. */
export function sampleKeys(seed: number, count: number = SAMPLE_KEYS): string[] {
  const random = mulberry32(seed);
  const keys = new Set<string>();
  while (keys.size < count) keys.add(`user:${Math.floor(random() * 1_000_000)}`);
  return [...keys];
}

export function ringFor(s: RingSettings): Ring {
  return createRing(s.nodes, s.vnodes);
}

/** Where a hash sits on the circle, in degrees clockwise from the top (0 .. 360). */
export function angleOf(hash: number): number {
  return (hash / FULL_CIRCLE) * 360;
}

export interface KeyMark {
  key: string;
  angle: number;
  owner: string;
}

export function keyMarks(ring: Ring, keys: readonly string[]): KeyMark[] {
  return keys.map((key) => ({ key, angle: angleOf(hashString(key)), owner: ownerOf(ring, key) }));
}

export interface LoadRow {
  node: string;
  keys: number;
  /** This node's keys divided by the mean. */
  ofMean: number;
}

export interface Balance {
  rows: LoadRow[];
  /** The busiest node's keys divided by the mean (ring.ts imbalance): 1 is perfect. */
  maxOverMean: number;
}

export function balance(ring: Ring, keys: readonly string[], order: readonly string[]): Balance {
  const load = loadShare(ring, keys);
  const mean = keys.length / ring.nodes.length;
  return {
    rows: order.map((node) => ({ node, keys: load[node] ?? 0, ofMean: (load[node] ?? 0) / mean })),
    maxOverMean: imbalance(load),
  };
}

/** The owner `hash(key) mod N` would pick, N = the number of nodes, the nodes in the ring's (name) order. */
export function modNOwner(nodes: readonly string[], key: string): string {
  return nodes[hashString(key) % nodes.length]!;
}

export interface Change {
  /** What the learner did, e.g. "Added n6". */
  what: string;
  /** Keys whose owner changed on the ring. */
  moves: KeyMove[];
  /** Keys whose SET of REPLICAS copies changed (what the store must copy). */
  replicaMoves: number;
  /** Keys that `hash mod N` would have sent to another node for the same change; null when N did not change. */
  modNMoves: number | null;
}

export function describeChange(what: string, before: Ring, after: Ring, keys: readonly string[]): Change {
  const nChanged = before.nodes.length !== after.nodes.length;
  return {
    what,
    moves: keyMovement(before, after, keys).moves,
    replicaMoves: keyMovement(before, after, keys, REPLICAS).moved,
    modNMoves: nChanged ? keys.filter((k) => modNOwner(before.nodes, k) !== modNOwner(after.nodes, k)).length : null,
  };
}

// One colour per node number, told apart on the white and the dark page alike (a mid tone of each hue). They
// colour only marks, never text, and the table names each node in words beside its swatch.
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#9333ea', '#0891b2', '#db2777', '#65a30d', '#64748b', '#ea580c'];

export function nodeColour(node: string): string {
  return PALETTE[((nodeNumber(node) ?? 1) - 1) % PALETTE.length]!;
}

/** A point on a circle of radius r around (c, c), `angle` degrees clockwise from the top. */
export function pointAt(c: number, r: number, angle: number): { x: number; y: number } {
  const a = (angle * Math.PI) / 180;
  return { x: Number((c + r * Math.sin(a)).toFixed(2)), y: Number((c - r * Math.cos(a)).toFixed(2)) };
}
