// The Raft core's log replication, checked against the extended Raft paper: §5.3 (AppendEntries, the
// consistency check, conflicts, commit), the fast backup of §5.3's closing paragraphs, §5.4.2 (Figure 8: only
// entries of the leader's own term are committed by counting), §7 (snapshots and InstallSnapshot), and the
// leader's probe/replicate modes (pipelining) and batching, which etcd-io/raft adds for throughput.
import { describe, expect, it } from 'vitest';
import { compact, createNode, propose, ready, step, tick } from '../../examples/raft/core/raft.ts';
import type { AppendEntriesReply, Entry, Message, RaftNode } from '../../examples/raft/core/types.ts';
import { Cluster, HEARTBEAT, appendEntries, commands, config, ids, log, makeLeader, node, ofType, timeout } from './core-harness.ts';

function reply(from: string, term: number, r: Partial<AppendEntriesReply>): Message {
  return { type: 'AppendEntriesReply', from, to: 'n1', term, success: true, matchIndex: 0, conflictTerm: null, conflictIndex: 0, ...r };
}

/** n1 leads a cluster of `size` in term 1 and every follower acknowledged its no-op (index 1): all in replicate mode. */
function steadyLeader(size = 3, over = {}): RaftNode {
  const n = createNode(config('n1', ids(size), over));
  makeLeader(n);
  for (const id of ids(size).slice(1)) step(n, reply(id, 1, { matchIndex: 1 }));
  const r = ready(n);
  expect(r.committed).toEqual([{ index: 1, term: 1, command: null }]);
  expect(Object.values(n.progress).every((p) => p.mode === 'replicate')).toBe(true);
  return n;
}

describe('§5.3 log replication: the leader', () => {
  it('The leader appends the command to its log as a new entry, then issues AppendEntries RPCs in parallel to each of the other servers to replicate the entry', () => {
    const n = steadyLeader();
    expect(propose(n, 'x')).toEqual({ ok: true, index: 2, term: 1 });
    const r = ready(n);
    expect(r.log).toEqual({ truncateFrom: 2, entries: [{ index: 2, term: 1, command: 'x' }] });
    expect(r.messages).toEqual(
      ['n2', 'n3'].map((to) => ({
        type: 'AppendEntries',
        from: 'n1',
        to,
        term: 1,
        prevLogIndex: 1,
        prevLogTerm: 1,
        entries: [{ index: 2, term: 1, command: 'x' }],
        leaderCommit: 1,
      })),
    );
  });

  it('a follower (or candidate) does not take proposals; it names the leader it knows', () => {
    const n = node('n1');
    expect(propose(n, 'x')).toEqual({ ok: false, leaderId: null });
    step(n, appendEntries({ from: 'n3', to: 'n1', term: 1 }));
    expect(propose(n, 'x')).toEqual({ ok: false, leaderId: 'n3' });
    expect(n.log).toEqual([]);
  });

  it('The leader decides when it is safe to apply a log entry … A log entry is committed once the leader that created the entry has replicated it on a majority of the servers', () => {
    for (const [size, acks, committed] of [
      [3, ['n2'], true],
      [5, ['n2'], false],
      [5, ['n2', 'n3'], true],
      [5, ['n2', 'n3', 'n4', 'n5'], true],
      [4, ['n2'], false],
      [4, ['n2', 'n4'], true],
    ] as Array<[number, string[], boolean]>) {
      const n = steadyLeader(size);
      propose(n, 'x');
      ready(n);
      for (const id of acks) step(n, reply(id, 1, { matchIndex: 2 }));
      expect(n.commitIndex, `${size} servers, acks from ${acks}`).toBe(committed ? 2 : 1);
      expect(ready(n).committed, `${size} servers, acks from ${acks}`).toEqual(committed ? [{ index: 2, term: 1, command: 'x' }] : []);
    }
  });

  it('The leader keeps track of the highest index it knows to be committed, and it includes that index in future AppendEntries RPCs (including heartbeats)', () => {
    const n = steadyLeader();
    propose(n, 'x');
    ready(n);
    step(n, reply('n2', 1, { matchIndex: 2 }));
    for (let i = 0; i < HEARTBEAT; i += 1) tick(n);
    expect(ofType(ready(n).messages, 'AppendEntries').map((m) => [m.to, m.leaderCommit, m.entries.length])).toEqual([
      ['n2', 2, 0],
      ['n3', 2, 0],
    ]);
  });

  it('This also commits all preceding entries in the leader\'s log: committed entries come out once, in log order', () => {
    const n = steadyLeader(5);
    for (const c of ['a', 'b', 'c']) propose(n, c);
    ready(n);
    step(n, reply('n2', 1, { matchIndex: 4 }));
    step(n, reply('n3', 1, { matchIndex: 3 }));
    expect(commands(ready(n).committed)).toEqual(['a', 'b']);
    step(n, reply('n4', 1, { matchIndex: 4 }));
    step(n, reply('n3', 1, { matchIndex: 3 })); // a duplicate acknowledgement changes nothing
    expect(commands(ready(n).committed)).toEqual(['c']);
    expect(ready(n).committed).toEqual([]);
    expect(n.progress['n3']!.matchIndex).toBe(3);
  });

  it('a late acknowledgement of less does not lower what the leader knows a follower has', () => {
    const n = steadyLeader();
    propose(n, 'a');
    propose(n, 'b');
    ready(n);
    step(n, reply('n2', 1, { matchIndex: 3 }));
    step(n, reply('n2', 1, { matchIndex: 2 }));
    expect(n.progress['n2']!.matchIndex).toBe(3);
  });

  it('the leader counts its own log: a new leader whose followers hold nothing yet commits nothing', () => {
    const n = node('n1', 3, { term: 1, entries: log(1, 1) });
    makeLeader(n);
    expect(n.commitIndex).toBe(0);
    expect(ready(n).committed).toEqual([]);
  });
});

