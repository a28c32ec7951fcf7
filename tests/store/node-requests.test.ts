// One store node's core (examples/store/core/node.ts), driven by hand: client requests (strong writes through
// the leader and a majority, strong reads confirmed by a heartbeat round, cas, deletes, one write in flight per
// key, timeouts, forwarding), eventual requests with gossip and siblings, anti-entropy, and membership changes
// with their hand-off. Elections and the fence are in node-election.test.ts.
import { describe, expect, it } from 'vitest';
import { createNode, electionDeadline, replay, status } from '../../examples/store/core/node.ts';
import { empty, put, reconcile, remove } from '../../examples/store/core/versions.ts';
import type { ClientRequest, Effects, Reply, StrongValue } from '../../examples/store/core/types.ts';
import { Cluster, config, keyIn, replicasOf, where } from './node-harness.ts';

const THREE = ['n1', 'n2', 'n3'];
const G = 'n1+n2+n3';
const none: Effects = { changes: [], messages: [], replies: [] };
const sv = (term: number, seq: number, value: string | null): StrongValue => ({ term, seq, value });

function ledByN1(over = {}): Cluster {
  const c = new Cluster(THREE, over);
  c.elect('n1', G);
  return c;
}

const putS = (id: string, key: string, value: string): ClientRequest => ({ id, op: 'put', key, value, consistency: 'strong' });
const getS = (id: string, key: string): ClientRequest => ({ id, op: 'get', key, consistency: 'strong' });
const delS = (id: string, key: string): ClientRequest => ({ id, op: 'delete', key, consistency: 'strong' });
const cas = (id: string, key: string, expected: string | null, value: string): ClientRequest => ({ id, op: 'cas', key, expected, value, consistency: 'strong' });
const reply = (id: string, outcome: Reply['outcome'], leader: string | null = 'n1', term = 1, group = G): Reply => ({ id, outcome, group, leader, term });

/** Write `value` under `key` through leader n1 and deliver everything. */
function write(c: Cluster, id: string, key: string, value: string): void {
  c.request('n1', putS(id, key, value));
  c.pump();
}

