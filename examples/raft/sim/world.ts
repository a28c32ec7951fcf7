// Part IV's Raft KV service as a seeded, deterministic simulation: nodes n1..n5 each running the REAL
// service (examples/raft/core/service.ts, shared with the node process), a network that delays, loses,
// duplicates and reorders messages and can be partitioned, disks that sync a few ticks after writing (a
// crash loses unsynced writes), KV clients, and the safety invariants checked after every step.
//
// The API (used by `npm run sim:raft`, tests/raft/sim*.test.ts, the MIT-lab test port, the failover benchmark
// and the browser example):
//   const world = createWorld({ seed: 7 });       // 5 nodes, electionTicks [150,300], heartbeat 50, delay 5..25
//   runTicks(world, 1000);                         // 1 tick = 1 simulated ms; invariants checked at every step
//   leaderOf(world)                                 // 'n3' (the up leader of the highest term) or null
//   crash(world, 'n3'); restart(world, 'n3');       // restart = exactly what n3's disk had synced
//   partition(world, [['n1', 'n2'], ['n3', 'n4', 'n5']]); heal(world);
//   setNetwork(world, { loss: 0.1 }); setLink(world, 'n1', 'n2', { loss: 1 });
//   addClients(world, 3); request(world, { op: 'put', key: 'x', value: '1' });
//   world.messages / world.history / world.events / view(world)
// Beside it: chaos.ts (random fault schedules, liveness after healing), figure8.ts (the paper's Figure 8 as
// captioned steps), cli.ts (`npm run sim:raft`, the only file that touches the process).
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import type { KvCommand, KvOp } from '../core/kv.ts';
import { status } from '../core/raft.ts';
import { submit as submitToService } from '../core/service.ts';
import type { NodeId } from '../core/types.ts';
import { addClients, onReply, queueRequest, runClients } from './clients.ts';
import { emptyChecks } from './checks.ts';
import { emptyDisk } from './disk.ts';
import { emit, linkKey, takeArrived } from './network.ts';
import { afterCall, release, requestAt, startNode, stepNode, stopNode, tickNode } from './nodes.ts';
import {
  DEFAULT_DELAY,
  DEFAULT_DISK_TICKS,
  DEFAULT_ELECTION_TICKS,
  DEFAULT_HEARTBEAT_TICKS,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_NODES,
  type LinkSettings,
  type SimNode,
  type SimOptions,
  type World,
} from './types.ts';

export { addClients } from './clients.ts';
export { RaftViolation } from './checks.ts';
export type * from './types.ts';
export * from './types.ts';

// #region create
export function createWorld(options: SimOptions): World {
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw new Error(`the seed must be a whole number of at least 0, not ${options.seed}`);
  const count = options.nodes ?? DEFAULT_NODES;
  if (!Number.isInteger(count) || count < 1 || count > 9) throw new Error(`nodes must be a whole number from 1 to 9, not ${count}`);
  const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const network: LinkSettings = { delay: [...DEFAULT_DELAY], loss: 0, dup: 0, ...options.network };
  checkLink(network);
  const world: World = {
    seed: options.seed,
    now: 0,
    random: { seed: options.seed >>> 0, draws: 0 },
    ids,
    configBase: {
      members: ids,
      electionTicks: options.electionTicks ?? [...DEFAULT_ELECTION_TICKS],
      heartbeatTicks: options.heartbeatTicks ?? DEFAULT_HEARTBEAT_TICKS,
      maxEntriesPerMessage: options.maxEntriesPerMessage ?? DEFAULT_MAX_ENTRIES,
    },
    snapshotEvery: options.snapshotEvery ?? 0,
    diskTicks: options.diskTicks ?? [...DEFAULT_DISK_TICKS],
    exactlyOnce: options.exactlyOnce ?? true,
    nodes: {},
    network,
    links: {},
    partition: null,
    messages: [],
    delivered: options.trace === true ? [] : null,
    nextMessageId: 1,
    clients: [],
    history: [],
    events: [],
    checks: emptyChecks(),
    stats: { sent: 0, lost: 0, duplicated: 0, delivered: 0, dropped: 0, sentByType: {} },
    replay: options.replay ?? replayArgs(options),
  };
  for (const id of ids) {
    const node: SimNode = { id, up: false, service: null, disk: emptyDisk(), held: [], incarnation: 0, seed: 0 };
    world.nodes[id] = node;
    startNode(world, node);
  }
  if ((options.clients ?? 0) > 0) addClients(world, options.clients!);
  return world;
}

