// The Raft core's election, checked sentence by sentence against the extended Raft paper (§5.1, §5.2, §5.4.1),
// in the style of etcd-io/raft's raft_paper_test.go: every message is written by hand and handed to step();
// what the node says back is read from ready(). Plus what the paper leaves to implementations: check-quorum,
// a cluster of one, and messages that are not for this node.
import { describe, expect, it } from 'vitest';
import { propose, ready, status, step, tick } from '../../examples/raft/core/raft.ts';
import { createNode } from '../../examples/raft/core/raft.ts';
import type { Message, RaftNode } from '../../examples/raft/core/types.ts';
import { Cluster, ELECTION, HEARTBEAT, appendEntries, config, ids, log, makeLeader, node, ofType, timeout } from './core-harness.ts';

/** n1 of three in the given role, in term 1 (a leader's no-op at index 1, a candidate's vote for itself). */
function inRole(role: 'follower' | 'candidate' | 'leader'): RaftNode {
  const n = node('n1');
  if (role === 'follower') step(n, appendEntries({ from: 'n2', to: 'n1', term: 1 }));
  if (role === 'candidate') timeout(n);
  if (role === 'leader') makeLeader(n);
  ready(n);
  expect(n.role).toBe(role);
  expect(n.term).toBe(1);
  return n;
}

describe('§5.1 terms', () => {
  const messages: Array<[string, Message, string | null]> = [
    ['AppendEntries', appendEntries({ from: 'n2', to: 'n1', term: 5 }), 'n2'],
    ['InstallSnapshot', { type: 'InstallSnapshot', from: 'n2', to: 'n1', term: 5, snapshot: { lastIndex: 1, lastTerm: 1, data: null } }, 'n2'],
    ['RequestVote', { type: 'RequestVote', from: 'n2', to: 'n1', term: 5, lastLogIndex: 5, lastLogTerm: 5 }, null],
    ['RequestVoteReply', { type: 'RequestVoteReply', from: 'n2', to: 'n1', term: 5, granted: false }, null],
    [
      'AppendEntriesReply',
      { type: 'AppendEntriesReply', from: 'n2', to: 'n1', term: 5, success: false, matchIndex: 0, conflictTerm: null, conflictIndex: 1 },
      null,
    ],
    ['InstallSnapshotReply', { type: 'InstallSnapshotReply', from: 'n2', to: 'n1', term: 5, matchIndex: 0 }, null],
  ];
  for (const role of ['follower', 'candidate', 'leader'] as const) {
    for (const [type, m, leader] of messages) {
      it(`If one server's current term is smaller than the other's, then it updates its current term to the larger value; a ${role} that sees a higher term in ${type} reverts to follower state`, () => {
        const n = inRole(role);
        step(n, m);
        expect(n.role).toBe('follower');
        expect(n.term).toBe(5);
        expect(n.votedFor).toBe(type === 'RequestVote' ? 'n2' : null); // a new term: no vote yet (then maybe this one)
        expect(n.leaderId).toBe(leader); // only a leader's own message names the leader
        expect(ready(n).hardState).toEqual({ term: 5, votedFor: n.votedFor }); // persisted before any reply
      });
    }
  }

  it('If a server receives a request with a stale term number, it rejects the request (and its term tells the sender to step down)', () => {
    const n = node('n1', 3, { term: 3, entries: log(1, 2) });
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 2, prevLogIndex: 2, prevLogTerm: 2, entries: log(1, 2, 2).slice(2), leaderCommit: 3 }));
    step(n, { type: 'RequestVote', from: 'n3', to: 'n1', term: 2, lastLogIndex: 9, lastLogTerm: 2 });
    step(n, { type: 'InstallSnapshot', from: 'n2', to: 'n1', term: 2, snapshot: { lastIndex: 9, lastTerm: 2, data: 'x' } });
    const r = ready(n);
    expect(r.messages).toEqual([
      { type: 'AppendEntriesReply', from: 'n1', to: 'n2', term: 3, success: false, matchIndex: 0, conflictTerm: null, conflictIndex: 0 },
      { type: 'RequestVoteReply', from: 'n1', to: 'n3', term: 3, granted: false },
      { type: 'InstallSnapshotReply', from: 'n1', to: 'n2', term: 3, matchIndex: 0 },
    ]);
    expect(r.log).toBeNull();
    expect(r.snapshot).toBeNull();
    expect(r.hardState).toBeNull();
    expect(n.leaderId).toBeNull();
    expect(n.votedFor).toBeNull();
    expect(n.commitIndex).toBe(0);
  });

  it('a leader ignores replies of an earlier term (a late answer to an older leader of the same node)', () => {
    const n = node('n1');
    makeLeader(n); // term 1
    ready(n);
    timeout(n); // not a leader's timer: a leader does not campaign …
    expect(n.role).toBe('leader');
    step(n, { type: 'RequestVote', from: 'n2', to: 'n1', term: 2, lastLogIndex: 1, lastLogTerm: 1 });
    makeLeaderAgain(n); // term 3
    const before = structuredClone(n.progress);
    step(n, { type: 'AppendEntriesReply', from: 'n2', to: 'n1', term: 2, success: true, matchIndex: 9, conflictTerm: null, conflictIndex: 0 });
    step(n, { type: 'InstallSnapshotReply', from: 'n3', to: 'n1', term: 2, matchIndex: 9 });
    expect(n.progress).toEqual(before);
    expect(ready(n).messages).toEqual([]);
  });
});