describe('strong writes', () => {
  it('leader: pending on its disk, replicate to the followers; a majority commits it; no commit message', () => {
    const c = ledByN1();
    const t = c.now;
    const w = sv(1, 1, 'v');
    expect(c.request('n1', putS('r1', 'k', 'v'))).toEqual({
      changes: [{ kind: 'pending', key: 'k', write: w }],
      messages: [
        { type: 'replicate', from: 'n1', to: 'n2', group: G, term: 1, key: 'k', write: w },
        { type: 'replicate', from: 'n1', to: 'n3', group: G, term: 1, key: 'k', write: w },
      ],
      replies: [],
    });
    expect(c.node('n1').inflight).toEqual([{ request: putS('r1', 'k', 'v'), group: G, since: t, write: w, stored: [] }]);
    expect(c.node('n1').groups[G]!.seq).toBe(1);
    // A follower stores it (persisted before it acknowledges) and follows the sender.
    expect(c.deliverOne(where({ to: 'n2' }), t + 5)).toEqual({
      changes: [{ kind: 'strong', key: 'k', value: w }],
      messages: [{ type: 'replicate-ok', from: 'n2', to: 'n1', group: G, term: 1, key: 'k', seq: 1 }],
      replies: [],
    });
    expect(c.node('n2').groups[G]).toMatchObject({ leader: 'n1', role: 'follower' });
    // With the leader, that is a majority: commit, answer 'written' with the version.
    expect(c.deliverOne(where({ type: 'replicate-ok' }), t + 6)).toEqual({
      changes: [
        { kind: 'pending', key: 'k', write: null },
        { kind: 'strong', key: 'k', value: w },
      ],
      messages: [],
      replies: [reply('r1', { kind: 'written', context: {}, version: { term: 1, seq: 1 } })],
    });
    expect(c.node('n1').strong).toEqual({ k: w });
    expect(c.node('n1').pending).toEqual({});
    expect(c.node('n1').inflight).toEqual([]);
    expect(c.node('n1').groups[G]!.heardFrom.n2).toBe(t + 6);
    expect(c.node('n1').groups[G]!.unconfirmed).toEqual({ n3: { k: t + 6 } });
    // The slow follower gets it, and its late acknowledgement clears it from the unconfirmed.
    c.deliverOne(where({ to: 'n3' }));
    expect(c.deliverOne(where({ type: 'replicate-ok', from: 'n3' }))).toEqual(none);
    expect(c.node('n1').groups[G]!.unconfirmed).toEqual({ n3: {} });
    for (const id of THREE) expect(c.node(id).strong).toEqual({ k: w });
  });

  it('a committed write a follower has not confirmed is sent again with the heartbeats, from 2 heartbeats on', () => {
    const c = ledByN1();
    const g = c.node('n1').groups[G]!;
    c.request('n1', putS('r1', 'k', 'v'));
    c.drop(where({ to: 'n3' }));
    c.pump(where({ to: 'n2' }));
    const at = c.now;
    c.pump(where({ type: 'replicate-ok' }), at);
    expect(g.unconfirmed).toEqual({ n3: { k: at } });
    g.heartbeatAt = 0;
    expect(c.tick('n1', at + 199).messages.map((m) => [m.type, m.to])).toEqual([['heartbeat', 'n2'], ['heartbeat', 'n3']]);
    g.heartbeatAt = 0;
    expect(c.tick('n1', at + 200).messages).toEqual([
      { type: 'heartbeat', from: 'n1', to: 'n2', group: G, term: 1, round: g.round },
      { type: 'heartbeat', from: 'n1', to: 'n3', group: G, term: 1, round: g.round },
      { type: 'replicate', from: 'n1', to: 'n3', group: G, term: 1, key: 'k', write: sv(1, 1, 'v') },
    ]);
    // An acknowledgement of an older write of the key does not clear it; one of the key's current write does.
    c.drop();
    c.send({ type: 'replicate-ok', from: 'n3', to: 'n1', group: G, term: 1, key: 'k', seq: 7 });
    c.send({ type: 'replicate-ok', from: 'n3', to: 'n1', group: G, term: 1, key: 'other', seq: 1 });
    expect(g.unconfirmed).toEqual({ n3: { k: at } });
    c.send({ type: 'replicate-ok', from: 'n3', to: 'n1', group: G, term: 1, key: 'k', seq: 1 });
    expect(g.unconfirmed).toEqual({ n3: {} });
    g.heartbeatAt = 0;
    expect(c.tick('n1', at + 400).messages.map((m) => m.type)).toEqual(['heartbeat', 'heartbeat']);
    // A key no longer held (handed away) is not sent again.
    g.unconfirmed = { n3: { gone: 0 } };
    g.heartbeatAt = 0;
    expect(c.tick('n1', at + 500).messages.map((m) => m.type)).toEqual(['heartbeat', 'heartbeat']);
  });

  it('a follower keeps the newer of its copy and a replicated write (messages can arrive out of order), and acknowledges both', () => {
    const c = ledByN1();
    c.send({ type: 'replicate', from: 'n1', to: 'n2', group: G, term: 1, key: 'k', write: sv(1, 2, 'b') });
    expect(c.send({ type: 'replicate', from: 'n1', to: 'n2', group: G, term: 1, key: 'k', write: sv(1, 1, 'a') })).toEqual({
      changes: [],
      messages: [{ type: 'replicate-ok', from: 'n2', to: 'n1', group: G, term: 1, key: 'k', seq: 1 }],
      replies: [],
    });
    expect(c.node('n2').strong).toEqual({ k: sv(1, 2, 'b') });
  });

  it('acknowledgements: only for the write in flight, from a follower, counted once; a follower ignores them', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const G5 = five.join('+');
    const c = new Cluster(five, { replicas: 5 });
    c.elect('n1', G5);
    c.request('n1', putS('w', 'k', 'v'));
    c.drop();
    const ok = (from: string, seq = 1, key = 'k') => c.send({ type: 'replicate-ok', from, to: 'n1', group: G5, term: 1, key, seq })!;
    expect(ok('n2', 2)).toEqual(none);
    expect(ok('n2', 1, 'other')).toEqual(none);
    expect(c.node('n1').inflight[0]!.stored).toEqual([]);
    expect(ok('n2')).toEqual(none);
    expect(ok('n2')).toEqual(none); // the same follower twice is still one
    expect(c.node('n1').inflight[0]!.stored).toEqual(['n2']);
    expect(ok('n3').replies).toEqual([reply('w', { kind: 'written', context: {}, version: { term: 1, seq: 1 } }, 'n1', 1, G5)]);
    expect(c.node('n1').groups[G5]!.unconfirmed).toEqual({ n4: { k: c.now }, n5: { k: c.now } });
    expect(c.send({ type: 'replicate-ok', from: 'n1', to: 'n2', group: G5, term: 1, key: 'k', seq: 1 })).toEqual(none);
  });

  it('a write does not wait for a read of its key, only for a write of it', () => {
    const c = ledByN1();
    c.request('n1', getS('r', 'k'));
    expect(c.request('n1', putS('w', 'k', 'v')).messages.map((m) => m.type)).toEqual(['replicate', 'replicate']);
  });

  it('an acknowledgement is taken only by the leader of the group it names, for a write of that group', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = new Cluster(five);
    c.elect('n1', 'n1+n4+n5');
    c.drop();
    const key = keyIn(five, 'n1+n4+n5');
    c.request('n1', putS('w', key, 'v'));
    c.drop();
    const g = c.node('n1').groups['n1+n2+n3']!;
    expect(g.role).not.toBe('leader');
    expect(c.send({ type: 'replicate-ok', from: 'n2', to: 'n1', group: 'n1+n2+n3', term: g.term, key, seq: 1 })).toEqual(none);
    // When n1 leads n1+n2+n3 too, still an ack naming that group is no ack of a write of n1+n4+n5.
    const d = new Cluster(five);
    d.elect('n1', 'n1+n2+n3');
    d.elect('n1', 'n1+n4+n5');
    d.drop();
    d.request('n1', putS('w', key, 'v'));
    d.drop();
    const h = d.node('n1').groups['n1+n2+n3']!;
    expect(h.role).toBe('leader');
    expect(d.send({ type: 'replicate-ok', from: 'n2', to: 'n1', group: 'n1+n2+n3', term: h.term, key, seq: d.node('n1').inflight[0]!.write!.seq })).toEqual(none);
    expect(d.node('n1').inflight[0]!.stored).toEqual([]);
  });

  it('a single-node group commits a write at once', () => {
    const c = new Cluster(['n1']);
    c.tick('n1', 5000);
    expect(c.request('n1', putS('w', 'k', 'v'))).toEqual({
      changes: [
        { kind: 'pending', key: 'k', write: sv(1, 1, 'v') },
        { kind: 'pending', key: 'k', write: null },
        { kind: 'strong', key: 'k', value: sv(1, 1, 'v') },
      ],
      messages: [],
      replies: [reply('w', { kind: 'written', context: {}, version: { term: 1, seq: 1 } }, 'n1', 1, 'n1')],
    });
    expect(c.request('n1', getS('r', 'k')).replies).toEqual([reply('r', { kind: 'value', values: ['v'], context: {}, version: { term: 1, seq: 1 } }, 'n1', 1, 'n1')]);
  });

  it('strong and eventual data of a key are apart: neither write touches the other side', () => {
    const c = ledByN1();
    write(c, 'w', 'k', 'strong');
    c.request('n1', { id: 'e', op: 'put', key: 'k', value: 'eventual', consistency: 'eventual' });
    c.pump();
    c.request('n1', getS('r', 'k'));
    c.pump();
    expect(c.replies.n1!.at(-1)).toEqual(reply('r', { kind: 'value', values: ['strong'], context: {}, version: { term: 1, seq: 1 } }));
    expect(c.request('n2', { id: 'g', op: 'get', key: 'k', consistency: 'eventual' }).replies[0]!.outcome).toEqual({ kind: 'value', values: ['eventual'], context: { n1: 1 } });
    expect(c.request('n3', { id: 'g', op: 'get', key: 'j', consistency: 'eventual' }).replies[0]!.outcome).toEqual({ kind: 'not-found', context: {} });
  });

  it('one write in flight per key: the next waits in order, other keys go at once; versions count up per term', () => {
    const c = ledByN1();
    c.request('n1', putS('a1', 'a', '1'));
    expect(c.request('n1', putS('a2', 'a', '2'))).toEqual(none);
    expect(c.request('n1', delS('a3', 'a'))).toEqual(none);
    expect(c.request('n1', putS('b1', 'b', '1')).messages).toEqual([
      { type: 'replicate', from: 'n1', to: 'n2', group: G, term: 1, key: 'b', write: sv(1, 2, '1') },
      { type: 'replicate', from: 'n1', to: 'n3', group: G, term: 1, key: 'b', write: sv(1, 2, '1') },
    ]);
    expect(c.node('n1').inflight.map((f) => [f.request.id, f.write?.seq ?? null])).toEqual([['a1', 1], ['a2', null], ['a3', null], ['b1', 2]]);
    c.drop(where({ to: 'n3' }));
    c.pump(where({ type: 'replicate', key: 'b' }));
    expect(c.deliverOne(where({ type: 'replicate-ok', key: 'b' }))!.messages).toEqual([]); // b does not start anything of a
    c.deliverOne(where({ type: 'replicate', key: 'a' }));
    expect(c.deliverOne(where({ type: 'replicate-ok' }))).toEqual({
      changes: [
        { kind: 'pending', key: 'a', write: null },
        { kind: 'strong', key: 'a', value: sv(1, 1, '1') },
        { kind: 'pending', key: 'a', write: sv(1, 3, '2') },
      ],
      messages: [
        { type: 'replicate', from: 'n1', to: 'n2', group: G, term: 1, key: 'a', write: sv(1, 3, '2') },
        { type: 'replicate', from: 'n1', to: 'n3', group: G, term: 1, key: 'a', write: sv(1, 3, '2') },
      ],
      replies: [reply('a1', { kind: 'written', context: {}, version: { term: 1, seq: 1 } })],
    });
    c.pump((m) => m.to !== 'n3'); // n3 hears nothing more
    expect(c.replies.n1!.map((r) => [r.id, r.outcome.kind])).toEqual([['b1', 'written'], ['a1', 'written'], ['a2', 'written'], ['a3', 'written']]);
    expect(c.node('n1').strong.a).toEqual(sv(1, 4, null));
    expect(c.node('n2').strong.a).toEqual(sv(1, 4, null));
  });

  it('delete writes a null value: a strong read then finds nothing, with the version', () => {
    const c = ledByN1();
    write(c, 'w', 'k', 'v');
    c.request('n1', delS('d', 'k'));
    expect(c.node('n1').pending.k).toEqual(sv(1, 2, null));
    c.pump();
    expect(c.replies.n1!.at(-1)).toEqual(reply('d', { kind: 'written', context: {}, version: { term: 1, seq: 2 } }));
    expect(c.node('n3').strong.k).toEqual(sv(1, 2, null));
    c.request('n1', getS('r', 'k'));
    c.pump();
    expect(c.replies.n1!.at(-1)).toEqual(reply('r', { kind: 'not-found', context: {}, version: { term: 1, seq: 2 } }));
  });
});

