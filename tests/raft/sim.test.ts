// The Raft simulator (examples/raft/sim): a leader is elected and serves clients; the network's faults do what
// they say (loss, duplication, delay and reordering, partitions, per-link overrides); the disk syncs after a
// delay, messages wait for it, a crash loses exactly the unsynced writes and a restart keeps the synced ones;
// the same seed gives the same run.
import { describe, expect, it } from 'vitest';
import { lastIndex } from '../../examples/raft/core/raft.ts';
import {
  addClients,
  crash,
  createWorld,
  heal,
  leaderOf,
  partition,
  propose,
  request,
  restart,
  runTicks,
  runUntil,
  setLink,
  timeoutNow,
  view,
  type World,
} from '../../examples/raft/sim/world.ts';
import { runChaos } from '../../examples/raft/sim/chaos.ts';

const raftMessages = (w: World) => w.delivered!.filter((m) => m.type !== 'ClientRequest' && m.type !== 'ClientReply');

describe('the Raft simulator', () => {
  it('elects one leader and serves clients', () => {
    const world = createWorld({ seed: 1 });
    addClients(world, 3);
    runTicks(world, 2_000);
    expect(leaderOf(world)).not.toBeNull();
    expect(view(world).filter((n) => n.status?.role === 'leader')).toHaveLength(1);
    expect(world.history.filter((h) => h.return !== null).length).toBeGreaterThan(20);
  });

  it('elects a new leader after the leader crashes, and the restarted node catches up', () => {
    const world = createWorld({ seed: 2 });
    addClients(world, 2);
    runUntil(world, (w) => leaderOf(w) !== null, 2_000);
    const old = leaderOf(world)!;
    crash(world, old);
    expect(runUntil(world, (w) => leaderOf(w) !== null && leaderOf(w) !== old, 2_000)).toBe(true);
    restart(world, old);
    const caughtUp = (w: World) => w.nodes[old]!.service!.raft.lastApplied === w.nodes[leaderOf(w)!]!.service!.raft.commitIndex;
    runTicks(world, 500);
    expect(runUntil(world, caughtUp, 1_000)).toBe(true);
    expect(world.nodes[old]!.incarnation).toBe(2);
  });

  it('a partitioned minority cannot elect a leader; the majority can', () => {
    const world = createWorld({ seed: 3 });
    runUntil(world, (w) => leaderOf(w) !== null, 2_000);
    partition(world, [['n1', 'n2'], ['n3', 'n4', 'n5']]);
    runTicks(world, 3_000);
    const leaders = view(world).filter((n) => n.status?.role === 'leader').map((n) => n.id);
    expect(leaders.some((id) => ['n3', 'n4', 'n5'].includes(id))).toBe(true);
    expect(leaders.some((id) => ['n1', 'n2'].includes(id))).toBe(false); // check-quorum: an old leader there steps down
    heal(world);
    runTicks(world, 1_000);
    expect(leaderOf(world)).not.toBeNull();
  });
});