/** n1, a follower of term 2 (it voted for n2), campaigns in term 3 and wins with every vote. */
function makeLeaderAgain(n: RaftNode): void {
  ready(n);
  timeout(n);
  expect(n.term).toBe(3);
  for (const from of ['n2', 'n3']) step(n, { type: 'RequestVoteReply', from, to: 'n1', term: 3, granted: true });
  expect(n.role).toBe('leader');
  ready(n);
}

describe('§5.2 leader election', () => {
  it('When servers start up, they begin as followers', () => {
    const n = node('n1');
    expect(status(n)).toEqual({
      id: 'n1',
      role: 'follower',
      term: 0,
      leaderId: null,
      votedFor: null,
      commitIndex: 0,
      lastApplied: 0,
      lastIndex: 0,
      snapshotIndex: 0,
    });
    // Nothing produced yet: the node's outbox (plain data a browser may show) is empty, and so is its first ready().
    expect(n.out).toEqual({ hardState: null, snapshot: null, log: null, messages: [], applySnapshot: null, committed: [] });
    expect(ready(n)).toEqual({ hardState: null, snapshot: null, log: null, messages: [], applySnapshot: null, committed: [] });
  });

  it('A server remains in follower state as long as it receives valid RPCs from a leader or candidate', () => {
    const n = node('n1');
    for (let i = 0; i < 5 * ELECTION[1]; i += 1) {
      tick(n);
      if (i % (ELECTION[0] - 1) === 0) step(n, appendEntries({ from: 'n2', to: 'n1', term: 1 }));
    }
    expect(n.role).toBe('follower');
    expect(n.term).toBe(1);
    expect(n.leaderId).toBe('n2');
  });

  it('If a follower receives no communication over a period of time called the election timeout, then it … begins an election: it increments its current term, votes for itself and issues RequestVote RPCs in parallel to each of the other servers', () => {
    const n = node('n2', 5, { term: 4, entries: log(1, 4) });
    const wait = n.electionTimeout;
    for (let i = 1; i < wait; i += 1) tick(n);
    expect(n.role).toBe('follower');
    expect(ready(n).messages).toEqual([]);
    tick(n);
    expect(n.role).toBe('candidate');
    expect(n.term).toBe(5);
    expect(n.votedFor).toBe('n2');
    expect(n.leaderId).toBeNull();
    const r = ready(n);
    expect(r.hardState).toEqual({ term: 5, votedFor: 'n2' });
    expect(r.messages).toEqual(
      ['n1', 'n3', 'n4', 'n5'].map((to) => ({ type: 'RequestVote', from: 'n2', to, term: 5, lastLogIndex: 2, lastLogTerm: 4 })),
    );
  });

  it('If many followers become candidates at the same time, votes could be split … each candidate will time out and start a new election by incrementing its term', () => {
    const n = node('n1');
    timeout(n);
    ready(n);
    step(n, { type: 'RequestVoteReply', from: 'n2', to: 'n1', term: 1, granted: false });
    step(n, { type: 'RequestVoteReply', from: 'n3', to: 'n1', term: 1, granted: false });
    expect(n.role).toBe('candidate');
    timeout(n);
    expect(n.role).toBe('candidate');
    expect(n.term).toBe(2);
    expect(ofType(ready(n).messages, 'RequestVote').map((m) => [m.to, m.term])).toEqual([
      ['n2', 2],
      ['n3', 2],
    ]);
  });

  // etcd-io/raft TestLeaderElectionInOneRoundRPC: size, votes → role.
  const rounds: Array<[number, Record<string, boolean>, 'leader' | 'candidate']> = [
    [1, {}, 'leader'],
    [3, { n2: true, n3: true }, 'leader'],
    [3, { n2: true }, 'leader'],
    [5, { n2: true, n3: true, n4: true, n5: true }, 'leader'],
    [5, { n2: true, n3: true }, 'leader'],
    [5, { n2: true }, 'candidate'],
    [5, { n2: true, n3: false, n4: false, n5: false }, 'candidate'],
    [3, {}, 'candidate'],
    [3, { n2: false, n3: false }, 'candidate'],
    [4, { n2: true }, 'candidate'],
    [4, { n2: true, n3: true }, 'leader'],
  ];
  for (const [size, votes, role] of rounds) {
    it(`A candidate wins an election if it receives votes from a majority of the servers in the full cluster for the same term (${size} servers, votes ${JSON.stringify(votes)} → ${role})`, () => {
      const n = node('n1', size);
      timeout(n);
      for (const [from, granted] of Object.entries(votes)) step(n, { type: 'RequestVoteReply', from, to: 'n1', term: 1, granted });
      expect(n.role).toBe(role);
      expect(n.leaderId).toBe(role === 'leader' ? 'n1' : null);
    });
  }

  it('a vote counts once: the same granted reply delivered twice does not make a majority of five', () => {
    const n = node('n1', 5);
    timeout(n);
    for (let i = 0; i < 3; i += 1) step(n, { type: 'RequestVoteReply', from: 'n2', to: 'n1', term: 1, granted: true });
    expect(n.role).toBe('candidate');
    step(n, { type: 'RequestVoteReply', from: 'n3', to: 'n1', term: 1, granted: true });
    expect(n.role).toBe('leader');
  });

  it('a late vote from an earlier election does not count in this one', () => {
    const n = node('n1');
    timeout(n);
    timeout(n); // term 2
    step(n, { type: 'RequestVoteReply', from: 'n2', to: 'n1', term: 1, granted: true });
    expect(n.role).toBe('candidate');
    step(n, { type: 'RequestVoteReply', from: 'n2', to: 'n1', term: 2, granted: true });
    expect(n.role).toBe('leader');
  });

  it('Once a candidate wins an election, it becomes leader. It then sends heartbeat messages to all of the other servers to establish its authority (with its own no-op, §8)', () => {
    const n = node('n1', 3, { term: 1, entries: log(1) });
    timeout(n);
    ready(n);
    step(n, { type: 'RequestVoteReply', from: 'n2', to: 'n1', term: 2, granted: true });
    const r = ready(n);
    expect(r.log).toEqual({ truncateFrom: 2, entries: [{ index: 2, term: 2, command: null }] });
    expect(r.messages).toEqual(
      ['n2', 'n3'].map((to) => ({
        type: 'AppendEntries',
        from: 'n1',
        to,
        term: 2,
        prevLogIndex: 1,
        prevLogTerm: 1,
        entries: [{ index: 2, term: 2, command: null }],
        leaderCommit: 0,
      })),
    );
    expect(n.progress).toEqual({
      n2: { matchIndex: 0, nextIndex: 2, mode: 'probe', active: true },
      n3: { matchIndex: 0, nextIndex: 2, mode: 'probe', active: true },
    });
  });

  it('Leaders send periodic heartbeats (AppendEntries RPCs that carry no log entries) to all followers', () => {
    const c = new Cluster(ids(3));
    const leader = c.elect('n1');
    expect(leader.role).toBe('leader');
    for (let i = 1; i < HEARTBEAT; i += 1) tick(leader);
    expect(ready(leader).messages).toEqual([]);
    tick(leader);
    expect(ready(leader).messages).toEqual(
      ['n2', 'n3'].map((to) => ({ type: 'AppendEntries', from: 'n1', to, term: 1, prevLogIndex: 1, prevLogTerm: 1, entries: [], leaderCommit: 1 })),
    );
    for (let i = 0; i < 10 * ELECTION[1]; i += 1) {
      for (const n of Object.values(c.nodes)) tick(n);
      c.flush();
    }
    expect(c.leaders()).toEqual([leader]);
    expect(leader.term).toBe(1);
  });

  it('Each server will vote for at most one candidate in a given term, on a first-come-first-served basis (asking again gets the same answer)', () => {
    const n = node('n1');
    const ask = (from: string): Message => ({ type: 'RequestVote', from, to: 'n1', term: 1, lastLogIndex: 0, lastLogTerm: 0 });
    step(n, ask('n2'));
    const first = ready(n);
    expect(first.hardState).toEqual({ term: 1, votedFor: 'n2' }); // on disk before the reply leaves
    expect(first.messages).toEqual([{ type: 'RequestVoteReply', from: 'n1', to: 'n2', term: 1, granted: true }]);
    step(n, ask('n3'));
    step(n, ask('n2'));
    expect(ready(n).messages).toEqual([
      { type: 'RequestVoteReply', from: 'n1', to: 'n3', term: 1, granted: false },
      { type: 'RequestVoteReply', from: 'n1', to: 'n2', term: 1, granted: true },
    ]);
    expect(n.votedFor).toBe('n2');
  });

  it('a vote survives a restart: a node that voted in this term and restarted from its disk does not vote for another', () => {
    const n = node('n1', 3, { term: 1, votedFor: 'n2' });
    step(n, { type: 'RequestVote', from: 'n3', to: 'n1', term: 1, lastLogIndex: 0, lastLogTerm: 0 });
    expect(ready(n).messages).toEqual([{ type: 'RequestVoteReply', from: 'n1', to: 'n3', term: 1, granted: false }]);
  });

  it('a candidate and a leader have voted for themselves and grant no other vote in their term', () => {
    for (const role of ['candidate', 'leader'] as const) {
      const n = inRole(role);
      step(n, { type: 'RequestVote', from: 'n2', to: 'n1', term: 1, lastLogIndex: 9, lastLogTerm: 9 });
      expect(ready(n).messages).toEqual([{ type: 'RequestVoteReply', from: 'n1', to: 'n2', term: 1, granted: false }]);
      expect(n.role).toBe(role);
    }
  });

  it('a follower that grants a vote restarts its election timer (it gives the candidate time to win)', () => {
    const n = node('n1');
    for (let i = 1; i < n.electionTimeout; i += 1) tick(n);
    step(n, { type: 'RequestVote', from: 'n2', to: 'n1', term: 1, lastLogIndex: 0, lastLogTerm: 0 });
    expect(n.electionElapsed).toBe(0);
    for (let i = 1; i < n.electionTimeout; i += 1) tick(n);
    expect(n.role).toBe('follower');
    tick(n);
    expect(n.role).toBe('candidate');
  });

  it('a follower that refuses a vote of its own term keeps its election timer running', () => {
    const n = node('n1', 3, { term: 1, votedFor: 'n3' });
    for (let i = 1; i < n.electionTimeout; i += 1) tick(n);
    step(n, { type: 'RequestVote', from: 'n2', to: 'n1', term: 1, lastLogIndex: 0, lastLogTerm: 0 });
    tick(n);
    expect(n.role).toBe('candidate');
  });

  it('While waiting for votes, a candidate may receive an AppendEntries RPC from another server claiming to be leader. If the leader\'s term is at least as large as the candidate\'s current term, then the candidate recognizes the leader as legitimate and returns to follower state', () => {
    const n = inRole('candidate');
    step(n, appendEntries({ from: 'n3', to: 'n1', term: 1 }));
    expect(n.role).toBe('follower');
    expect(n.term).toBe(1);
    expect(n.leaderId).toBe('n3');
    expect(n.votedFor).toBe('n1'); // still its vote of this term
    expect(ready(n).messages).toEqual([
      { type: 'AppendEntriesReply', from: 'n1', to: 'n3', term: 1, success: true, matchIndex: 0, conflictTerm: null, conflictIndex: 0 },
    ]);
    // … and so does an InstallSnapshot of the current leader.
    const m = inRole('candidate');
    step(m, { type: 'InstallSnapshot', from: 'n3', to: 'n1', term: 1, snapshot: { lastIndex: 0, lastTerm: 0, data: null } });
    expect([m.role, m.leaderId]).toEqual(['follower', 'n3']);
  });

  it('If the term in the RPC is smaller than the candidate\'s current term, then the candidate rejects the RPC and continues in candidate state', () => {
    const n = inRole('candidate');
    timeout(n); // term 2
    step(n, appendEntries({ from: 'n3', to: 'n1', term: 1 }));
    expect(n.role).toBe('candidate');
    expect(n.leaderId).toBeNull();
  });

  it('a follower that hears a new leader of its term follows it and restarts its timer', () => {
    const n = node('n1');
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 1 }));
    for (let i = 1; i < n.electionTimeout; i += 1) tick(n);
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 1 }));
    expect(n.electionElapsed).toBe(0);
    tick(n);
    expect(n.role).toBe('follower');
  });

  describe('Raft uses randomized election timeouts to ensure that split votes are rare … chosen randomly from a fixed interval', () => {
    it('every timeout lies in [min, max], and over many draws every value of the interval comes up', () => {
      const seen = new Set<number>();
      for (let seed = 0; seed < 50; seed += 1) {
        const n = createNode(config('n1', ids(3), { seed, electionTicks: [10, 20] }));
        for (let i = 0; i < 20; i += 1) {
          timeout(n); // campaigns: a fresh timeout each time
          seen.add(n.electionTimeout);
        }
      }
      expect([...seen].sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    });

    it('a node draws a different timeout after each reset (its successive timeouts are not all the same)', () => {
      const n = node('n1');
      const timeouts = new Set<number>();
      for (let i = 0; i < 10; i += 1) {
        timeout(n);
        timeouts.add(n.electionTimeout);
      }
      expect(timeouts.size).toBeGreaterThan(4);
    });

    it('nodes with different seeds time out at different moments, even with neighbouring seeds (1, 2, 3, …)', () => {
      for (const base of [0, 1, 100, 7919]) {
        const first = [0, 1, 2, 3, 4].map((i) => createNode(config(`n${i + 1}`, ids(5), { seed: base + i, electionTicks: [150, 300] })).electionTimeout);
        expect(new Set(first).size, `seeds ${base}…${base + 4}: first timeouts ${first}`).toBeGreaterThanOrEqual(4);
      }
      const many = new Set(Array.from({ length: 100 }, (_, seed) => createNode(config('n1', ids(3), { seed, electionTicks: [150, 300] })).electionTimeout));
      expect(many.size).toBeGreaterThan(40);
    });

    it('the same seed gives the same timeouts (a run can be replayed)', () => {
      const draw = (): number[] => {
        const n = node('n1');
        return Array.from({ length: 5 }, () => (timeout(n), n.electionTimeout));
      };
      expect(draw()).toEqual(draw());
    });

    it('the first node to time out usually wins: a cluster elects exactly one leader', () => {
      for (let seed = 0; seed < 100; seed += 5) {
        const c = new Cluster(ids(5), {}, { seed }); // seeds seed … seed + 4
        for (let t = 0; t < 20 * ELECTION[1] && c.leaders().length === 0; t += 1) {
          for (const n of Object.values(c.nodes)) tick(n);
          c.flush();
        }
        expect(c.leaders().length, `seed ${seed}`).toBe(1);
        const leader = c.leaders()[0]!;
        for (const n of Object.values(c.nodes)) expect([n.term, n.leaderId]).toEqual([leader.term, leader.config.id]);
      }
    });
  });
});

