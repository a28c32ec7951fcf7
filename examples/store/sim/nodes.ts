// The store nodes, as the Node server runs them but on simulated time: each holds the REAL core's state
// (../core/node.ts), wakes up when the core's nextWakeup says, and turns every step's effects into disk writes,
// messages and replies, in that order (the changes are "fsynced" before anything of the step leaves the node).
// A crash throws the in-memory state away; a restart rebuilds it from the disk with replay(), as the server does.
//
// Nothing here decides anything about the store: elections, fences, commits are the core's. This file only
// watches what the core did (roles and terms before and after a step, the messages and replies it produced)
// and says it in the timeline.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { createNode, nextWakeup, replay, step } from '../core/node.ts';
import type { Effects, Input, NodeState, PeerMessage } from '../core/types.ts';
import { read } from '../core/versions.ts';
import { failHeldBy, onNodeReply } from './clients.ts';
import { dropMessagesOf, emit, schedule, send } from './network.ts';
import type { SimNode, World } from './types.ts';

export function configOf(world: World, name: string) {
  return { ...world.configBase, id: name };
}

/** Starts (or restarts) a node from what its disk holds. */
export function boot(world: World, node: SimNode): void {
  node.up = true;
  node.boot += 1;
  node.state = createNode(configOf(world, node.name), world.nodeNames, node.disk.length > 0 ? replay(node.disk) : undefined, world.now);
  scheduleWake(world, node);
}

// #region crash
/** The process dies: memory gone, connections broken, requests it held left without an answer. */
export function crash(world: World, node: SimNode): void {
  node.up = false;
  node.state = null;
  node.boot += 1;
  node.wakeToken += 1;
  dropMessagesOf(world, node.name);
  failHeldBy(world, node.name);
}

/** The process starts again: createNode with replay() of every change it persisted. */
export function restart(world: World, node: SimNode): string {
  boot(world, node);
  const s = node.state!;
  const terms = Object.values(s.terms).filter((t) => t.term > 0).length;
  return `replayed ${node.disk.length} persisted change${node.disk.length === 1 ? '' : 's'}: ${Object.keys(s.store).length} eventual keys, ${Object.keys(s.strong).length} strong keys, ${Object.keys(s.pending).length} pending strong writes, terms of ${terms} groups`;
}
// #endregion crash

/** One input into one node's core; the effects go out in the adapter's order: disk, then messages and replies. */
export function runStep(world: World, node: SimNode, input: Input): Effects {
  const state = node.state!;
  const before = roles(state);
  const fx = step(state, input);
  node.disk.push(...fx.changes); // persisted first: a crash after this step keeps them
  observe(world, node, before, input, fx);
  for (const msg of fx.messages) send(world, node.name, msg.to, label(msg), { kind: 'peer', msg }, [node.name, msg.to]);
  for (const reply of fx.replies) onNodeReply(world, node.name, reply);
  scheduleWake(world, node);
  return fx;
}

/** The core's own timers: the node sleeps until nextWakeup, then gets a tick. */
export function scheduleWake(world: World, node: SimNode): void {
  if (!node.up || node.state === null) return;
  node.wakeToken += 1;
  schedule(world, Math.max(nextWakeup(node.state), world.now + 1), { type: 'wake', node: node.name, token: node.wakeToken });
}

export function wake(world: World, name: string, token: number): void {
  const node = world.nodes[name]!;
  if (!node.up || token !== node.wakeToken) return; // superseded, or from before a crash
  runStep(world, node, { type: 'tick', now: world.now });
}

export function deliverPeer(world: World, msg: PeerMessage): void {
  const node = world.nodes[msg.to];
  if (!node?.up) return; // nobody listening
  runStep(world, node, { type: 'message', now: world.now, message: msg });
}

function label(msg: PeerMessage): string {
  return 'group' in msg ? `${msg.type} ${msg.group}${'term' in msg ? ` t${msg.term}` : ''}` : 'key' in msg ? `${msg.type} ${msg.key}` : msg.type;
}

// #region observe
type Roles = Record<string, { role: string; term: number; ready: boolean }>;

function roles(state: NodeState): Roles {
  const out: Roles = {};
  for (const g of Object.values(state.groups)) out[g.id] = { role: g.role, term: g.term, ready: g.ready };
  return out;
}

/** Says in the timeline what the core just did: elections, leaders, step-downs, fences, siblings. */
function observe(world: World, node: SimNode, before: Roles, input: Input, fx: Effects): void {
  const n = node.name;
  for (const g of Object.values(node.state!.groups)) {
    const was = before[g.id];
    if (!was) continue;
    const group = { group: g.id };
    if (was.role === 'leader' && g.role !== 'leader') {
      const why = g.term > was.term ? `it saw term ${g.term}` : 'it has not heard from a majority for an election timeout';
      emit(world, n, 'step-down', `${n} stops leading ${g.id} (term ${was.term}): ${why}`, group);
    }
    if (g.role === 'candidate' && (was.role !== 'candidate' || g.term !== was.term)) {
      emit(world, n, 'election', `${n} starts an election for ${g.id} (term ${g.term})`, group);
    }
    if (g.role === 'leader' && was.role !== 'leader') {
      emit(world, n, 'leader', `${n} won the election for ${g.id} in term ${g.term}: it merges its voters' data and copies it to the followers`, group);
    }
    if (g.role === 'leader' && g.ready && !(was.role === 'leader' && was.ready)) {
      emit(world, n, 'ready', `${n} leads ${g.id} in term ${g.term}: a majority holds its data, it serves requests`, group);
    }
  }
  if (input.type === 'message' && 'term' in input.message) {
    const m = input.message;
    for (const out of fx.messages) {
      if (out.type !== 'stale' || out.to !== m.from) continue;
      const once = `fenced|${n}|${m.from}|${out.group}|${m.term}`;
      if (world.said[once]) continue;
      world.said[once] = 'yes';
      emit(world, n, 'fenced', `${n} refused ${m.from}'s ${m.type} for ${out.group}: its term ${m.term} is older than ${out.term} (fenced)`, { group: out.group });
    }
  }
  for (const change of fx.changes) {
    if (change.kind !== 'store') continue;
    const values = change.stored ? read(change.stored).values : [];
    const once = `siblings|${n}|${change.key}`;
    const shown = values.join(' | ');
    if (values.length < 2) delete world.said[once];
    else if (world.said[once] !== shown) {
      world.said[once] = shown;
      emit(world, n, 'siblings', `${n} holds ${values.length} concurrent versions of ${change.key}: ${shown}`, { key: change.key });
    }
  }
}
// #endregion observe
