// One store node's core (examples/store/core/node.ts), driven by hand: groups, elections and the vote rule,
// the term fence, a new leader's merge and sync, stepping down, heartbeats, replay, status and nextWakeup.
// Requests (strong and eventual), anti-entropy and membership are in node-requests.test.ts.
import { describe, expect, it } from 'vitest';
import { createNode, electionDeadline, groupOf, majority, newer, nextWakeup, replay, ringGroups, status, step } from '../../examples/store/core/node.ts';
import { createRing } from '../../examples/store/core/ring.ts';
import { put, empty } from '../../examples/store/core/versions.ts';
import type { GroupState, PeerMessage, StrongValue } from '../../examples/store/core/types.ts';
import { Cluster, config, keyIn, where } from './node-harness.ts';

const THREE = ['n1', 'n2', 'n3'];
const G = 'n1+n2+n3';
const empty0: Record<string, StrongValue> = {}; // a voter's strong data for the group: nothing yet
const sv = (term: number, seq: number, value: string | null): StrongValue => ({ term, seq, value });

/** Three nodes, n1 elected leader of the one group, synced and ready, every message delivered. */
function ledByN1(): Cluster {
  const c = new Cluster(THREE);
  c.elect('n1', G);
  return c;
}

describe('groups and small rules', () => {
  it('majority: more than half of the replicas', () => {
    expect([1, 2, 3, 4, 5].map((n) => majority(Array.from({ length: n }, (_, i) => `n${i}`)))).toEqual([1, 2, 2, 3, 3]);
    expect(majority([])).toBe(1);
  });

  it('groupOf: the sorted replica set of a key, named by joining it with "+"', () => {
    const ring = createRing(['n1', 'n2', 'n3', 'n4', 'n5'], 8);
    expect(groupOf(ring, 'k0', 3)).toEqual({ id: 'n1+n4+n5', replicas: ['n1', 'n4', 'n5'] }); // preference list n5, ...
    expect(groupOf(ring, 'k0', 1)).toEqual({ id: 'n5', replicas: ['n5'] });
    expect(groupOf(createRing(['b', 'a'], 8), 'x', 3)).toEqual({ id: 'a+b', replicas: ['a', 'b'] });
  });

  it('ringGroups: one group per distinct replica set of the ring, and every key is in one of them', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const ring = createRing(five, 8);
    const groups = ringGroups(ring, 3);
    expect(Object.keys(groups).sort()).toEqual([
      'n1+n2+n3', 'n1+n2+n4', 'n1+n2+n5', 'n1+n3+n4', 'n1+n3+n5', 'n1+n4+n5', 'n2+n3+n4', 'n2+n3+n5', 'n2+n4+n5',
    ]);
    for (const [id, nodes] of Object.entries(groups)) expect(nodes.join('+')).toBe(id);
    for (let i = 0; i < 300; i++) expect(groups).toHaveProperty([groupOf(ring, `key${i}`, 3).id]);
    // Fewer nodes than replicas: one group of all of them. No nodes: no groups.
    expect(ringGroups(createRing(['n2', 'n1'], 8), 3)).toEqual({ 'n1+n2': ['n1', 'n2'] });
    expect(ringGroups(createRing(['n1'], 4), 3)).toEqual({ n1: ['n1'] });
    expect(ringGroups(createRing([], 4), 3)).toEqual({});
    expect(ringGroups(createRing(five, 8), 1)).toEqual({ n1: ['n1'], n2: ['n2'], n3: ['n3'], n4: ['n4'], n5: ['n5'] });
  });

  it('electionDeadline: between 1x and 2x the timeout after now, fixed per node, group and term', () => {
    const a = config('n1');
    expect(electionDeadline(a, G, 0, 0)).toBe(1086);
    expect(electionDeadline(a, G, 0, 500)).toBe(1586);
    expect(electionDeadline(config('n2'), G, 0, 0)).toBe(1408);
    expect(electionDeadline(a, G, 1, 0)).not.toBe(1086);
    expect(electionDeadline(a, 'n1+n2+n4', 0, 0)).not.toBe(1086);
    expect(electionDeadline(config('n1', { electionTimeoutMs: 10 }), G, 0, 0)).toBeLessThan(20);
    const seen = new Set<number>();
    for (let term = 0; term < 200; term++) {
      for (const id of ['n1', 'n2', 'n3']) {
        const at = electionDeadline(config(id), G, term, 7);
        expect(at).toBeGreaterThanOrEqual(1007);
        expect(at).toBeLessThan(2007);
        seen.add(at);
      }
    }
    expect(seen.size).toBeGreaterThan(400); // spread over the range, not one point
  });
});

