// A tiny, hand-driven harness for examples/store/core/node.ts: a few node states and the messages between
// them, with nothing automatic. A test decides every step: which node ticks at which time, which message is
// delivered, dropped or held back. Every effect is recorded, so a test can assert exactly what a step did.
import { createNode, step } from '../../examples/store/core/node.ts';
import { createRing, preferenceList } from '../../examples/store/core/ring.ts';
import { defaultConfig, type Change, type ClientRequest, type Effects, type Input, type NodeState, type PeerMessage, type Reply, type StoreConfig } from '../../examples/store/core/types.ts';
import type { Saved } from '../../examples/store/core/node.ts';

/** A small config: few vnodes keep rings cheap; the timings are the defaults unless a test says otherwise. */
export function config(id: string, over: Partial<StoreConfig> = {}): StoreConfig {
  return { ...defaultConfig, vnodes: 8, id, ...over };
}

export type Match = (m: PeerMessage) => boolean;

/** A message filter: every given field must be equal (e.g. `{ type: 'vote', to: 'n1' }`). */
export function where(fields: Partial<Record<string, unknown>>): Match {
  return (m) => Object.entries(fields).every(([k, v]) => (m as unknown as Record<string, unknown>)[k] === v);
}

export class Cluster {
  readonly nodes: Record<string, NodeState> = {};
  /** Messages sent and not yet delivered or dropped, oldest first. */
  queue: PeerMessage[] = [];
  /** Every change each node asked to persist, oldest first (its disk log). */
  readonly log: Record<string, Change[]> = {};
  /** Every reply each node gave. */
  readonly replies: Record<string, Reply[]> = {};
  now = 0;

  readonly over: Partial<StoreConfig>;

  /** Anti-entropy is off (every 100 s) unless a test sets `antiEntropyMs`: its digests would clutter every tick. */
  constructor(
    readonly members: string[],
    over: Partial<StoreConfig> = {},
  ) {
    this.over = { antiEntropyMs: 100_000, ...over };
    for (const id of members) this.add(id);
  }

  add(id: string, members: string[] = this.members, saved?: Saved): NodeState {
    this.nodes[id] = createNode(config(id, this.over), members, saved, this.now);
    this.log[id] ??= [];
    this.replies[id] ??= [];
    return this.nodes[id]!;
  }

  node(id: string): NodeState {
    return this.nodes[id]!;
  }

  /** One input into one node; its messages join the queue. */
  step(id: string, input: Input): Effects {
    this.now = Math.max(this.now, input.now);
    const fx = step(this.node(id), input);
    this.log[id]!.push(...fx.changes);
    this.replies[id]!.push(...fx.replies);
    this.queue.push(...fx.messages);
    return fx;
  }

  tick(id: string, now = this.now): Effects {
    return this.step(id, { type: 'tick', now });
  }

  request(id: string, request: ClientRequest, now = this.now): Effects {
    return this.step(id, { type: 'request', now, request });
  }

  /** Take (remove) the queued messages that match, in order. */
  take(match: Match = () => true): PeerMessage[] {
    const taken = this.queue.filter(match);
    this.queue = this.queue.filter((m) => !match(m));
    return taken;
  }

  drop(match: Match = () => true): number {
    return this.take(match).length;
  }

  /** Deliver one message (not necessarily from the queue) to its addressee, if that node exists. */
  send(m: PeerMessage, now = this.now): Effects | undefined {
    if (!this.nodes[m.to]) return undefined;
    return this.step(m.to, { type: 'message', now, message: m });
  }

  /** Deliver the first queued message that matches. */
  deliverOne(match: Match = () => true, now = this.now): Effects | undefined {
    const index = this.queue.findIndex(match);
    if (index === -1) throw new Error('no queued message matches');
    const [m] = this.queue.splice(index, 1);
    return this.send(m!, now);
  }

  /** Deliver matching messages (and the matching ones they cause) until none is left; returns how many. */
  pump(match: Match = () => true, now = this.now, limit = 10_000): number {
    let n = 0;
    for (let index = this.queue.findIndex(match); index !== -1; index = this.queue.findIndex(match)) {
      if (++n > limit) throw new Error('the pump did not settle');
      const [m] = this.queue.splice(index, 1);
      this.send(m!, now);
    }
    return n;
  }

  /**
   * Make `id` start an election in `group` (by ticking it at its election time) and settle that group's messages
   * (other groups' messages stay queued). Other groups of `id` whose deadline has passed start elections too.
   */
  elect(id: string, group: string): void {
    const g = this.node(id).groups[group]!;
    this.tick(id, Math.max(this.now, g.electionAt));
    this.pump(where({ group }));
  }
}

/** The replicas of a key under a membership, in preference-list order (what the node's gossip follows). */
export function replicasOf(members: string[], key: string, vnodes = 8, replicas = 3): string[] {
  return preferenceList(createRing([...members].sort(), vnodes), key, replicas);
}

/** The first key (k0, k1, ...) whose replica set, sorted and joined, is `group`. */
export function keyIn(members: string[], group: string, skip = 0, vnodes = 8): string {
  for (let i = 0, found = 0; i < 100_000; i++) {
    const key = `k${i}`;
    if (replicasOf(members, key, vnodes).sort().join('+') === group && found++ === skip) return key;
  }
  throw new Error(`no key in ${group}`);
}
