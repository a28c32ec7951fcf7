// Part II's store as a seeded simulation: a cluster of nodes (n1..n5), each running the REAL core
// (../core/node.ts), exchanging messages over a simulated network that delays, reorders, loses and duplicates
// them, with crashes, restarts and partitions at chosen times, and clients that read and write keys.
//
// Nothing here knows the store's rules (who leads, when a write is committed, what a fence refuses): the core
// decides, exactly as in the Node server (../node/). The simulation adds only what that server adds: a clock, a
// network, a disk that survives a crash, the core's wake-up timer, and clients.
//
// Simulated time: the world is a list of things due at future moments (a message arrives, a node's timer
// fires, a client's timeout runs out). Running the world means taking the earliest, doing it, and moving the
// clock to its moment. Every chance comes from seeded generators, so the same seed and script give the same
// run, in Node and in the browser.
//
// The API (used by `npm run sim:store`, by tests/store/sim*.test.ts and by the browser example):
//   const world = createWorld({ seed: 7, script });          // 5 nodes, 3 replicas, the core's default timings
//   advance(world, 5_000);                                  // run 5 simulated seconds
//   crash(world, 'n2'); partition(world, ['n1', 'n2'], ['n3', 'n4', 'n5']); heal(world); restart(world, 'n2');
//   clientRequest(world, { node: 'n1', op: 'put', key: 'k1', value: 'blue', consistency: 'strong' });
//   view(world)      -> every node's core status(), the cuts, the messages in flight, open requests
//   timeline(world)  -> one short line per notable event (formatEvent prints it)
//   historyOf(world) -> every client operation, in tests/helpers/kv-history.ts's format
//   scriptOf(world)  -> the script that replays this run with the same seed (live actions included)
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { status } from '../core/node.ts';
import { defaultConfig } from '../core/types.ts';
import { mulberry32 } from '../../shared/random.ts';
import { clientNext, describe, onReplyArrive, requestFor, retry, startClients, startOp, timeout } from './clients.ts';
import { arrive, emit, schedule } from './network.ts';
import { boot, crash as crashNode, deliverPeer, restart as restartNode, runStep, wake } from './nodes.ts';
import type { Action, RequestSpec } from './script.ts';
import { DEFAULT_NETWORK, DEFAULT_NODES, type ClientOp, type HistoryOp, type SimNode, type SimOptions, type TimelineEvent, type World, type WorldView } from './types.ts';

export { encodeScript, linkToRun, parseScript, NAME, type Action, type RequestSpec } from './script.ts';
export type { HistoryOp, Message, SimOptions, TimelineEvent, World, WorldView } from './types.ts';

/** An action without its time, for act(). */
export type LiveAction = Action extends infer A ? (A extends Action ? Omit<A, 'at'> : never) : never;

// #region create
export function createWorld(options: SimOptions): World {
  if (!Number.isSafeInteger(options.seed)) throw new Error(`the seed must be a whole number, not ${options.seed}`);
  const count = options.nodes ?? DEFAULT_NODES;
  const replicas = options.replicas ?? defaultConfig.replicas;
  if (!Number.isInteger(count) || count < 1 || count > 9) throw new Error(`nodes must be a whole number from 1 to 9, not ${count}`);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > count) throw new Error(`replicas must be a whole number from 1 to ${count}, not ${replicas}`);
  const nodeNames = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const script = [...(options.script ?? [])].sort((a, b) => a.at - b.at); // stable: equal times keep their order
  for (const action of script) checkAction(action, nodeNames);
  const world: World = {
    seed: options.seed,
    now: 0,
    random: mulberry32(options.seed),
    workloadRandom: mulberry32((options.seed ^ 0x5bd1e995) >>> 0),
    nodeNames,
    configBase: { ...defaultConfig, ...options.config, replicas },
    nodes: {},
    network: { ...DEFAULT_NETWORK, delay: [...DEFAULT_NETWORK.delay] },
    partitions: [],
    agenda: [],
    nextSeq: 1,
    nextMessageId: 1,
    messages: [],
    ops: [],
    clients: [],
    history: [],
    acks: [],
    events: [],
    script,
    said: {},
    stats: { sent: 0, lost: 0, duplicated: 0, delivered: 0, operations: 0 },
  };
  for (const name of nodeNames) {
    const node: SimNode = { name, up: false, state: null, disk: [], boot: 0, wakeToken: 0 };
    world.nodes[name] = node;
    boot(world, node);
  }
  for (const action of script) schedule(world, action.at, { type: 'action', action }, 1);
  return world;
}

