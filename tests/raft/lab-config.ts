// The MIT 6.5840 Raft lab's test fixture (its config.go), rebuilt on our seeded simulator so that every test
// runs over many seeds and a failure replays exactly. The names and what they check follow config.go:
// checkOneLeader, checkTerms, checkNoLeader, nCommitted, one; connect/disconnect cut a server off the network,
// crash/start1 power it off and back on from what its disk synced.
//
// Differences, on purpose:
// - Time is simulated (1 tick = 1 ms): "sleep" runs the world, so a test takes milliseconds, not seconds.
// - Our leader appends a no-op entry when it is elected (§8), so command indexes are not 1, 2, 3 as in the
//   lab; `one` returns the index it got and the tests compare indexes with each other, not with constants.
// - Commands are the KV store's puts ({op: 'put', key: 'lab', value}); a value stands for the lab's integer.

import { expect } from 'vitest';
import type { KvCommand } from '../../examples/raft/core/kv.ts';
import {
  crash,
  createWorld,
  heal,
  partition,
  propose,
  restart,
  setNetwork,
  stepTick,
  type World,
} from '../../examples/raft/sim/world.ts';
import type { SimOptions } from '../../examples/raft/sim/types.ts';

/** The lab's RaftElectionTimeout: a follower that hears nothing for this long must have started an election. */
export const ELECTION_TIMEOUT = 1000;

export interface LabOptions {
  unreliable?: boolean;
  snapshotEvery?: number;
  /** One entry per AppendEntries makes a leader's catch-up slow: the window in which Figure 8 can happen. */
  maxEntriesPerMessage?: number;
}

export class Lab {
  readonly world: World;
  readonly ids: string[];
  private readonly connected = new Set<string>();
  /** Bytes and count of every Raft message put on the wire (the lab's rpcTotal / bytesTotal). */
  bytes = 0;
  rpcs = 0;
  private lastMessageId = -1;

  constructor(
    readonly n: number,
    readonly seed: number,
    options: LabOptions = {},
  ) {
    const sim: SimOptions = {
      seed,
      nodes: n,
      snapshotEvery: options.snapshotEvery ?? 0,
      ...(options.maxEntriesPerMessage === undefined ? {} : { maxEntriesPerMessage: options.maxEntriesPerMessage }),
      network: options.unreliable === true ? UNRELIABLE : { loss: 0, dup: 0 },
    };
    this.world = createWorld(sim);
    this.ids = [...this.world.ids];
    for (const id of this.ids) this.connected.add(id);
  }

  /** What a failing test prints: how to see the same run again. */
  get replay(): string {
    return `seed ${this.seed} (${this.world.replay})`;
  }

  // ---- time ------------------------------------------------------------------------------------------------
  tick(): void {
    stepTick(this.world);
    for (const m of this.world.messages) {
      if (m.id <= this.lastMessageId) continue;
      this.lastMessageId = Math.max(this.lastMessageId, m.id);
      if (m.body.kind !== 'raft') continue;
      this.rpcs += 1;
      this.bytes += JSON.stringify(m.body.message).length;
    }
  }

  sleep(ms: number): void {
    for (let i = 0; i < ms; i++) this.tick();
  }

  // ---- the network and the servers --------------------------------------------------------------------------
  disconnect(id: string): void {
    this.connected.delete(id);
    this.applyCuts();
  }

  connect(id: string): void {
    this.connected.add(id);
    this.applyCuts();
  }

  isConnected(id: string): boolean {
    return this.connected.has(id);
  }

  private applyCuts(): void {
    if (this.connected.size === this.ids.length) heal(this.world);
    else partition(this.world, [[...this.connected], ...this.ids.filter((id) => !this.connected.has(id)).map((id) => [id])]);
  }

  crash1(id: string): void {
    crash(this.world, id);
  }

  start1(id: string): void {
    restart(this.world, id);
  }

  isUp(id: string): boolean {
    return this.world.nodes[id]!.up;
  }

  setUnreliable(unreliable: boolean): void {
    setNetwork(this.world, unreliable ? UNRELIABLE : { loss: 0, dup: 0 });
  }

  /** The lab's long reordering: some messages take up to ~2 s, so old ones arrive after newer ones. */
  setLongReordering(long: boolean): void {
    setNetwork(this.world, { delay: long ? [5, 2000] : [5, 25] });
  }

  raft(id: string) {
    return this.world.nodes[id]!.service?.raft ?? null;
  }