describe('compare-and-set', () => {
  it('matches the committed value, and writes', () => {
    const c = ledByN1();
    write(c, 'w', 'k', 'a');
    c.request('n1', cas('c', 'k', 'a', 'b'));
    c.pump();
    expect(c.replies.n1!.at(-1)).toEqual(reply('c', { kind: 'written', context: {}, version: { term: 1, seq: 2 } }));
    expect(c.node('n2').strong.k).toEqual(sv(1, 2, 'b'));
  });

  it('a different value is a mismatch, answered at once with the value, nothing written', () => {
    const c = ledByN1();
    write(c, 'w', 'k', 'a');
    expect(c.request('n1', cas('c', 'k', 'x', 'b'))).toEqual({ changes: [], messages: [], replies: [reply('c', { kind: 'cas-mismatch', values: ['a'] })] });
    expect(c.request('n1', cas('c2', 'k', null, 'b')).replies).toEqual([reply('c2', { kind: 'cas-mismatch', values: ['a'] })]);
    expect(c.node('n1').inflight).toEqual([]);
    expect(c.node('n1').groups[G]!.seq).toBe(1);
    // The next write of the key is not held up by a mismatch.
    expect(c.request('n1', putS('p', 'k', 'z')).messages.map((m) => m.type)).toEqual(['replicate', 'replicate']);
  });

  it('expected null matches a key never written or deleted; a value never matches a missing key', () => {
    const c = ledByN1();
    expect(c.request('n1', cas('c0', 'k', 'x', 'first')).replies).toEqual([reply('c0', { kind: 'cas-mismatch', values: [] })]);
    c.request('n1', cas('c', 'k', null, 'first'));
    c.pump();
    expect(c.replies.n1!.at(-1)).toEqual(reply('c', { kind: 'written', context: {}, version: { term: 1, seq: 1 } }));
    c.request('n1', delS('d', 'k'));
    c.pump();
    expect(c.request('n1', cas('c1', 'k', 'first', 'x')).replies).toEqual([reply('c1', { kind: 'cas-mismatch', values: [] })]);
    c.request('n1', cas('c2', 'k', null, 'again'));
    c.pump();
    expect(c.replies.n1!.at(-1)).toEqual(reply('c2', { kind: 'written', context: {}, version: { term: 1, seq: 3 } }));
    expect(c.node('n1').strong.k).toEqual(sv(1, 3, 'again'));
  });

  it('a queued cas is checked against the value the write before it committed; the writes behind a mismatch go on', () => {
    const c = ledByN1();
    c.request('n1', putS('p', 'k', 'a'));
    c.request('n1', cas('c', 'k', 'a', 'b'));
    c.request('n1', cas('bad', 'k', 'a', 'x'));
    c.request('n1', putS('p2', 'k', 'c'));
    c.pump();
    expect(c.replies.n1!.map((r) => [r.id, r.outcome])).toEqual([
      ['p', { kind: 'written', context: {}, version: { term: 1, seq: 1 } }],
      ['c', { kind: 'written', context: {}, version: { term: 1, seq: 2 } }],
      ['bad', { kind: 'cas-mismatch', values: ['b'] }],
      ['p2', { kind: 'written', context: {}, version: { term: 1, seq: 3 } }],
    ]);
  });
});

describe('strong reads', () => {
  it('are answered only after a majority answered a heartbeat sent after the read arrived', () => {
    const c = ledByN1();
    write(c, 'w', 'k', 'v');
    const g = c.node('n1').groups[G]!;
    expect(g.round).toBe(1);
    const fx = c.request('n1', getS('r', 'k'));
    expect(fx).toEqual({
      changes: [],
      messages: [
        { type: 'heartbeat', from: 'n1', to: 'n2', group: G, term: 1, round: 2 },
        { type: 'heartbeat', from: 'n1', to: 'n3', group: G, term: 1, round: 2 },
      ],
      replies: [],
    });
    expect(c.node('n1').inflight).toEqual([{ request: getS('r', 'k'), group: G, since: c.now, round: 2 }]);
    expect(g.heartbeatAt).toBe(c.now + 100);
    // An answer to an older round proves nothing about now.
    expect(c.send({ type: 'heartbeat-ok', from: 'n2', to: 'n1', group: G, term: 1, round: 1 })!.replies).toEqual([]);
    c.deliverOne(where({ type: 'heartbeat', to: 'n2' }));
    expect(c.deliverOne(where({ type: 'heartbeat-ok' }))!.replies).toEqual([reply('r', { kind: 'value', values: ['v'], context: {}, version: { term: 1, seq: 1 } })]);
    c.deliverOne(where({ type: 'heartbeat', to: 'n3' }));
    expect(c.deliverOne(where({ type: 'heartbeat-ok' }))!.replies).toEqual([]);
  });

  it('a key never written reads as not-found, with no version', () => {
    const c = ledByN1();
    c.request('n1', getS('r', 'nothing'));
    c.pump();
    expect(c.replies.n1).toEqual([reply('r', { kind: 'not-found', context: {} })]);
  });

  it('a read does not see a write still in flight', () => {
    const c = ledByN1();
    write(c, 'w', 'k', 'old');
    c.request('n1', putS('w2', 'k', 'new'));
    c.drop();
    c.request('n1', getS('r', 'k'));
    c.pump(where({ type: 'heartbeat' }));
    c.pump(where({ type: 'heartbeat-ok' }));
    expect(c.replies.n1!.at(-1)).toEqual(reply('r', { kind: 'value', values: ['old'], context: {}, version: { term: 1, seq: 1 } }));
  });

  it('several reads wait for their own rounds; a heartbeat-ok of another group does not answer them', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = new Cluster(five);
    c.elect('n1', 'n1+n2+n3');
    c.elect('n1', 'n1+n4+n5');
    c.drop();
    const k1 = keyIn(five, 'n1+n2+n3');
    const k2 = keyIn(five, 'n1+n4+n5');
    const a = c.node('n1').groups['n1+n2+n3']!.round;
    const b = c.node('n1').groups['n1+n4+n5']!.round;
    c.request('n1', getS('r1', k1));
    c.request('n1', getS('r2', k2));
    c.request('n1', getS('r3', k1));
    expect(c.node('n1').inflight.map((f) => f.round)).toEqual([a + 1, b + 1, a + 2]);
    c.drop();
    expect(c.send({ type: 'heartbeat-ok', from: 'n4', to: 'n1', group: 'n1+n4+n5', term: 1, round: a + 2 })!.replies.map((r) => r.id)).toEqual(['r2']);
    expect(c.send({ type: 'heartbeat-ok', from: 'n2', to: 'n1', group: 'n1+n2+n3', term: 1, round: a + 1 })!.replies.map((r) => r.id)).toEqual(['r1']);
    expect(c.send({ type: 'heartbeat-ok', from: 'n3', to: 'n1', group: 'n1+n2+n3', term: 1, round: a + 2 })!.replies.map((r) => r.id)).toEqual(['r3']);
  });
});