describe('§5.3 log replication: the follower', () => {
  // etcd-io/raft TestFollowerCheckMsgApp: the follower's log is [1@1, 2@2]; prevLogIndex/Term → answer.
  const checks: Array<[number, number, Partial<AppendEntriesReply>]> = [
    [0, 0, { success: true, matchIndex: 0 }], // the start of the log matches everywhere
    [1, 1, { success: true, matchIndex: 1 }],
    [2, 2, { success: true, matchIndex: 2 }],
    [1, 2, { success: false, conflictTerm: 1, conflictIndex: 1 }], // a term mismatch at 1
    [3, 3, { success: false, conflictTerm: null, conflictIndex: 3 }], // the follower's log is too short
    [2, 1, { success: false, conflictTerm: 2, conflictIndex: 2 }],
  ];
  for (const [prevLogIndex, prevLogTerm, expected] of checks) {
    it(`If the follower does not find an entry in its log with the same index and term, then it refuses the new entries (prev ${prevLogIndex}@${prevLogTerm} → ${expected.success ? 'accepted' : 'refused'})`, () => {
      const n = node('n1', 3, { term: 2, entries: log(1, 2) });
      step(n, appendEntries({ from: 'n2', to: 'n1', term: 2, prevLogIndex, prevLogTerm }));
      const r = ready(n);
      expect(r.messages).toEqual([
        { type: 'AppendEntriesReply', from: 'n1', to: 'n2', term: 2, success: true, matchIndex: 0, conflictTerm: null, conflictIndex: 0, ...expected },
      ]);
      expect(r.log).toBeNull();
      expect(n.log).toEqual(log(1, 2));
    });
  }

  // etcd-io/raft TestFollowerAppendEntries: the follower's log is [1@1, 2@2].
  const appends: Array<[number, number, Entry[], Entry[], number | null]> = [
    [2, 2, [{ index: 3, term: 3, command: 'n' }], [...log(1, 2), { index: 3, term: 3, command: 'n' }], 3],
    [1, 1, [{ index: 2, term: 3, command: 'n' }, { index: 3, term: 4, command: 'm' }], [log(1)[0]!, { index: 2, term: 3, command: 'n' }, { index: 3, term: 4, command: 'm' }], 2],
    [0, 0, [{ index: 1, term: 1, command: 'c1@1' }], log(1, 2), null], // already there: nothing to write
    [0, 0, [{ index: 1, term: 3, command: 'n' }], [{ index: 1, term: 3, command: 'n' }], 1],
  ];
  for (const [prevLogIndex, prevLogTerm, entries, after, truncateFrom] of appends) {
    it(`If an existing entry conflicts with a new one (same index but different terms), delete the existing entry and all that follow it; append any new entries not already in the log (prev ${prevLogIndex}, ${entries.map((e) => `${e.index}@${e.term}`)})`, () => {
      const n = node('n1', 3, { term: 2, entries: log(1, 2) });
      step(n, appendEntries({ from: 'n2', to: 'n1', term: 4, prevLogIndex, prevLogTerm, entries }));
      expect(n.log).toEqual(after);
      const r = ready(n);
      expect(r.log).toEqual(truncateFrom === null ? null : { truncateFrom, entries: after.filter((e) => e.index >= truncateFrom) });
      expect(ofType(r.messages, 'AppendEntriesReply')[0]).toMatchObject({ success: true, matchIndex: prevLogIndex + entries.length });
    });
  }

  it('a late duplicate of an older AppendEntries does not truncate the entries that arrived after it (only a conflict does)', () => {
    const n = node('n1', 3, { term: 2 });
    const e = log(2, 2, 2);
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 2, prevLogIndex: 0, prevLogTerm: 0, entries: e.slice(0, 1) }));
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 2, prevLogIndex: 1, prevLogTerm: 2, entries: e.slice(1) }));
    ready(n);
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 2, prevLogIndex: 0, prevLogTerm: 0, entries: e.slice(0, 1) })); // the first again
    const r = ready(n);
    expect(n.log).toEqual(e);
    expect(r.log).toBeNull();
    // It answers for what that message covered, no further: the leader must not believe more from it.
    expect(r.messages).toEqual([
      { type: 'AppendEntriesReply', from: 'n1', to: 'n2', term: 2, success: true, matchIndex: 1, conflictTerm: null, conflictIndex: 0 },
    ]);
  });

  it('a heartbeat does not truncate a follower\'s longer log even if the entries after prevLogIndex are from another term', () => {
    const n = node('n1', 3, { term: 3, entries: log(1, 2, 2) });
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 3, prevLogIndex: 1, prevLogTerm: 1, leaderCommit: 1 }));
    expect(n.log).toEqual(log(1, 2, 2));
    expect(ofType(ready(n).messages, 'AppendEntriesReply')[0]).toMatchObject({ success: true, matchIndex: 1 });
  });

  // etcd-io/raft TestFollowerCommitEntry and the Figure 2 rule: commitIndex = min(leaderCommit, index of last new entry).
  const commits: Array<[number, number, number]> = [
    // [entries sent (after prev 1@1), leaderCommit, commitIndex after]
    [2, 1, 1],
    [2, 2, 2],
    [2, 3, 3],
    [2, 9, 3], // never beyond the last entry this message made sure of
    [0, 9, 1], // a heartbeat vouches for prevLogIndex only
  ];
  for (const [count, leaderCommit, commitIndex] of commits) {
    it(`Once a follower learns that a log entry is committed, it applies the entry to its local state machine (in log order): If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry) (${count} new, leaderCommit ${leaderCommit} → ${commitIndex})`, () => {
      const n = node('n1', 3, { term: 1, entries: [...log(1, 1, 1, 1, 1)] }); // a longer log: entries beyond the message are not vouched for
      step(n, appendEntries({ from: 'n2', to: 'n1', term: 1, prevLogIndex: 1, prevLogTerm: 1, entries: log(1, 1, 1).slice(1, 1 + count), leaderCommit }));
      expect(n.commitIndex).toBe(commitIndex);
      const r = ready(n);
      expect(r.committed.map((e) => e.index)).toEqual(Array.from({ length: commitIndex }, (_, i) => i + 1));
      expect(ofType(r.messages, 'AppendEntriesReply')[0]).toMatchObject({ success: true, matchIndex: 1 + count });
    });
  }

  it('a follower\'s commit index never goes back: an older leaderCommit leaves it, and the reply vouches for it', () => {
    const n = node('n1', 3, { term: 1, entries: log(1, 1, 1) });
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 1, prevLogIndex: 3, prevLogTerm: 1, leaderCommit: 3 }));
    ready(n);
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 1, prevLogIndex: 1, prevLogTerm: 1, leaderCommit: 1 }));
    expect(n.commitIndex).toBe(3);
    const r = ready(n);
    expect(r.committed).toEqual([]);
    // Its log equals every leader's up to its commit index (Leader Completeness), so it may say so.
    expect(ofType(r.messages, 'AppendEntriesReply')[0]).toMatchObject({ success: true, matchIndex: 3 });
  });

  it('the entry at the commit index is not checked either (a message naming it as prevLogIndex is taken)', () => {
    const n = node('n1', 3, { term: 2, entries: log(1, 1, 2) });
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 2, prevLogIndex: 2, prevLogTerm: 1, leaderCommit: 2 }));
    ready(n);
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 2, prevLogIndex: 2, prevLogTerm: 7, entries: [{ index: 3, term: 2, command: 'c3@2' }] }));
    expect(ofType(ready(n).messages, 'AppendEntriesReply')[0]).toMatchObject({ success: true, matchIndex: 3 });
  });

  it('committed entries are never checked or replaced again: a message that disagrees below the commit index is taken for what is new', () => {
    const n = node('n1', 3, { term: 2, entries: log(1, 1, 2) });
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 2, prevLogIndex: 3, prevLogTerm: 2, leaderCommit: 2 }));
    ready(n);
    // prev 1@9 would fail the check, but index 1 is committed here: skip the check; entry 2 (committed) is skipped too.
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 2, prevLogIndex: 1, prevLogTerm: 9, entries: [{ index: 2, term: 9, command: 'z' }, { index: 3, term: 2, command: 'c3@2' }, { index: 4, term: 2, command: 'd' }] }));
    expect(n.log.map((e) => `${e.index}@${e.term}`)).toEqual(['1@1', '2@1', '3@2', '4@2']);
    expect(ofType(ready(n).messages, 'AppendEntriesReply')[0]).toMatchObject({ success: true, matchIndex: 4 });
  });
});

