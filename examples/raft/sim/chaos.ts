// Random fault schedules. From a seed, one whole run: clients make requests while nodes crash (some bounce
// straight back, to catch a restart that forgets an unsynced write), restart, are partitioned and healed,
// links turn lossy and elections are forced; then everything heals, every node restarts, and the run must
// become live again: one leader, every node caught up, every client's request answered. The history the
// clients recorded is checked for linearizability by the caller (tests/helpers/linearizability.ts lives
// outside the pure simulation: tests/raft/sim-run.ts and sim/cli.ts do it).
//
// The schedule is drawn from the world's own generator before the run starts, so it is plain data the
// browser can show, and `npm run sim:raft -- --seed N --faults` rebuilds the same run.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { lastIndex } from '../core/raft.ts';
import type { NodeId } from '../core/types.ts';
import { addClients } from './clients.ts';
import { draw, nextRandom } from './network.ts';
import type { World } from './types.ts';
import { crash, createWorld, heal, leaderOf, partition, restart, runUntil, setLink, setNetwork, stepTick, timeoutNow } from './world.ts';

// #region chaos
export const CHAOS_TICKS = 3_000; // faults and new client requests run this long
export const RECOVERY_TICKS = 5_000; // after healing, the cluster must be live again within this
export const CHAOS_LOSS = 0.05; // the network's loss and duplication during a chaos run unless given
export const CHAOS_DUP = 0.02;
export const CHAOS_CLIENTS = 3;
/** Nodes snapshot every this many applied entries, so that compaction and InstallSnapshot run under faults too. */
export const CHAOS_SNAPSHOT_EVERY = 20;

export interface ChaosOptions {
  seed: number;
  nodes?: number;
  loss?: number;
  dup?: number;
  clients?: number;
  /** How long faults and new requests go on (default CHAOS_TICKS). */
  ticks?: number;
  /** Snapshot every this many applied entries (default CHAOS_SNAPSHOT_EVERY; 0 = never). */
  snapshotEvery?: number;
  /** false: retries are not recognised (SimOptions.exactlyOnce). */
  exactlyOnce?: boolean;
}

export type FaultAction =
  | { at: number; do: 'crash' | 'restart' | 'timeout'; node: NodeId }
  | { at: number; do: 'partition'; groups: NodeId[][] }
  | { at: number; do: 'heal' }
  | { at: number; do: 'link'; a: NodeId; b: NodeId; loss: number };

/**
 * A seeded schedule: one fault every 50 to 400 ticks. At most half the nodes (rounded up) are down at once —
 * sometimes a majority, when nothing can commit. A bounce is a crash and a restart 1 to 30 ticks later.
 */
export function faultSchedule(world: World, ticks: number): FaultAction[] {
  const ids = world.ids;
  const pick = <T>(list: readonly T[]): T => list[draw(world, 0, list.length - 1)]!;
  const maxDown = Math.ceil(ids.length / 2);
  const down = new Set<NodeId>();
  const schedule: FaultAction[] = [];
  for (let at = draw(world, 50, 400); at < ticks; at += draw(world, 50, 400)) {
    const up = ids.filter((id) => !down.has(id));
    const network = ids.length > 1 ? ['partition', 'heal', 'link'] : []; // one node has no links to cut
    const kinds = [...network, 'timeout', 'bounce', ...(down.size < maxDown ? ['crash'] : []), ...(down.size > 0 ? ['restart', 'restart'] : [])];
    const kind = pick(kinds);
    if (kind === 'crash') {
      const node = pick(up);
      down.add(node);
      schedule.push({ at, do: 'crash', node });
    } else if (kind === 'restart') {
      const node = pick([...down].sort());
      down.delete(node);
      schedule.push({ at, do: 'restart', node });
    } else if (kind === 'bounce') {
      const node = pick(up);
      schedule.push({ at, do: 'crash', node }, { at: at + draw(world, 1, 30), do: 'restart', node });
    } else if (kind === 'timeout') {
      schedule.push({ at, do: 'timeout', node: pick(ids) });
    } else if (kind === 'partition') {
      const shuffled = [...ids];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = draw(world, 0, i); // Fisher-Yates: the same shuffle in every JavaScript engine
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      const cut = draw(world, 1, ids.length - 1);
      const groups = [shuffled.slice(0, cut), shuffled.slice(cut)];
      if (groups[1]!.length > 1 && nextRandom(world) < 0.3) groups.push(groups[1]!.splice(draw(world, 1, groups[1]!.length - 1)));
      schedule.push({ at, do: 'partition', groups: groups.map((g) => g.sort()) });
    } else if (kind === 'heal') {
      schedule.push({ at, do: 'heal' });
    } else {
      const a = pick(ids);
      const b = pick(ids.filter((id) => id !== a));
      schedule.push({ at, do: 'link', a, b, loss: pick([0.3, 0.6, 1]) });
    }
  }
  return schedule.sort((x, y) => x.at - y.at); // stable: a bounce's restart stays after its crash
}