describe('timeouts', () => {
  it("a sent write not confirmed in time is 'unknown'; a waiting write and a read are 'unavailable'", () => {
    const c = ledByN1();
    const t = c.now;
    c.request('n1', putS('w1', 'k', '1'));
    c.request('n1', putS('w2', 'k', '2'), t + 10);
    c.request('n1', getS('r', 'j'), t + 20);
    c.drop();
    // Keep n1 leading: n2 answers every heartbeat (but never a replicate).
    for (let now = t + 100; now < t + 2000; now += 100) {
      c.tick('n1', now);
      c.pump(where({ type: 'heartbeat' }));
      c.pump(where({ type: 'heartbeat-ok', from: 'n2' }));
      c.drop();
    }
    // The read was answered by n2's heartbeat-ok; only the writes are left.
    expect(c.replies.n1).toEqual([reply('r', { kind: 'not-found', context: {} })]);
    expect(c.tick('n1', t + 1999).replies).toEqual([]);
    const fx = c.tick('n1', t + 2000);
    expect(fx.replies).toEqual([
      reply('w1', { kind: 'unknown', message: 'no majority of n1+n2+n3 confirmed the write within 2000 ms; it may or may not have been applied' }),
    ]);
    // w2 went as soon as w1 finished.
    expect(fx.messages.filter((m) => m.type === 'replicate').map((m) => m.to)).toEqual(['n2', 'n3']);
  });

  it("a write still waiting behind another, and a read without a majority, time out as 'unavailable'", () => {
    const c = ledByN1({ requestTimeoutMs: 500 });
    const t = c.now;
    c.request('n1', putS('w1', 'k', '1'), t + 1);
    c.request('n1', putS('w2', 'k', '2'), t + 1);
    c.request('n1', getS('r', 'k'), t + 1);
    c.drop();
    // The write before w2 finishes at the same tick, and w2 starts, but w2 was already too old: it times out
    // in the same tick as 'unknown' (it was sent). The read was never confirmed.
    const fx = c.tick('n1', t + 501);
    expect(fx.replies).toEqual([
      reply('w1', { kind: 'unknown', message: 'no majority of n1+n2+n3 confirmed the write within 500 ms; it may or may not have been applied' }),
      reply('w2', { kind: 'unknown', message: 'no majority of n1+n2+n3 confirmed the write within 500 ms; it may or may not have been applied' }),
      reply('r', { kind: 'unavailable', reason: 'no-majority', message: 'no majority of n1+n2+n3 answered within 500 ms; nothing was changed' }),
    ]);
    expect(c.node('n1').inflight).toEqual([]);
  });

  it('a queued cas that mismatches when its turn comes is answered once, even if it timed out in the same tick', () => {
    const c = ledByN1({ requestTimeoutMs: 500 });
    const t = c.now;
    c.request('n1', putS('w1', 'k', '1'), t + 1);
    c.request('n1', cas('c', 'k', 'zzz', '2'), t + 1);
    c.request('n1', getS('r', 'other'), t + 1);
    c.drop();
    expect(c.tick('n1', t + 501).replies).toEqual([
      reply('w1', { kind: 'unknown', message: 'no majority of n1+n2+n3 confirmed the write within 500 ms; it may or may not have been applied' }),
      reply('c', { kind: 'cas-mismatch', values: [] }),
      reply('r', { kind: 'unavailable', reason: 'no-majority', message: 'no majority of n1+n2+n3 answered within 500 ms; nothing was changed' }),
    ]);
    expect(c.node('n1').inflight).toEqual([]);
  });

  it("a write that waited behind another times out as 'unavailable' if it never started", () => {
    const c = ledByN1({ requestTimeoutMs: 500 });
    const t = c.now;
    c.request('n1', putS('w1', 'k', '1'), t + 1);
    c.request('n1', putS('w2', 'k', '2'), t + 1);
    c.drop();
    // w1 leaves the queue some other way than finishing: the queue is edited by hand to isolate the branch.
    c.node('n1').inflight.shift();
    const fx = c.tick('n1', t + 501);
    expect(fx.replies).toEqual([reply('w2', { kind: 'unavailable', reason: 'no-majority', message: 'no majority of n1+n2+n3 answered within 500 ms; nothing was changed' })]);
  });
});

describe('where a request goes', () => {
  it('a node outside the key\'s group forwards it to the key\'s first replica', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = new Cluster(five);
    const key = keyIn(five, 'n2+n3+n4');
    const first = replicasOf(five, key)[0]!;
    expect(c.request('n1', getS('r', key))).toEqual({ changes: [], messages: [], replies: [{ id: 'r', outcome: { kind: 'forward', to: first }, group: 'n2+n3+n4', leader: null, term: 0 }] });
    expect(c.request('n1', { id: 'e', op: 'put', key, value: 'v', consistency: 'eventual' }).replies[0]!.outcome).toEqual({ kind: 'forward', to: first });
    expect(c.node('n1').store).toEqual({});
    // The first replica differs from key to key.
    const firsts = new Set([0, 1, 2, 3].map((i) => replicasOf(five, keyIn(five, 'n2+n3+n4', i))[0]));
    expect(firsts.size).toBeGreaterThan(1);
  });

  it('a follower that knows the leader forwards a strong request to it', () => {
    const c = ledByN1();
    expect(c.request('n2', putS('w', 'k', 'v'))).toEqual({ changes: [], messages: [], replies: [reply('w', { kind: 'forward', to: 'n1' })] });
    expect(c.request('n3', getS('r', 'k')).replies).toEqual([reply('r', { kind: 'forward', to: 'n1' })]);
  });

  it('a node that knows no leader refuses with no-leader, naming the group and its replicas', () => {
    const c = new Cluster(THREE);
    const msg = 'group n1+n2+n3 has no leader that n2 can reach (an election is under way, or n2 cannot reach a majority of n1, n2, n3); nothing was changed';
    expect(c.request('n2', putS('w', 'k', 'v'))).toEqual({ changes: [], messages: [], replies: [reply('w', { kind: 'unavailable', reason: 'no-leader', message: msg }, null, 0)] });
    c.tick('n2', 1408); // a candidate knows no leader either
    c.drop();
    expect(c.request('n2', getS('r', 'k')).replies).toEqual([reply('r', { kind: 'unavailable', reason: 'no-leader', message: msg }, null, 1)]);
  });

  it('a node never forwards to itself', () => {
    const c = new Cluster(THREE);
    c.node('n2').groups[G]!.leader = 'n2'; // a follower that somehow names itself leader
    expect(c.request('n2', getS('r', 'k')).replies[0]!.outcome).toMatchObject({ kind: 'unavailable', reason: 'no-leader' });
  });

  it('a leader not yet ready refuses with not-ready', () => {
    const c = new Cluster(THREE);
    c.tick('n1', 1086);
    c.pump(where({ type: 'vote-request' }));
    c.pump(where({ type: 'vote' }));
    expect(c.node('n1').groups[G]!.role).toBe('leader');
    expect(c.request('n1', putS('w', 'k', 'v'))).toEqual({
      changes: [],
      messages: [],
      replies: [reply('w', { kind: 'unavailable', reason: 'not-ready', message: 'n1 was just elected leader of n1+n2+n3 (term 1) and is copying its data to a majority; nothing was changed, retry in a moment' })],
    });
    expect(c.node('n1').inflight).toEqual([]);
  });
});