describe('§5.3 fast backup ("the follower can include the term of the conflicting entry and the first index it stores for that term")', () => {
  it('follower: a term mismatch names that term and the first index of its run in the follower\'s log', () => {
    const n = node('n1', 3, { term: 5, entries: log(1, 2, 2, 2, 3) });
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 5, prevLogIndex: 4, prevLogTerm: 4 }));
    expect(ofType(ready(n).messages, 'AppendEntriesReply')[0]).toMatchObject({ success: false, conflictTerm: 2, conflictIndex: 2, matchIndex: 0 });
  });

  it('follower: the run is not followed below the commit index (those entries are the leader\'s too)', () => {
    const n = node('n1', 3, { term: 5, entries: log(2, 2, 2, 2) });
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 5, prevLogIndex: 2, prevLogTerm: 2, leaderCommit: 2 }));
    ready(n);
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 5, prevLogIndex: 4, prevLogTerm: 4 }));
    expect(ofType(ready(n).messages, 'AppendEntriesReply')[0]).toMatchObject({ success: false, conflictTerm: 2, conflictIndex: 3 });
  });

  it('follower: a log too short names no term and the index just past its end', () => {
    const n = node('n1', 3, { term: 5, entries: log(1, 2) });
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 5, prevLogIndex: 7, prevLogTerm: 4 }));
    expect(ofType(ready(n).messages, 'AppendEntriesReply')[0]).toMatchObject({ success: false, conflictTerm: null, conflictIndex: 3 });
  });

  /** n1 leads term 6 with the log 1@1 2@2 3@2 4@4 5@4 6@6 (the no-op); n2 is probing from index 6. */
  function backingLeader(): RaftNode {
    const n = node('n1', 3, { term: 5, entries: log(1, 2, 2, 4, 4) });
    timeout(n);
    step(n, { type: 'RequestVoteReply', from: 'n3', to: 'n1', term: 6, granted: true });
    ready(n);
    expect(n.term).toBe(6);
    return n;
  }
  const retries: Array<[string, number | null, number, number]> = [
    ['the leader has the conflicting term: resend from just after its last entry of that term', 2, 2, 4],
    ['the leader has no entry of that term: skip the follower\'s whole run of it', 3, 4, 4],
    ['the leader has no entry of that term, and older ones before it', 3, 2, 2],
    ['the follower\'s log is too short: start at its end', null, 3, 3],
    ['the hint is past the leader\'s own log: no further than its end', null, 99, 7],
  ];
  for (const [what, conflictTerm, conflictIndex, nextIndex] of retries) {
    it(`leader: ${what} (conflict ${conflictTerm}@${conflictIndex} → nextIndex ${nextIndex})`, () => {
      const n = backingLeader();
      step(n, reply('n2', 6, { success: false, conflictTerm, conflictIndex }));
      expect(n.progress['n2']).toMatchObject({ nextIndex, mode: 'probe', active: true });
      const [m] = ofType(ready(n).messages, 'AppendEntries');
      expect(m).toMatchObject({ to: 'n2', prevLogIndex: nextIndex - 1 });
      expect(m!.entries.map((e) => e.index)).toEqual(Array.from({ length: Math.max(0, 7 - nextIndex) }, (_, i) => nextIndex + i));
    });
  }

  it('leader: the snapshot\'s last entry counts as one of its entries of that term', () => {
    const n = node('n1', 3, { term: 1, snapshot: { lastIndex: 5, lastTerm: 1, data: 'S' } });
    makeLeader(n); // term 2, no-op at 6
    propose(n, 'x'); // 7
    step(n, reply('n2', 2, { success: false, conflictTerm: 1, conflictIndex: 3 })); // its 6 is of term 1
    expect(n.progress['n2']).toMatchObject({ nextIndex: 6, mode: 'probe' });
    const sent = ready(n).messages.filter((m) => m.to === 'n2');
    expect(sent).toMatchObject([{ type: 'AppendEntries', prevLogIndex: 5, prevLogTerm: 1 }]);
  });

  it('leader: never backs up below what the follower is known to hold', () => {
    const n = backingLeader();
    step(n, reply('n2', 6, { success: true, matchIndex: 4 }));
    ready(n);
    step(n, reply('n2', 6, { success: false, conflictTerm: null, conflictIndex: 1 })); // a stale refusal
    expect(n.progress['n2']).toMatchObject({ matchIndex: 4, nextIndex: 5, mode: 'probe' });
  });

  it('If a follower\'s log is inconsistent with the leader\'s, the AppendEntries consistency check will fail … the leader … retries. Eventually nextIndex will reach a point where the leader and follower logs match (Figure 7, every follower a–f)', () => {
    // Figure 7: the leader's log, and followers (a)–(f), as terms per index.
    const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    const followers = [
      [1, 1, 1, 4, 4, 5, 5, 6, 6], // a
      [1, 1, 1, 4], // b
      [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6], // c
      [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7], // d
      [1, 1, 1, 4, 4, 4, 4], // e
      [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3], // f
    ];
    for (const [i, f] of followers.entries()) {
      const c = new Cluster(ids(3), { n1: { term: 7, entries: log(...leaderLog) }, n2: { term: 7, entries: log(...f) }, n3: { term: 7, entries: log(...leaderLog) } });
      // Make n1 leader of term 8 by hand (n2's log might be longer, e.g. d: it would not vote).
      const leader = c.get('n1');
      timeout(leader);
      step(leader, { type: 'RequestVoteReply', from: 'n3', to: 'n1', term: 8, granted: true });
      c.flush();
      expect(leader.role).toBe('leader');
      for (let t = 0; t < HEARTBEAT; t += 1) tick(leader); // the commit index reaches followers with the next message
      c.flush();
      const expected = [...log(...leaderLog), { index: 11, term: 8, command: null }];
      expect(c.get('n2').log, `follower ${'abcdef'[i]}`).toEqual(expected);
      expect(c.get('n2').commitIndex, `follower ${'abcdef'[i]}`).toBe(11);
      const refusals = c.sent.filter((m) => m.type === 'AppendEntriesReply' && m.from === 'n2' && !m.success).length;
      expect(refusals, `follower ${'abcdef'[i]}: one round trip per term at most`).toBeLessThanOrEqual(3);
    }
  });
});

