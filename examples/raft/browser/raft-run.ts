// The live Raft cluster's plain parts, with no Vue in them: what the page's link holds (seed + the learner's
// actions, each at the tick it was made), how a run is driven so that the same link gives the same run, the
// "what just happened" lines (elections, leaders, commits, answers), and where things sit in the drawing.
//
// The simulator (../sim/world.ts) runs the REAL Raft service (../core/service.ts) on five nodes; this file only
// decides WHEN the learner's actions happen (between ticks, at the tick they were recorded) and reads what the
// world did. Pure: no DOM, no timers, no clock, no Math.random (except randomSeed, whose seed is shown and linked).

import type { Entry } from '../core/types.ts';
import { figure8Options, figure8Steps, type Figure8Step, type Figure8Variant } from '../sim/figure8.ts';
import {
  crash, createWorld, heal, partition, request, restart, stepTick, timeoutNow, type InFlight, type SimOptions, type World,
} from '../sim/world.ts';

export const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
export const KEYS = ['x', 'y', 'z'] as const;
export const MAX_SEED = 99_999;
/** A value typed by the learner travels in the link: letters, digits, _ and -, at most 16. */
export const VALUE = /^[A-Za-z0-9_-]{1,16}$/;

// #region actions
/** One thing the learner did, at the tick it was done (applied after tick `at`, before tick `at + 1`). */
export type Action =
  | { at: number; do: 'crash' | 'restart' | 'timeout'; node: string }
  | { at: number; do: 'partition'; groups: string[][] }
  | { at: number; do: 'heal' }
  | { at: number; do: 'put'; key: string; value: string }
  | { at: number; do: 'get'; key: string };
export type LiveAction = Action extends infer A ? (A extends Action ? Omit<A, 'at'> : never) : never;

const isNode = (n: string): boolean => (NODES as readonly string[]).includes(n);

/** `120:crash:n3`, `400:partition:n1.n2/n3.n4.n5`, `900:heal`, `950:put:x:hello`, `990:get:x`, `30:timeout:n2`. */
export function encodeAction(a: Action): string {
  switch (a.do) {
    case 'crash':
    case 'restart':
    case 'timeout':
      return `${a.at}:${a.do}:${a.node}`;
    case 'partition':
      return `${a.at}:partition:${a.groups.map((g) => g.join('.')).join('/')}`;
    case 'heal':
      return `${a.at}:heal`;
    case 'put':
      return `${a.at}:put:${a.key}:${a.value}`;
    case 'get':
      return `${a.at}:get:${a.key}`;
  }
}

export function encodeScript(script: readonly Action[]): string {
  return script.map(encodeAction).join(',');
}

/** The script in a link, checked item by item; a bad item throws an error that names it and says why. */
export function parseScript(text: string): Action[] {
  const out: Action[] = [];
  let last = 0;
  text.split(',').forEach((item, i) => {
    const bad = (why: string): never => {
      throw new Error(`script item ${i + 1} "${item}" ${why}`);
    };
    const [atText = '', what = '', ...rest] = item.trim().split(':');
    const at = Number(atText);
    if (!/^\d+$/.test(atText) || !Number.isSafeInteger(at)) bad('does not start with a tick (a whole number)');
    if (at < last) bad(`is at tick ${at}, before the item before it (${last})`);
    last = at;
    const node = (n: string | undefined): string => (n !== undefined && isNode(n) ? n : bad(`names no node "${n ?? ''}" (the nodes are ${NODES.join(', ')})`));
    const key = (k: string | undefined): string => (k !== undefined && (KEYS as readonly string[]).includes(k) ? k : bad(`names no key "${k ?? ''}" (the keys are ${KEYS.join(', ')})`));
    switch (what) {
      case 'crash':
      case 'restart':
      case 'timeout':
        if (rest.length !== 1) bad('should be tick:' + what + ':node');
        out.push({ at, do: what, node: node(rest[0]) });
        return;
      case 'heal':
        if (rest.length !== 0) bad('should be tick:heal');
        out.push({ at, do: 'heal' });
        return;
      case 'partition': {
        if (rest.length !== 1) bad('should be tick:partition:n1.n2/n3.n4.n5');
        const groups = rest[0]!.split('/').map((g) => g.split('.').map(node));
        const all = groups.flat();
        if (groups.length < 2) bad('needs at least two groups, split by /');
        if (new Set(all).size !== all.length) bad('puts a node in two groups');
        out.push({ at, do: 'partition', groups });
        return;
      }
      case 'put':
        if (rest.length !== 2) bad('should be tick:put:key:value');
        if (!VALUE.test(rest[1]!)) bad('has a value that is not 1-16 letters, digits, _ or -');
        out.push({ at, do: 'put', key: key(rest[0]), value: rest[1]! });
        return;
      case 'get':
        if (rest.length !== 1) bad('should be tick:get:key');
        out.push({ at, do: 'get', key: key(rest[0]) });
        return;
      default:
        bad('is not crash, restart, timeout, partition, heal, put or get');
    }
  });
  return out;
}