describe('eventual requests', () => {
  const putE = (id: string, key: string, value: string, context?: Record<string, number>): ClientRequest =>
    context ? { id, op: 'put', key, value, consistency: 'eventual', context } : { id, op: 'put', key, value, consistency: 'eventual' };

  it('any replica takes a write alone: stores it, answers, and gossips it to the other replicas', () => {
    const c = new Cluster(THREE);
    const stored = put(empty<string>(), 'v', {}, 'n2', 7);
    const order = replicasOf(THREE, 'k').filter((n) => n !== 'n2');
    expect(c.request('n2', putE('e', 'k', 'v'), 7)).toEqual({
      changes: [{ kind: 'store', key: 'k', stored }],
      messages: order.map((to) => ({ type: 'gossip', from: 'n2', to, key: 'k', stored })),
      replies: [{ id: 'e', outcome: { kind: 'written', context: { n2: 1 } }, group: G, leader: null, term: 0 }],
    });
    expect(c.deliverOne(where({ to: 'n1' }))).toEqual({ changes: [{ kind: 'store', key: 'k', stored }], messages: [], replies: [] });
    // The same gossip again changes nothing.
    expect(c.send({ type: 'gossip', from: 'n2', to: 'n1', key: 'k', stored })).toEqual(none);
    expect(c.request('n1', { id: 'g', op: 'get', key: 'k', consistency: 'eventual' }).replies).toEqual([
      { id: 'g', outcome: { kind: 'value', values: ['v'], context: { n2: 1 } }, group: G, leader: null, term: 0 },
    ]);
    // A replica that has not heard yet answers from what it has: nothing.
    expect(c.request('n3', { id: 'g', op: 'get', key: 'k', consistency: 'eventual' }).replies[0]!.outcome).toEqual({ kind: 'not-found', context: {} });
  });

  it('concurrent writes come back as siblings; a write with their context replaces them; delete leaves a tombstone', () => {
    const c = new Cluster(THREE);
    c.request('n1', putE('a', 'k', 'from-n1'), 1);
    c.request('n2', putE('b', 'k', 'from-n2'), 2);
    c.pump();
    const read = (id: string) => c.request(id, { id: 'g', op: 'get', key: 'k', consistency: 'eventual' }).replies[0]!.outcome;
    for (const id of THREE) expect(read(id)).toEqual({ kind: 'value', values: ['from-n1', 'from-n2'], context: { n1: 1, n2: 1 } });
    expect(c.request('n3', putE('m', 'k', 'merged', { n1: 1, n2: 1 }), 3).replies[0]!.outcome).toEqual({ kind: 'written', context: { n1: 1, n2: 1, n3: 1 } });
    c.pump();
    for (const id of THREE) expect(read(id)).toEqual({ kind: 'value', values: ['merged'], context: { n1: 1, n2: 1, n3: 1 } });
    // A blind write (no context) is concurrent with what is there.
    c.request('n1', putE('x', 'k', 'blind'), 4);
    expect(read('n1')).toEqual({ kind: 'value', values: ['blind', 'merged'], context: { n1: 2, n2: 1, n3: 1 } });
    // Delete with the context: a tombstone that gossips like a value.
    const fx = c.request('n1', { id: 'd', op: 'delete', key: 'k', consistency: 'eventual', context: { n1: 2, n2: 1, n3: 1 } }, 5);
    expect(fx.replies[0]!.outcome).toEqual({ kind: 'written', context: { n1: 3, n2: 1, n3: 1 } });
    expect(fx.changes).toEqual([{ kind: 'store', key: 'k', stored: { siblings: [{ dot: { node: 'n1', counter: 3 }, value: null, deleted: true, timestamp: 5 }], context: { n1: 3, n2: 1, n3: 1 } } }]);
    c.pump();
    for (const id of THREE) expect(read(id)).toEqual({ kind: 'not-found', context: { n1: 3, n2: 1, n3: 1 } });
    // A delete without a context removes nothing it did not see.
    c.request('n2', putE('y', 'k', 'again'), 6);
    c.request('n2', { id: 'd2', op: 'delete', key: 'k', consistency: 'eventual' }, 7);
    expect(read('n2')).toEqual({ kind: 'value', values: ['again'], context: { n1: 3, n2: 3, n3: 1 } });
  });

  it('eventual reads and writes work on a leader and on a follower alike, and cas is refused', () => {
    const c = ledByN1();
    expect(c.request('n2', putE('e', 'k', 'v')).replies[0]).toEqual(reply('e', { kind: 'written', context: { n2: 1 } }));
    expect(c.request('n1', { id: 'c', op: 'cas', key: 'k', expected: null, value: 'v', consistency: 'eventual' } as unknown as ClientRequest)).toEqual({
      changes: [],
      messages: [],
      replies: [reply('c', { kind: 'unavailable', reason: 'not-ready', message: 'compare-and-set needs consistency=strong' })],
    });
  });

  it('gossip for a key this node does not replicate is ignored', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = new Cluster(five);
    const key = keyIn(five, 'n2+n3+n4');
    expect(c.send({ type: 'gossip', from: 'n2', to: 'n1', key, stored: put(empty<string>(), 'v', {}, 'n2', 1) })).toEqual(none);
    expect(c.node('n1').store).toEqual({});
  });
});