describe('§5.4.2 committing entries from previous terms (Figure 8)', () => {
  it('Raft never commits log entries from previous terms by counting replicas. Only log entries from the leader\'s current term are committed by counting replicas', () => {
    // Figure 8 (c): S1 leads term 4 and has replicated 2@2 to a majority, but not yet its own entry.
    const n = node('n1', 5, { term: 3, entries: log(1, 2) });
    timeout(n); // term 4
    step(n, { type: 'RequestVoteReply', from: 'n2', to: 'n1', term: 4, granted: true });
    step(n, { type: 'RequestVoteReply', from: 'n3', to: 'n1', term: 4, granted: true });
    ready(n);
    expect(n.log.map((e) => e.term)).toEqual([1, 2, 4]);
    step(n, reply('n2', 4, { matchIndex: 2 }));
    step(n, reply('n3', 4, { matchIndex: 2 }));
    expect(n.commitIndex).toBe(0); // 2@2 is on a majority but is of an earlier term
    expect(ready(n).committed).toEqual([]);
    step(n, reply('n2', 4, { matchIndex: 3 }));
    step(n, reply('n3', 4, { matchIndex: 3 }));
    expect(n.commitIndex).toBe(3); // once an entry from the current term has been committed … all prior entries are committed indirectly
    expect(ready(n).committed.map((e) => `${e.index}@${e.term}`)).toEqual(['1@1', '2@2', '3@4']);
  });

  it('Figure 8, played out: the entry of term 2 that was on a majority is overwritten, and no node ever applied it', () => {
    // (a) S1 leads term 2 and sends 2@2 to S2 only. (b) S1 crashes; S5 wins term 3 with S3, S4 and appends 2@3.
    // (c) S5 crashes; S1 restarts, wins term 4, replicates 2@2 to S3 — a majority has it, but it must not commit.
    // (d) S1 crashes; S5 can win term 5 (its last term 3 beats 2) and overwrites 2@2 everywhere.
    const c = new Cluster(ids(5), {
      n1: { term: 4, votedFor: 'n1', entries: [...log(1, 2), { index: 3, term: 4, command: null }] },
      n2: { term: 4, votedFor: 'n1', entries: log(1, 2) },
      n3: { term: 4, votedFor: 'n1', entries: log(1, 2) },
      n4: { term: 3, votedFor: 'n5', entries: log(1) },
      n5: { term: 4, votedFor: null, entries: [...log(1), { index: 2, term: 3, command: 'from S5' }] },
    });
    c.cut.add('n1');
    const s5 = c.elect('n5');
    expect(s5.role).toBe('leader');
    expect(s5.term).toBe(5);
    for (const id of ['n2', 'n3', 'n4', 'n5']) {
      expect(c.get(id).log.slice(0, 2).map((e) => e.term), id).toEqual([1, 3]);
      expect(c.applied[id]!.some((e) => e.term === 2), id).toBe(false);
    }
  });
});

