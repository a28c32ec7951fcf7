// The Raft paper's Figure 8 (§5.4.2), driven step by step on the real core: why a leader never commits an
// entry of an earlier term by counting how many servers hold it. S1..S5 are n1..n5.
//
//   (a) S1 leads term 2; its entry of term 2 at index 2 reaches S2 only.
//   (b) S1 crashes; S5 wins term 3 (votes of S3, S4) and puts its own entry at index 2, term 3.
//   (c) S5 crashes; S1 restarts, wins term 4 and copies its term-2 entry to S3: index 2 is on a majority
//       (S1, S2, S3) and S1 knows it — but does not commit it, because it is not from term 4.
//   (d) S1 crashes; S5 wins term 5 (votes of S3, S4) and overwrites index 2 everywhere with its term-3 entry.
//       Had S1 committed index 2 in (c), a committed entry would now be gone.
//   (e) the other ending: S1 stays up long enough to get its term-4 entry (index 3) onto a majority; that
//       commits index 3 and, with it, index 2; now S5 cannot win an election, and the entry is safe.
//
// The browser replays the steps one by one (each has a label and a caption); runFigure8() runs them all and
// returns a frame per step (plain data: every node's role, term, commit index and log). Election timeouts are
// long (3-4 s) so that no server campaigns unless a step forces it (timeoutNow), and AppendEntries carry one
// entry each, so that the term-2 entry and S1's term-4 entry travel in separate messages.
//
// Pure: no node: imports, no timers, no clock, no Math.random (see tests/architecture/sim-purity.test.ts).

import { termAt } from '../core/raft.ts';
import type { NodeId } from '../core/types.ts';
import type { SimOptions, World } from './types.ts';
import { crash, createWorld, partition, restart, runTicks, stepTick, timeoutNow } from './world.ts';

export type Figure8Variant = 'd' | 'e';

export function figure8Options(variant: Figure8Variant = 'd'): SimOptions {
  return { seed: 8, electionTicks: [3_000, 4_000], maxEntriesPerMessage: 1, replay: `--scenario figure8${variant === 'e' ? 'e' : ''}` };
}

/** Called after every tick of a step (tests watch the whole run with it). */
export type Observer = (world: World) => void;

export interface Figure8Step {
  label: string; // 'start', '(a)', … '(e)'
  caption: string;
  act: (world: World, observe?: Observer) => void;
}

/** Runs ticks until `done` holds; a scenario that does not get there is broken, and says where. */
function until(world: World, what: string, done: (w: World) => boolean, observe?: Observer, max = 2_000): void {
  for (let i = 0; i < max && !done(world); i++) {
    stepTick(world);
    observe?.(world);
  }
  if (!done(world)) throw new Error(`Figure 8 scenario: "${what}" did not happen within ${max} ticks (at tick ${world.now})`);
}

function ticks(world: World, n: number, observe?: Observer): void {
  for (let i = 0; i < n; i++) {
    stepTick(world);
    observe?.(world);
  }
}

const raftOf = (world: World, id: NodeId) => world.nodes[id]!.service?.raft;
const isLeader = (world: World, id: NodeId, term: number) => raftOf(world, id)?.role === 'leader' && raftOf(world, id)?.term === term;
/** Does the node's synced disk hold an entry of `term` at `index`? */
const onDisk = (world: World, id: NodeId, index: number, term: number) => world.nodes[id]!.disk.synced.entries.some((e) => e.index === index && e.term === term);
const ALL = ['n1', 'n2', 'n3', 'n4', 'n5'];