describe('anti-entropy', () => {
  it('every antiEntropyMs each node sends each fellow replica a digest per group; equal digests end there', () => {
    const c = new Cluster(THREE, { antiEntropyMs: 1000 });
    c.node('n1').groups[G]!.electionAt = 1e9;
    expect(c.tick('n1', 999)).toEqual(none);
    const fx = c.tick('n1', 1000);
    expect(fx.messages.map((m) => [m.type, m.to])).toEqual([['digest', 'n2'], ['digest', 'n3']]);
    expect(c.node('n1').antiEntropyAt).toBe(2000);
    expect(c.deliverOne(where({ to: 'n2' }))).toEqual(none);
    expect(c.tick('n1', 1999).messages).toEqual([]);
    expect(c.tick('n1', 2000).messages).toHaveLength(2);
  });

  it('the digest covers every key and value of the group, whatever order the keys were stored in, and no other group', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = new Cluster(five, { antiEntropyMs: 1000 });
    const G3 = 'n1+n2+n3';
    const [k1, k2] = [keyIn(five, G3), keyIn(five, G3, 1)];
    const elsewhere = keyIn(five, 'n1+n2+n4');
    const a = put(empty<string>(), 'a', {}, 'n1', 1);
    const b = put(empty<string>(), 'b', {}, 'n1', 1);
    const digestOf = (store: Record<string, typeof a>) => {
      c.node('n1').store = store;
      for (const g of Object.values(c.node('n1').groups)) g.electionAt = 1e9;
      c.node('n1').antiEntropyAt = 0;
      const m = c.tick('n1').messages.find((x) => x.type === 'digest' && x.group === G3 && x.to === 'n2');
      return m?.type === 'digest' ? m.digest : undefined;
    };
    const base = digestOf({ [k1]: a, [k2]: b });
    expect(digestOf({ [k2]: b, [k1]: a })).toBe(base);
    expect(digestOf({ [k1]: b, [k2]: a })).not.toBe(base);
    expect(digestOf({ [k1]: a, [k2]: a })).not.toBe(base);
    expect(digestOf({ [k1]: a, [k2]: b, [elsewhere]: a })).toBe(base);
    expect(digestOf({ [k1]: a })).not.toBe(base);
  });

  it('an exchange answers with this node\'s keys of that group only', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = new Cluster(five);
    const mine = keyIn(five, 'n1+n2+n3');
    const elsewhere = keyIn(five, 'n1+n2+n4');
    const v = put(empty<string>(), 'v', {}, 'n1', 1);
    c.node('n1').store = { [mine]: v, [elsewhere]: v };
    expect(c.send({ type: 'digest', from: 'n2', to: 'n1', group: 'n1+n2+n3', digest: 1 })!.messages).toEqual([
      { type: 'exchange', from: 'n1', to: 'n2', group: 'n1+n2+n3', data: { [mine]: v }, reply: true },
    ]);
  });

  it('a different digest starts an exchange both ways; both replicas end equal', () => {
    const c = new Cluster(THREE, { antiEntropyMs: 1000 });
    const a = put(empty<string>(), 'a', {}, 'n1', 1);
    const b = put(empty<string>(), 'b', {}, 'n2', 1);
    const b1 = put(empty<string>(), 'b-n1', {}, 'n1', 2);
    c.node('n1').store = { a, b: b1 };
    c.node('n2').store = { b };
    c.node('n1').groups[G]!.electionAt = 1e9;
    c.tick('n1', 1000);
    c.drop(where({ to: 'n3' }));
    const fx = c.deliverOne(where({ to: 'n2' }))!;
    expect(fx).toEqual({ changes: [], messages: [{ type: 'exchange', from: 'n2', to: 'n1', group: G, data: { b }, reply: true }], replies: [] });
    const fx2 = c.deliverOne(where({ to: 'n1' }))!;
    const merged = reconcile(b1, b);
    expect(fx2).toEqual({
      changes: [{ kind: 'store', key: 'b', stored: merged }],
      messages: [{ type: 'exchange', from: 'n1', to: 'n2', group: G, data: { a, b: merged }, reply: false }],
      replies: [],
    });
    expect(c.deliverOne(where({ to: 'n2' }))).toEqual({ changes: [{ kind: 'store', key: 'a', stored: a }, { kind: 'store', key: 'b', stored: reconcile(b, merged) }], messages: [], replies: [] });
    expect(c.node('n2').store).toEqual(c.node('n1').store);
    expect(c.queue).toEqual([]);
  });

  it('digests and exchanges of a group this node is not in, and exchanged keys of another group, are ignored', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = new Cluster(five);
    const mine = keyIn(five, 'n1+n2+n3');
    const theirs = keyIn(five, 'n2+n3+n4');
    const v = put(empty<string>(), 'v', {}, 'n2', 1);
    expect(c.send({ type: 'digest', from: 'n2', to: 'n1', group: 'n2+n3+n4', digest: 1 })).toEqual(none);
    expect(c.send({ type: 'exchange', from: 'n2', to: 'n1', group: 'n2+n3+n4', data: { [theirs]: v }, reply: true })).toEqual(none);
    expect(c.send({ type: 'exchange', from: 'n2', to: 'n1', group: 'n1+n2+n3', data: { [theirs]: v, [mine]: v }, reply: false })).toEqual({
      changes: [{ kind: 'store', key: mine, stored: v }],
      messages: [],
      replies: [],
    });
  });

  it('partitioned eventual writes on both sides converge after the partition heals (anti-entropy only)', () => {
    const c = new Cluster(THREE, { antiEntropyMs: 1000 });
    for (const id of THREE) c.node(id).groups[G]!.electionAt = 1e9;
    c.request('n1', { id: 'a', op: 'put', key: 'x', value: 'left', consistency: 'eventual' }, 10);
    c.request('n3', { id: 'b', op: 'put', key: 'x', value: 'right', consistency: 'eventual' }, 20);
    c.request('n3', { id: 'c', op: 'put', key: 'y', value: 'only-right', consistency: 'eventual' }, 30);
    c.drop(); // the partition ate the gossip
    for (const id of THREE) c.tick(id, 1000);
    c.pump();
    const stores = THREE.map((id) => c.node(id).store);
    expect(stores[1]).toEqual(stores[0]);
    expect(stores[2]).toEqual(stores[0]);
    expect(c.request('n2', { id: 'g', op: 'get', key: 'x', consistency: 'eventual' }).replies[0]!.outcome).toEqual({ kind: 'value', values: ['left', 'right'], context: { n1: 1, n3: 1 } });
    // Converged: the next round of digests starts no exchange.
    for (const id of THREE) c.tick(id, 2000);
    expect(c.pump()).toBe(6);
  });
});

