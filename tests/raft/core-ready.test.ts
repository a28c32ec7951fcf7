// What ready() hands the adapter, and in which shape (examples/raft/core/types.ts, Ready): the adapter persists
// hardState, snapshot and the log change, then sends the messages, then applies. These tests pin the data those
// duties rest on: hardState whenever term or vote changed, a log change that says exactly where the disk must
// be cut, and committed entries in order, each exactly once.
import { describe, expect, it } from 'vitest';
import { propose, ready, status, step, tick } from '../../examples/raft/core/raft.ts';
import { Cluster, appendEntries, ids, log, makeLeader, node, timeout } from './core-harness.ts';

describe('ready(): hardState', () => {
  it('is present exactly when term or vote changed since the last ready()', () => {
    const n = node('n1');
    expect(ready(n).hardState).toBeNull();
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 1 })); // a new term
    expect(ready(n).hardState).toEqual({ term: 1, votedFor: null });
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 1 })); // same term, no vote
    expect(ready(n).hardState).toBeNull();
    tick(n);
    expect(ready(n).hardState).toBeNull();
    timeout(n); // a campaign: new term and a vote for itself
    expect(ready(n).hardState).toEqual({ term: 2, votedFor: 'n1' });
    step(n, { type: 'RequestVote', from: 'n3', to: 'n1', term: 3, lastLogIndex: 0, lastLogTerm: 0 });
    expect(ready(n).hardState).toEqual({ term: 3, votedFor: 'n3' });
  });

  it('comes in the same ready() as the vote reply it must precede on disk', () => {
    const n = node('n1');
    step(n, { type: 'RequestVote', from: 'n2', to: 'n1', term: 1, lastLogIndex: 0, lastLogTerm: 0 });
    const r = ready(n);
    expect(r.hardState).toEqual({ term: 1, votedFor: 'n2' });
    expect(r.messages).toEqual([{ type: 'RequestVoteReply', from: 'n1', to: 'n2', term: 1, granted: true }]);
  });

  it('several changes between two ready() calls give the latest term and vote', () => {
    const n = node('n1');
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 1 }));
    timeout(n);
    timeout(n);
    expect(ready(n).hardState).toEqual({ term: 3, votedFor: 'n1' });
  });
});

describe('ready(): the log change', () => {
  it('appending: truncateFrom is the first new index and entries are the new ones', () => {
    const n = node('n1', 3, { term: 1, entries: log(1, 1) });
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 1, prevLogIndex: 2, prevLogTerm: 1, entries: log(1, 1, 1, 1).slice(2) }));
    expect(ready(n).log).toEqual({ truncateFrom: 3, entries: log(1, 1, 1, 1).slice(2) });
    expect(ready(n).log).toBeNull(); // handed over once
  });

  it('a conflict: truncateFrom is the first conflicting index, even if later steps appended above it', () => {
    const n = node('n1', 3, { term: 1, entries: log(1, 1, 1, 1) });
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 2, prevLogIndex: 1, prevLogTerm: 1, entries: [{ index: 2, term: 2, command: 'x' }] }));
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 2, prevLogIndex: 2, prevLogTerm: 2, entries: [{ index: 3, term: 2, command: 'y' }] }));
    expect(ready(n).log).toEqual({
      truncateFrom: 2,
      entries: [
        { index: 2, term: 2, command: 'x' },
        { index: 3, term: 2, command: 'y' },
      ],
    });
    expect(n.log.length).toBe(3);
  });

  it('a lower change after a higher one moves truncateFrom down', () => {
    const n = node('n1', 3, { term: 1, entries: log(1, 1, 1, 1) });
    step(n, appendEntries({ from: 'n2', to: 'n1', term: 2, prevLogIndex: 3, prevLogTerm: 1, entries: [{ index: 4, term: 2, command: 'x' }] }));
    step(n, appendEntries({ from: 'n3', to: 'n1', term: 3, prevLogIndex: 1, prevLogTerm: 1, entries: [{ index: 2, term: 3, command: 'y' }] }));
    expect(ready(n).log).toEqual({ truncateFrom: 2, entries: [{ index: 2, term: 3, command: 'y' }] });
  });

  it('a leader\'s proposals: one log change with all of them', () => {
    const n = node('n1');
    makeLeader(n);
    propose(n, 'a');
    propose(n, 'b');
    expect(ready(n).log).toEqual({
      truncateFrom: 2,
      entries: [
        { index: 2, term: 1, command: 'a' },
        { index: 3, term: 1, command: 'b' },
      ],
    });
  });
});

describe('ready(): committed entries', () => {
  it('come in log order, each exactly once across ready() calls, on leader and followers alike', () => {
    const c = new Cluster(ids(3));
    const leader = c.elect('n1');
    for (let round = 0; round < 5; round += 1) {
      for (let k = 0; k < round; k += 1) propose(leader, `${round}.${k}`);
      c.flush();
      for (let t = 0; t < 3; t += 1) tick(leader);
      c.flush();
    }
    const expected = [null, ...[1, 2, 3, 4].flatMap((round) => Array.from({ length: round }, (_, k) => `${round}.${k}`))];
    for (const id of ids(3)) {
      expect(c.applied[id]!.map((e) => e.command), id).toEqual(expected);
      expect(c.applied[id]!.map((e) => e.index), id).toEqual(expected.map((_, i) => i + 1));
      expect(status(c.get(id))).toMatchObject({ commitIndex: 11, lastApplied: 11, lastIndex: 11, leaderId: 'n1', term: 1 });
    }
  });

  it('nothing is left over: a second ready() right after the first is empty', () => {
    const c = new Cluster(ids(3));
    const leader = c.elect('n1');
    propose(leader, 'x');
    c.flush();
    expect(ready(leader)).toEqual({ hardState: null, snapshot: null, log: null, messages: [], applySnapshot: null, committed: [] });
  });
});
