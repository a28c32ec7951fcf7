// Small helpers for the Raft core's tests (tests/raft/core-*.test.ts), in the spirit of etcd-io/raft's
// raft_paper_test.go: build a node in a known state, hand it messages written by hand, look at what ready()
// gives back. `Cluster` delivers messages between real core nodes when a test needs several of them.
import { createNode, ready, step, tick } from '../../examples/raft/core/raft.ts';
import type { Config, Entry, Message, NodeId, Persisted, RaftNode, Ready } from '../../examples/raft/core/types.ts';

export const ELECTION: [number, number] = [10, 20];
export const HEARTBEAT = 3;

export function ids(n: number): NodeId[] {
  return Array.from({ length: n }, (_, i) => `n${i + 1}`);
}

export function config(id: NodeId, members: NodeId[], over: Partial<Config> = {}): Config {
  return {
    id,
    members,
    electionTicks: ELECTION,
    heartbeatTicks: HEARTBEAT,
    seed: Number(id.slice(1)) * 7919,
    maxEntriesPerMessage: 64,
    ...over,
  };
}

/** Entries 1, 2, … with the given terms; the command names its index and term (`c3@2`). */
export function log(...terms: number[]): Entry[] {
  return terms.map((term, i) => ({ index: i + 1, term, command: `c${i + 1}@${term}` }));
}

export function persisted(over: Partial<Persisted> = {}): Persisted {
  return { term: 0, votedFor: null, snapshot: null, entries: [], ...over };
}

/** A node `id` of a cluster of `size` (n1…), optionally restarted from `disk`. */
export function node(id: NodeId, size = 3, disk?: Partial<Persisted>, over: Partial<Config> = {}): RaftNode {
  return createNode(config(id, ids(size), over), disk === undefined ? undefined : persisted(disk));
}

/** Tick until the election timer fires (a follower or candidate campaigns). */
export function timeout(n: RaftNode): void {
  const left = n.electionTimeout - n.electionElapsed;
  for (let i = 0; i < left; i += 1) tick(n);
}

/** Make a fresh node the leader of its term by hand: it campaigns and every peer grants its vote. */
export function makeLeader(n: RaftNode): Ready {
  timeout(n);
  for (const from of n.config.members.filter((id) => id !== n.config.id)) {
    step(n, { type: 'RequestVoteReply', from, to: n.config.id, term: n.term, granted: true });
  }
  return ready(n);
}

export function ofType<T extends Message['type']>(messages: Message[], type: T): Extract<Message, { type: T }>[] {
  return messages.filter((m): m is Extract<Message, { type: T }> => m.type === type);
}

export function appendEntries(
  over: Partial<Extract<Message, { type: 'AppendEntries' }>> & { from: NodeId; to: NodeId; term: number },
): Message {
  return { type: 'AppendEntries', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0, ...over };
}

export function commands(entries: Entry[]): unknown[] {
  return entries.map((e) => e.command);
}

/**
 * Several nodes and the messages between them. `flush()` calls ready() on every node, keeps what each
 * persisted, remembers what it applied, and delivers every message (unless `cut` says the link is down)
 * until no message is left: the network of a test, in-memory and instantaneous.
 */
export class Cluster {
  nodes: Record<NodeId, RaftNode> = {};
  applied: Record<NodeId, Entry[]> = {};
  sent: Message[] = [];
  cut = new Set<NodeId>();

  /** `over.seed`, if given, is the first node's seed; the others get the next numbers (seed + 1, + 2, …). */
  constructor(members: NodeId[], disks: Record<NodeId, Partial<Persisted>> = {}, over: Partial<Config> = {}) {
    for (const [i, id] of members.entries()) {
      const disk = disks[id];
      const seeded = over.seed === undefined ? over : { ...over, seed: over.seed + i };
      this.nodes[id] = createNode(config(id, members, seeded), disk === undefined ? undefined : persisted(disk));
      this.applied[id] = [];
    }
  }

  get(id: NodeId): RaftNode {
    return this.nodes[id]!;
  }

  /** Deliver until quiet; returns how many messages were delivered. */
  flush(limit = 10_000): number {
    let delivered = 0;
    for (;;) {
      const batch: Message[] = [];
      for (const [id, n] of Object.entries(this.nodes)) {
        const r = ready(n);
        this.applied[id]!.push(...r.committed);
        batch.push(...r.messages);
      }
      if (batch.length === 0) return delivered;
      for (const m of batch) {
        this.sent.push(m);
        if (this.cut.has(m.from) || this.cut.has(m.to)) continue;
        const to = this.nodes[m.to];
        if (to !== undefined) step(to, m);
        delivered += 1;
        if (delivered > limit) throw new Error('the cluster never went quiet');
      }
    }
  }

  /** `id` times out, campaigns, and the messages flow until quiet. */
  elect(id: NodeId): RaftNode {
    timeout(this.get(id));
    this.flush();
    return this.get(id);
  }

  leaders(): RaftNode[] {
    return Object.values(this.nodes).filter((n) => n.role === 'leader');
  }
}