describe('membership', () => {
  it('a membership change makes every leader step down, failing its requests at once; its pending writes become its copies', () => {
    const c = ledByN1();
    c.request('n1', putS('w', 'k1', '1')); // k1: n1,n2,n3 -> n2,n3,n4
    c.request('n1', putS('w2', 'k1', '2'));
    c.request('n1', getS('r', 'k7')); // k7 stays on n1
    c.drop();
    const fx = c.step('n1', { type: 'members', now: c.now, members: ['n1', 'n2', 'n3', 'n4'] });
    expect(fx).toEqual({
      changes: [
        { kind: 'pending', key: 'k1', write: null },
        { kind: 'strong', key: 'k1', value: sv(1, 1, '1') },
      ],
      messages: ['n2', 'n3', 'n4'].map((to) => ({ type: 'handoff', from: 'n1', to, data: {}, strong: { k1: sv(1, 1, '1') } })),
      replies: [
        reply('w', { kind: 'unknown', message: 'n1 stopped leading n1+n2+n3 before a majority confirmed the write; it may or may not have been applied' }, null, 1),
        reply('w2', { kind: 'unavailable', reason: 'stepped-down', message: 'n1 stopped leading n1+n2+n3 (a newer term, or no majority); nothing was changed, retry' }, null, 1),
        reply('r', { kind: 'unavailable', reason: 'stepped-down', message: 'n1 stopped leading n1+n2+n3 (a newer term, or no majority); nothing was changed, retry' }, null, 1),
      ],
    });
    expect(c.node('n1').inflight).toEqual([]);
    // n1+n2+n3 is still a group of the 4-node ring: the same object, now a follower, term kept.
    expect(c.node('n1').groups[G]).toMatchObject({ role: 'follower', term: 1, leader: null });
    expect(Object.keys(c.node('n1').groups).sort()).toEqual(['n1+n2+n3', 'n1+n2+n4', 'n1+n3+n4']);
    // A follower of a group that stays keeps following its leader, on the same election clock.
    const g2 = c.node('n2').groups[G]!;
    const electionAt = g2.electionAt;
    expect(c.step('n2', { type: 'members', now: c.now + 50, members: ['n1', 'n2', 'n3', 'n4'] })).toEqual(none);
    expect(c.node('n2').groups[G]).toBe(g2);
    expect(g2).toMatchObject({ role: 'follower', leader: 'n1', term: 1, electionAt });
  });

  it('a leader stepping down in one group keeps its pending writes of the other groups it leads', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = new Cluster(five);
    c.elect('n1', 'n1+n2+n3');
    c.elect('n1', 'n1+n4+n5');
    c.drop();
    const k1 = keyIn(five, 'n1+n2+n3');
    const k2 = keyIn(five, 'n1+n4+n5');
    c.request('n1', putS('a', k1, 'x'));
    c.request('n1', putS('b', k2, 'y'));
    c.drop();
    const term = c.node('n1').groups['n1+n2+n3']!.term;
    const fx = c.send({ type: 'stale', from: 'n2', to: 'n1', group: 'n1+n2+n3', term: term + 1 })!;
    expect(fx.changes).toEqual([
      { kind: 'term', group: 'n1+n2+n3', term: term + 1, votedFor: null },
      { kind: 'pending', key: k1, write: null },
      { kind: 'strong', key: k1, value: sv(term, 1, 'x') },
    ]);
    expect(Object.keys(c.node('n1').pending)).toEqual([k2]);
    expect(c.node('n1').strong).toEqual({ [k1]: sv(term, 1, 'x') });
  });

  it('groups are recomputed; terms of groups left are kept and come back when the group is rejoined', () => {
    const c = new Cluster(THREE);
    c.tick('n1', 1086); // a candidate in term 1
    c.drop();
    const n1 = c.node('n1');
    const fx = c.step('n1', { type: 'members', now: c.now, members: ['n1', 'n2', 'n4'] });
    expect(fx).toEqual(none); // it led nothing and holds nothing
    expect(Object.keys(n1.groups)).toEqual(['n1+n2+n4']);
    expect(n1.groups['n1+n2+n4']).toMatchObject({ term: 0, role: 'follower', leader: null, replicas: ['n1', 'n2', 'n4'] });
    expect(n1.terms[G]).toEqual({ term: 1, votedFor: 'n1' });
    expect(n1.members).toEqual(['n1', 'n2', 'n4']);
    const t = c.now + 10;
    c.step('n1', { type: 'members', now: t, members: ['n3', 'n2', 'n1'] });
    expect(n1.groups[G]).toMatchObject({ term: 1, votedFor: 'n1', role: 'follower', leader: null, electionAt: electionDeadline(config('n1'), G, 1, t) });
    // So it will not vote for another candidate of term 1.
    expect(c.send({ type: 'vote-request', from: 'n2', to: 'n1', group: G, term: 1 })!.messages[0]).toMatchObject({ granted: false });
  });

  it('keys that moved are handed off, eventual and strong, and deleted only after every new replica confirmed them', () => {
    const c = ledByN1();
    const four = ['n1', 'n2', 'n3', 'n4'];
    c.request('n1', { id: 'e', op: 'put', key: 'k1', value: 'v', consistency: 'eventual' }, c.now);
    c.request('n1', { id: 'e', op: 'put', key: 'k7', value: 'stays', consistency: 'eventual' });
    write(c, 's', 'k1', 'strong');
    write(c, 's', 'k7', 'strong-stays');
    const stored = c.node('n1').store.k1!;
    c.add('n4', four);
    for (const id of ['n2', 'n3']) c.step(id, { type: 'members', now: c.now, members: four });
    expect(c.queue).toEqual([]); // n2 and n3 still replicate k1 and k7
    const fx = c.step('n1', { type: 'members', now: c.now, members: four });
    expect(fx.messages).toEqual(['n2', 'n3', 'n4'].map((to) => ({ type: 'handoff', from: 'n1', to, data: { k1: stored }, strong: { k1: sv(1, 1, 'strong') } })));
    // n2 already has both: it confirms with its context and version, changing nothing.
    expect(c.deliverOne(where({ to: 'n2' }))).toEqual({
      changes: [],
      messages: [{ type: 'handoff-ok', from: 'n2', to: 'n1', contexts: { k1: { n1: 1 } }, versions: { k1: { term: 1, seq: 1 } } }],
      replies: [],
    });
    expect(c.deliverOne(where({ type: 'handoff-ok' }))).toEqual(none);
    expect(c.node('n1').handoffs).toEqual({ 'eventual:k1': ['n2'], 'strong:k1': ['n2'] });
    // n4 is new: it stores both, then confirms.
    expect(c.deliverOne(where({ to: 'n4' }))).toEqual({
      changes: [
        { kind: 'store', key: 'k1', stored },
        { kind: 'strong', key: 'k1', value: sv(1, 1, 'strong') },
      ],
      messages: [{ type: 'handoff-ok', from: 'n4', to: 'n1', contexts: { k1: { n1: 1 } }, versions: { k1: { term: 1, seq: 1 } } }],
      replies: [],
    });
    c.deliverOne(where({ type: 'handoff-ok' }));
    expect(c.node('n1').handoffs).toEqual({ 'eventual:k1': ['n2', 'n4'], 'strong:k1': ['n2', 'n4'] });
    // A repeated confirmation is counted once.
    c.send({ type: 'handoff-ok', from: 'n4', to: 'n1', contexts: { k1: { n1: 1 } }, versions: { k1: { term: 1, seq: 1 } } });
    expect(c.node('n1').handoffs).toEqual({ 'eventual:k1': ['n2', 'n4'], 'strong:k1': ['n2', 'n4'] });
    expect(c.node('n1').store.k1).toEqual(stored);
    c.deliverOne(where({ to: 'n3' }));
    expect(c.deliverOne(where({ type: 'handoff-ok' }))).toEqual({
      changes: [
        { kind: 'store', key: 'k1', stored: null },
        { kind: 'strong', key: 'k1', value: null },
      ],
      messages: [],
      replies: [],
    });
    expect(Object.keys(c.node('n1').store)).toEqual(['k7']);
    expect(Object.keys(c.node('n1').strong)).toEqual(['k7']);
    expect(c.node('n1').handoffs).toEqual({});
  });

  it('a confirmation older than the copy here, for a key still replicated here, or for a key not held, deletes nothing', () => {
    const c = new Cluster(THREE);
    const four = ['n1', 'n2', 'n3', 'n4'];
    c.request('n1', { id: 'e', op: 'put', key: 'k1', value: 'v', consistency: 'eventual' }, 5);
    c.request('n1', { id: 'e', op: 'put', key: 'k1', value: 'v2', consistency: 'eventual', context: { n1: 1 } }, 6);
    c.request('n1', { id: 'e', op: 'put', key: 'k7', value: 'v', consistency: 'eventual' }, 6);
    c.node('n1').strong = { k1: sv(2, 2, 's'), k7: sv(1, 1, 's') };
    c.drop();
    c.step('n1', { type: 'members', now: 10, members: four });
    c.drop();
    const ok = (from: string, contexts: Record<string, Record<string, number>>, versions: Record<string, { term: number; seq: number }> = {}) =>
      c.send({ type: 'handoff-ok', from, to: 'n1', contexts, versions });
    for (const from of ['n2', 'n3', 'n4']) {
      // n1 wrote k1 twice: a context that has seen only the first is behind; a concurrent one is not enough either.
      expect(ok(from, { k1: { n1: 1 } })).toEqual(none);
      expect(ok(from, { k1: { n1: 1, n9: 1 } })).toEqual(none);
      expect(ok(from, { k7: { n1: 1 }, gone: {} })).toEqual(none);
      // An older strong version is behind; keys still here or not held are not confirmed.
      expect(ok(from, {}, { k1: { term: 2, seq: 1 } })).toEqual(none);
      expect(ok(from, {}, { k1: { term: 1, seq: 9 } })).toEqual(none);
      expect(ok(from, {}, { k7: { term: 9, seq: 9 }, gone: { term: 9, seq: 9 } })).toEqual(none);
    }
    expect(c.node('n1').handoffs).toEqual({});
    expect(Object.keys(c.node('n1').store).sort()).toEqual(['k1', 'k7']);
    // A context that has seen more than n1's copy counts ('before'); so does an equal or newer version.
    ok('n2', { k1: { n1: 3 } }, { k1: { term: 2, seq: 2 } });
    ok('n3', { k1: { n1: 2 } }, { k1: { term: 3, seq: 1 } });
    expect(c.node('n1').handoffs).toEqual({ 'eventual:k1': ['n2', 'n3'], 'strong:k1': ['n2', 'n3'] });
    // Not from a replica: the list grows but never covers the replicas without n4.
    ok('n5', { k1: { n1: 2 } }, { k1: { term: 2, seq: 2 } });
    expect(c.node('n1').store.k1).toBeDefined();
    expect(c.node('n1').strong.k1).toBeDefined();
    expect(ok('n4', { k1: { n1: 2 } }, { k1: { term: 2, seq: 3 } })!.changes).toEqual([
      { kind: 'store', key: 'k1', stored: null },
      { kind: 'strong', key: 'k1', value: null },
    ]);
  });

  it('a node that does not replicate a handed-off key does not take it, and confirms nothing for it', () => {
    const c = new Cluster(THREE);
    const v = put(empty<string>(), 'v', {}, 'n9', 1);
    // Give n2 a ring of four, where k0 is on n4,n1,n3 and k1 on n2,n3,n4.
    c.step('n2', { type: 'members', now: 0, members: ['n1', 'n2', 'n3', 'n4'] });
    c.node('n2').strong.k1 = sv(5, 5, 'newer');
    expect(c.send({ type: 'handoff', from: 'n9', to: 'n2', data: { k0: v, k1: v }, strong: { k0: sv(1, 1, 'x'), k1: sv(1, 1, 'x') } })).toEqual({
      changes: [{ kind: 'store', key: 'k1', stored: v }],
      // It keeps its newer strong copy, and says which version it holds.
      messages: [{ type: 'handoff-ok', from: 'n2', to: 'n9', contexts: { k1: { n9: 1 } }, versions: { k1: { term: 5, seq: 5 } } }],
      replies: [],
    });
    expect(c.node('n2').strong).toEqual({ k1: sv(5, 5, 'newer') });
  });

  it('anti-entropy hands off again what is still not confirmed', () => {
    const c = new Cluster(THREE, { antiEntropyMs: 1000 });
    c.request('n1', { id: 'e', op: 'put', key: 'k1', value: 'v', consistency: 'eventual' }, 5);
    c.drop();
    c.step('n1', { type: 'members', now: 10, members: ['n1', 'n2', 'n3', 'n4'] });
    c.drop();
    for (const g of Object.values(c.node('n1').groups)) g.electionAt = 1e9;
    const fx = c.tick('n1', 1000);
    expect(fx.messages.filter((m) => m.type === 'handoff').map((m) => m.to)).toEqual(['n2', 'n3', 'n4']);
    expect(fx.messages.filter((m) => m.type === 'digest')).toHaveLength(6); // 3 groups of n1 in the 4-node ring, 2 peers each
  });

  it('a restarted node comes back with its groups, terms and data; a leader\'s pending writes as its copies', () => {
    const c = ledByN1();
    write(c, 'w', 'a', '1');
    c.request('n1', putS('w2', 'b', '2'));
    c.pump(where({ type: 'replicate' }));
    const saved = replay(c.log.n2!);
    const again = createNode(config('n2', c.over), THREE, saved, c.now);
    expect(again.store).toEqual(c.node('n2').store);
    expect(again.strong).toEqual({ a: sv(1, 1, '1'), b: sv(1, 2, '2') });
    expect(again.groups[G]).toMatchObject({ term: 1, votedFor: 'n1', role: 'follower', leader: null });
    const leader = createNode(config('n1', c.over), THREE, replay(c.log.n1!), c.now);
    expect(c.node('n1').pending).toEqual({ b: sv(1, 2, '2') });
    expect(leader.pending).toEqual({});
    expect(leader.strong).toEqual({ a: sv(1, 1, '1'), b: sv(1, 2, '2') });
    expect(leader.groups[G]).toMatchObject({ role: 'follower', term: 1, votedFor: 'n1' });
    expect(status(leader).pending).toBe(0);
  });
});