/** The CLI arguments that rebuild a world from these options (the ones the CLI has). */
export function replayArgs(options: SimOptions): string {
  const parts = [`--seed ${options.seed}`];
  if (options.nodes !== undefined && options.nodes !== DEFAULT_NODES) parts.push(`--nodes ${options.nodes}`);
  if (options.network?.loss) parts.push(`--loss ${options.network.loss}`);
  if (options.network?.dup) parts.push(`--dup ${options.network.dup}`);
  if (options.clients) parts.push(`--clients ${options.clients}`);
  if (options.exactlyOnce === false) parts.push('--at-least-once');
  return parts.join(' ');
}
// #endregion create

// #region run
/**
 * One tick (1 ms). In this order: due fsyncs complete and what waited for them is sent; messages due now
 * arrive (each step is followed by advance() and the invariant checks); every up node ticks; clients time out,
 * retry or send their next request.
 */
export function stepTick(world: World): void {
  world.now += 1;
  for (const id of world.ids) {
    const node = world.nodes[id]!;
    if (node.up) release(world, node);
  }
  for (const m of takeArrived(world)) {
    if (world.delivered !== null && (m.body.kind === 'reply' || world.nodes[m.to]?.up)) {
      world.delivered.push({ id: m.id, from: m.from, to: m.to, type: m.type, sent: m.sent, arrives: m.arrives });
    }
    if (m.body.kind === 'reply') {
      world.stats.delivered += 1;
      onReply(world, m.from, m.body.requestId, m.body.answer);
      continue;
    }
    const node = world.nodes[m.to];
    if (node === undefined || !node.up) {
      world.stats.dropped += 1; // nobody listening: a crashed node's messages are lost
      continue;
    }
    world.stats.delivered += 1;
    if (m.body.kind === 'raft') stepNode(world, node, m.body.message);
    else requestAt(world, node, m.body.requestId, m.body.command);
  }
  for (const id of world.ids) {
    const node = world.nodes[id]!;
    if (node.up) tickNode(world, node);
  }
  runClients(world);
}

export function runTicks(world: World, ticks: number): void {
  for (let i = 0; i < ticks; i++) stepTick(world);
}

/** Runs until `until(world)` holds (checked after every tick) or `maxTicks` passed; returns whether it held. */
export function runUntil(world: World, until: (w: World) => boolean, maxTicks: number): boolean {
  for (let i = 0; i < maxTicks; i++) {
    if (until(world)) return true;
    stepTick(world);
  }
  return until(world);
}
// #endregion run

// #region faults
export function crash(world: World, id: NodeId): void {
  const node = nodeOf(world, id);
  if (!node.up) return;
  stopNode(node);
  emit(world, id, 'crash', `${id} crashes (${node.disk.synced.entries.length} entries and term ${node.disk.synced.term} on disk)`);
}

export function restart(world: World, id: NodeId): void {
  const node = nodeOf(world, id);
  if (node.up) return;
  startNode(world, node);
  emit(world, id, 'restart', `${id} restarts from its disk (term ${node.disk.synced.term}, ${node.disk.synced.entries.length} entries)`);
}

/** Cuts the network into groups; a node in no group is alone. Messages across the cut are lost (also those in flight). */
export function partition(world: World, groups: NodeId[][]): void {
  for (const id of groups.flat()) nodeOf(world, id);
  world.partition = groups.map((g) => [...g]);
  emit(world, 'network', 'partition', `partition ${groups.map((g) => g.join('+')).join(' | ')}`);
}

export function heal(world: World): void {
  world.partition = null;
  world.links = {};
  emit(world, 'network', 'heal', 'the network heals');
}

