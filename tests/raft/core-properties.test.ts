// Raft's safety properties (Figure 3 of the extended paper) under random schedules, on 3–5 real core nodes.
//
// fast-check builds a schedule of ticks, deliveries in random order, dropped and duplicated messages,
// crashes (the node restarts from the copy of its disk this test keeps: what ready() told it to persist),
// proposals and compactions. After every step:
//  - Election Safety: at most one leader is ever seen per term;
//  - Log Matching: if two logs hold an entry with the same index and term, they are identical up to it;
//  - State Machine Safety: no two nodes ever apply different entries at one index, and each node applies
//    its entries in order, without gaps (a restart starts again after its snapshot);
//  - Leader Completeness: a leader of a later term than the one an entry was applied in holds that entry.
// At the end the faults stop: the cluster elects a leader, and a last proposal reaches every node.
// On failure fast-check prints the seed and the shrunk schedule. RAFT_RUNS=2000 for a longer sweep.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compact, createNode, propose, ready, step, tick } from '../../examples/raft/core/raft.ts';
import { termAt } from '../../examples/raft/core/log.ts';
import type { Entry, Message, NodeId, Persisted, RaftNode } from '../../examples/raft/core/types.ts';
import { config, ids } from './core-harness.ts';

type Op =
  | { op: 'tick'; node: number; ticks: number }
  | { op: 'tickAll'; ticks: number }
  | { op: 'deliver'; pick: number; count: number }
  | { op: 'drop' | 'dup'; pick: number }
  | { op: 'crash' | 'propose' | 'compact'; node: number };

const nodeArb = fc.nat(4);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('tick' as const), node: nodeArb, ticks: fc.integer({ min: 1, max: 25 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('tickAll' as const), ticks: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 12, arbitrary: fc.record({ op: fc.constant('deliver' as const), pick: fc.nat(50), count: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('drop' as const, 'dup' as const), pick: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('crash' as const), node: nodeArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('propose' as const), node: nodeArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('compact' as const), node: nodeArb }) },
);
const setupArb = fc.record({ size: fc.integer({ min: 3, max: 5 }), maxEntries: fc.constantFrom(1, 2, 64), seed: fc.nat(1000) });

class World {
  members: NodeId[];
  nodes: RaftNode[] = [];
  disks: Persisted[] = [];
  net: Message[] = [];
  nextApply: number[] = [];
  leaderOf: Record<number, NodeId> = {};
  /** Every applied entry by index, and the highest term any node knew when it was first applied. */
  applied: Record<number, { entry: Entry; knownTerm: number }> = {};
  proposals = 0;
  delivered = { InstallSnapshot: 0, refusals: 0 };
  restartsWithLog = 0;

  constructor(
    size: number,
    private maxEntries: number,
    private seed: number,
  ) {
    this.members = ids(size);
    for (const i of this.members.keys()) {
      this.disks.push({ term: 0, votedFor: null, snapshot: null, entries: [] });
      this.nodes.push(this.start(i));
      this.nextApply.push(1);
    }
  }

  start(i: number): RaftNode {
    const c = config(this.members[i]!, this.members, { seed: this.seed * 10 + i, maxEntriesPerMessage: this.maxEntries });
    return createNode(c, structuredClone(this.disks[i]!));
  }

  /** The adapter's duties after every call: persist, then send, then apply (and check what is applied). */
  process(i: number): void {
    const n = this.nodes[i]!;
    const r = ready(n);
    const disk = this.disks[i]!;
    if (r.hardState !== null) Object.assign(disk, r.hardState);
    if (r.snapshot !== null) {
      disk.snapshot = r.snapshot;
      disk.entries = disk.entries.filter((e) => e.index > r.snapshot!.lastIndex);
    }
    if (r.log !== null) disk.entries = [...disk.entries.filter((e) => e.index < r.log!.truncateFrom), ...structuredClone(r.log.entries)];
    this.net.push(...r.messages);
    if (r.applySnapshot !== null) this.nextApply[i] = r.applySnapshot.lastIndex + 1;
    for (const e of r.committed) {
      expect(e.index, `${n.config.id} applies in order`).toBe(this.nextApply[i]);
      this.nextApply[i] = e.index + 1;
      const known = this.applied[e.index];
      if (known === undefined) this.applied[e.index] = { entry: structuredClone(e), knownTerm: Math.max(...this.nodes.map((x) => x.term)) };
      else expect(e, `${n.config.id} applies the same entry at ${e.index} as others did`).toEqual(known.entry);
    }
  }

  apply(o: Op): void {
    const i = 'node' in o ? o.node % this.nodes.length : -1;
    const pick = 'pick' in o && this.net.length > 0 ? o.pick % this.net.length : -1;
    switch (o.op) {
      case 'tick':
        for (let t = 0; t < o.ticks; t += 1) {
          tick(this.nodes[i]!);
          this.process(i);
        }
        return;
      case 'tickAll':
        for (let t = 0; t < o.ticks; t += 1) for (const j of this.nodes.keys()) this.apply({ op: 'tick', node: j, ticks: 1 });
        return;
      case 'deliver':
        for (let k = 0; k < o.count && this.net.length > 0; k += 1) {
          const [m] = this.net.splice((o.pick + k) % this.net.length, 1);
          if (m!.type === 'InstallSnapshot') this.delivered.InstallSnapshot += 1;
          if (m!.type === 'AppendEntriesReply' && !m!.success) this.delivered.refusals += 1;
          const to = this.members.indexOf(m!.to);
          step(this.nodes[to]!, m!);
          this.process(to);
        }
        return;
      case 'drop':
        if (pick >= 0) this.net.splice(pick, 1);
        return;
      case 'dup':
        if (pick >= 0) this.net.push(this.net[pick]!);
        return;
      case 'crash':
        if (this.disks[i]!.entries.length > 0) this.restartsWithLog += 1;
        this.nodes[i] = this.start(i);
        this.nextApply[i] = (this.disks[i]!.snapshot?.lastIndex ?? 0) + 1;
        return;
      case 'propose': {
        // Clients find the leader (the newest one, if an old one has not heard of it yet); else they try node i.
        const leaders = this.nodes.filter((n) => n.role === 'leader').sort((a, b) => b.term - a.term);
        const to = leaders.length > 0 ? this.nodes.indexOf(leaders[0]!) : i;
        propose(this.nodes[to]!, `p${(this.proposals += 1)}`);
        return this.process(to);
      }
      case 'compact': {
        const n = this.nodes[i]!;
        compact(n, n.lastApplied, `state@${n.lastApplied}`);
        return this.process(i);
      }
    }
  }