describe('probe and replicate (etcd-io/raft): pipelining and batching', () => {
  it('a new leader probes: one AppendEntries per follower, nothing more until it answers, even if clients propose', () => {
    const n = node('n1');
    makeLeader(n);
    propose(n, 'a');
    propose(n, 'b');
    expect(ready(n).messages).toEqual([]); // the probe went out with the election; the proposals wait
    expect(n.progress['n2']).toEqual({ matchIndex: 0, nextIndex: 1, mode: 'probe', active: true });
  });

  it('a probe answered: the follower switches to replicate and gets what it is missing at once', () => {
    const n = node('n1');
    makeLeader(n);
    propose(n, 'a');
    ready(n);
    step(n, reply('n2', 1, { matchIndex: 1 }));
    expect(n.progress['n2']).toMatchObject({ matchIndex: 1, nextIndex: 3, mode: 'replicate' });
    expect(ofType(ready(n).messages, 'AppendEntries')).toEqual([
      { type: 'AppendEntries', from: 'n1', to: 'n2', term: 1, prevLogIndex: 1, prevLogTerm: 1, entries: [{ index: 2, term: 1, command: 'a' }], leaderCommit: 1 },
    ]);
  });

  it('several proposals between two ready() calls go out together: one AppendEntries per follower', () => {
    const n = steadyLeader(5);
    for (const c of ['a', 'b', 'c', 'd']) propose(n, c);
    const sent = ofType(ready(n).messages, 'AppendEntries');
    expect(sent.map((m) => [m.to, m.prevLogIndex, commands(m.entries)])).toEqual(
      ['n2', 'n3', 'n4', 'n5'].map((to) => [to, 1, ['a', 'b', 'c', 'd']]),
    );
  });

  it('replicate mode pipelines: the next batch leaves before the previous one is acknowledged', () => {
    const n = steadyLeader();
    propose(n, 'a');
    ready(n);
    propose(n, 'b');
    const sent = ofType(ready(n).messages, 'AppendEntries');
    expect(sent.map((m) => [m.to, m.prevLogIndex, commands(m.entries)])).toEqual([
      ['n2', 2, ['b']],
      ['n3', 2, ['b']],
    ]);
    expect(n.progress['n2']).toMatchObject({ matchIndex: 1, nextIndex: 4 });
  });

  it('batches are cut at maxEntriesPerMessage, and a replicating follower gets all of them back to back', () => {
    const n = steadyLeader(3, { maxEntriesPerMessage: 2 });
    for (const c of ['a', 'b', 'c', 'd', 'e']) propose(n, c);
    const toN2 = ofType(ready(n).messages, 'AppendEntries').filter((m) => m.to === 'n2');
    expect(toN2.map((m) => [m.prevLogIndex, commands(m.entries)])).toEqual([
      [1, ['a', 'b']],
      [3, ['c', 'd']],
      [5, ['e']],
    ]);
  });

  it('a probing follower gets one capped message at a time', () => {
    const n = node('n1', 3, { term: 1, entries: log(1, 1, 1, 1, 1) }, { maxEntriesPerMessage: 2 });
    makeLeader(n); // no-op at 6
    step(n, reply('n2', 2, { success: false, conflictTerm: null, conflictIndex: 1 }));
    const toN2 = ofType(ready(n).messages, 'AppendEntries').filter((m) => m.to === 'n2');
    expect(toN2.map((m) => [m.prevLogIndex, m.entries.map((e) => e.index)])).toEqual([[0, [1, 2]]]);
  });

  it('an acknowledgement in replicate mode does not resend what is still in flight', () => {
    const n = steadyLeader();
    propose(n, 'a');
    ready(n); // 2 in flight
    propose(n, 'b');
    ready(n); // 3 in flight
    step(n, reply('n2', 1, { matchIndex: 2 }));
    expect(ready(n).messages).toEqual([]);
    expect(n.progress['n2']).toMatchObject({ matchIndex: 2, nextIndex: 4, mode: 'replicate' });
  });

  it('a refusal sends a replicating follower back to probing', () => {
    const n = steadyLeader();
    propose(n, 'a');
    ready(n);
    step(n, reply('n2', 1, { success: false, conflictTerm: null, conflictIndex: 2 }));
    expect(n.progress['n2']).toMatchObject({ mode: 'probe', nextIndex: 2 });
    propose(n, 'b');
    const toN2 = ofType(ready(n).messages, 'AppendEntries').filter((m) => m.to === 'n2');
    expect(toN2.map((m) => [m.prevLogIndex, commands(m.entries)])).toEqual([[1, ['a']]]); // the retry; 'b' waits
  });

  it('a heartbeat to a replicating follower that is up to date carries no entries and does not move nextIndex', () => {
    const n = steadyLeader();
    for (let i = 0; i < HEARTBEAT; i += 1) tick(n);
    expect(ofType(ready(n).messages, 'AppendEntries').map((m) => m.entries)).toEqual([[], []]);
    expect(n.progress['n2']).toMatchObject({ nextIndex: 2, mode: 'replicate' });
  });

  it('a heartbeat re-probes a follower that has not answered', () => {
    const n = node('n1');
    makeLeader(n);
    for (let i = 0; i < HEARTBEAT; i += 1) tick(n);
    expect(ofType(ready(n).messages, 'AppendEntries').map((m) => [m.to, m.prevLogIndex, m.entries.length])).toEqual([
      ['n2', 0, 1],
      ['n3', 0, 1],
    ]);
  });
});