describe('createNode', () => {
  it('starts as a follower of every group it is in, with terms and votes from disk', () => {
    const saved = {
      terms: { [G]: { term: 4, votedFor: 'n2' }, 'gone+n1': { term: 9, votedFor: null } },
      store: { k: put(empty<string>(), 'v', {}, 'n1', 1) },
      strong: { a: sv(2, 1, 'a'), b: sv(3, 1, 'b'), c: sv(1, 1, 'c') },
      // Writes it was leading when it stopped: now just its copies, where newer than what it holds.
      pending: { a: sv(2, 2, 'a2'), b: sv(2, 9, 'old'), d: sv(3, 3, 'd') },
    };
    const s = createNode(config('n1'), ['n3', 'n1', 'n2', 'n1'], saved, 50);
    expect(s.members).toEqual(THREE);
    expect(s.ring).toEqual(createRing(THREE, 8));
    expect(s.groups).toEqual({
      [G]: {
        id: G, replicas: THREE, term: 4, votedFor: 'n2', role: 'follower', leader: null,
        electionAt: electionDeadline(config('n1'), G, 4, 50), votes: {}, ready: false, synced: [], heardFrom: {}, round: 0, acked: {}, heartbeatAt: 0, seq: 0, unconfirmed: {},
      } satisfies GroupState,
    });
    expect(s.terms).toEqual(saved.terms);
    expect(s.store).toEqual(saved.store);
    expect(s.store).not.toBe(saved.store); // a copy: stepping the node does not change what was loaded
    expect(s.strong).toEqual({ a: sv(2, 2, 'a2'), b: sv(3, 1, 'b'), c: sv(1, 1, 'c'), d: sv(3, 3, 'd') });
    expect(saved.strong).toEqual({ a: sv(2, 1, 'a'), b: sv(3, 1, 'b'), c: sv(1, 1, 'c') }); // not changed
    expect(s.pending).toEqual({});
    expect(s.inflight).toEqual([]);
    expect(s.handoffs).toEqual({});
    expect(s.antiEntropyAt).toBe(1050);
    expect(s.now).toBe(50);
    const fresh = createNode(config('n2'), THREE, undefined, 0);
    expect(fresh.groups[G]!.term).toBe(0);
    expect(fresh.groups[G]!.votedFor).toBe(null);
    expect(fresh.groups[G]!.electionAt).toBe(1408);
    expect({ store: fresh.store, strong: fresh.strong, pending: fresh.pending, terms: fresh.terms }).toEqual({ store: {}, strong: {}, pending: {}, terms: {} });
  });

  it('is in only the groups that include it', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const s = createNode(config('n3'), five, undefined, 0);
    expect(Object.keys(s.groups).sort()).toEqual(['n1+n2+n3', 'n1+n3+n4', 'n1+n3+n5', 'n2+n3+n4', 'n2+n3+n5']);
    expect(createNode(config('n9'), five, undefined, 0).groups).toEqual({});
  });
});