/** Throws a clear Error if an action names a node this world does not have. */
export function checkAction(action: Action, nodeNames: readonly string[]): void {
  const known = (n: string): void => {
    if (!nodeNames.includes(n)) throw new Error(`there is no node ${n} (this cluster has ${nodeNames.join(', ')})`);
  };
  if (action.do === 'crash' || action.do === 'restart' || action.do === 'request') known(action.node);
  if (action.do === 'partition') {
    [...action.a, ...action.b].forEach(known);
    if (action.a.length === 0 || action.a.length === nodeNames.length) throw new Error('a partition needs nodes on both sides');
  }
  if (action.do === 'network' && action.delay[0] > action.delay[1]) throw new Error('the network delay range must go from low to high');
}
// #endregion create

// #region run
/** Runs everything due up to and including time t (whole ms); afterwards world.now === t (never backwards). */
export function runUntil(world: World, t: number): TimelineEvent[] {
  const until = Math.floor(t);
  const start = world.events.length;
  while (world.agenda.length > 0 && world.agenda[0]!.at <= until) processNext(world);
  world.now = Math.max(world.now, until);
  return world.events.slice(start);
}

/** Runs `ms` more simulated milliseconds. Returns the timeline events produced. */
export function advance(world: World, ms: number): TimelineEvent[] {
  return runUntil(world, world.now + ms);
}

/** Runs until something is added to the timeline (the Step button), at most 60 simulated seconds ahead. */
export function stepOnce(world: World): TimelineEvent[] {
  const start = world.events.length;
  const limit = world.now + 60_000;
  while (world.events.length === start && world.agenda.length > 0 && world.agenda[0]!.at <= limit) processNext(world);
  return world.events.slice(start);
}

/**
 * A live action at world.now: first what is due at now runs, then the action, which joins the script (after
 * every action at or before now) so that replaying scriptOf(world) meets it at the same point.
 */
export function act(world: World, action: LiveAction): TimelineEvent[] {
  const start = world.events.length;
  runUntil(world, world.now);
  const timed = { ...action, at: world.now } as Action;
  checkAction(timed, world.nodeNames);
  const place = world.script.findIndex((a) => a.at > timed.at);
  world.script.splice(place === -1 ? world.script.length : place, 0, timed);
  perform(world, timed);
  return world.events.slice(start);
}

export const crash = (world: World, node: string): TimelineEvent[] => act(world, { do: 'crash', node });
export const restart = (world: World, node: string): TimelineEvent[] => act(world, { do: 'restart', node });
/** Cut every link between a node of `a` and a node of `b` (b left out: everyone else). */
export const partition = (world: World, a: string[], b: string[] = []): TimelineEvent[] => act(world, { do: 'partition', a, b });
export const heal = (world: World): TimelineEvent[] => act(world, { do: 'heal' });
/** A client next to `spec.node` sends one request. Its answer appears in the timeline and in historyOf(world). */
export const clientRequest = (world: World, spec: RequestSpec): TimelineEvent[] => act(world, { do: 'request', ...spec });

function processNext(world: World): void {
  const item = world.agenda.shift()!;
  world.now = item.at;
  const due = item.due;
  switch (due.type) {
    case 'deliver':
      return deliver(world, due.messageId);
    case 'wake':
      return wake(world, due.node, due.token);
    case 'client-timeout':
      return timeout(world, due.opId, due.attempt, due.hop);
    case 'client-retry':
      return retry(world, due.opId);
    case 'client-next':
      return clientNext(world, due.client);
    case 'action':
      return perform(world, due.action);
  }
}

function deliver(world: World, messageId: number): void {
  const msg = arrive(world, messageId);
  if (!msg) return;
  world.stats.delivered += 1;
  const body = msg.body;
  if (body.kind === 'peer') return deliverPeer(world, body.msg);
  if (body.kind === 'reply') return onReplyArrive(world, body);
  const node = world.nodes[msg.to]!;
  if (!node.up) return; // nobody listening: the client's timeout will say "unknown"
  runStep(world, node, { type: 'request', now: world.now, request: requestFor(world, body) });
}
// #endregion run