describe('§5.4.1 election restriction', () => {
  // etcd-io/raft TestVoter: the voter's log (terms), the candidate's last index and term → granted.
  const cases: Array<[number[], number, number, boolean]> = [
    // same last term
    [[1], 1, 1, true],
    [[1], 2, 1, true],
    [[1, 1], 1, 1, false],
    // candidate's last term is higher
    [[1], 1, 2, true],
    [[1], 2, 2, true],
    [[1, 1], 1, 2, true],
    // candidate's last term is lower
    [[2], 1, 1, false],
    [[2], 2, 1, false],
    [[1, 2], 1, 1, false],
    [[1, 2], 5, 1, false],
    // an empty log votes for anyone
    [[], 0, 0, true],
  ];
  for (const [terms, lastLogIndex, lastLogTerm, granted] of cases) {
    it(`the voter denies its vote if its own log is more up-to-date than that of the candidate (voter ${JSON.stringify(terms)}, candidate last ${lastLogIndex}@${lastLogTerm} → ${granted ? 'granted' : 'denied'})`, () => {
      const n = node('n1', 3, { term: 2, entries: log(...terms) });
      step(n, { type: 'RequestVote', from: 'n2', to: 'n1', term: 3, lastLogIndex, lastLogTerm });
      const r = ready(n);
      expect(r.messages).toEqual([{ type: 'RequestVoteReply', from: 'n1', to: 'n2', term: 3, granted }]);
      expect(n.votedFor).toBe(granted ? 'n2' : null);
      expect(r.hardState).toEqual({ term: 3, votedFor: granted ? 'n2' : null });
    });
  }

  it('the vote check looks past a compacted log: the snapshot\'s last index and term describe it', () => {
    const snapshot = { lastIndex: 5, lastTerm: 3, data: null };
    const voter = (candidateLast: [number, number]): boolean => {
      const n = node('n1', 3, { term: 3, snapshot });
      step(n, { type: 'RequestVote', from: 'n2', to: 'n1', term: 4, lastLogIndex: candidateLast[0], lastLogTerm: candidateLast[1] });
      return ofType(ready(n).messages, 'RequestVoteReply')[0]!.granted;
    };
    expect(voter([5, 3])).toBe(true);
    expect(voter([4, 3])).toBe(false);
    expect(voter([9, 2])).toBe(false);
  });
});

