// The live cluster's plain parts, with no Vue in them: what the page's link holds, how the run is driven so
// that the core's own answers to the learner's requests are kept, how an answer reads (200, 503 + the core's
// reason, 504 unknown), what each replica of a key holds, and where the five nodes sit in the drawing.
//
// The simulator (../sim/world.ts) runs the REAL core; this file only reads what it did. One thing the
// simulator's API does not give: the core's full answer to a request (its `message` for a refusal, the strong
// `version`, the eventual `context`): the client keeps only a summary in historyOf(). The answer travels back
// to the client as a message in flight, so `runTo` runs the world one moment at a time and copies every answer
// addressed to the learner ('you') as it passes (`harvest`). It reads world.messages, part of the World type.
//
// Pure: no DOM, no timers, no clock, no Math.random (except randomSeed, whose seed is shown and linked).

import { hashString } from '../core/ring.ts';
import type { Outcome, StrongValue, Version } from '../core/types.ts';
import { read } from '../core/versions.ts';
import {
  checkAction, encodeScript, historyOf, parseScript, runUntil,
  type Action, type HistoryOp, type World,
} from '../sim/world.ts';

export { linkToRun } from '../sim/world.ts';

export const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
export const MAX_SEED = 99_999;
/** Keys the learner can pick; they fall in different groups (replica sets) of the five-node ring. */
export const KEYS = ['k1', 'k2', 'k3', 'cart', 'user42'] as const;

// #region link
export interface ClusterSettings {
  seed: number;
  script: Action[];
  /** What in the link could not be used, in one sentence; absent when everything could. */
  problem?: string;
}

/** A seed a person can read and type. Math.random is fine here: the seed is shown and linked. */
export function randomSeed(): number {
  return 1 + Math.floor(Math.random() * MAX_SEED);
}

