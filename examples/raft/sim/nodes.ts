// A simulated node: the REAL service of examples/raft/core/service.ts (the same code the node process runs),
// plus what the process adds around it — a disk, an outbox that holds messages until the disk has synced,
// and a power switch. After every tick, message and client request the node's advance() is called and its
// duties are done in order: check the invariants, write (sync later), hold messages and replies until that
// sync, and only then put them on the wire (persist before send).
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import type { KvCommand } from '../core/kv.ts';
import { step as stepRaft, tick } from '../core/raft.ts';
import { advance, createService, submit } from '../core/service.ts';
import type { Message } from '../core/types.ts';
import { checkStep } from './checks.ts';
import { copyPersisted, hasWrites, powerCut, syncDue, write } from './disk.ts';
import { draw, emit, sendClient, sendRaft } from './network.ts';
import type { ClientAnswer, SimNode, World } from './types.ts';

// #region power
/** Starts a node from exactly what its disk synced, with a fresh seed for its election timeouts. */
export function startNode(world: World, node: SimNode): void {
  node.seed = draw(world, 0, 0xffffffff);
  node.incarnation += 1;
  node.up = true;
  node.held = [];
  const config = { ...world.configBase, members: [...world.configBase.members], id: node.id, seed: node.seed };
  node.service = createService(config, copyPersisted(node.disk.synced), world.snapshotEvery);
  world.checks.applied[node.id] = node.disk.synced.snapshot?.lastIndex ?? 0;
  world.checks.seen[node.id] = { role: 'follower', term: node.service.raft.term };
}

/** Power cut: volatile state, unsynced writes and messages not yet sent are lost. */
export function stopNode(node: SimNode): void {
  node.up = false;
  node.service = null;
  node.held = [];
  powerCut(node.disk);
}
// #endregion power

// #region duties
/** After a tick, step or submit: advance(), then the adapter's duties in order. */
export function afterCall(world: World, node: SimNode): void {
  const { ready, replies } = advance(node.service!);
  noteRole(world, node); // first, so that a violation's timeline ends with what led to it
  checkStep(world, node, ready);
  const w = { hardState: ready.hardState, snapshot: ready.snapshot, log: ready.log };
  const durableAt = hasWrites(w) ? write(world, node.disk, w) : (node.disk.pending.at(-1)?.syncAt ?? world.now);
  const answers = replies.map((r) => ({
    requestId: r.requestId,
    answer: (r.ok ? { ok: true, result: r.result, index: r.index } : { ok: false, reason: r.reason }) as ClientAnswer,
  }));
  if (ready.messages.length === 0 && answers.length === 0) return;
  const releaseAt = Math.max(durableAt, node.held.at(-1)?.releaseAt ?? world.now);
  node.held.push({ releaseAt, messages: ready.messages, replies: answers });
  if (releaseAt <= world.now) release(world, node);
}

/** Completes due fsyncs and sends what waited for them. */
export function release(world: World, node: SimNode): void {
  syncDue(world, node.disk);
  while (node.held.length > 0 && node.held[0]!.releaseAt <= world.now) {
    const h = node.held.shift()!;
    for (const message of h.messages) sendRaft(world, { kind: 'raft', message });
    for (const r of h.replies) {
      const client = r.requestId.split('/')[0]!;
      if (client !== 'direct') sendClient(world, node.id, client, { kind: 'reply', requestId: r.requestId, answer: r.answer }); // propose(): nobody waits
    }
  }
}
// #endregion duties

export function tickNode(world: World, node: SimNode): void {
  tick(node.service!.raft);
  afterCall(world, node);
}

export function stepNode(world: World, node: SimNode, message: Message): void {
  stepRaft(node.service!.raft, message);
  afterCall(world, node);
}

/** A client request reached this node: propose it, or say who leads. */
export function requestAt(world: World, node: SimNode, requestId: string, command: KvCommand): void {
  const s = submit(node.service!, requestId, command);
  if (!s.ok) {
    // Nothing was written for this answer, so it needs no sync: it leaves at once.
    sendClient(world, node.id, requestId.split('/')[0]!, { kind: 'reply', requestId, answer: { ok: false, reason: 'not-leader', leaderId: s.leaderId } });
    return;
  }
  afterCall(world, node);
}

/** The timeline: elections, new leaders, step-downs. */
function noteRole(world: World, node: SimNode): void {
  const raft = node.service!.raft;
  const before = world.checks.seen[node.id]!;
  if (before.role === raft.role && before.term === raft.term) return;
  if (raft.role === 'candidate') emit(world, node.id, 'election', `${node.id} times out and stands for term ${raft.term}`);
  else if (raft.role === 'leader') emit(world, node.id, 'leader', `${node.id} is leader of term ${raft.term}`);
  else if (before.role === 'leader') emit(world, node.id, 'step-down', `${node.id} steps down (term ${raft.term})`);
  world.checks.seen[node.id] = { role: raft.role, term: raft.term };
}