// #region steps
export function figure8Steps(variant: Figure8Variant = 'd'): Figure8Step[] {
  const common: Figure8Step[] = [
    {
      label: 'start',
      caption: 'S2 times out first and wins term 1. Its no-op (index 1, term 1) reaches every server and is committed.',
      act: (w, o) => {
        timeoutNow(w, 'n2');
        until(w, 'every server commits index 1', (x) => ALL.every((id) => (raftOf(x, id)?.commitIndex ?? 0) >= 1), o);
      },
    },
    {
      label: '(a)',
      caption: 'S1 times out and wins term 2; it appends its no-op of term 2 at index 2. The network cuts S1 off from S3, S4 and S5: the entry reaches S2 only.',
      act: (w, o) => {
        timeoutNow(w, 'n1');
        until(w, 'S1 leads term 2', (x) => isLeader(x, 'n1', 2), o);
        partition(w, [['n1', 'n2'], ['n3'], ['n4'], ['n5']]); // S1's AppendEntries wait for its fsync: they leave after this cut
        until(w, 'S2 holds index 2 of term 2 on disk', (x) => onDisk(x, 'n2', 2, 2), o);
      },
    },
    {
      label: '(b)',
      caption: 'S1 crashes. S5 times out and wins term 3 with the votes of S3, S4 and its own; it appends its no-op at index 2 with term 3 — and is cut off before it spreads.',
      act: (w, o) => {
        crash(w, 'n1');
        partition(w, [['n2'], ['n3', 'n4', 'n5']]);
        timeoutNow(w, 'n5');
        until(w, 'S5 leads term 3', (x) => isLeader(x, 'n5', 3), o);
        partition(w, [['n2'], ['n3'], ['n4'], ['n5']]);
        until(w, 'S5 holds index 2 of term 3 on disk', (x) => onDisk(x, 'n5', 2, 3), o);
      },
    },
    {
      label: '(c)',
      caption:
        'S5 crashes and S1 restarts. S1 stands twice (in term 3 S3 and S4 have voted for S5 already) and wins term 4; its no-op of term 4 goes to index 3. ' +
        'It copies its term-2 entry to S3: now S1, S2 and S3 hold index 2 — a majority, and S1 knows it. S1 still does not commit it: an entry of an ' +
        'earlier term is never committed by counting copies (§5.4.2). S1\'s commit index stays at 0 (a restart forgets it): only an ' +
        'entry of term 4 on a majority can move it.',
      act: (w, o) => {
        crash(w, 'n5');
        restart(w, 'n1');
        partition(w, [['n1', 'n2', 'n3', 'n4']]);
        timeoutNow(w, 'n1');
        ticks(w, 80, o); // the term-3 election fails: S3 and S4 voted for S5 in term 3
        timeoutNow(w, 'n1');
        until(w, 'S1 leads term 4', (x) => isLeader(x, 'n1', 4), o);
        partition(w, [['n1', 'n2', 'n3'], ['n4']]);
        until(w, 'S1 hears that S3 holds index 2', (x) => (raftOf(x, 'n1')!.progress['n3']?.matchIndex ?? 0) >= 2, o);
      },
    },
  ];
  if (variant === 'd') {
    return [
      ...common,
      {
        label: '(d)',
        caption:
          'S1 crashes before its term-4 entry reaches S3. S5 restarts and wins term 5 with the votes of S3 and S4: its last entry (term 3) is newer ' +
          'than S3\'s (term 2) and S4\'s (term 1), so its log counts as more up to date (§5.4.1). S5 overwrites index 2 on S2 and S3 with its own term-3 entry. ' +
          'Had S1 committed the term-2 entry in (c), a committed entry would now be lost.',
        act: (w, o) => {
          crash(w, 'n1');
          restart(w, 'n5');
          partition(w, [['n2', 'n3', 'n4', 'n5']]); // S1 is alone: its last message to S3, still in flight, is lost
          timeoutNow(w, 'n5');
          ticks(w, 80, o); // term 4: everyone voted for S1 in it already
          timeoutNow(w, 'n5');
          until(w, 'S5 leads term 5', (x) => isLeader(x, 'n5', 5), o);
          until(w, 'S2..S5 commit index 3', (x) => ['n2', 'n3', 'n4', 'n5'].every((id) => raftOf(x, id)!.commitIndex >= 3), o);
        },
      },
      {
        label: '(d, after)',
        caption: 'S1 restarts and the network heals: S5 repairs S1\'s log too. Index 2 holds the term-3 entry on every server; the term-2 entry is gone, and it was never committed.',
        act: (w, o) => {
          restart(w, 'n1');
          partition(w, [ALL]);
          until(w, 'S1 commits index 3', (x) => (raftOf(x, 'n1')?.commitIndex ?? 0) >= 3, o);
        },
      },
    ];
  }
  return [
    ...common,
    {
      label: '(e)',
      caption:
        'The other ending: S1 stays up and its term-4 entry (index 3) reaches S3 as well. Index 3 is now on a majority and of S1\'s own term, so S1 ' +
        'commits it — and index 2 with it (§5.4.2: earlier entries are committed indirectly).',
      act: (w, o) => {
        until(w, 'S1 commits index 3', (x) => raftOf(x, 'n1')!.commitIndex >= 3, o);
        until(w, 'S2 and S3 commit index 3', (x) => ['n2', 'n3'].every((id) => raftOf(x, id)!.commitIndex >= 3), o);
      },
    },
    {
      label: '(e, after)',
      caption:
        'Now S1 crashes and S5 restarts: S5 cannot win. S2 and S3 hold an entry of term 4, newer than S5\'s last (term 3), so they refuse it; with ' +
        'S4 alone S5 has no majority. S2 wins instead, and S5\'s term-3 entry is the one overwritten.',
      act: (w, o) => {
        crash(w, 'n1');
        restart(w, 'n5');
        partition(w, [['n2', 'n3', 'n4', 'n5']]);
        timeoutNow(w, 'n5');
        ticks(w, 80, o);
        timeoutNow(w, 'n5');
        ticks(w, 80, o);
        timeoutNow(w, 'n2');
        until(w, 'S2 leads', (x) => raftOf(x, 'n2')!.role === 'leader', o);
        until(w, 'S5 commits index 3', (x) => raftOf(x, 'n5')!.commitIndex >= 3, o);
      },
    },
  ];
}
// #endregion steps