/** Does the action to the world (the simulator's fault and request API). A no-op when it cannot apply. */
export function applyAction(world: World, a: LiveAction): void {
  switch (a.do) {
    case 'crash':
      return crash(world, a.node);
    case 'restart':
      return restart(world, a.node);
    case 'timeout':
      if (world.nodes[a.node]?.up) timeoutNow(world, a.node);
      return;
    case 'partition':
      return partition(world, a.groups);
    case 'heal':
      return heal(world);
    case 'put':
      return request(world, { op: 'put', key: a.key, value: a.value });
    case 'get':
      return request(world, { op: 'get', key: a.key });
  }
}
// #endregion actions

// #region link
/** The paper's Figure 8 with its ending (d): the term-2 entry is overwritten; or (e): S1's term-4 entry commits it. */
export type Scenario = 'figure8' | 'figure8e';

export interface RaftSettings {
  seed: number;
  script: Action[];
  /** `figure8`: the paper's Figure 8, replayed step by step (`step`: how many steps are done); `figure8e`: its other ending. */
  scenario: 'free' | Scenario;
  step: number;
  /** What in the link could not be used, in one sentence; absent when everything could. */
  problem?: string;
}

/** A seed a person can read and type. Math.random is fine here: the seed is shown and linked. */
export function randomSeed(): number {
  return 1 + Math.floor(Math.random() * MAX_SEED);
}

