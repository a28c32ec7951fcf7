// Laws of one store node's core (examples/store/core/node.ts) over random schedules of three nodes: fast-check
// picks ticks, client requests, and which queued message is delivered, duplicated or dropped, and crashes a
// node now and then (it comes back from its own disk log). After every step:
//  - the log of changes is a faithful record of the durable state: a node restarted from replay(log) would
//    hold exactly the terms, votes, eventual data and strong data (a leader's pending writes folded in, as
//    createNode does) that the running node holds; before any restart, replay(log) equals them outright;
//  - a restarted node is, in those parts, the node that crashed;
//  - terms never go down, and a node's vote within a term never changes once cast;
//  - never two leaders of one group in one term (election safety; Raft §5.2).
// On failure fast-check prints the seed and the shrunk schedule.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newer, replay, type Saved } from '../../examples/store/core/node.ts';
import type { ClientRequest, StrongValue } from '../../examples/store/core/types.ts';
import { Cluster } from './node-harness.ts';

const THREE = ['n1', 'n2', 'n3'];

type Op =
  | { op: 'tick'; node: number; dt: number }
  | { op: 'deliver' | 'drop' | 'duplicate'; index: number }
  | { op: 'settle'; count: number }
  | { op: 'request'; node: number; kind: 'put' | 'get' | 'delete' | 'cas'; key: string; strong: boolean }
  | { op: 'restart'; node: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('tick' as const), node: fc.nat(2), dt: fc.constantFrom(0, 100, 700, 1100, 2500) }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('deliver' as const), index: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('drop' as const, 'duplicate' as const), index: fc.nat(20) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('settle' as const), count: fc.integer({ min: 1, max: 30 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('request' as const), node: fc.nat(2), kind: fc.constantFrom('put' as const, 'get' as const, 'delete' as const, 'cas' as const), key: fc.constantFrom('a', 'b'), strong: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('restart' as const), node: fc.nat(2) }) },
);

/** What a node restarted from `saved` holds: its pending writes become its copies where newer (createNode). */
function durable(saved: Saved): Omit<Saved, 'pending'> {
  const strong: Record<string, StrongValue> = { ...saved.strong };
  for (const [key, write] of Object.entries(saved.pending)) if (newer(write, strong[key])) strong[key] = write;
  return { terms: saved.terms, store: saved.store, strong };
}

function run(ops: Op[]): { leaders: number; written: number } {
  const c = new Cluster(THREE);
  const leaders = new Map<string, string>(); // "group@term" -> leader
  const votes = new Map<string, string>(); // "node/group@term" -> voted for
  const terms = new Map<string, number>(); // "node/group" -> highest term seen
  let n = 0;
  let restarted = false;
  const check = () => {
    for (const id of THREE) {
      const s = c.node(id);
      const now = { terms: s.terms, store: s.store, strong: s.strong, pending: s.pending };
      expect(durable(replay(c.log[id]!))).toEqual(durable(now));
      if (!restarted) expect(replay(c.log[id]!)).toEqual(now);
      for (const g of Object.values(s.groups)) {
        expect(g.term).toBeGreaterThanOrEqual(terms.get(`${id}/${g.id}`) ?? 0);
        terms.set(`${id}/${g.id}`, g.term);
        if (g.votedFor !== null) {
          const key = `${id}/${g.id}@${g.term}`;
          expect(votes.get(key) ?? g.votedFor).toBe(g.votedFor);
          votes.set(key, g.votedFor);
        }
        if (g.role === 'leader') {
          const key = `${g.id}@${g.term}`;
          expect(leaders.get(key) ?? id).toBe(id);
          leaders.set(key, id);
        }
      }
    }
  };
  for (const o of ops) {
    const id = THREE[o.op === 'tick' || o.op === 'request' || o.op === 'restart' ? o.node : 0]!;
    if (o.op === 'tick') c.tick(id, c.now + o.dt);
    else if (o.op === 'request') {
      const base = { id: `r${n++}`, key: o.key };
      const value = `v${n}`;
      const consistency = o.strong ? 'strong' : 'eventual';
      const request: ClientRequest =
        o.kind === 'get' ? { ...base, op: 'get', consistency }
        : o.kind === 'put' ? { ...base, op: 'put', value, consistency }
        : o.kind === 'delete' ? { ...base, op: 'delete', consistency }
        : { ...base, op: 'cas', expected: null, value, consistency: 'strong' };
      // Like a client, follow a forward once (to the leader, or to a replica).
      const answer = c.request(id, request).replies[0]?.outcome;
      if (answer?.kind === 'forward') {
        check();
        c.request(answer.to, request);
      }
    } else if (o.op === 'restart') {
      const before = c.node(id);
      const again = c.add(id, THREE, replay(c.log[id]!));
      restarted = true;
      expect({ terms: again.terms, store: again.store, strong: again.strong, pending: again.pending }).toEqual({ ...durable(before), pending: {} });
      for (const g of Object.values(again.groups)) expect([g.term, g.votedFor]).toEqual([before.groups[g.id]!.term, before.groups[g.id]!.votedFor]);
    } else if (o.op === 'settle') {
      // Deliver the oldest messages, up to `count` of them (and what they cause), in order.
      for (let i = 0; i < o.count && c.queue.length > 0; i++) {
        c.send(c.queue.shift()!);
        check();
      }
    } else if (c.queue.length > 0) {
      const m = c.queue[o.index % c.queue.length]!;
      if (o.op !== 'duplicate') c.queue.splice(o.index % c.queue.length, 1);
      if (o.op !== 'drop') c.send(m);
    }
    check();
  }
  // Strong writes acknowledged (their answers carry a version).
  const written = THREE.flatMap((id) => c.replies[id]!).filter((r) => r.outcome.kind === 'written' && r.outcome.version).length;
  return { leaders: leaders.size, written };
}

describe('node core laws over random schedules', () => {
  it('the change log replays to the durable state; restarts keep it; terms only grow; one vote per term; one leader per term', () => {
    const seen = { leaders: 0, written: 0 };
    fc.assert(
      // Each schedule starts with an election (one node's timer fires, 30 messages are delivered), so most
      // of them get as far as strong writes, then anything may happen.
      fc.property(fc.nat(2), fc.array(opArb, { minLength: 10, maxLength: 60, size: 'max' }), (first, ops) => {
        const r = run([{ op: 'tick', node: first, dt: 2000 }, { op: 'settle', count: 30 }, ...ops]);
        seen.leaders += r.leaders;
        seen.written += r.written;
      }),
      { numRuns: 60 },
    );
    // The random schedules do elect leaders and write (so the laws were checked on more than idle nodes).
    expect(seen.leaders).toBeGreaterThan(40); // 112-142 seen in five runs
    expect(seen.written).toBeGreaterThan(10); // strong writes acknowledged: 30-52 seen in five runs
  });

  it('the schedules reach the interesting states (elections won, writes written), so the laws are not vacuous', () => {
    // A fixed, friendly schedule: time passes, every message is delivered, a strong write goes through.
    const ops: Op[] = [
      { op: 'tick', node: 0, dt: 1100 },
      ...Array.from({ length: 12 }, () => ({ op: 'deliver' as const, index: 0 })),
      { op: 'request', node: 0, kind: 'put', key: 'a', strong: true },
      ...Array.from({ length: 12 }, () => ({ op: 'deliver' as const, index: 0 })),
    ];
    expect(run(ops)).toEqual({ leaders: 1, written: 1 });
  });
});