describe('check-quorum (etcd-io/raft: a leader that cannot reach a majority steps down)', () => {
  it('a leader that hears from no majority for an election timeout becomes a follower, so clients look elsewhere', () => {
    const c = new Cluster(ids(3));
    const leader = c.elect('n1');
    c.cut.add('n1');
    let steppedDownAt = -1;
    for (let t = 1; t <= 3 * ELECTION[1] && steppedDownAt < 0; t += 1) {
      tick(leader);
      ready(leader);
      if (leader.role !== 'leader') steppedDownAt = t;
    }
    // Followers were heard just before the cut; the first check clears that, the second finds nobody.
    expect(steppedDownAt).toBe(2 * ELECTION[1]);
    expect([leader.role, leader.term, leader.leaderId]).toEqual(['follower', 1, null]);
    expect(propose(leader, 'x')).toEqual({ ok: false, leaderId: null });
  });

  it('a leader that hears from a majority (itself and one follower of three) keeps leading', () => {
    const c = new Cluster(ids(3));
    const leader = c.elect('n1');
    c.cut.add('n3');
    for (let t = 0; t < 5 * ELECTION[1]; t += 1) {
      tick(leader);
      tick(c.get('n2'));
      c.flush();
    }
    expect(leader.role).toBe('leader');
    expect(leader.term).toBe(1);
  });

  it('a snapshot acknowledgement counts as hearing from that follower', () => {
    const n = node('n1', 3);
    makeLeader(n);
    for (let t = 0; t < 2 * ELECTION[1] - 1; t += 1) {
      tick(n);
      if (t % 5 === 0) step(n, { type: 'InstallSnapshotReply', from: 'n2', to: 'n1', term: 1, matchIndex: 0 });
    }
    tick(n);
    expect(n.role).toBe('leader');
  });
});

