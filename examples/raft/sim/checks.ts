// The safety invariants, checked after every step of every node (every tick, message and request): the
// properties of the Raft paper's Figure 3, seen from outside the nodes.
// - Election Safety: at most one leader per term — over the whole run, not only at one moment.
// - Committed prefixes agree (State Machine Safety): every entry any node applies at an index equals the
//   entry every other node applied there (a global record of committed entries per index).
// - Each node applies in order: index after index, no gaps (a snapshot may jump forward).
// - Nothing applied that was not committed: when an index is applied for the first time, a majority of the
//   nodes' SYNCED disks hold that entry.
// A broken invariant throws a RaftViolation whose message ends with the command that replays the run.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import type { Entry, Ready } from '../core/types.ts';
import type { CheckState, SimNode, TimelineEvent, World } from './types.ts';

export class RaftViolation extends Error {
  readonly invariant: string;
  readonly at: number;
  readonly replay: string;
  /** The timeline up to the violation (what the CLI prints before it). */
  readonly events: TimelineEvent[];
  constructor(world: World, invariant: string, detail: string) {
    const replay = `npm run sim:raft -- ${world.replay}`;
    super(`${invariant} violated at tick ${world.now} (seed ${world.seed}): ${detail}\nreplay: ${replay}`);
    this.name = 'RaftViolation';
    this.invariant = invariant;
    this.at = world.now;
    this.replay = replay;
    this.events = [...world.events];
  }
}

export function emptyChecks(): CheckState {
  return { leaders: {}, committed: {}, applied: {}, seen: {}, highestCommitted: 0 };
}

// #region invariants
/** Called with what a node's advance() returned, before anything of it is written or sent. */
export function checkStep(world: World, node: SimNode, ready: Ready): void {
  const raft = node.service!.raft;
  const c = world.checks;
  if (raft.role === 'leader') {
    const known = c.leaders[raft.term];
    if (known !== undefined && known !== node.id) {
      throw new RaftViolation(world, 'at most one leader per term', `${known} and ${node.id} both led term ${raft.term}`);
    }
    c.leaders[raft.term] = node.id;
  }
  if (ready.applySnapshot !== null) {
    const s = ready.applySnapshot;
    const known = c.committed[s.lastIndex];
    if (known !== undefined && known.term !== s.lastTerm) {
      throw new RaftViolation(world, 'committed prefixes agree', `${node.id} installed a snapshot ending at ${s.lastIndex} in term ${s.lastTerm}, but term ${known.term} was committed there`);
    }
    if (s.lastIndex < (c.applied[node.id] ?? 0)) {
      throw new RaftViolation(world, 'applied in order', `${node.id} went back from ${c.applied[node.id]} to a snapshot at ${s.lastIndex}`);
    }
    c.applied[node.id] = s.lastIndex;
  }
  for (const entry of ready.committed) checkApplied(world, node, entry);
}

function checkApplied(world: World, node: SimNode, entry: Entry): void {
  const c = world.checks;
  const last = c.applied[node.id] ?? 0;
  if (entry.index !== last + 1) {
    throw new RaftViolation(world, 'applied in order', `${node.id} applied index ${entry.index} right after ${last}`);
  }
  c.applied[node.id] = entry.index;
  const command = JSON.stringify(entry.command);
  const known = c.committed[entry.index];
  if (known !== undefined) {
    if (known.term !== entry.term || known.command !== command) {
      throw new RaftViolation(
        world,
        'committed prefixes agree',
        `${node.id} applied ${describe(entry.term, command)} at index ${entry.index}, where ${describe(known.term, known.command)} was committed`,
      );
    }
    return;
  }
  const holders = world.ids.filter((id) => holds(world.nodes[id]!, entry));
  if (holders.length * 2 <= world.ids.length) {
    throw new RaftViolation(
      world,
      'nothing applied that was not committed',
      `${node.id} applied index ${entry.index} (term ${entry.term}) but only ${holders.length} of ${world.ids.length} synced disks hold it (${holders.join(', ') || 'none'})`,
    );
  }
  c.committed[entry.index] = { term: entry.term, command };
  if (entry.index > c.highestCommitted) c.highestCommitted = entry.index;
}

/** Does this node's synced disk hold the entry (or a snapshot past it, which only covers committed entries)? */
function holds(node: SimNode, entry: Entry): boolean {
  const d = node.disk.synced;
  if (d.snapshot !== null && d.snapshot.lastIndex >= entry.index) return d.snapshot.lastIndex > entry.index || d.snapshot.lastTerm === entry.term;
  const first = d.entries[0]?.index ?? 0;
  return d.entries[entry.index - first]?.term === entry.term;
}

function describe(term: number, command: string): string {
  return `term ${term} ${command === 'null' ? 'no-op' : command}`;
}
// #endregion invariants