/** `?example=raft&seed=N&script=…` or `?example=raft&scenario=figure8&step=K`. A part that cannot be used is dropped, and said. */
export function settingsFromQuery(query: URLSearchParams, pickSeed: () => number = randomSeed): RaftSettings {
  const problems: string[] = [];
  let seed = pickSeed();
  const seedText = query.get('seed');
  if (seedText !== null) {
    const n = Number(seedText);
    if (seedText.trim() !== '' && Number.isSafeInteger(n) && n >= 0) seed = n;
    else problems.push(`seed "${seedText}" is not a whole number, so seed ${seed} was picked`);
  }
  let scenario: RaftSettings['scenario'] = 'free';
  const scenarioText = query.get('scenario');
  if (scenarioText === 'figure8' || scenarioText === 'figure8e') scenario = scenarioText;
  else if (scenarioText !== null && scenarioText !== 'free') problems.push(`scenario "${scenarioText}" is neither figure8 nor figure8e, so a free run started`);
  let step = 0;
  const stepText = query.get('step');
  if (stepText !== null) {
    const n = Number(stepText);
    if (/^\d+$/.test(stepText) && Number.isSafeInteger(n)) step = n;
    else problems.push(`step "${stepText}" is not a whole number, so the replay starts at its beginning`);
  }
  let script: Action[] = [];
  const scriptText = query.get('script');
  if (scriptText !== null && scriptText.trim() !== '') {
    try {
      script = parseScript(scriptText);
    } catch (e) {
      problems.push(`script was ignored: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { seed, script, scenario, step, ...(problems.length > 0 ? { problem: `The link's ${problems.join('; ')}.` } : {}) };
}

/** The link that reproduces a free run (seed + actions) or a Figure 8 replay at its step. */
export function linkToRun(path: string, run: { seed: number; script: readonly Action[] } | { scenario: Scenario; step: number }): string {
  if ('scenario' in run) return `${path}?example=raft&scenario=${run.scenario}&step=${run.step}`;
  let href = `${path}?example=raft&seed=${run.seed}`;
  if (run.script.length > 0) {
    href += `&script=${encodeURIComponent(encodeScript(run.script)).replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%2F/g, '/')}`;
  }
  return href;
}
// #endregion link

// #region run
/** What just happened, in words: one line per election, new leader, step-down, crash, restart, cut, commit, answer. */
export interface Happening {
  at: number;
  kind: 'timeout' | 'election' | 'leader' | 'step-down' | 'crash' | 'restart' | 'partition' | 'heal' | 'commit' | 'snapshot' | 'answer' | 'you';
  text: string;
}

/** A free run: the world, the learner's actions (done and still to come), and what was noticed so far. */
export interface Run {
  world: World;
  script: Action[];
  /** How many of the script's actions are done. */
  done: number;
  happenings: Happening[];
  /** How many of world.events were read, the highest commit announced, the answers announced. */
  seenEvents: number;
  committed: number;
  answered: number;
  /** InstallSnapshot messages on the wire when last looked at (by message id), and each node's snapshot index then. */
  snapshotsOnWire: Record<number, { from: string; to: string; lastIndex: number }>;
  snapshotAt: Record<string, number>;
}

/**
 * The settings of every live run: the simulator's defaults (150–300 ms timeouts, 50 ms heartbeats, 5–25 ms
 * delay), and a snapshot every SNAPSHOT_EVERY applied entries, so that a follower that missed more than that
 * is sent the leader's snapshot (§7).
 */
export const SNAPSHOT_EVERY = 10;

export function createRun(seed: number, script: readonly Action[] = [], options: SimOptions = { seed, snapshotEvery: SNAPSHOT_EVERY }): Run {
  const run: Run = { world: createWorld({ ...options, seed }), script: [...script], done: 0, happenings: [], seenEvents: 0, committed: 0, answered: 0, snapshotsOnWire: {}, snapshotAt: {} };
  doDue(run);
  return run;
}

/** The script's actions due at the world's present tick. */
function doDue(run: Run): void {
  while (run.done < run.script.length && run.script[run.done]!.at <= run.world.now) {
    const a = run.script[run.done]!;
    run.done += 1;
    perform(run, a);
  }
}

/** Does one action and notes it: the learner's requests are lines of their own (the simulator notes the rest). */
function perform(run: Run, a: Action): void {
  applyAction(run.world, a);
  if (a.do === 'put' || a.do === 'get') {
    run.happenings.push({ at: a.at, kind: 'you', text: `you send ${a.do === 'put' ? `put ${a.key}=${a.value}` : `get ${a.key}`}: the client sends it to the node it thinks leads, and follows "not the leader" hints` });
  }
  notice(run);
}

/** One tick, then the actions recorded for the tick it reached. */
export function tickRun(run: Run): void {
  stepTick(run.world);
  notice(run);
  doDue(run);
}

/** Runs to tick `t` (nothing if it is there already). */
export function runTo(run: Run, t: number): void {
  const until = Math.floor(t);
  while (run.world.now < until) tickRun(run);
}

/**
 * The learner acts now: the action is recorded at this tick (so the link replays it here) and done. Script
 * actions still to come (a link being replayed) are dropped: the run goes its own way from here.
 */
export function act(run: Run, action: LiveAction): void {
  run.script.length = run.done;
  const a = { at: run.world.now, ...action } as Action;
  run.script.push(a);
  run.done += 1;
  perform(run, a);
}

/** Step: run until the next message arrives, a node's timer fires, or something is noticed (at most `max` ticks). */
export function stepToNext(run: Run, max = 1000): void {
  const w = run.world;
  const before = { delivered: w.stats.delivered + w.stats.dropped + w.stats.lost, events: w.events.length, happenings: run.happenings.length };
  for (let i = 0; i < max; i++) {
    tickRun(run);
    const moved = w.stats.delivered + w.stats.dropped + w.stats.lost !== before.delivered || w.events.length !== before.events || run.happenings.length !== before.happenings;
    if (moved) return;
  }
}

const EVENT_KINDS = new Set(['timeout', 'election', 'leader', 'step-down', 'crash', 'restart', 'partition', 'heal']);

/** Reads what the world did since the last call into run.happenings. */
export function notice(run: Run): void {
  const w = run.world;
  for (; run.seenEvents < w.events.length; run.seenEvents++) {
    const e = w.events[run.seenEvents]!;
    if (EVENT_KINDS.has(e.kind)) run.happenings.push({ at: e.at, kind: e.kind as Happening['kind'], text: e.text });
  }
  const high = w.checks.highestCommitted;
  if (high > run.committed) {
    const from = run.committed + 1;
    const last = w.checks.committed[high];
    const what = last === undefined ? '' : `${describeCommand(JSON.parse(last.command) as unknown)}, term ${last.term}`;
    const by = leaderName(w);
    run.happenings.push({
      at: w.now,
      kind: 'commit',
      text: from === high
        ? `entry ${high} (${what}) is committed${by ? ` by ${by}` : ''}: a majority stores it`
        : `entries ${from}–${high} are committed${by ? ` by ${by}` : ''}: a majority stores them (the last: ${what})`,
    });
    run.committed = high;
  }
  // A snapshot the leader sent (§7) that reached its follower: the follower's snapshot moved up to it.
  const onWire = new Set<number>();
  for (const m of w.messages) {
    onWire.add(m.id);
    if (m.body.kind === 'raft' && m.body.message.type === 'InstallSnapshot' && run.snapshotsOnWire[m.id] === undefined) {
      run.snapshotsOnWire[m.id] = { from: m.from, to: m.to, lastIndex: m.body.message.snapshot.lastIndex };
    }
  }
  for (const key of Object.keys(run.snapshotsOnWire)) {
    const id = Number(key);
    if (onWire.has(id)) continue;
    const s = run.snapshotsOnWire[id]!;
    delete run.snapshotsOnWire[id];
    const now = w.nodes[s.to]?.service?.raft.snapshot?.lastIndex ?? 0;
    if (now >= s.lastIndex && (run.snapshotAt[s.to] ?? 0) < s.lastIndex) {
      run.happenings.push({ at: w.now, kind: 'snapshot', text: `${s.to} installs ${s.from}'s snapshot up to index ${s.lastIndex}: it lagged behind entries the leader no longer keeps (§7)` });
    }
  }
  for (const id of w.ids) run.snapshotAt[id] = w.nodes[id]!.service?.raft.snapshot?.lastIndex ?? 0;
  const mine = w.history.filter((h) => h.client === 'you');
  for (; run.answered < mine.length && mine[run.answered]!.return !== null; run.answered++) {
    const h = mine[run.answered]!;
    const what = h.op === 'put' ? `put ${h.key}=${h.value}` : `get ${h.key}`;
    const out = h.op === 'get' ? (h.output === null ? 'not found' : `value ${String(h.output)}`) : 'done';
    run.happenings.push({ at: h.return!, kind: 'answer', text: `your ${what} is answered by ${h.node}: ${out}` });
  }
}

function leaderName(w: World): string | null {
  let best: { id: string; term: number } | null = null;
  for (const id of w.ids) {
    const r = w.nodes[id]!.service?.raft;
    if (r?.role === 'leader' && (best === null || r.term > best.term)) best = { id, term: r.term };
  }
  return best?.id ?? null;
}

/** An entry's command in words: `no-op`, `put x=hi`, `get x`. */
export function describeCommand(command: unknown): string {
  if (command === null || command === undefined) return 'no-op';
  if (typeof command !== 'object') return String(command);
  const c = command as { op?: string; key?: string; value?: string; expected?: string | null };
  switch (c.op) {
    case 'put':
      return `put ${c.key}=${c.value}`;
    case 'get':
      return `get ${c.key}`;
    case 'delete':
      return `delete ${c.key}`;
    case 'cas':
      return `cas ${c.key} ${c.expected ?? 'absent'}→${c.value}`;
    default:
      return JSON.stringify(command);
  }
}
// #endregion run

// #region views
export interface NodeView {
  id: string;
  up: boolean;
  role: 'follower' | 'candidate' | 'leader' | 'down';
  term: number;
  votedFor: string | null;
  leaderId: string | null;
  commitIndex: number;
  lastIndex: number;
  snapshotIndex: number;
  /** Share of the election timeout still to run (1 = just reset, 0 = campaigning now); null for a leader or a down node. */
  timer: number | null;
  /** Ticks until the timer fires (null: no timer). */
  timerLeft: number | null;
  log: { index: number; term: number; committed: boolean; command: string }[];
}

/** What every node shows now. A down node shows what its disk synced (term, vote, log), nothing committed. */
export function nodeViews(world: World): NodeView[] {
  return world.ids.map((id) => {
    const node = world.nodes[id]!;
    const raft = node.service?.raft;
    if (!raft) {
      const d = node.disk.synced;
      return {
        id, up: false, role: 'down', term: d.term, votedFor: d.votedFor, leaderId: null, commitIndex: 0,
        lastIndex: (d.snapshot?.lastIndex ?? 0) + d.entries.length, snapshotIndex: d.snapshot?.lastIndex ?? 0, timer: null, timerLeft: null,
        log: d.entries.map((e: Entry) => ({ index: e.index, term: e.term, committed: false, command: describeCommand(e.command) })),
      };
    }
    const leader = raft.role === 'leader';
    const left = Math.max(0, raft.electionTimeout - raft.electionElapsed);
    return {
      id, up: true, role: raft.role, term: raft.term, votedFor: raft.votedFor, leaderId: raft.leaderId, commitIndex: raft.commitIndex,
      lastIndex: (raft.snapshot?.lastIndex ?? 0) + raft.log.length, snapshotIndex: raft.snapshot?.lastIndex ?? 0,
      timer: leader ? null : Math.min(1, left / Math.max(1, raft.electionTimeout)),
      timerLeft: leader ? null : left,
      log: raft.log.map((e) => ({ index: e.index, term: e.term, committed: e.index <= raft.commitIndex, command: describeCommand(e.command) })),
    };
  });
}

/** A message's short label on the drawing and its name in words. */
export function messageLabel(m: InFlight): { short: string; long: string; kind: string } {
  const body = m.body;
  if (body.kind === 'request') return { short: body.command.op, long: `client request: ${describeCommand(body.command)}`, kind: 'client' };
  if (body.kind === 'reply') return { short: body.answer.ok ? 'ok' : 'no', long: body.answer.ok ? 'answer to the client' : `refusal to the client (${body.answer.reason})`, kind: 'client' };
  const msg = body.message;
  switch (msg.type) {
    case 'RequestVote':
      return { short: 'RV', long: `vote request, term ${msg.term}`, kind: 'vote' };
    case 'RequestVoteReply':
      return msg.granted ? { short: 'V✓', long: `vote granted, term ${msg.term}`, kind: 'vote' } : { short: 'V✗', long: `vote refused, term ${msg.term}`, kind: 'vote' };
    case 'AppendEntries':
      return msg.entries.length === 0
        ? { short: 'AE', long: `append (heartbeat), term ${msg.term}`, kind: 'append' }
        : { short: `AE${msg.entries.length}`, long: `append ${msg.entries.length} entr${msg.entries.length === 1 ? 'y' : 'ies'}, term ${msg.term}`, kind: 'append' };
    case 'AppendEntriesReply':
      return msg.success ? { short: 'ack', long: `append acknowledged up to ${msg.matchIndex}`, kind: 'ack' } : { short: 'nak', long: 'append refused (logs differ)', kind: 'ack' };
    case 'InstallSnapshot':
      return { short: 'SN', long: `snapshot up to ${msg.snapshot.lastIndex}`, kind: 'snapshot' };
    case 'InstallSnapshotReply':
      return { short: 'SN✓', long: 'snapshot acknowledged', kind: 'snapshot' };
  }
}
// #endregion views

// #region layout
export interface Point {
  x: number;
  y: number;
}

/** The nodes on a ring (a regular polygon), n1 at the top, clockwise, in a size × size drawing. */
export function ring(nodes: readonly string[], size: number, radius: number): Record<string, Point> {
  const out: Record<string, Point> = {};
  const c = size / 2;
  nodes.forEach((n, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / nodes.length;
    out[n] = { x: Math.round((c + radius * Math.cos(angle)) * 10) / 10, y: Math.round((c + radius * Math.sin(angle)) * 10) / 10 };
  });
  return out;
}

/**
 * Where a message is drawn at `now`: along the line from sender to receiver by the share of its trip done, a
 * little to one side so that the two directions do not cover each other. `still` (prefers-reduced-motion): at
 * the middle until it arrives.
 */
export function messageAt(from: Point, to: Point, sent: number, arrives: number, now: number, still: boolean): Point {
  const trip = arrives - sent;
  const done = still ? 0.5 : trip <= 0 ? 1 : Math.min(1, Math.max(0, (now - sent) / trip));
  const len = Math.hypot(to.x - from.x, to.y - from.y) || 1;
  const side = 7;
  return {
    x: Math.round((from.x + (to.x - from.x) * done + ((to.y - from.y) / len) * side) * 10) / 10,
    y: Math.round((from.y + (to.y - from.y) * done - ((to.x - from.x) / len) * side) * 10) / 10,
  };
}

/** A colour per term (light tints that keep dark text readable in both themes); the term number is always written too. */
export const TERM_COLOURS = ['#e4e4e7', '#bfdbfe', '#fde68a', '#bbf7d0', '#fbcfe8', '#ddd6fe', '#fed7aa', '#a5f3fc', '#d9f99d'];
export function termColour(term: number): string {
  return TERM_COLOURS[term % TERM_COLOURS.length]!;
}
// #endregion layout

// #region figure8
/** What the drawing shows at one moment: recorded tick by tick while a Figure 8 step runs, so it can be played back. */
export interface Frame {
  now: number;
  nodes: NodeView[];
  messages: InFlight[];
  groups: string[][] | null;
  /** How many of the run's happenings had happened. */
  happenings: number;
}

export function frameOf(run: Run): Frame {
  const w = run.world;
  return { now: w.now, nodes: nodeViews(w), messages: [...w.messages], groups: w.partition === null ? null : w.partition.map((g) => [...g]), happenings: run.happenings.length };
}

/**
 * The paper's Figure 8 on the real core (the simulator's scripted steps, ../sim/figure8.ts): `done` steps are
 * done; `frames` holds the moments of the last step, tick by tick, from the moment before it started.
 */
export interface Replay {
  scenario: Scenario;
  run: Run;
  steps: Figure8Step[];
  done: number;
  frames: Frame[];
}

export function createReplay(scenario: Scenario, stepsDone = 0): Replay {
  const variant: Figure8Variant = scenario === 'figure8e' ? 'e' : 'd';
  const options = figure8Options(variant);
  const replay: Replay = { scenario, run: createRun(options.seed, [], options), steps: figure8Steps(variant), done: 0, frames: [] };
  replay.frames = [frameOf(replay.run)];
  const upTo = Math.min(stepsDone, replay.steps.length);
  while (replay.done < upTo) nextStep(replay, replay.done < upTo - 1);
  return replay;
}

/** Runs the next step; its moments are recorded in `frames` (unless `quick`: then only its last). */
export function nextStep(replay: Replay, quick = false): void {
  const step = replay.steps[replay.done];
  if (step === undefined) return;
  const run = replay.run;
  replay.frames = quick ? [] : [frameOf(run)];
  step.act(run.world, () => {
    notice(run);
    if (!quick) replay.frames.push(frameOf(run));
  });
  notice(run);
  replay.frames.push(frameOf(run));
  replay.done += 1;
}

/** The step shown: its label and caption (before any step: how the replay starts). */
export function currentCaption(replay: Replay): { label: string; caption: string } {
  const step = replay.steps[replay.done - 1];
  if (step === undefined) {
    return {
      label: 'not started',
      caption: 'The paper\'s Figure 8 (§5.4.2), on the real core: five servers, S1–S5 drawn as n1–n5, with long election timeouts so that only the script starts elections. Press "Next step".',
    };
  }
  return { label: step.label, caption: step.caption };
}
// #endregion figure8