describe('a cluster of one', () => {
  it('elects itself at its first timeout, sends nothing, and commits each proposal at the next ready()', () => {
    const n = node('n1', 1);
    timeout(n);
    expect(n.role).toBe('leader');
    expect(n.term).toBe(1);
    let r = ready(n);
    expect(r.messages).toEqual([]);
    expect(r.committed).toEqual([{ index: 1, term: 1, command: null }]);
    expect(propose(n, 'a')).toEqual({ ok: true, index: 2, term: 1 });
    expect(propose(n, 'b')).toEqual({ ok: true, index: 3, term: 1 });
    r = ready(n);
    expect(r.log).toEqual({ truncateFrom: 2, entries: [{ index: 2, term: 1, command: 'a' }, { index: 3, term: 1, command: 'b' }] });
    expect(r.committed.map((e) => e.command)).toEqual(['a', 'b']);
    expect(n.commitIndex).toBe(3);
    for (let t = 0; t < 5 * ELECTION[1]; t += 1) tick(n);
    expect(n.role).toBe('leader'); // hearing from itself is a majority of one
    expect(ready(n).messages).toEqual([]);
  });
});

describe('messages that are not for this node', () => {
  const strays: Array<[string, Message]> = [
    ['from a node outside the cluster', appendEntries({ from: 'n9', to: 'n1', term: 7 })],
    ['addressed to someone else', appendEntries({ from: 'n2', to: 'n3', term: 7 })],
    ['from itself', appendEntries({ from: 'n1', to: 'n1', term: 7 })],
    ['a vote request from a non-member', { type: 'RequestVote', from: 'x', to: 'n1', term: 7, lastLogIndex: 0, lastLogTerm: 0 }],
    ['a vote from a non-member', { type: 'RequestVoteReply', from: 'n4', to: 'n1', term: 1, granted: true }],
  ];
  for (const [what, m] of strays) {
    it(`a message ${what} is ignored: no term change, no reply`, () => {
      const n = node('n1');
      timeout(n);
      ready(n);
      const before = structuredClone(n);
      step(n, m);
      expect(n).toEqual(before);
      expect(ready(n).messages).toEqual([]);
    });
  }
});