describe('election', () => {
  it('a follower that hears nothing until its deadline becomes candidate: term+1, votes for itself, persisted, asks the others', () => {
    const c = new Cluster(THREE);
    expect(c.tick('n1', 1085)).toEqual({ changes: [], messages: [], replies: [] });
    const fx = c.tick('n1', 1086);
    expect(fx).toEqual({
      changes: [{ kind: 'term', group: G, term: 1, votedFor: 'n1' }],
      messages: [
        { type: 'vote-request', from: 'n1', to: 'n2', group: G, term: 1 },
        { type: 'vote-request', from: 'n1', to: 'n3', group: G, term: 1 },
      ],
      replies: [],
    });
    const g = c.node('n1').groups[G]!;
    expect(g).toMatchObject({ role: 'candidate', term: 1, votedFor: 'n1', leader: null, electionAt: electionDeadline(config('n1'), G, 1, 1086) });
    expect(g.votes).toEqual({ n1: empty0 });
    expect(c.node('n1').terms).toEqual({ [G]: { term: 1, votedFor: 'n1' } });
  });

  it('a voter adopts the newer term, grants its one vote (persisted before the answer) and sends its data', () => {
    const c = new Cluster(THREE);
    c.tick('n1', 1086);
    const fx = c.deliverOne(where({ to: 'n2' }), 1100)!;
    expect(fx).toEqual({
      changes: [
        { kind: 'term', group: G, term: 1, votedFor: null },
        { kind: 'term', group: G, term: 1, votedFor: 'n1' },
      ],
      messages: [{ type: 'vote', from: 'n2', to: 'n1', group: G, term: 1, granted: true, data: empty0 }],
      replies: [],
    });
    expect(c.node('n2').groups[G]).toMatchObject({ term: 1, votedFor: 'n1', role: 'follower', leader: null, electionAt: electionDeadline(config('n2'), G, 1, 1100) });
    expect(c.node('n2').terms[G]).toEqual({ term: 1, votedFor: 'n1' });
    // The same candidate asking again (a retransmission) gets the vote again, without a new term change of its own kind.
    expect(c.send({ type: 'vote-request', from: 'n1', to: 'n2', group: G, term: 1 }, 1200)).toEqual({
      changes: [{ kind: 'term', group: G, term: 1, votedFor: 'n1' }],
      messages: [{ type: 'vote', from: 'n2', to: 'n1', group: G, term: 1, granted: true, data: empty0 }],
      replies: [],
    });
    expect(c.node('n2').groups[G]!.electionAt).toBe(electionDeadline(config('n2'), G, 1, 1200));
    // Another candidate in the same term is refused, and the refusal carries no data and changes nothing.
    const before = c.node('n2').groups[G]!.electionAt;
    expect(c.send({ type: 'vote-request', from: 'n3', to: 'n2', group: G, term: 1 }, 1300)).toEqual({
      changes: [],
      messages: [{ type: 'vote', from: 'n2', to: 'n3', group: G, term: 1, granted: false, data: null }],
      replies: [],
    });
    expect(c.node('n2').groups[G]!.electionAt).toBe(before);
    expect(c.node('n2').groups[G]!.votedFor).toBe('n1');
  });

  it('a vote is remembered across a restart: the restarted voter refuses another candidate of that term', () => {
    const c = new Cluster(THREE);
    c.tick('n1', 1086);
    c.deliverOne(where({ to: 'n2' }));
    c.add('n2', THREE, replay(c.log.n2!));
    expect(c.send({ type: 'vote-request', from: 'n3', to: 'n2', group: G, term: 1 })!.messages).toEqual([
      { type: 'vote', from: 'n2', to: 'n3', group: G, term: 1, granted: false, data: null },
    ]);
  });

  it('a candidate refuses other candidates of its term; a leader refuses every vote request of its term', () => {
    const c = new Cluster(THREE);
    c.tick('n1', 1086);
    c.tick('n2', 1408); // n2 missed n1's request: both are candidates in term 1
    expect(c.send({ type: 'vote-request', from: 'n2', to: 'n1', group: G, term: 1 })!.messages).toEqual([
      { type: 'vote', from: 'n1', to: 'n2', group: G, term: 1, granted: false, data: null },
    ]);
    const l = ledByN1();
    expect(l.node('n1').groups[G]!.votedFor).toBe('n1');
    l.node('n1').groups[G]!.votedFor = null; // even if it had no vote on record, a leader does not vote
    expect(l.send({ type: 'vote-request', from: 'n2', to: 'n1', group: G, term: 1 })!.messages).toEqual([
      { type: 'vote', from: 'n1', to: 'n2', group: G, term: 1, granted: false, data: null },
    ]);
  });

  it('the candidate wins with a majority: it leads, syncs its (merged) data and sends the first heartbeats', () => {
    const c = new Cluster(THREE);
    c.tick('n1', 1086);
    c.deliverOne(where({ to: 'n2' }), 1100);
    c.drop(where({ to: 'n3' }));
    const fx = c.deliverOne(where({ type: 'vote' }), 1110)!;
    expect(fx).toEqual({
      changes: [],
      messages: [
        { type: 'sync', from: 'n1', to: 'n2', group: G, term: 1, data: {} },
        { type: 'heartbeat', from: 'n1', to: 'n2', group: G, term: 1, round: 1 },
        { type: 'sync', from: 'n1', to: 'n3', group: G, term: 1, data: {} },
        { type: 'heartbeat', from: 'n1', to: 'n3', group: G, term: 1, round: 1 },
      ],
      replies: [],
    });
    const g = c.node('n1').groups[G]!;
    expect(g).toMatchObject({ role: 'leader', leader: 'n1', ready: false, synced: [], round: 1, acked: {}, votes: {}, heartbeatAt: 1210 });
    expect(g.heardFrom).toEqual({ n2: 1110, n3: 1110 });
    // Late (or duplicated) votes of the same term change nothing: no second election win, no new sync.
    expect(c.send({ type: 'vote', from: 'n3', to: 'n1', group: G, term: 1, granted: true, data: empty0 })).toEqual({ changes: [], messages: [], replies: [] });
    expect(c.send({ type: 'vote', from: 'n2', to: 'n1', group: G, term: 1, granted: true, data: empty0 })).toEqual({ changes: [], messages: [], replies: [] });
    expect(g.votes).toEqual({});
    expect(g.round).toBe(1);
  });

  it('refused votes and votes without data do not count', () => {
    const c = new Cluster(THREE);
    c.tick('n1', 1086);
    c.drop();
    expect(c.send({ type: 'vote', from: 'n2', to: 'n1', group: G, term: 1, granted: false, data: null })).toEqual({ changes: [], messages: [], replies: [] });
    expect(c.send({ type: 'vote', from: 'n2', to: 'n1', group: G, term: 1, granted: false, data: empty0 })).toEqual({ changes: [], messages: [], replies: [] });
    expect(c.send({ type: 'vote', from: 'n2', to: 'n1', group: G, term: 1, granted: true, data: null })).toEqual({ changes: [], messages: [], replies: [] });
    expect(c.node('n1').groups[G]!.role).toBe('candidate');
    expect(c.node('n1').groups[G]!.votes).toEqual({ n1: empty0 });
    // A follower ignores votes, however many.
    expect(c.send({ type: 'vote', from: 'n1', to: 'n3', group: G, term: 0, granted: true, data: empty0 })).toEqual({ changes: [], messages: [], replies: [] });
    expect(c.send({ type: 'vote', from: 'n2', to: 'n3', group: G, term: 0, granted: true, data: empty0 })).toEqual({ changes: [], messages: [], replies: [] });
    expect(c.node('n3').groups[G]!.role).toBe('follower');
    expect(c.node('n3').groups[G]!.votes).toEqual({});
  });

  it('a candidate without a majority tries again at its next deadline, one term higher', () => {
    const c = new Cluster(THREE);
    c.tick('n1', 1086);
    c.drop();
    const again = electionDeadline(config('n1'), G, 1, 1086);
    expect(c.tick('n1', again - 1).messages).toEqual([]);
    expect(c.tick('n1', again)).toEqual({
      changes: [{ kind: 'term', group: G, term: 2, votedFor: 'n1' }],
      messages: [
        { type: 'vote-request', from: 'n1', to: 'n2', group: G, term: 2 },
        { type: 'vote-request', from: 'n1', to: 'n3', group: G, term: 2 },
      ],
      replies: [],
    });
  });

  it('a single-node group elects itself at once and is ready at once', () => {
    const c = new Cluster(['n1']);
    const fx = c.tick('n1', 5000);
    expect(fx).toEqual({ changes: [{ kind: 'term', group: 'n1', term: 1, votedFor: 'n1' }], messages: [], replies: [] });
    expect(c.node('n1').groups.n1).toMatchObject({ role: 'leader', leader: 'n1', ready: true, round: 1, heartbeatAt: 5100, heardFrom: {} });
    // It never loses a majority of itself, and keeps its heartbeat clock running.
    expect(c.tick('n1', 99_000)).toEqual({ changes: [], messages: [], replies: [] });
    expect(c.node('n1').groups.n1).toMatchObject({ role: 'leader', round: 2, heartbeatAt: 99_100 });
  });

  it('the new leader takes, key by key, the highest version among its voters and syncs the result', () => {
    const c = new Cluster(THREE);
    c.node('n1').strong = { x: sv(0, 1, 'old'), y: sv(1, 5, 'mine'), z: sv(2, 1, 'z') };
    c.node('n2').strong = { x: sv(1, 2, 'newer'), y: sv(1, 4, 'older'), w: sv(0, 1, 'w'), z: sv(2, 1, 'z') };
    c.tick('n1', 1086);
    expect(c.node('n1').groups[G]!.votes).toEqual({ n1: c.node('n1').strong });
    const vote = c.deliverOne(where({ to: 'n2' }))!;
    // The candidate's term goes above every version it holds (z was written in term 2): 3.
    expect(vote.messages).toEqual([{ type: 'vote', from: 'n2', to: 'n1', group: G, term: 3, granted: true, data: c.node('n2').strong }]);
    const fx = c.deliverOne(where({ type: 'vote' }))!;
    expect(fx.changes).toEqual([
      { kind: 'strong', key: 'x', value: sv(1, 2, 'newer') },
      { kind: 'strong', key: 'w', value: sv(0, 1, 'w') },
    ]);
    const merged = { x: sv(1, 2, 'newer'), y: sv(1, 5, 'mine'), z: sv(2, 1, 'z'), w: sv(0, 1, 'w') };
    expect(c.node('n1').strong).toEqual(merged);
    expect(fx.messages.filter((m) => m.type === 'sync')).toEqual([
      { type: 'sync', from: 'n1', to: 'n2', group: G, term: 3, data: merged },
      { type: 'sync', from: 'n1', to: 'n3', group: G, term: 3, data: merged },
    ]);
    expect(c.node('n1').groups[G]).toMatchObject({ seq: 0, unconfirmed: {} });
  });

  it('newer: the higher term, then the higher sequence number; anything is newer than nothing', () => {
    expect(newer(sv(1, 1, 'a'), undefined)).toBe(true);
    expect(newer(sv(2, 1, 'a'), sv(1, 9, 'b'))).toBe(true);
    expect(newer(sv(1, 9, 'a'), sv(2, 1, 'b'))).toBe(false);
    expect(newer(sv(1, 2, 'a'), sv(1, 1, 'b'))).toBe(true);
    expect(newer(sv(1, 1, 'a'), sv(1, 2, 'b'))).toBe(false);
    expect(newer(sv(1, 1, 'a'), sv(1, 1, 'b'))).toBe(false);
    expect(newer({ term: 0, seq: 0 }, { term: 0, seq: 0 })).toBe(false);
  });

  it('a follower takes the sync: keeps each newer copy, leaves its own newer ones, answers sync-ok', () => {
    const c = new Cluster(THREE);
    c.node('n3').strong = { p: sv(1, 1, 'p-old'), q: sv(2, 3, 'q-mine') };
    c.node('n3').groups[G]!.term = 2;
    const fx = c.send({ type: 'sync', from: 'n1', to: 'n3', group: G, term: 2, data: { p: sv(2, 1, 'p'), q: sv(2, 2, 'q'), y: sv(1, 1, 'y') } }, 300)!;
    expect(fx).toEqual({
      changes: [
        { kind: 'strong', key: 'p', value: sv(2, 1, 'p') },
        { kind: 'strong', key: 'y', value: sv(1, 1, 'y') },
      ],
      messages: [{ type: 'sync-ok', from: 'n3', to: 'n1', group: G, term: 2 }],
      replies: [],
    });
    expect(c.node('n3').strong).toEqual({ p: sv(2, 1, 'p'), q: sv(2, 3, 'q-mine'), y: sv(1, 1, 'y') });
    expect(c.node('n3').groups[G]).toMatchObject({ role: 'follower', leader: 'n1', electionAt: electionDeadline(config('n3'), G, 2, 300) });
    // The same sync again changes nothing on disk.
    expect(c.send({ type: 'sync', from: 'n1', to: 'n3', group: G, term: 2, data: { y: sv(1, 1, 'y') } })!.changes).toEqual([]);
  });

  it('a voter hands over only the group\'s strong data (its own pending writes where newer); the sync holds only the group\'s keys', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = new Cluster(five);
    const G3 = 'n1+n2+n3';
    const mine = keyIn(five, G3);
    const mine2 = keyIn(five, G3, 1);
    const other = keyIn(five, 'n1+n2+n4');
    for (const id of ['n1', 'n2']) c.node(id).strong = { [mine]: sv(0, 1, 'v'), [other]: sv(0, 1, 'v') };
    c.node('n2').pending = { [mine]: sv(0, 2, 'p'), [mine2]: sv(0, 1, 'p2'), [other]: sv(0, 2, 'p') };
    c.tick('n1', c.node('n1').groups[G3]!.electionAt);
    expect(c.node('n1').groups[G3]!.votes).toEqual({ n1: { [mine]: sv(0, 1, 'v') } });
    c.drop((m) => m.type !== 'vote-request' || m.group !== G3 || m.to !== 'n2');
    const fx = c.deliverOne()!;
    expect(fx.messages).toEqual([{ type: 'vote', from: 'n2', to: 'n1', group: G3, term: 1, granted: true, data: { [mine]: sv(0, 2, 'p'), [mine2]: sv(0, 1, 'p2') } }]);
    // A pending write older than the copy is not handed over.
    c.node('n2').pending[mine] = sv(0, 0, 'older');
    expect(c.send({ type: 'vote-request', from: 'n1', to: 'n2', group: G3, term: 1 })!.messages[0]).toMatchObject({ data: { [mine]: sv(0, 1, 'v'), [mine2]: sv(0, 1, 'p2') } });
    c.drop();
    const won = c.send({ type: 'vote', from: 'n2', to: 'n1', group: G3, term: 1, granted: true, data: { [mine2]: sv(0, 1, 'p2') } })!;
    expect(won.changes).toEqual([{ kind: 'strong', key: mine2, value: sv(0, 1, 'p2') }]);
    expect(won.messages.filter((m) => m.type === 'sync').map((m) => m.type === 'sync' && Object.keys(m.data).sort())).toEqual([[mine, mine2].sort(), [mine, mine2].sort()]);
  });

  it('a sync ignores keys of other groups', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = new Cluster(five);
    const other = keyIn(five, 'n1+n3+n4');
    const fx = c.send({ type: 'sync', from: 'n1', to: 'n3', group: 'n1+n2+n3', term: 1, data: { [other]: sv(1, 1, 'x') } })!;
    expect(fx.changes).toEqual([{ kind: 'term', group: 'n1+n2+n3', term: 1, votedFor: null }]);
    expect(c.node('n3').strong).toEqual({});
  });

  it('ready only after a majority (the leader and one follower) confirmed the sync; then syncs stop for the synced', () => {
    const c = new Cluster(THREE);
    c.tick('n1', 1086);
    c.pump(where({ type: 'vote-request' }));
    c.deliverOne(where({ type: 'vote', from: 'n2' }), 1100);
    c.drop(where({ type: 'vote' }));
    const g = c.node('n1').groups[G]!;
    expect(g.ready).toBe(false);
    // Still not ready after a heartbeat answer: only a sync-ok counts.
    c.pump(where({ to: 'n2', type: 'heartbeat' }));
    c.pump(where({ type: 'heartbeat-ok' }));
    expect(g.ready).toBe(false);
    c.deliverOne(where({ to: 'n2', type: 'sync' }), 1150);
    expect(c.deliverOne(where({ type: 'sync-ok' }), 1160)).toEqual({ changes: [], messages: [], replies: [] });
    expect(g.ready).toBe(true);
    expect(g.synced).toEqual(['n2']);
    expect(g.heardFrom.n2).toBe(1160);
    // A duplicate sync-ok is counted once.
    c.send({ type: 'sync-ok', from: 'n2', to: 'n1', group: G, term: 1 });
    expect(g.synced).toEqual(['n2']);
    c.drop();
    // The next heartbeats: n3 still gets the sync, n2 does not.
    expect(c.tick('n1', 1210).messages).toEqual([
      { type: 'heartbeat', from: 'n1', to: 'n2', group: G, term: 1, round: 2 },
      { type: 'sync', from: 'n1', to: 'n3', group: G, term: 1, data: {} },
      { type: 'heartbeat', from: 'n1', to: 'n3', group: G, term: 1, round: 2 },
    ]);
    c.send({ type: 'sync-ok', from: 'n3', to: 'n1', group: G, term: 1 });
    expect(g.synced).toEqual(['n2', 'n3']);
    c.drop();
    expect(c.tick('n1', 1310).messages).toEqual([
      { type: 'heartbeat', from: 'n1', to: 'n2', group: G, term: 1, round: 3 },
      { type: 'heartbeat', from: 'n1', to: 'n3', group: G, term: 1, round: 3 },
    ]);
    // A follower ignores a sync-ok.
    expect(c.send({ type: 'sync-ok', from: 'n1', to: 'n2', group: G, term: 1 })).toEqual({ changes: [], messages: [], replies: [] });
    expect(c.node('n2').groups[G]!.synced).toEqual([]);
  });

  it('with five replicas the leader needs three votes and two sync-oks', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = new Cluster(five, { replicas: 5 });
    const G5 = five.join('+');
    c.tick('n1', c.node('n1').groups[G5]!.electionAt);
    expect(c.take(where({ type: 'vote-request' })).map((m) => m.to)).toEqual(['n2', 'n3', 'n4', 'n5']);
    const vote = (from: string): PeerMessage => ({ type: 'vote', from, to: 'n1', group: G5, term: 1, granted: true, data: empty0 });
    c.send(vote('n2'));
    expect(c.node('n1').groups[G5]!.role).toBe('candidate');
    c.send(vote('n3'));
    const g = c.node('n1').groups[G5]!;
    expect(g.role).toBe('leader');
    c.send({ type: 'sync-ok', from: 'n2', to: 'n1', group: G5, term: 1 });
    expect(g.ready).toBe(false);
    c.send({ type: 'sync-ok', from: 'n4', to: 'n1', group: G5, term: 1 });
    expect(g.ready).toBe(true);
  });
});