/** Every link's default settings (fields not given stay). */
export function setNetwork(world: World, settings: Partial<LinkSettings>): void {
  const next = { ...world.network, ...settings };
  checkLink(next);
  world.network = next;
  emit(world, 'network', 'network', `network: delay ${next.delay[0]}-${next.delay[1]}, loss ${next.loss}, dup ${next.dup}`);
}

/** Overrides the link between a and b (both directions); null removes the override. */
export function setLink(world: World, a: NodeId, b: NodeId, settings: Partial<LinkSettings> | null): void {
  nodeOf(world, a);
  nodeOf(world, b);
  const key = linkKey(a, b);
  if (settings === null) delete world.links[key];
  else {
    checkLink({ ...world.network, ...settings });
    world.links[key] = { ...settings };
  }
  emit(world, 'network', 'link', settings === null ? `link ${key} back to normal` : `link ${key}: ${JSON.stringify(settings)}`);
}

/** Makes the node's election timer run out at its next tick (a "forced timeout"; the node's state is plain data). */
export function timeoutNow(world: World, id: NodeId): void {
  const raft = upService(world, id).raft;
  raft.electionElapsed = Math.max(raft.electionElapsed, raft.electionTimeout - 1);
  emit(world, id, 'timeout', `${id}'s election timer is made to run out`);
}
// #endregion faults

// #region requests
/** Your own KV request: sent by client 'you' (to the leader it knows, with retries), recorded in world.history. */
export function request(world: World, op: KvOp): void {
  queueRequest(world, op);
}

/** Proposes a command straight at a node, as if a client stood beside it (no network, no retries; the
 *  answer, when the entry is applied, goes to nobody). */
export function propose(world: World, id: NodeId, command: KvCommand): { ok: true; index: number } | { ok: false; leaderId: NodeId | null } {
  const node = nodeOf(world, id);
  const s = submitToService(upService(world, id), `direct/${world.now}`, command);
  if (s.ok) afterCall(world, node);
  return s;
}
// #endregion requests

// #region view
/** The leader of the highest term among the nodes that are up (null if none believes it leads). */
export function leaderOf(world: World): NodeId | null {
  let best: { id: NodeId; term: number } | null = null;
  for (const id of world.ids) {
    const raft = world.nodes[id]!.service?.raft;
    if (raft?.role === 'leader' && (best === null || raft.term > best.term)) best = { id, term: raft.term };
  }
  return best?.id ?? null;
}

/** What a status view shows per node: the core's status() plus up/down, timers and disk. */
export function view(world: World) {
  return world.ids.map((id) => {
    const node = world.nodes[id]!;
    const raft = node.service?.raft;
    return {
      id,
      up: node.up,
      incarnation: node.incarnation,
      status: raft === undefined ? null : { ...status(raft), electionElapsed: raft.electionElapsed, electionTimeout: raft.electionTimeout },
      disk: { term: node.disk.synced.term, votedFor: node.disk.synced.votedFor, entries: node.disk.synced.entries.length, snapshotIndex: node.disk.synced.snapshot?.lastIndex ?? 0, pending: node.disk.pending.length },
    };
  });
}

export function formatEvent(e: { at: number; node: string; text: string }): string {
  return `${String(e.at).padStart(7)} ms  ${e.text}`;
}
// #endregion view

function nodeOf(world: World, id: NodeId): SimNode {
  const node = world.nodes[id];
  if (node === undefined) throw new Error(`no node ${id} (the nodes are ${world.ids.join(', ')})`);
  return node;
}

function upService(world: World, id: NodeId) {
  const node = nodeOf(world, id);
  if (!node.up) throw new Error(`${id} is down`);
  return node.service!;
}

function checkLink(l: LinkSettings): void {
  const ok = (p: number) => Number.isFinite(p) && p >= 0 && p <= 1;
  if (!ok(l.loss) || !ok(l.dup)) throw new Error(`loss and dup are probabilities from 0 to 1, not ${l.loss} and ${l.dup}`);
  if (!Number.isInteger(l.delay[0]) || !Number.isInteger(l.delay[1]) || l.delay[0] < 1 || l.delay[1] < l.delay[0]) {
    throw new Error(`a delay is a range of whole ticks [min, max] with 1 <= min <= max, not [${l.delay.join(', ')}]`);
  }
}