describe('the election timer and the seed (what a replay of a seed rests on)', () => {
  /** n1 that learned of term 5 from a message of the given kind. */
  function heard(m: Message): RaftNode {
    const n = node('n1');
    step(n, m);
    expect([n.term, n.role]).toEqual([5, 'follower']);
    return n;
  }
  const fromLeader: Array<[string, Message]> = [
    ['AppendEntries', appendEntries({ from: 'n2', to: 'n1', term: 5 })],
    ['InstallSnapshot', { type: 'InstallSnapshot', from: 'n2', to: 'n1', term: 5, snapshot: { lastIndex: 0, lastTerm: 0, data: null } }],
  ];
  for (const [type, m] of fromLeader) {
    it(`a node that learns of a higher term from a leader's ${type} draws one new timeout, as from any other message`, () => {
      const byLeader = heard(m);
      const byReply = heard({ type: 'RequestVoteReply', from: 'n3', to: 'n1', term: 5, granted: false });
      expect(byLeader.electionTimeout).toBe(byReply.electionTimeout);
      expect(byLeader.leaderId).toBe('n2');
    });
  }

  it('heartbeats of the same leader restart the timer but keep the timeout drawn when the node began to follow it', () => {
    const n = heard(appendEntries({ from: 'n2', to: 'n1', term: 5 }));
    const drawn = n.electionTimeout;
    for (let i = 0; i < 5; i += 1) {
      tick(n);
      step(n, appendEntries({ from: 'n2', to: 'n1', term: 5 }));
      expect([n.electionElapsed, n.electionTimeout]).toEqual([0, drawn]);
    }
  });
});

describe('tick(): the leader\'s two clocks on the same tick', () => {
  it('when the quorum check and a heartbeat fall on the same tick, a leader that heard a majority still sends the heartbeat', () => {
    const n = createNode(config('n1', ids(3), { heartbeatTicks: 5, electionTicks: [10, 20] }));
    makeLeader(n);
    for (let t = 1; t < 20; t += 1) {
      tick(n);
      if (t % 5 === 0) for (const from of ['n2', 'n3']) step(n, { type: 'AppendEntriesReply', from, to: 'n1', term: 1, success: true, matchIndex: 1, conflictTerm: null, conflictIndex: 0 });
      ready(n);
    }
    tick(n); // tick 20: the quorum check (electionTicks[1]) and the fourth heartbeat
    expect(n.role).toBe('leader');
    expect(ofType(ready(n).messages, 'AppendEntries').map((m) => m.to)).toEqual(['n2', 'n3']);
  });
});