describe('heartbeats', () => {
  it('a follower answers a heartbeat, follows its sender and puts off its election', () => {
    const c = new Cluster(THREE);
    c.send({ type: 'heartbeat', from: 'n1', to: 'n2', group: G, term: 0, round: 7 }, 500);
    expect(c.queue).toEqual([{ type: 'heartbeat-ok', from: 'n2', to: 'n1', group: G, term: 0, round: 7 }]);
    expect(c.node('n2').groups[G]).toMatchObject({ leader: 'n1', role: 'follower', electionAt: electionDeadline(config('n2'), G, 0, 500) });
    // A candidate of the leader's term hearing the leader becomes its follower.
    c.tick('n3', 1595);
    expect(c.node('n3').groups[G]!.role).toBe('candidate');
    c.send({ type: 'heartbeat', from: 'n1', to: 'n3', group: G, term: 1, round: 1 }, 1600);
    expect(c.node('n3').groups[G]).toMatchObject({ role: 'follower', leader: 'n1', votes: {}, ready: false, electionAt: electionDeadline(config('n3'), G, 1, 1600) });
    // A follower switching leaders (after an election it learned of by heartbeat) follows the new one.
    c.send({ type: 'heartbeat', from: 'n3', to: 'n2', group: G, term: 0, round: 1 }, 1700);
    expect(c.node('n2').groups[G]!.leader).toBe('n3');
  });

  it('heartbeat-ok: the leader records the round and when it heard from the follower; a follower ignores it', () => {
    const c = ledByN1();
    const g = c.node('n1').groups[G]!;
    const at = c.now;
    expect(g.acked).toEqual({ n2: 1, n3: 1 });
    c.send({ type: 'heartbeat-ok', from: 'n2', to: 'n1', group: G, term: 1, round: 9 }, at + 50);
    c.send({ type: 'heartbeat-ok', from: 'n2', to: 'n1', group: G, term: 1, round: 4 }, at + 60); // late: no going back
    expect(g.acked).toEqual({ n2: 9, n3: 1 });
    expect(g.heardFrom).toEqual({ n2: at + 60, n3: at });
    expect(c.send({ type: 'heartbeat-ok', from: 'n1', to: 'n2', group: G, term: 1, round: 1 })).toEqual({ changes: [], messages: [], replies: [] });
    expect(c.node('n2').groups[G]!.acked).toEqual({});
    expect(c.node('n2').groups[G]!.heardFrom).toEqual({});
  });

  it('a leader sends heartbeats every heartbeatMs, not before', () => {
    const c = ledByN1();
    const g = c.node('n1').groups[G]!;
    const due = g.heartbeatAt;
    expect(c.tick('n1', due - 1).messages).toEqual([]);
    expect(c.tick('n1', due).messages).toEqual([
      { type: 'heartbeat', from: 'n1', to: 'n2', group: G, term: 1, round: 2 },
      { type: 'heartbeat', from: 'n1', to: 'n3', group: G, term: 1, round: 2 },
    ]);
    expect(g.heartbeatAt).toBe(due + 100);
  });

  it('a leader that has heard from no majority for an election timeout steps down', () => {
    const c = ledByN1();
    const g = c.node('n1').groups[G]!;
    const t = c.now;
    c.drop();
    // Heard from n2 recently enough: still leading (n3's silence alone does not matter).
    c.send({ type: 'heartbeat-ok', from: 'n2', to: 'n1', group: G, term: 1, round: 1 }, t + 500);
    c.tick('n1', t + 1499);
    expect(g.role).toBe('leader');
    c.drop();
    expect(c.tick('n1', t + 1500)).toEqual({ changes: [], messages: [], replies: [] });
    expect(g).toMatchObject({ role: 'follower', leader: null, ready: false, term: 1, electionAt: electionDeadline(config('n1'), G, 1, t + 1500) });
  });

  it('heartbeat-ok, sync-ok and replicate-ok all count as hearing from a follower', () => {
    for (const m of [
      { type: 'heartbeat-ok', round: 1 },
      { type: 'sync-ok' },
      { type: 'replicate-ok', key: 'k', seq: 1 },
    ]) {
      const c = ledByN1();
      const t = c.now;
      c.send({ from: 'n3', to: 'n1', group: G, term: 1, ...m } as PeerMessage, t + 999);
      c.tick('n1', t + 1998);
      expect(c.node('n1').groups[G]!.role).toBe('leader');
      c.tick('n1', t + 1999);
      expect(c.node('n1').groups[G]!.role).toBe('follower');
    }
  });
});