  /** Servers that are up and connected: the lab's "connected" servers. */
  live(): string[] {
    return this.ids.filter((id) => this.connected.has(id) && this.isUp(id));
  }

  // ---- checks -----------------------------------------------------------------------------------------------
  /** config.go checkOneLeader: within ~5 s there is exactly one leader among the connected servers (per term). */
  checkOneLeader(): string {
    for (let iter = 0; iter < 10; iter++) {
      this.sleep(450 + ((this.seed + iter * 37) % 100));
      const byTerm = new Map<number, string[]>();
      for (const id of this.live()) {
        const r = this.raft(id)!;
        if (r.role === 'leader') byTerm.set(r.term, [...(byTerm.get(r.term) ?? []), id]);
      }
      for (const [term, leaders] of byTerm) expect(leaders.length, `term ${term} has ${leaders.length} leaders (${leaders.join(', ')}); ${this.replay}`).toBe(1);
      if (byTerm.size > 0) return byTerm.get(Math.max(...byTerm.keys()))![0]!;
    }
    throw new Error(`expected one leader, got none; ${this.replay}`);
  }

  /** config.go checkTerms: every connected server agrees on the term. */
  checkTerms(): number {
    const terms = new Set(this.live().map((id) => this.raft(id)!.term));
    expect(terms.size, `servers disagree on the term (${[...terms].join(', ')}); ${this.replay}`).toBe(1);
    return [...terms][0]!;
  }

  /** config.go checkNoLeader: no connected server thinks it is the leader. */
  checkNoLeader(): void {
    const leaders = this.live().filter((id) => this.raft(id)!.role === 'leader');
    expect(leaders, `expected no leader among connected servers; ${this.replay}`).toEqual([]);
  }

  /** config.go nCommitted: how many servers applied `index`, and the command there (the invariants checked that
   *  every server applied the same one). */
  nCommitted(index: number): { count: number; command: string | null } {
    const count = this.ids.filter((id) => (this.world.checks.applied[id] ?? 0) >= index && this.isUp(id)).length;
    return { count, command: this.world.checks.committed[index]?.command ?? null };
  }

  /** config.go start: the command handed to server `id` (it accepts only if it believes it leads). */
  start(id: string, value: string): { ok: boolean; index: number } {
    if (!this.isUp(id)) return { ok: false, index: -1 };
    const p = propose(this.world, id, cmd(value));
    return p.ok ? { ok: true, index: p.index } : { ok: false, index: -1 };
  }

  /**
   * config.go one: submit `value` to whichever server is leader (trying them in turn), and wait until at least
   * `expectedServers` applied it at the index it got. With retry, a leader that loses the entry is tried again.
   */
  one(value: string, expectedServers: number, retry: boolean): number {
    const deadline = this.world.now + 10_000;
    let starter = 0;
    while (this.world.now < deadline) {
      let index = -1;
      for (let si = 0; si < this.n; si++) {
        starter = (starter + 1) % this.n;
        const id = this.ids[starter]!;
        if (!this.connected.has(id)) continue;
        const s = this.start(id, value);
        if (s.ok) {
          index = s.index;
          break;
        }
      }
      if (index !== -1) {
        const until = this.world.now + 2_000;
        while (this.world.now < until) {
          const c = this.nCommitted(index);
          if (c.count > 0 && c.count >= expectedServers && c.command === JSON.stringify(cmd(value))) return index;
          this.tick();
        }
        if (!retry) throw new Error(`one(${value}) failed to reach agreement at index ${index}; ${this.replay}`);
      } else this.sleep(50);
    }
    throw new Error(`one(${value}) failed to reach agreement; ${this.replay}`);
  }

  /** The size of a server's durable Raft state (the lab's persister.RaftStateSize): its synced log and hard state. */
  raftStateSize(id: string): number {
    const d = this.world.nodes[id]!.disk.synced;
    return JSON.stringify({ term: d.term, votedFor: d.votedFor, entries: d.entries }).length;
  }
}

const UNRELIABLE = { loss: 0.1, dup: 0.05 };

export function cmd(value: string): KvCommand {
  return { op: 'put', key: 'lab', value };
}

/** The seeds a lab test runs over: RAFT_LAB_SEEDS=200 for a longer sweep (default `count`). */
export function labSeeds(count: number): number[] {
  const n = Number(process.env.RAFT_LAB_SEEDS ?? count);
  return Array.from({ length: n }, (_, i) => i + 1);
}