/** The seed and script from `?example=cluster&seed=N&script=…`. A part that cannot be used is dropped, and said. */
export function settingsFromQuery(query: URLSearchParams, pickSeed: () => number = randomSeed): ClusterSettings {
  const problems: string[] = [];
  let seed = pickSeed();
  const seedText = query.get('seed');
  if (seedText !== null) {
    const n = Number(seedText);
    if (seedText.trim() !== '' && Number.isSafeInteger(n) && n >= 0) seed = n;
    else problems.push(`seed "${seedText}" is not a whole number, so seed ${seed} was picked`);
  }
  let script: Action[] = [];
  const scriptText = query.get('script');
  if (scriptText !== null && scriptText.trim() !== '') {
    try {
      script = parseScript(scriptText);
      // Well formed, and possible in this cluster: a node n9 is refused here, not when the world is made.
      for (const action of script) checkAction(action, NODES);
    } catch (e) {
      script = [];
      problems.push(`script was ignored: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { seed, script, ...(problems.length > 0 ? { problem: `The link's ${problems.join('; ')}.` } : {}) };
}
// #endregion link

// #region answers
/** The core's last answer to each of the learner's operations (by operation number: historyOf's index + 1). */
export type Answers = Map<number, { outcome: Outcome; node: string; group: string; term: number; leader: string | null }>;

/** Copies the answers on their way to the learner's client (messages in flight) into `answers`. */
export function harvest(world: World, answers: Answers): void {
  for (const m of world.messages) {
    const body = m.body;
    if (body.kind !== 'reply' || body.outcome.kind === 'forward') continue;
    const record = world.history[body.opId - 1];
    if (record?.client !== 'you') continue;
    answers.set(body.opId, { outcome: body.outcome, node: body.node, group: body.group, term: body.term, leader: body.leader });
  }
}

/**
 * Runs the world up to time `t` like runUntil, one due moment at a time, harvesting answers in between.
 * Same events, same order as runUntil(world, t): runUntil is just called with the intermediate times first.
 */
export function runTo(world: World, t: number, answers: Answers): void {
  const until = Math.floor(t);
  while (world.agenda.length > 0 && world.agenda[0]!.at <= until) {
    runUntil(world, world.agenda[0]!.at);
    harvest(world, answers);
  }
  runUntil(world, until);
}

export interface AnswerLine {
  id: number; // operation number
  at: number; // when it was sent (ms)
  request: string; // "put k1=red (strong) via n1"
  op: HistoryOp['op'];
  key: string;
  node: string;
  consistency: HistoryOp['consistency'];
  /** 'waiting' while no answer has come. */
  status: 200 | 404 | 409 | 503 | 504 | 'refused' | 'waiting';
  text: string; // what came back, in words
  values?: string[]; // a read's values (siblings when more than one)
  version?: Version; // a strong answer: the leader's version of the value
  context?: Record<string, number>; // an eventual answer: the version vector to send back
}

const vv = (c: Record<string, number>): string => {
  const parts = Object.entries(c).map(([n, k]) => `${n}:${k}`);
  return parts.length === 0 ? '{}' : `{${parts.join(', ')}}`;
};

/** One line per operation the learner (or the script's requests) sent, with what the core answered. */
export function answerLines(world: World, answers: Answers): AnswerLine[] {
  const lines: AnswerLine[] = [];
  historyOf(world).forEach((h, i) => {
    if (h.client !== 'you') return;
    const id = i + 1;
    const what = h.op === 'put' ? `put ${h.key}=${h.value}` : h.op === 'cas' ? `cas ${h.key} ${h.expected ?? 'absent'} -> ${h.value}` : `${h.op} ${h.key}`;
    const line: AnswerLine = {
      id, at: h.call, op: h.op, key: h.key, node: h.node, consistency: h.consistency,
      request: `${what} (${h.consistency}) via ${h.node}`, status: 'waiting', text: 'waiting for an answer',
    };
    const a = answers.get(id);
    const o = a?.outcome;
    const done = h.return !== null || h.error !== undefined || isSettledUnknown(world, id);
    if (!done) {
      lines.push(line);
      return;
    }
    if (h.error !== undefined) {
      if (o?.kind === 'unavailable') {
        line.status = 503;
        line.text = `refused, not applied (${o.reason}): ${o.message}`;
      } else {
        line.status = 'refused';
        line.text = `refused, not applied: ${h.error}`;
      }
    } else if (h.return === null) {
      line.status = 504;
      line.text = o?.kind === 'unknown' ? `outcome unknown: ${o.message}` : 'outcome unknown: no answer came (it timed out, or the node holding it crashed); it may or may not have been applied';
    } else if (o?.kind === 'value') {
      line.status = 200;
      line.values = [...o.values];
      line.text = o.values.length > 1 ? `${o.values.length} siblings: ${o.values.join(' | ')}` : `value ${o.values[0]}`;
    } else if (o?.kind === 'not-found') {
      line.status = 404;
      line.values = [];
      line.text = 'not found';
    } else if (o?.kind === 'cas-mismatch') {
      line.status = 409;
      line.text = `not swapped: the key holds ${o.values.join(' | ') || 'nothing'}`;
    } else {
      line.status = 200;
      line.text = h.op === 'delete' ? 'deleted' : 'written';
    }
    if (o && 'version' in o && o.version) {
      line.version = { ...o.version };
      line.text += ` (version term ${o.version.term}, seq ${o.version.seq}; leader ${a!.leader ?? a!.node})`;
    } else if (o && 'context' in o && h.consistency === 'eventual') {
      line.context = { ...o.context };
      line.text += ` (from ${a!.node}; context ${vv(o.context)})`;
    }
    lines.push(line);
  });
  return lines;
}

/** An operation with no return and no error is finished only if the client gave up (timeout, crash). */
function isSettledUnknown(world: World, id: number): boolean {
  return world.ops[id - 1]?.done === true;
}

/** 503 and 'refused' both mean "definitely not applied". */
export function statusLabel(s: AnswerLine['status']): string {
  switch (s) {
    case 'waiting':
      return '…';
    case 'refused':
      return 'refused';
    default:
      return String(s);
  }
}
// #endregion answers

// #region replicas
export interface ReplicaRow {
  node: string;
  up: boolean;
  /** The strong value this replica holds (null: none; value null: deleted), and a pending one (leader only). */
  strong: StrongValue | null;
  pending: StrongValue | null;
  /** The eventual copy: its live values (siblings when more than one), whether a delete is among them, the context. */
  eventual: { values: string[]; deleted: boolean; context: Record<string, number> } | null;
}

/** What each replica of `key` holds right now, from its core state (a down node: from what its disk replays). */
export function replicaRows(world: World, replicas: readonly string[], key: string): ReplicaRow[] {
  return replicas.map((name) => {
    const node = world.nodes[name]!;
    const s = node.state;
    const strong = s?.strong[key] ?? null;
    const pending = s?.pending[key] ?? null;
    const stored = s?.store[key];
    return {
      node: name,
      up: node.up,
      strong: strong ? { ...strong } : null,
      pending: pending ? { ...pending } : null,
      eventual: stored ? { ...read(stored), context: { ...stored.context } } : null,
    };
  });
}

export function describeStrong(v: StrongValue | null): string {
  if (v === null) return 'nothing';
  return `${v.value === null ? 'deleted' : v.value} (term ${v.term}, seq ${v.seq})`;
}

export function describeEventual(e: ReplicaRow['eventual']): string {
  if (e === null) return 'nothing';
  const shown = [...e.values, ...(e.deleted ? ['(deleted)'] : [])];
  return `${shown.length === 0 ? 'nothing' : shown.join(' | ')}${e.values.length > 1 ? ` — ${e.values.length} siblings` : ''}; context ${vv(e.context)}`;
}
// #endregion replicas

// #region sides
/** Which side of the cut each node is on ('A' when no cut). The sim's cuts: each is two sides with no link. */
export function sidesOf(partitions: readonly { a: readonly string[]; b: readonly string[] }[], nodes: readonly string[] = NODES): Record<string, 'A' | 'B'> {
  const out: Record<string, 'A' | 'B'> = {};
  const cut = partitions.at(-1);
  for (const n of nodes) out[n] = cut && cut.b.includes(n) ? 'B' : 'A';
  return out;
}

/** The cut a selection of nodes (side B) makes: undefined if one side would be empty. */
export function cutFor(sideB: readonly string[], nodes: readonly string[] = NODES): { a: string[]; b: string[] } | undefined {
  const b = nodes.filter((n) => sideB.includes(n));
  const a = nodes.filter((n) => !sideB.includes(n));
  return a.length === 0 || b.length === 0 ? undefined : { a, b };
}

/** The short text form of a script, for showing (the link escapes it). */
export function scriptText(script: readonly Action[]): string {
  return encodeScript(script);
}
// #endregion sides

// #region layout
export interface Point {
  x: number;
  y: number;
}

/** The five nodes on a pentagon, n1 at the top, clockwise, in a SIZE × SIZE drawing. */
export function pentagon(nodes: readonly string[], size: number, radius: number): Record<string, Point> {
  const out: Record<string, Point> = {};
  const c = size / 2;
  nodes.forEach((n, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / nodes.length;
    out[n] = { x: Math.round((c + radius * Math.cos(angle)) * 10) / 10, y: Math.round((c + radius * Math.sin(angle)) * 10) / 10 };
  });
  return out;
}

/**
 * Where a message between two nodes is drawn at `now`: along the line from sender to receiver by the share of
 * its trip done, a little to one side so that the two directions do not cover each other. `still`
 * (prefers-reduced-motion): at the middle until it arrives.
 */
export function messageAt(from: Point, to: Point, sentAt: number, deliverAt: number, now: number, still: boolean): Point {
  const trip = deliverAt - sentAt;
  const done = still ? 0.5 : trip <= 0 ? 1 : Math.min(1, Math.max(0, (now - sentAt) / trip));
  const len = Math.hypot(to.x - from.x, to.y - from.y) || 1;
  const side = 5;
  return {
    x: from.x + (to.x - from.x) * done + ((to.y - from.y) / len) * side,
    y: from.y + (to.y - from.y) * done - ((to.x - from.x) / len) * side,
  };
}
// #endregion layout

/** A value the form suggests: a colour picked by the seed and a counter, so the links stay short and readable. */
export function suggestValue(seed: number, n: number): string {
  const words = ['red', 'green', 'blue', 'amber', 'teal', 'plum', 'lime', 'rose', 'sand', 'navy'];
  return words[(hashString(`${seed}/${n}`) + n) % words.length]!;
}