/** A frame for drawing: each server's role, term, commit index and log (index, term) after a step. */
export interface Figure8Frame {
  label: string;
  caption: string;
  now: number;
  servers: { id: NodeId; up: boolean; role: string | null; term: number; commitIndex: number; log: { index: number; term: number }[] }[];
}

export function frameOf(world: World, step: Pick<Figure8Step, 'label' | 'caption'>): Figure8Frame {
  return {
    label: step.label,
    caption: step.caption,
    now: world.now,
    servers: world.ids.map((id) => {
      const raft = world.nodes[id]!.service?.raft;
      const disk = world.nodes[id]!.disk.synced;
      return {
        id,
        up: raft !== undefined,
        role: raft?.role ?? null,
        term: raft?.term ?? disk.term,
        commitIndex: raft?.commitIndex ?? 0,
        log: (raft?.log ?? disk.entries).map((e) => ({ index: e.index, term: e.term })),
      };
    }),
  };
}

/** Runs every step; returns the world and a frame after each step. */
export function runFigure8(variant: Figure8Variant = 'd', observe?: Observer): { world: World; frames: Figure8Frame[] } {
  const world = createWorld(figure8Options(variant));
  const frames: Figure8Frame[] = [];
  for (const step of figure8Steps(variant)) {
    step.act(world, observe);
    frames.push(frameOf(world, step));
  }
  runTicks(world, 0);
  return { world, frames };
}

/** Is index 2 committed with term 2 anywhere (what S1 must not do in (c))? */
export function termTwoCommitted(world: World): NodeId[] {
  return world.ids.filter((id) => {
    const raft = world.nodes[id]!.service?.raft;
    return raft !== undefined && raft.commitIndex >= 2 && termAt(raft, 2) === 2;
  });
}