describe('the fence: terms', () => {
  it('a message of an older term that asks something is refused with stale and the newer term; answers are dropped silently', () => {
    const c = new Cluster(THREE);
    c.node('n2').groups[G]!.term = 5;
    const base = { from: 'n1', to: 'n2', group: G, term: 4 } as const;
    const stale = [{ type: 'stale', from: 'n2', to: 'n1', group: G, term: 5 }];
    const w = sv(4, 1, 'v');
    for (const m of [
      { ...base, type: 'heartbeat', round: 1 },
      { ...base, type: 'vote-request' },
      { ...base, type: 'sync', data: { k: w } },
      { ...base, type: 'replicate', key: 'k', write: w },
    ] as PeerMessage[]) {
      expect(c.send(m), m.type).toEqual({ changes: [], messages: stale, replies: [] });
    }
    for (const m of [
      { ...base, type: 'heartbeat-ok', round: 1 },
      { ...base, type: 'vote', granted: true, data: empty0 },
      { ...base, type: 'sync-ok' },
      { ...base, type: 'replicate-ok', key: 'k', seq: 1 },
      { ...base, type: 'stale' },
    ] as PeerMessage[]) {
      expect(c.send(m), m.type).toEqual({ changes: [], messages: [], replies: [] });
    }
    expect(c.node('n2').groups[G]).toMatchObject({ term: 5, leader: null, role: 'follower' });
    expect(c.node('n2').strong).toEqual({});
  });

  it('a newer term is adopted (vote cleared, persisted) and a candidate becomes a follower', () => {
    const c = new Cluster(THREE);
    c.tick('n1', 1086);
    c.drop();
    expect(c.send({ type: 'stale', from: 'n2', to: 'n1', group: G, term: 3 }, 1090)).toEqual({
      changes: [{ kind: 'term', group: G, term: 3, votedFor: null }],
      messages: [],
      replies: [],
    });
    expect(c.node('n1').groups[G]).toMatchObject({ term: 3, votedFor: null, role: 'follower', leader: null, votes: {}, electionAt: electionDeadline(config('n1'), G, 3, 1090) });
    expect(c.node('n1').terms[G]).toEqual({ term: 3, votedFor: null });
    // A vote of a newer term (refused) turns a candidate into a follower too.
    c.tick('n1', c.node('n1').groups[G]!.electionAt);
    expect(c.node('n1').groups[G]!.term).toBe(4);
    c.send({ type: 'vote', from: 'n3', to: 'n1', group: G, term: 6, granted: false, data: null });
    expect(c.node('n1').groups[G]).toMatchObject({ term: 6, role: 'follower', votedFor: null });
  });

  it('a deposed leader steps down on a newer term and fails its in-flight requests with the exact outcomes', () => {
    const c = ledByN1();
    const t = c.now;
    c.request('n1', { id: 'w', op: 'put', key: 'a', value: '1', consistency: 'strong' });
    c.request('n1', { id: 'w2', op: 'put', key: 'a', value: '2', consistency: 'strong' }); // waits behind w
    c.request('n1', { id: 'r', op: 'get', key: 'b', consistency: 'strong' });
    c.drop();
    const fx = c.send({ type: 'heartbeat', from: 'n2', to: 'n1', group: G, term: 2, round: 1 }, t + 10)!;
    expect(fx).toEqual({
      changes: [
        { kind: 'term', group: G, term: 2, votedFor: null },
        // The write it had sent is now only its own copy, as a follower holds one (it may have been applied).
        { kind: 'pending', key: 'a', write: null },
        { kind: 'strong', key: 'a', value: sv(1, 1, '1') },
      ],
      messages: [{ type: 'heartbeat-ok', from: 'n1', to: 'n2', group: G, term: 2, round: 1 }],
      replies: [
        { id: 'w', outcome: { kind: 'unknown', message: 'n1 stopped leading n1+n2+n3 before a majority confirmed the write; it may or may not have been applied' }, group: G, leader: null, term: 2 },
        { id: 'w2', outcome: { kind: 'unavailable', reason: 'stepped-down', message: 'n1 stopped leading n1+n2+n3 (a newer term, or no majority); nothing was changed, retry' }, group: G, leader: null, term: 2 },
        { id: 'r', outcome: { kind: 'unavailable', reason: 'stepped-down', message: 'n1 stopped leading n1+n2+n3 (a newer term, or no majority); nothing was changed, retry' }, group: G, leader: null, term: 2 },
      ],
    });
    expect(c.node('n1').inflight).toEqual([]);
    expect(c.node('n1').groups[G]).toMatchObject({ role: 'follower', leader: 'n2', term: 2 });
    expect(c.node('n1').pending).toEqual({});
    expect(c.node('n1').strong).toEqual({ a: sv(1, 1, '1') });
  });

  it('stepping down for lost majority fails only that group\'s requests', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = new Cluster(five);
    c.elect('n1', 'n1+n2+n3');
    c.elect('n1', 'n1+n4+n5');
    const k1 = keyIn(five, 'n1+n2+n3');
    const k2 = keyIn(five, 'n1+n4+n5');
    const t = c.now;
    c.request('n1', { id: 'a', op: 'put', key: k1, value: 'x', consistency: 'strong' });
    c.request('n1', { id: 'b', op: 'put', key: k2, value: 'y', consistency: 'strong' });
    c.drop();
    c.send({ type: 'heartbeat-ok', from: 'n4', to: 'n1', group: 'n1+n4+n5', term: 1, round: 1 }, t + 900);
    const fx = c.tick('n1', t + 1000);
    expect(fx.replies).toEqual([
      { id: 'a', outcome: { kind: 'unknown', message: 'n1 stopped leading n1+n2+n3 before a majority confirmed the write; it may or may not have been applied' }, group: 'n1+n2+n3', leader: null, term: 1 },
    ]);
    expect(c.node('n1').inflight.map((f) => f.request.id)).toEqual(['b']);
    expect(c.node('n1').groups['n1+n4+n5']!.role).toBe('leader');
  });

  it('messages of groups the node is not in, from nodes outside the group, or to another node, are ignored', () => {
    const c = new Cluster(THREE);
    const none = { changes: [], messages: [], replies: [] };
    expect(c.send({ type: 'heartbeat', from: 'n1', to: 'n2', group: 'n1+n2+n9', term: 9, round: 1 })).toEqual(none);
    expect(c.send({ type: 'heartbeat', from: 'n9', to: 'n2', group: G, term: 9, round: 1 })).toEqual(none);
    expect(step(c.node('n2'), { type: 'message', now: 0, message: { type: 'heartbeat', from: 'n1', to: 'n3', group: G, term: 9, round: 1 } })).toEqual(none);
    expect(c.node('n2').groups[G]).toMatchObject({ term: 0, leader: null });
  });
});