  check(): void {
    for (const n of this.nodes) {
      if (n.role !== 'leader') continue;
      const before = this.leaderOf[n.term];
      expect(before ?? n.config.id, `two leaders in term ${n.term}`).toBe(n.config.id);
      this.leaderOf[n.term] = n.config.id;
      for (const [index, { entry, knownTerm }] of Object.entries(this.applied)) {
        if (n.term > knownTerm && Number(index) > (n.snapshot?.lastIndex ?? 0)) {
          expect(termAt(n, Number(index)), `leader ${n.config.id} of term ${n.term} lacks committed entry ${index}`).toBe(entry.term);
        }
      }
    }
    for (const a of this.nodes) {
      for (const b of this.nodes) {
        if (a === b) continue;
        // The highest index both hold with the same term: everything below it (that both still hold) is equal.
        const base = Math.max(a.snapshot?.lastIndex ?? 0, b.snapshot?.lastIndex ?? 0);
        const top = Math.min(a.log.length + (a.snapshot?.lastIndex ?? 0), b.log.length + (b.snapshot?.lastIndex ?? 0));
        let same = top;
        while (same > base && termAt(a, same) !== termAt(b, same)) same -= 1;
        for (let i = base + 1; i <= same; i += 1) {
          expect(entryAt(a, i), `${a.config.id} and ${b.config.id} at ${i} (they match at ${same})`).toEqual(entryAt(b, i));
        }
      }
    }
  }

  /** No more faults: every node ticks, every message arrives. True when a leader's last proposal reached everyone. */
  settle(): boolean {
    let final: { index: number; term: number } | null = null;
    for (let t = 0; t < 3000; t += 1) {
      for (const i of this.nodes.keys()) {
        tick(this.nodes[i]!);
        this.process(i);
      }
      this.apply({ op: 'deliver', pick: 0, count: Infinity });
      this.check();
      const leader = this.nodes.find((n) => n.role === 'leader');
      if (leader !== undefined && (final === null || final.term !== leader.term)) {
        const p = propose(leader, 'final');
        if (p.ok) final = { index: p.index, term: p.term };
        this.process(this.nodes.indexOf(leader));
      }
      if (final !== null && this.nodes.every((n) => n.lastApplied >= final!.index && termAt(n, final!.index) === final!.term)) return true;
    }
    return false;
  }
}

function entryAt(n: RaftNode, index: number): Entry | undefined {
  return n.log[index - (n.snapshot?.lastIndex ?? 0) - 1];
}

function run(setup: { size: number; maxEntries: number; seed: number }, ops: Op[]): World {
  const world = new World(setup.size, setup.maxEntries, setup.seed);
  for (const o of ops) {
    world.apply(o);
    world.check();
  }
  expect(world.settle(), 'once faults stop, a leader gets a last entry to every node').toBe(true);
  return world;
}

describe('Raft core: 3–5 nodes under random delivery order, drops, duplicates and crashes', () => {
  it('Election Safety, Log Matching, Leader Completeness and State Machine Safety hold after every step; at rest all nodes agree', () => {
    fc.assert(
      fc.property(setupArb, fc.array(opArb, { minLength: 1, maxLength: 200, size: 'max' }), (setup, ops) => {
        run(setup, ops);
      }),
      { numRuns: Number(process.env.RAFT_RUNS ?? 80) },
    );
  });

  it('the schedules reach what they are meant to (elections in several terms, commits, crashes mid-log, snapshots sent)', () => {
    // A guard against a harness that quietly does nothing: over a fixed sample, the interesting things happen.
    const seen = { terms: 0, applied: 0, snapshots: 0, installs: 0, refusals: 0, restarts: 0 };
    fc.assert(
      fc.property(setupArb, fc.array(opArb, { minLength: 150, maxLength: 200 }), (setup, ops) => {
        const world = run(setup, ops);
        seen.terms += Object.keys(world.leaderOf).length;
        seen.applied += Object.keys(world.applied).length;
        seen.snapshots += world.nodes.filter((n) => n.snapshot !== null).length;
        seen.installs += world.delivered.InstallSnapshot;
        seen.refusals += world.delivered.refusals;
        seen.restarts += world.restartsWithLog;
      }),
      { numRuns: 15, seed: 9 },
    );
    expect(seen.terms).toBeGreaterThan(15 * 3);
    expect(seen.applied).toBeGreaterThan(15 * 6);
    expect(seen.snapshots).toBeGreaterThan(15);
    expect(seen.installs).toBeGreaterThan(2);
    expect(seen.refusals).toBeGreaterThan(15 * 10);
    expect(seen.restarts).toBeGreaterThan(15);
  });
});