describe('the simulated network', () => {
  it('loss 1 loses every message between nodes: nothing is delivered and nobody is elected', () => {
    const world = createWorld({ seed: 4, network: { loss: 1 }, trace: true });
    runTicks(world, 2_000);
    expect(world.stats.sent).toBeGreaterThan(10);
    expect(world.stats.lost).toBe(world.stats.sent);
    expect(world.delivered).toEqual([]);
    expect(leaderOf(world)).toBeNull();
  });

  it('loss 0.3 loses about 30% of the messages', () => {
    const world = createWorld({ seed: 5, network: { loss: 0.3 }, clients: 3 });
    runTicks(world, 5_000);
    expect(world.stats.sent).toBeGreaterThan(1_000);
    expect(world.stats.lost / world.stats.sent).toBeGreaterThan(0.25);
    expect(world.stats.lost / world.stats.sent).toBeLessThan(0.35);
  });

  it('dup 1 delivers every message between nodes twice', () => {
    const world = createWorld({ seed: 6, network: { dup: 1 }, trace: true });
    runTicks(world, 1_000);
    const sent = world.stats.sentByType;
    const raftSent = Object.entries(sent).reduce((n, [type, count]) => n + (type.startsWith('Client') ? 0 : count), 0);
    expect(world.stats.duplicated).toBe(raftSent);
    const copies = new Map<string, number>();
    for (const m of raftMessages(world).filter((x) => x.sent < world.now - 25)) { // both copies have arrived
      const key = `${m.from}>${m.to} ${m.type} @${m.sent}`;
      copies.set(key, (copies.get(key) ?? 0) + 1);
    }
    expect(copies.size).toBeGreaterThan(10);
    for (const count of copies.values()) expect(count % 2).toBe(0);
    expect(leaderOf(world)).not.toBeNull(); // Raft copes with duplicates
  });

  it('every message takes a delay within the link\'s range, drawn per message, so messages overtake each other', () => {
    const world = createWorld({ seed: 7, network: { delay: [5, 25] }, trace: true });
    addClients(world, 3);
    runTicks(world, 2_000);
    const delivered = raftMessages(world);
    for (const m of delivered) {
      expect(m.arrives - m.sent).toBeGreaterThanOrEqual(5);
      expect(m.arrives - m.sent).toBeLessThanOrEqual(25);
    }
    const overtaken = delivered.some((a, i) => delivered.slice(i + 1).some((b) => b.from === a.from && b.to === a.to && b.sent > a.sent && b.arrives < a.arrives));
    // (delivered is in arrival order, so a later entry arriving earlier cannot happen; look for a sent-later, arrived-earlier pair)
    const reordered = delivered.some((a, i) => delivered.slice(i + 1, i + 200).some((b) => b.from === a.from && b.to === a.to && b.sent < a.sent));
    expect(overtaken).toBe(false);
    expect(reordered).toBe(true);
    expect(new Set(delivered.map((m) => m.arrives - m.sent)).size).toBeGreaterThan(15);
  });

  it('a partition stops every message across it, also those already on the way', () => {
    const world = createWorld({ seed: 8, trace: true });
    addClients(world, 2);
    runTicks(world, 1_000);
    const at = world.now;
    const inFlightAcross = world.messages.filter((m) => m.body.kind === 'raft' && ['n1', 'n2'].includes(m.from) !== ['n1', 'n2'].includes(m.to));
    partition(world, [['n1', 'n2'], ['n3', 'n4', 'n5']]);
    runTicks(world, 1_000);
    const side = (id: string) => (['n1', 'n2'].includes(id) ? 'a' : 'b');
    const across = raftMessages(world).filter((m) => m.arrives > at && side(m.from) !== side(m.to));
    expect(across).toEqual([]);
    expect(raftMessages(world).filter((m) => m.arrives > at).length).toBeGreaterThan(50); // inside each side they flow
    expect(inFlightAcross.length + world.stats.lost).toBeGreaterThan(0);
    heal(world);
    runTicks(world, 500);
    expect(raftMessages(world).some((m) => m.arrives > world.now - 400 && side(m.from) !== side(m.to))).toBe(true);
  });

  it('a per-link override changes that link only', () => {
    const world = createWorld({ seed: 9, trace: true, clients: 3 });
    setLink(world, 'n1', 'n2', { loss: 1 });
    setLink(world, 'n3', 'n4', { delay: [60, 60] });
    runTicks(world, 3_000);
    const delivered = raftMessages(world);
    expect(delivered.filter((m) => [m.from, m.to].sort().join() === 'n1,n2')).toEqual([]);
    const slow = delivered.filter((m) => [m.from, m.to].sort().join() === 'n3,n4');
    expect(slow.length).toBeGreaterThan(0);
    for (const m of slow) expect(m.arrives - m.sent).toBe(60);
    const others = delivered.filter((m) => !['n1,n2', 'n3,n4'].includes([m.from, m.to].sort().join()));
    expect(others.length).toBeGreaterThan(50);
    expect(others.every((m) => m.arrives - m.sent >= 5 && m.arrives - m.sent <= 25)).toBe(true);
  });

  it('messages to a crashed node are dropped, not delivered', () => {
    const world = createWorld({ seed: 10, trace: true });
    runUntil(world, (w) => leaderOf(w) !== null, 2_000);
    const victim = world.ids.find((id) => id !== leaderOf(world))!;
    crash(world, victim);
    const at = world.now;
    runTicks(world, 500);
    expect(world.stats.dropped).toBeGreaterThan(0);
    expect(world.delivered!.filter((m) => m.to === victim && m.arrives > at)).toEqual([]);
  });
});