describe('replay, status, nextWakeup', () => {
  it('replay folds changes in order: the last term per group, stores and pending writes set and deleted', () => {
    const v = put(empty<string>(), 'v', {}, 'n1', 1);
    const w = sv(1, 1, 'w');
    expect(replay([])).toEqual({ terms: {}, store: {}, strong: {}, pending: {} });
    expect(
      replay([
        { kind: 'term', group: 'g', term: 1, votedFor: 'n1' },
        { kind: 'term', group: 'h', term: 4, votedFor: null },
        { kind: 'term', group: 'g', term: 2, votedFor: null },
        { kind: 'store', key: 'a', stored: v },
        { kind: 'store', key: 'b', stored: v },
        { kind: 'store', key: 'a', stored: null },
        { kind: 'pending', key: 'p', write: w },
        { kind: 'pending', key: 'q', write: w },
        { kind: 'pending', key: 'q', write: null },
        { kind: 'pending', key: 'z', write: null },
        { kind: 'strong', key: 's', value: w },
        { kind: 'strong', key: 't', value: w },
        { kind: 'strong', key: 's', value: null },
      ]),
    ).toEqual({ terms: { g: { term: 2, votedFor: null }, h: { term: 4, votedFor: null } }, store: { b: v }, strong: { t: w }, pending: { p: w } });
  });

  it('replaying a node\'s log gives back exactly its terms, store and pending writes', () => {
    const c = ledByN1();
    c.request('n1', { id: 'w', op: 'put', key: 'a', value: '1', consistency: 'strong' });
    c.pump();
    c.request('n1', { id: 'w', op: 'put', key: 'b', value: '2', consistency: 'strong' });
    c.drop(where({ type: 'replicate', to: 'n3' }));
    c.pump(where({ to: 'n2' }));
    for (const id of THREE) {
      const n = c.node(id);
      expect(replay(c.log[id]!)).toEqual({ terms: n.terms, store: n.store, strong: n.strong, pending: n.pending });
    }
  });

  it('status: role, term, leader, readiness and keys per group, sorted; totals', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = new Cluster(five);
    c.elect('n1', 'n1+n3+n4');
    const k = keyIn(five, 'n1+n3+n4');
    c.request('n1', { id: 'e', op: 'put', key: k, value: 'v', consistency: 'eventual' });
    c.node('n1').pending.p = sv(1, 1, 'p');
    const s = status(c.node('n1'));
    expect(s.node).toBe('n1');
    expect(s.members).toEqual(five);
    expect(s.keys).toBe(1);
    expect(s.pending).toBe(1);
    expect(s.groups).toEqual([
      { id: 'n1+n2+n3', replicas: ['n1', 'n2', 'n3'], role: 'candidate', term: 1, leader: null, ready: false, keys: 0 }, // its deadline passed too
      { id: 'n1+n2+n4', replicas: ['n1', 'n2', 'n4'], role: 'follower', term: 0, leader: null, ready: false, keys: 0 },
      { id: 'n1+n2+n5', replicas: ['n1', 'n2', 'n5'], role: 'follower', term: 0, leader: null, ready: false, keys: 0 },
      { id: 'n1+n3+n4', replicas: ['n1', 'n3', 'n4'], role: 'leader', term: 1, leader: 'n1', ready: true, keys: 1 },
      { id: 'n1+n3+n5', replicas: ['n1', 'n3', 'n5'], role: 'follower', term: 0, leader: null, ready: false, keys: 0 },
      { id: 'n1+n4+n5', replicas: ['n1', 'n4', 'n5'], role: 'follower', term: 0, leader: null, ready: false, keys: 0 },
    ]);
    // Keys of two groups are counted per group.
    const k2 = keyIn(five, 'n1+n2+n3');
    const k3 = keyIn(five, 'n1+n3+n4', 1);
    c.request('n1', { id: 'e2', op: 'put', key: k2, value: 'v', consistency: 'eventual' });
    c.request('n1', { id: 'e3', op: 'put', key: k3, value: 'v', consistency: 'eventual' });
    expect(status(c.node('n1')).groups.map((g) => g.keys)).toEqual([1, 0, 0, 2, 0, 0]);
    expect(status(c.node('n1')).keys).toBe(3);
    // Strong data counts too, a key with both sides once.
    c.node('n1').strong[k] = sv(1, 1, 's');
    c.node('n1').strong[keyIn(five, 'n1+n2+n4')] = sv(1, 1, 's');
    expect(status(c.node('n1')).groups.map((g) => g.keys)).toEqual([1, 1, 0, 2, 0, 0]);
    expect(status(c.node('n1')).keys).toBe(4);
    // A node in no group.
    expect(status(createNode(config('n9'), five, undefined, 0))).toEqual({ node: 'n9', members: five, groups: [], keys: 0, pending: 0 });
  });

  it('nextWakeup: the earliest of anti-entropy, each follower\'s election, each leader\'s heartbeat, each request\'s timeout', () => {
    expect(nextWakeup(createNode(config('n1'), THREE, undefined, 0))).toBe(1000); // anti-entropy before the election at 1086
    expect(nextWakeup(createNode(config('n1', { antiEntropyMs: 5000 }), THREE, undefined, 0))).toBe(1086);
    expect(nextWakeup(createNode(config('n9'), THREE, undefined, 0))).toBe(1000);
    const l = ledByN1();
    const n1 = l.node('n1');
    n1.antiEntropyAt = 99_999;
    expect(nextWakeup(n1)).toBe(n1.groups[G]!.heartbeatAt);
    n1.groups[G]!.heartbeatAt = 99_999;
    l.request('n1', { id: 'r', op: 'get', key: 'a', consistency: 'strong' }, 2000);
    n1.groups[G]!.heartbeatAt = 99_999;
    expect(nextWakeup(n1)).toBe(4000);
    l.request('n1', { id: 'r2', op: 'put', key: 'a', value: 'x', consistency: 'strong' }, 1900);
    n1.groups[G]!.heartbeatAt = 99_999;
    expect(nextWakeup(n1)).toBe(4000); // now never goes back: the request came at 2000
    const f = l.node('n2');
    f.antiEntropyAt = 99_999;
    expect(nextWakeup(f)).toBe(f.groups[G]!.electionAt);
  });
});