export function applyFault(world: World, f: FaultAction): void {
  switch (f.do) {
    case 'crash':
      return crash(world, f.node);
    case 'restart':
      return restart(world, f.node);
    case 'timeout':
      if (world.nodes[f.node]!.up) timeoutNow(world, f.node);
      return;
    case 'partition':
      return partition(world, f.groups);
    case 'heal':
      return heal(world);
    case 'link':
      return setLink(world, f.a, f.b, { loss: f.loss });
  }
}

export interface ChaosRun {
  world: World;
  schedule: FaultAction[];
  /** When the faults stopped and everything healed. */
  healedAt: number;
  /** When the cluster was live again (leader, all caught up, every request answered); null: it never was. */
  settledAt: number | null;
  /** One line per liveness promise broken; empty when it recovered. */
  liveness: string[];
  /** The arguments of `npm run sim:raft -- …` that replay this run. */
  replay: string;
}

export function chaosReplay(o: ChaosOptions): string {
  const parts = [`--seed ${o.seed}`, '--faults'];
  if (o.nodes !== undefined) parts.push(`--nodes ${o.nodes}`);
  if (o.loss !== undefined) parts.push(`--loss ${o.loss}`);
  if (o.dup !== undefined) parts.push(`--dup ${o.dup}`);
  if (o.clients !== undefined) parts.push(`--clients ${o.clients}`);
  if (o.ticks !== undefined) parts.push(`--ticks ${o.ticks}`);
  if (o.snapshotEvery !== undefined) parts.push(`--snapshot-every ${o.snapshotEvery}`);
  if (o.exactlyOnce === false) parts.push('--at-least-once');
  return parts.join(' ');
}

/** Builds the world and its schedule (nothing has run yet). */
export function prepareChaos(o: ChaosOptions): { world: World; schedule: FaultAction[]; ticks: number } {
  const ticks = o.ticks ?? CHAOS_TICKS;
  const world = createWorld({ seed: o.seed, nodes: o.nodes, network: { loss: o.loss ?? CHAOS_LOSS, dup: o.dup ?? CHAOS_DUP }, snapshotEvery: o.snapshotEvery ?? CHAOS_SNAPSHOT_EVERY, exactlyOnce: o.exactlyOnce, replay: chaosReplay(o) });
  addClients(world, o.clients ?? CHAOS_CLIENTS, ticks);
  return { world, schedule: faultSchedule(world, ticks), ticks };
}

/** Runs the schedule, heals, and waits for the cluster to be live again. Safety violations throw (RaftViolation). */
export function runChaos(o: ChaosOptions): ChaosRun {
  const { world, schedule, ticks } = prepareChaos(o);
  let next = 0;
  while (world.now < ticks) {
    while (next < schedule.length && schedule[next]!.at <= world.now) applyFault(world, schedule[next++]!);
    stepTick(world);
  }
  heal(world);
  setNetwork(world, { loss: 0, dup: 0 });
  for (const id of world.ids) restart(world, id);
  const healedAt = world.now;
  const settled = runUntil(world, (w) => livenessProblems(w).length === 0, RECOVERY_TICKS);
  return { world, schedule, healedAt, settledAt: settled ? world.now : null, liveness: settled ? [] : livenessProblems(world), replay: world.replay };
}

/** What keeps the cluster from being live and caught up right now (empty: it is). */
export function livenessProblems(world: World): string[] {
  const leader = leaderOf(world);
  if (leader === null) return ['no leader'];
  const lraft = world.nodes[leader]!.service!.raft;
  const problems: string[] = [];
  if (lraft.commitIndex < lastIndex(lraft)) problems.push(`leader ${leader} has committed ${lraft.commitIndex} of ${lastIndex(lraft)} entries`);
  for (const id of world.ids) {
    const raft = world.nodes[id]!.service?.raft;
    if (raft === undefined) problems.push(`${id} is down`);
    else if (id !== leader && (raft.lastApplied !== lraft.commitIndex || raft.term !== lraft.term)) {
      problems.push(`${id} applied ${raft.lastApplied} (term ${raft.term}), leader ${leader} committed ${lraft.commitIndex} (term ${lraft.term})`);
    }
  }
  for (const c of world.clients) if (c.current !== null) problems.push(`client ${c.id}'s request ${c.current.command.seq} is unanswered`);
  return problems;
}
// #endregion chaos