describe('the simulated disk: persist before send, a crash is a power cut', () => {
  /** A world with a leader whose no-op is applied everywhere, and a slow disk (every fsync takes 30 ticks). */
  function settled(seed: number): { world: World; leader: string } {
    const world = createWorld({ seed, diskTicks: [30, 30], trace: true });
    runUntil(world, (w) => leaderOf(w) !== null && w.ids.every((id) => w.nodes[id]!.service!.raft.lastApplied >= 1), 3_000);
    runTicks(world, 100);
    return { world, leader: leaderOf(world)! };
  }
  const carries = (w: World, index: number) =>
    w.messages.some((m) => m.body.kind === 'raft' && m.body.message.type === 'AppendEntries' && m.body.message.entries.some((e) => e.index === index));

  it('a write is written at once, synced after the delay, and its messages leave only after the sync', () => {
    const { world, leader } = settled(11);
    const p = propose(world, leader, { op: 'put', key: 'x', value: 'a' });
    expect(p.ok).toBe(true);
    const index = (p as { index: number }).index;
    const disk = world.nodes[leader]!.disk;
    expect(disk.written.entries.at(-1)?.index).toBe(index);
    expect(disk.synced.entries.some((e) => e.index === index)).toBe(false);
    for (let t = 0; t < 29; t++) {
      runTicks(world, 1);
      expect(carries(world, index), `tick ${t + 1} after the write`).toBe(false);
    }
    runTicks(world, 1);
    expect(disk.synced.entries.some((e) => e.index === index)).toBe(true);
    expect(carries(world, index)).toBe(true);
  });

  it('a crash before the sync loses the write: the restarted node and every other node lack it', () => {
    const { world, leader } = settled(12);
    const before = lastIndex(world.nodes[leader]!.service!.raft);
    const p = propose(world, leader, { op: 'put', key: 'x', value: 'lost' });
    runTicks(world, 10); // written, not synced (the fsync takes 30)
    crash(world, leader);
    restart(world, leader);
    expect(lastIndex(world.nodes[leader]!.service!.raft)).toBe(before);
    expect(world.nodes[leader]!.disk.synced.entries.some((e) => e.index === (p as { index: number }).index && e.term === world.nodes[leader]!.service!.raft.term)).toBe(false);
    runTicks(world, 2_000);
    const logs = world.ids.map((id) => JSON.stringify(world.nodes[id]!.service!.raft.log));
    expect(logs.some((l) => l.includes('"lost"'))).toBe(false);
  });

  it('a crash after the sync keeps it: the restarted node has the entry, its term and its vote', () => {
    const { world, leader } = settled(13);
    const raft = world.nodes[leader]!.service!.raft;
    const term = raft.term;
    const p = propose(world, leader, { op: 'put', key: 'x', value: 'kept' });
    runTicks(world, 30);
    crash(world, leader);
    restart(world, leader);
    const again = world.nodes[leader]!.service!.raft;
    expect(again.log.some((e) => e.index === (p as { index: number }).index && (e.command as { value: string }).value === 'kept')).toBe(true);
    expect(again.term).toBe(term);
    expect(again.votedFor).toBe(leader);
  });

  it('a vote not yet synced is lost with the crash; a synced one survives', () => {
    const { world } = settled(14);
    const follower = world.ids.find((id) => id !== leaderOf(world))!;
    const term = world.nodes[follower]!.service!.raft.term;
    timeoutNow(world, follower);
    runTicks(world, 1); // it stands for term+1 and votes for itself: written, not synced
    expect(world.nodes[follower]!.service!.raft.term).toBe(term + 1);
    crash(world, follower);
    restart(world, follower);
    expect(world.nodes[follower]!.service!.raft.term).toBe(term);
    timeoutNow(world, follower);
    runTicks(world, 31);
    crash(world, follower);
    restart(world, follower);
    expect(world.nodes[follower]!.service!.raft.term).toBe(term + 1);
    expect(world.nodes[follower]!.service!.raft.votedFor).toBe(follower);
  });

  it('every incarnation gets its own seed from the world\'s generator', () => {
    const world = createWorld({ seed: 15 });
    const first = world.nodes['n1']!.seed;
    crash(world, 'n1');
    restart(world, 'n1');
    expect(world.nodes['n1']!.seed).not.toBe(first);
    expect(new Set(world.ids.map((id) => world.nodes[id]!.seed)).size).toBe(5);
  });
});

