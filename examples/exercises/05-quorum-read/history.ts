// Seeded histories of one key on three replicas (n1, n2, n3) for exercise 05: clients write, delete and read
// through any replica, links are cut and healed, copies travel late or get lost. Writes are acknowledged once
// W replicas hold them (the others get a copy later, if the network lets it through); reads ask every
// replica and use the answers of those that can be reached. Pure and seeded (mulberry32): a seed replays a
// history exactly. The read itself is passed in, so the checker runs the learner's quorumRead.
import { mulberry32 } from '../../shared/random.ts';
import { compare, counterOf, covers, empty, put, read, reconcile, remove, type Dot, type Stored } from '../../store/core/versions.ts';
import type { Answer, ReadResult } from './read-types.ts';

export const REPLICAS = ['n1', 'n2', 'n3'] as const;
export type ReadFn = (answers: readonly Answer[], r: number) => ReadResult;

/** The store's answer to a quorum read, from versions.ts alone: what every read is held against. */
export function referenceRead(answers: readonly Answer[], r: number): ReadResult {
  const answered = answers.filter((a) => a.stored !== 'timeout');
  if (answered.length < r) return { ok: false, reason: `only ${answered.length} of ${answers.length} replicas answered; this read needs ${r}` };
  const copies = answered.map((a) => (a.stored === null ? empty<string>() : (a.stored as Stored<string>)));
  const merged = copies.reduce((m, c) => reconcile(m, c), empty<string>());
  const { values, context } = read(merged);
  const repairs = answered.filter((_, i) => compare(copies[i]!.context, merged.context) === 'before').map((a) => ({ node: a.node, stored: merged }));
  return { ok: true, values, context, repairs };
}

export interface ReadEvent {
  step: number;
  coordinator: string;
  r: number;
  answers: Answer[];
  /** What the replicas held just before the read (for messages). */
  before: Record<string, Stored<string> | null>;
}

export interface Options {
  seed: number;
  steps: number;
  /** Acknowledge a write once this many replicas hold it. */
  w: number;
  /** Each read's R; 'random' picks 1..3 per read. */
  r: number | 'random';
  /** true: a read stops at the first R answers (the rest count as 'timeout'), as a real coordinator does. */
  firstR: boolean;
}

export interface Stats {
  reads: number;
  refusedReads: number;
  writes: number;
  refusedWrites: number;
  /** Reads whose context misses a write acknowledged before the read began. */
  stale: number;
  repairs: number;
}

/**
 * Plays one history. `onRead` sees each read with the result of `readFn` and may throw to stop the history;
 * the repairs of a successful read are applied (each replica reconciles the version it is sent).
 */
export interface Watch {
  /** Each read and what readFn returned, before its repairs are applied; may throw to stop the history. */
  onRead?: (e: ReadEvent, got: ReadResult) => void;
  /** After a successful read's repairs: the replicas as they are now. */
  onRepaired?: (e: ReadEvent, got: ReadResult, replicas: Readonly<Record<string, Stored<string> | null>>) => void;
}

export function playHistory(readFn: ReadFn, options: Options, watch: Watch = {}): Stats {
  const random = mulberry32(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const replicas: Record<string, Stored<string> | null> = { n1: null, n2: null, n3: null };
  let side: Record<string, number> = { n1: 0, n2: 0, n3: 0 }; // nodes on different sides cannot talk
  const inFlight: { to: string; stored: Stored<string>; at: number }[] = [];
  const acked: { dot: Dot; step: number }[] = [];
  const contexts: Record<string, Stored<string>['context']> = { alice: {}, bob: {} };
  const stats: Stats = { reads: 0, refusedReads: 0, writes: 0, refusedWrites: 0, stale: 0, repairs: 0 };
  const reach = (a: string, b: string) => side[a] === side[b];
  const store = (node: string, incoming: Stored<string>) => {
    const mine = replicas[node];
    replicas[node] = mine === null || mine === undefined ? incoming : reconcile(mine, incoming);
  };
  let values = 0;

  for (let step = 1; step <= options.steps; step++) {
    for (const copy of inFlight.filter((c) => c.at <= step)) {
      inFlight.splice(inFlight.indexOf(copy), 1);
      if (random() < 0.9) store(copy.to, copy.stored); // else lost: anti-entropy or a read repair fixes it later
    }
    const roll = random();
    const client = pick(['alice', 'bob'] as const);
    const coordinator = pick(REPLICAS);
    if (roll < 0.1) {
      // A partition: one replica cut off from the other two, or everything healed.
      side = random() < 0.6 ? Object.fromEntries(REPLICAS.map((n) => [n, n === coordinator ? 1 : 0])) : { n1: 0, n2: 0, n3: 0 };
    } else if (roll < 0.2) {
      // Anti-entropy between the replicas that can reach each other.
      for (const a of REPLICAS) for (const b of REPLICAS) if (a !== b && reach(a, b) && replicas[b] !== null) store(a, replicas[b]!);
    } else if (roll < 0.6) {
      stats.writes += 1;
      const peers = REPLICAS.filter((n) => n !== coordinator && reach(n, coordinator));
      if (peers.length + 1 < options.w) {
        stats.refusedWrites += 1;
        continue;
      }
      const context = random() < 0.25 ? {} : contexts[client]!; // sometimes a blind write: a sibling
      const current = replicas[coordinator] ?? empty<string>();
      const next = random() < 0.15 ? remove(current, context, coordinator, step) : put(current, `v${++values}`, context, coordinator, step);
      replicas[coordinator] = next;
      const sync = [...peers].sort(() => random() - 0.5).slice(0, options.w - 1);
      for (const p of sync) store(p, next);
      for (const p of REPLICAS) {
        if (p !== coordinator && !sync.includes(p) && reach(p, coordinator)) inFlight.push({ to: p, stored: next, at: step + 1 + Math.floor(random() * 6) });
      }
      acked.push({ dot: { node: coordinator, counter: counterOf(next.context, coordinator) }, step });
    } else {
      stats.reads += 1;
      const r = options.r === 'random' ? 1 + Math.floor(random() * 3) : options.r;
      const order = [...REPLICAS].sort(() => random() - 0.5);
      let taken = 0;
      const answers: Answer[] = order.map((node) => {
        if (!reach(node, coordinator) || (options.firstR && taken >= r)) return { node, stored: 'timeout' };
        taken += 1;
        return { node, stored: replicas[node] ?? null };
      });
      const before = { ...replicas };
      // Copies, read-only: the learner's code may read the answers, not change the replicas behind them.
      const given = answers.map((a) => Object.freeze({ node: a.node, stored: typeof a.stored === 'object' && a.stored !== null ? structuredClone(a.stored) : a.stored }));
      const got = readFn(Object.freeze(given), r);
      const event: ReadEvent = { step, coordinator, r, answers, before };
      watch.onRead?.(event, got);
      if (got === null || typeof got !== 'object' || got.ok !== true) {
        stats.refusedReads += 1;
        continue;
      }
      contexts[client] = got.context;
      if (acked.some((a) => a.step < step && !covers(got.context ?? {}, a.dot))) stats.stale += 1;
      for (const repair of got.repairs ?? []) {
        if (answers.some((a) => a.node === repair.node && a.stored !== 'timeout')) {
          store(repair.node, repair.stored);
          stats.repairs += 1;
        }
      }
      watch.onRepaired?.(event, got, replicas);
    }
  }
  return stats;
}