describe('a leader elected after a crash keeps every acknowledged write', () => {
  it('n1 acknowledges with n2 only and dies; n3 and n2 elect n3, which serves the write', () => {
    const c = ledByN1();
    c.request('n1', putS('w', 'k', 'acked'));
    c.drop(where({ to: 'n3' }));
    c.pump(where({ to: 'n2' }));
    c.pump(where({ type: 'replicate-ok' }));
    expect(c.replies.n1!.at(-1)!.outcome.kind).toBe('written');
    c.drop();
    delete c.nodes.n1; // n1 crashes
    expect(c.node('n3').strong).toEqual({});
    c.elect('n3', G);
    expect(c.node('n3').groups[G]).toMatchObject({ role: 'leader', term: 2, ready: true });
    c.request('n3', getS('r', 'k'));
    c.pump();
    expect(c.replies.n3).toEqual([reply('r', { kind: 'value', values: ['acked'], context: {}, version: { term: 1, seq: 1 } }, 'n3', 2)]);
    // The new leader's writes are newer than anything of term 1.
    c.request('n3', putS('w2', 'k', 'next'));
    c.pump();
    expect(c.node('n2').strong.k).toEqual(sv(2, 1, 'next'));
  });

  it('a write acknowledged after an earlier write of the key timed out survives the leader\'s crash', () => {
    const c = ledByN1();
    c.request('n1', putS('w1', 'k', 'a'));
    const held = c.take(where({ type: 'replicate' })); // delayed in the network
    const t0 = c.now;
    for (let t = t0 + 100; t <= t0 + 2000; t += 100) {
      c.tick('n1', t);
      c.pump(where({ type: 'heartbeat', to: 'n2' }));
      c.pump(where({ type: 'heartbeat-ok' }));
      c.drop(where({ type: 'heartbeat' }));
    }
    expect(c.replies.n1!.map((r) => [r.id, r.outcome.kind])).toEqual([['w1', 'unknown']]);
    c.request('n1', putS('w2', 'k', 'b'));
    c.drop(where({ type: 'replicate' })); // w2's own replicates are lost
    c.send(held.find((m) => m.to === 'n2')!); // the old replicate arrives late
    c.pump(where({ type: 'replicate-ok' }));
    expect(c.replies.n1!.at(-1)!.id).toBe('w1'); // the late ack of w1 is not one of w2
    expect(c.node('n1').inflight.map((f) => f.request.id)).toEqual(['w2']);
  });
});