describe('replay', () => {
  it('the same seed gives the same trace; another seed another', () => {
    const trace = (seed: number) => {
      const world = createWorld({ seed, network: { loss: 0.1, dup: 0.1 } });
      addClients(world, 3);
      runTicks(world, 1_500);
      crash(world, 'n2');
      runTicks(world, 500);
      restart(world, 'n2');
      runTicks(world, 1_000);
      return JSON.stringify({ events: world.events, history: world.history, messages: world.messages, stats: world.stats });
    };
    expect(trace(9)).toBe(trace(9));
    expect(trace(9)).not.toBe(trace(10));
  });

  it('a fault schedule run twice from its seed is the same run, and the world is plain data', () => {
    const a = runChaos({ seed: 77 });
    const b = runChaos({ seed: 77 });
    expect(JSON.stringify(a.world)).toBe(JSON.stringify(b.world));
    expect(a.schedule.length).toBeGreaterThan(3);
    expect(JSON.parse(JSON.stringify(a.world))).toEqual(a.world); // nothing in it but JSON
  });

  it('a world copied as JSON mid-run goes on exactly like the original (the browser can keep and step copies)', () => {
    const world = createWorld({ seed: 34, network: { loss: 0.1, dup: 0.1 }, snapshotEvery: 10 });
    addClients(world, 3);
    request(world, { op: 'put', key: 'x', value: 'mine' });
    runTicks(world, 1_200);
    crash(world, leaderOf(world) ?? 'n1');
    runTicks(world, 37);
    const copy = JSON.parse(JSON.stringify(world)) as World;
    runTicks(world, 1_500);
    runTicks(copy, 1_500);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(world));
    expect(world.history.length).toBeGreaterThan(30);
  });
});

describe('the simulated KV clients', () => {
  it('your request goes to a node, follows the not-leader hint to the leader, and is answered once', () => {
    const world = createWorld({ seed: 31, trace: true });
    runUntil(world, (w) => leaderOf(w) !== null, 2_000);
    runTicks(world, 100);
    const leader = leaderOf(world)!;
    request(world, { op: 'put', key: 'x', value: 'hello' });
    request(world, { op: 'get', key: 'x' });
    runTicks(world, 500);
    const [put, get] = world.history;
    expect(put).toMatchObject({ client: 'you', op: 'put', key: 'x', value: 'hello', seq: 1, node: leader });
    expect(put!.return).not.toBeNull();
    expect(get).toMatchObject({ client: 'you', op: 'get', key: 'x', output: 'hello', seq: 2, node: leader });
    expect(get!.call).toBeGreaterThanOrEqual(put!.return!); // one request at a time
    // The first went wherever the client guessed; a not-leader answer, if any, named the leader.
    const replies = world.delivered!.filter((m) => m.type === 'ClientReply');
    expect(replies.at(-1)!.from).toBe(leader);
  });

  it('a request stuck at a cut-off leader times out and is retried, same seq, at another node: applied once', () => {
    const world = createWorld({ seed: 32, snapshotEvery: 0 });
    runUntil(world, (w) => leaderOf(w) !== null, 2_000);
    request(world, { op: 'get', key: 'x' }); // the client learns who leads
    runTicks(world, 300);
    const old = leaderOf(world)!;
    expect(world.clients[0]!.leader).toBe(old);
    partition(world, [[old], world.ids.filter((id) => id !== old)]);
    request(world, { op: 'cas', key: 'x', expected: null, value: 'once' });
    runTicks(world, 2_000);
    const cas = world.history[1]!;
    expect(cas.return).not.toBeNull();
    expect(cas.return! - cas.call).toBeGreaterThanOrEqual(400); // it waited out the timeout first
    expect(cas.node).not.toBe(old);
    expect(cas.output).toBe(true);
    heal(world);
    runTicks(world, 1_000);
    // The old leader's copy of the request (same client, same seq) was overwritten or deduplicated: one cas only.
    const kv = world.nodes[leaderOf(world)!]!.service!.kv;
    expect(kv.data['x']).toBe('once');
    expect(kv.sessions['you']).toMatchObject({ seq: 2 });
  });

  it('a request with no answer by the end has an unknown outcome (return null, no output)', () => {
    const world = createWorld({ seed: 33 });
    runUntil(world, (w) => leaderOf(w) !== null, 2_000);
    partition(world, [['n1'], ['n2'], ['n3'], ['n4'], ['n5']]);
    request(world, { op: 'put', key: 'y', value: 'lost?' });
    runTicks(world, 1_000);
    expect(world.history).toHaveLength(1);
    expect(world.history[0]!.return).toBeNull();
    expect(world.history[0]!.output).toBeUndefined();
  });
});