describe('§7 log compaction and InstallSnapshot', () => {
  it('compact: the log up to the applied index is replaced by a snapshot (its last index and term) that the next ready() hands over', () => {
    const c = new Cluster(ids(1));
    const n = c.elect('n1');
    for (const x of ['a', 'b', 'c']) propose(n, x);
    c.flush();
    expect(n.lastApplied).toBe(4);
    compact(n, 5, 'too far'); // not applied yet: refused
    compact(n, 3, 'state@3');
    expect(n.snapshot).toEqual({ lastIndex: 3, lastTerm: 1, data: 'state@3' });
    expect(n.log).toEqual([{ index: 4, term: 1, command: 'c' }]);
    expect(ready(n).snapshot).toEqual({ lastIndex: 3, lastTerm: 1, data: 'state@3' });
    compact(n, 3, 'again');
    compact(n, 2, 'older');
    expect(n.snapshot!.data).toBe('state@3');
    expect(ready(n).snapshot).toBeNull();
    compact(n, 4, 'state@4');
    expect(n.log).toEqual([]);
    expect(propose(n, 'd')).toEqual({ ok: true, index: 5, term: 1 });
    expect(ready(n).committed).toEqual([{ index: 5, term: 1, command: 'd' }]);
  });

  it('the leader sends its snapshot to a follower that needs entries it has compacted away, and streams the rest after', () => {
    const c = new Cluster(ids(3));
    const leader = c.elect('n1');
    c.cut.add('n3');
    for (const x of ['a', 'b', 'c']) propose(leader, x);
    c.flush();
    compact(leader, 3, 'state@3');
    ready(leader);
    c.cut.delete('n3');
    for (let i = 0; i < HEARTBEAT; i += 1) tick(leader);
    c.flush();
    const snaps = ofType(c.sent, 'InstallSnapshot');
    expect(snaps).toEqual([{ type: 'InstallSnapshot', from: 'n1', to: 'n3', term: 1, snapshot: { lastIndex: 3, lastTerm: 1, data: 'state@3' } }]);
    const n3 = c.get('n3');
    expect(n3.snapshot).toEqual({ lastIndex: 3, lastTerm: 1, data: 'state@3' });
    expect(n3.log).toEqual([{ index: 4, term: 1, command: 'c' }]);
    expect(n3.commitIndex).toBe(4);
    expect(commands(c.applied['n3']!)).toEqual(['c']); // entries after the snapshot, applied once
    expect(leader.progress['n3']).toMatchObject({ matchIndex: 4, nextIndex: 5, mode: 'replicate' });
  });

  it('InstallSnapshot: the follower replaces its log, applies the snapshot and answers with its last index', () => {
    const n = node('n1', 3, { term: 1, entries: log(1, 1, 1) });
    const snapshot = { lastIndex: 5, lastTerm: 2, data: 'S' };
    step(n, { type: 'InstallSnapshot', from: 'n2', to: 'n1', term: 2, snapshot });
    const r = ready(n);
    expect(r.snapshot).toEqual(snapshot);
    expect(r.applySnapshot).toEqual(snapshot);
    expect(r.log).toEqual({ truncateFrom: 6, entries: [] });
    expect(r.committed).toEqual([]);
    expect(r.messages).toEqual([{ type: 'InstallSnapshotReply', from: 'n1', to: 'n2', term: 2, matchIndex: 5 }]);
    expect([n.commitIndex, n.lastApplied, n.log.length, n.leaderId]).toEqual([5, 5, 0, 'n2']);
  });

  it('If the follower receives a snapshot that describes a prefix of its log, log entries covered by the snapshot are deleted but entries following the snapshot are still valid and must be retained', () => {
    const n = node('n1', 3, { term: 2, entries: log(1, 1, 2, 2, 2) });
    const snapshot = { lastIndex: 3, lastTerm: 2, data: 'S' };
    step(n, { type: 'InstallSnapshot', from: 'n2', to: 'n1', term: 2, snapshot });
    expect(n.log.map((e) => e.index)).toEqual([4, 5]);
    const r = ready(n);
    expect(r.log).toEqual({ truncateFrom: 4, entries: log(1, 1, 2, 2, 2).slice(3) });
    expect(r.messages).toEqual([{ type: 'InstallSnapshotReply', from: 'n1', to: 'n2', term: 2, matchIndex: 3 }]);
  });

  it('a snapshot installed after an append in the same round: the log change covers both (cut at the append, the kept entries after the snapshot)', () => {
    const n = node('n1', 3, { term: 1, entries: log(1, 1) });
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 1, prevLogIndex: 2, prevLogTerm: 1, entries: log(1, 1, 1, 1, 1, 1, 1, 1).slice(2) }));
    step(n, { type: 'InstallSnapshot', from: 'n2', to: 'n1', term: 1, snapshot: { lastIndex: 5, lastTerm: 1, data: 'S' } });
    const r = ready(n);
    expect(r.log).toEqual({ truncateFrom: 3, entries: log(1, 1, 1, 1, 1, 1, 1, 1).slice(5) });
    expect(r.snapshot).toMatchObject({ lastIndex: 5 });
  });

  it('a snapshot that disagrees with the entry at its last index discards the whole log', () => {
    const n = node('n1', 3, { term: 3, entries: log(1, 1, 2, 2, 2) });
    step(n, { type: 'InstallSnapshot', from: 'n2', to: 'n1', term: 3, snapshot: { lastIndex: 3, lastTerm: 3, data: 'S' } });
    expect(n.log).toEqual([]);
    expect(ready(n).log).toEqual({ truncateFrom: 4, entries: [] });
  });

  it('a snapshot the follower is already past (up to its commit index) changes nothing; the answer says how far it is', () => {
    const n = node('n1', 3, { term: 1, entries: log(1, 1, 1, 1) });
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 1, prevLogIndex: 4, prevLogTerm: 1, leaderCommit: 4 }));
    ready(n);
    step(n, { type: 'InstallSnapshot', from: 'n2', to: 'n1', term: 1, snapshot: { lastIndex: 4, lastTerm: 1, data: 'S' } });
    const r = ready(n);
    expect(r.snapshot).toBeNull();
    expect(r.applySnapshot).toBeNull();
    expect(n.log.length).toBe(4);
    expect(r.messages).toEqual([{ type: 'InstallSnapshotReply', from: 'n1', to: 'n2', term: 1, matchIndex: 4 }]);
  });

  it('a restarted node starts from its snapshot: committed and applied up to it, the log after it', () => {
    const n = node('n1', 3, { term: 2, snapshot: { lastIndex: 3, lastTerm: 2, data: 'S' }, entries: log(1, 2, 2, 2, 2) });
    expect([n.commitIndex, n.lastApplied]).toEqual([3, 3]);
    expect(n.log.map((e) => e.index)).toEqual([4, 5]);
    expect(ready(n).committed).toEqual([]);
    // It answers a leader that continues after the snapshot …
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 2, prevLogIndex: 5, prevLogTerm: 2, leaderCommit: 5 }));
    expect(ready(n).committed.map((e) => e.index)).toEqual([4, 5]);
    // … and one that starts inside the snapshot (it holds all of it).
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 2, prevLogIndex: 2, prevLogTerm: 2, entries: log(1, 2, 2, 2, 2, 2).slice(2), leaderCommit: 6 }));
    expect(n.log.map((e) => e.index)).toEqual([4, 5, 6]);
    expect(ready(n).committed.map((e) => e.index)).toEqual([6]);
  });

  it('a leader that compacted past a follower\'s position probes it with the snapshot again on each heartbeat until it answers', () => {
    const n = node('n1', 3, { term: 1, snapshot: { lastIndex: 5, lastTerm: 1, data: 'S' } });
    makeLeader(n); // no-op at 6; followers probed from 6
    step(n, reply('n2', 2, { success: false, conflictTerm: null, conflictIndex: 1 }));
    expect(ofType(ready(n).messages, 'InstallSnapshot').map((m) => m.to)).toEqual(['n2']);
    for (let i = 0; i < HEARTBEAT; i += 1) tick(n);
    const out = ready(n).messages;
    expect(ofType(out, 'InstallSnapshot').map((m) => m.to)).toEqual(['n2']);
    step(n, { type: 'InstallSnapshotReply', from: 'n2', to: 'n1', term: 2, matchIndex: 5 });
    expect(n.progress['n2']).toMatchObject({ matchIndex: 5, nextIndex: 7, mode: 'replicate' });
    expect(ofType(ready(n).messages, 'AppendEntries')).toMatchObject([{ to: 'n2', prevLogIndex: 5, prevLogTerm: 1, entries: [{ index: 6 }] }]);
  });
});