// #region actions
function perform(world: World, action: Action): void {
  const you = (kind: string, text: string): void => emit(world, 'you', kind, text);
  switch (action.do) {
    case 'crash': {
      const node = world.nodes[action.node]!;
      if (!node.up) return you('ignored', `crash ${action.node}: nothing to do, it is down`);
      you('crash', `${action.node} crashes: its memory is gone, its disk keeps ${node.disk.length} changes`);
      return crashNode(world, node);
    }
    case 'restart': {
      const node = world.nodes[action.node]!;
      if (node.up) return you('ignored', `restart ${action.node}: nothing to do, it is running`);
      return you('restart', `${action.node} restarts and ${restartNode(world, node)}`);
    }
    case 'partition': {
      const b = action.b.length > 0 ? action.b : world.nodeNames.filter((n) => !action.a.includes(n));
      world.partitions.push({ a: [...action.a], b });
      return you('partition', `partition: ${action.a.join(' ')} | ${b.join(' ')}: no message crosses`);
    }
    case 'heal':
      if (world.partitions.length === 0) return you('ignored', 'heal: nothing to do, no partition');
      world.partitions = [];
      return you('heal', 'the partition heals: every node can reach every other');
    case 'network':
      world.network = { loss: action.loss, dup: action.dup, delay: [action.delay[0], action.delay[1]] };
      return you('network', `network: ${action.loss}% of messages lost, ${action.dup}% duplicated, delays ${action.delay[0]}-${action.delay[1]} ms`);
    case 'clients':
      you('clients', `${action.count} client${action.count === 1 ? '' : 's'} start ${action.mode} requests on ${action.keys.join(', ')} until ${(action.until / 1000).toFixed(1)} s`);
      return startClients(world, action);
    case 'request': {
      const { at: _at, do: _do, ...spec } = action;
      you('request', `${describe(spec)} sent to ${spec.node}`);
      startOp(world, spec, 'you');
      return;
    }
  }
}
// #endregion actions

// #region view
export function view(world: World): WorldView {
  return {
    now: world.now,
    seed: world.seed,
    nodes: world.nodeNames.map((name) => {
      const node = world.nodes[name]!;
      return { name, up: node.up, status: node.state ? status(node.state) : null, diskChanges: node.disk.length };
    }),
    partitions: world.partitions.map((p) => ({ a: [...p.a], b: [...p.b] })),
    network: { ...world.network, delay: [...world.network.delay] },
    messages: world.messages.map(({ body: _body, link: _link, ...m }) => ({ ...m })),
    open: world.ops.filter((o) => !o.done).map((o: ClientOp) => ({ id: o.id, client: o.client, op: o.op, key: o.key, node: o.node, since: o.call })),
    stats: { ...world.stats },
  };
}

export function timeline(world: World): TimelineEvent[] {
  return [...world.events];
}

/** The events after the first `count`: what a view that has shown `count` of them must still show. */
export function eventsSince(world: World, count: number): TimelineEvent[] {
  return world.events.slice(count);
}

/** Every client operation so far, as the clients saw it (tests/helpers/kv-history.ts's format plus node, consistency). */
export function historyOf(world: World): HistoryOp[] {
  return world.history.map((h) => ({ ...h }));
}

export function scriptOf(world: World): Action[] {
  return world.script.map((a) => structuredCloneAction(a));
}

function structuredCloneAction(a: Action): Action {
  if (a.do === 'partition') return { ...a, a: [...a.a], b: [...a.b] };
  if (a.do === 'clients') return { ...a, keys: [...a.keys] };
  if (a.do === 'network') return { ...a, delay: [a.delay[0], a.delay[1]] };
  return { ...a };
}

/** One line per event, the same in the CLI and in the browser:  "   2.345s  n3         n3 starts an election ..." */
export function formatEvent(e: TimelineEvent): string {
  return `${(e.at / 1000).toFixed(3).padStart(8)}s  ${e.node.padEnd(9)}  ${e.text}`;
}
// #endregion view
