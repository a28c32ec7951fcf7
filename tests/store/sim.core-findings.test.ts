// Two bugs the simulator found in the first store core (examples/store/core/node.ts at commit d93425a),
// each as the smallest run that shows it, driving three nodes by hand. They failed there (as it.fails in
// commit b5584bb) and pass once strong values carry (term, seq) versions; kept as regression tests.
//
// Found by the seeded chaos runs of that time: seed 109 (bug 1: a strong read returned c3-3, a later one
// c1-8, acknowledged earlier) and seed 95 (bug 2: a strong read returned two siblings, "c3-17|c2-11").
import { describe, expect, it } from 'vitest';
import { createNode, replay, step } from '../../examples/store/core/node.ts';
import { defaultConfig, type Change, type ClientRequest, type Input, type NodeState, type PeerMessage, type Reply } from '../../examples/store/core/types.ts';

const members = ['n1', 'n2', 'n3'];
const G = 'n1+n2+n3';

/** Three nodes and a hand-driven network: messages wait in `queue` until flush() delivers (or drops) them. */
function cluster(config: Partial<typeof defaultConfig> = {}) {
  const nodes: Record<string, NodeState | null> = {};
  const disks: Record<string, Change[]> = { n1: [], n2: [], n3: [] };
  const queue: PeerMessage[] = [];
  const replies: Reply[] = [];
  const cfg = (id: string) => ({ ...defaultConfig, ...config, id });
  for (const id of members) nodes[id] = createNode(cfg(id), members, undefined, 0);
  const run = (id: string, input: Input) => {
    const fx = step(nodes[id]!, input);
    disks[id]!.push(...fx.changes);
    queue.push(...fx.messages);
    replies.push(...fx.replies);
    return fx;
  };
  const c = {
    nodes,
    replies,
    queue,
    run,
    /** Deliver queued messages (and what they cause) at `now`; `drop` decides which are lost, `hold` which wait. */
    flush(now: number, drop: (m: PeerMessage) => boolean = () => false, hold: PeerMessage[] = [], keep: (m: PeerMessage) => boolean = () => false) {
      while (queue.length > 0) {
        const m = queue.shift()!;
        if (keep(m)) hold.push(m);
        else if (!drop(m) && nodes[m.to]) run(m.to, { type: 'message', now, message: m });
      }
    },
    /** `id` times out and wins an election (the others answer), at `now`. */
    elect(id: string, now: number) {
      nodes[id]!.groups[G]!.electionAt = now; // its election timeout runs out now (the test's clock, not the hash's)
      run(id, { type: 'tick', now });
      c.flush(now);
      run(id, { type: 'tick', now: now + 1 }); // a heartbeat round after the sync
      c.flush(now + 1);
      expect(nodes[id]!.groups[G]!.role).toBe('leader');
      expect(nodes[id]!.groups[G]!.ready).toBe(true);
    },
    crash(id: string) {
      nodes[id] = null;
    },
    restart(id: string, now: number) {
      nodes[id] = createNode(cfg(id), members, replay(disks[id]!), now);
    },
    request(id: string, now: number, request: ClientRequest) {
      return run(id, { type: 'request', now, request });
    },
    /** Whether node `id` has `value` on record in any form (committed or pending): its state, searched as JSON. */
    holds(id: string, value: string): boolean {
      const s = nodes[id];
      return s !== null && s !== undefined && JSON.stringify(s).includes(JSON.stringify(value));
    },
  };
  return c;
}

describe('store core findings (examples/store/core/node.ts)', () => {
  // Bug 1. A strong write that times out ('unknown') stays pending at the leader, and the next queued write
  // of the same key starts at once, built from the committed store, which lacks the pending write's dot: the
  // new write gets the SAME dot (n1:1). A follower's replicate-ok for the OLD write then counts for the NEW
  // one (onReplicateOk matches by key and dot), and the leader acknowledges a write only it holds.
  it('bug 1: a strong write is acknowledged only once a majority holds it, even after the previous write of its key timed out', () => {
    const c = cluster({ electionTimeoutMs: 60_000 }); // no step-down or election during the test
    c.elect('n1', 0);
    const held: PeerMessage[] = [];
    // put a: n2 stores it, but its acknowledgement is delayed; n3 never gets it.
    c.request('n1', 100, { id: 'a', op: 'put', key: 'k', value: 'value-a', consistency: 'strong' });
    c.flush(100, (m) => m.type === 'replicate' && m.to === 'n3', held, (m) => m.type === 'replicate-ok');
    // put b waits behind a.
    c.request('n1', 110, { id: 'b', op: 'put', key: 'k', value: 'value-b', consistency: 'strong' });
    // a times out: 'unknown'. b starts now; its replicate messages are lost.
    c.run('n1', { type: 'tick', now: 100 + defaultConfig.requestTimeoutMs });
    expect(c.replies.find((r) => r.id === 'a')?.outcome.kind).toBe('unknown');
    c.flush(2_100, (m) => m.type === 'replicate');
    // The late acknowledgement of a arrives.
    for (const m of held) c.run('n1', { type: 'message', now: 2_150, message: m });
    const b = c.replies.find((r) => r.id === 'b');
    if (b?.outcome.kind === 'written') {
      const holders = members.filter((id) => c.holds(id, 'value-b'));
      expect(holders, 'b was acknowledged, so a majority must hold it').toHaveLength(2);
    }
    expect(b?.outcome.kind ?? 'no answer yet').not.toBe('written');
  });

  // Bug 2. A pending write of an older term that never reached a majority survives on a node that missed
  // the newer leader's sync (it was down). When that node votes in a later election, the winner merges the
  // pending write into its store with reconcile: the pending write and the newer term's committed write are
  // concurrent (neither's context covers the other), so they become siblings, and a strong read returns both.
  it('bug 2: a strong read returns one value, even after a new leader merged a stale pending write', () => {
    const c = cluster();
    c.elect('n1', 0);
    // n1 takes put x, but its replicate messages are lost: x is pending at n1 only. n1 crashes.
    c.request('n1', 100, { id: 'x', op: 'put', key: 'k', value: 'x', consistency: 'strong' });
    c.flush(100, (m) => m.type === 'replicate');
    c.crash('n1');
    // n2 wins term 2 with n3 and commits y.
    c.elect('n2', 3_000);
    c.request('n2', 3_100, { id: 'y', op: 'put', key: 'k', value: 'y', consistency: 'strong' });
    c.flush(3_100);
    expect(c.replies.find((r) => r.id === 'y')?.outcome.kind).toBe('written');
    // n2 crashes; n1 comes back with x still pending (term 1), and votes for n3 in term 3.
    c.crash('n2');
    c.restart('n1', 6_000);
    c.elect('n3', 6_000);
    c.request('n3', 6_100, { id: 'r', op: 'get', key: 'k', consistency: 'strong' });
    c.flush(6_100);
    const r = c.replies.find((x) => x.id === 'r')!;
    expect(r.outcome).toMatchObject({ kind: 'value', values: ['y'] });
  });
});
