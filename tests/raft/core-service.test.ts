// One node of the replicated KV service (examples/raft/core/service.ts): a Raft node, the KV state machine it
// feeds, and the requests waiting for their entry. Replies only for a request's own index AND term; a request
// whose slot went to another leader's entry is told so (lost-leadership) and was not applied; snapshots every N
// applied entries; a restart or a leader's snapshot restores the KV state.
import { describe, expect, it } from 'vitest';
import { emptyKv, type KvCommand, type KvState } from '../../examples/raft/core/kv.ts';
import { step, tick } from '../../examples/raft/core/raft.ts';
import { advance, createService, submit, type Reply, type Service } from '../../examples/raft/core/service.ts';
import type { Message, NodeId, Persisted } from '../../examples/raft/core/types.ts';
import { HEARTBEAT, config, ids, timeout } from './core-harness.ts';

/** Services n1…nN; `flush()` advances each, keeps its replies and delivers messages until quiet. */
class Services {
  nodes: Record<NodeId, Service> = {};
  replies: Record<NodeId, Reply[]> = {};
  persisted: Record<NodeId, Persisted> = {};
  cut = new Set<NodeId>();

  constructor(size: number, snapshotEvery = 0) {
    for (const id of ids(size)) {
      this.nodes[id] = createService(config(id, ids(size)), undefined, snapshotEvery);
      this.replies[id] = [];
      this.persisted[id] = { term: 0, votedFor: null, snapshot: null, entries: [] };
    }
  }

  get(id: NodeId): Service {
    return this.nodes[id]!;
  }

  flush(): void {
    for (let rounds = 0; rounds < 1000; rounds += 1) {
      const batch: Message[] = [];
      for (const [id, s] of Object.entries(this.nodes)) {
        const { ready: r, replies } = advance(s);
        const disk = this.persisted[id]!;
        if (r.hardState !== null) Object.assign(disk, r.hardState);
        if (r.snapshot !== null) disk.snapshot = r.snapshot;
        if (r.log !== null) disk.entries = [...disk.entries.filter((e) => e.index < r.log!.truncateFrom), ...r.log.entries];
        this.replies[id]!.push(...replies);
        batch.push(...r.messages);
      }
      if (batch.length === 0) return;
      for (const m of batch) if (!this.cut.has(m.from) && !this.cut.has(m.to)) step(this.nodes[m.to]!.raft, m);
    }
    throw new Error('never quiet');
  }

  elect(id: NodeId): Service {
    timeout(this.get(id).raft);
    this.flush();
    return this.get(id);
  }

  heartbeat(id: NodeId): void {
    for (let t = 0; t < HEARTBEAT; t += 1) tick(this.get(id).raft);
    this.flush();
  }
}

const put = (key: string, value: string, extra: Partial<KvCommand> = {}): KvCommand => ({ op: 'put', key, value, ...extra }) as KvCommand;

describe('service: requests and replies', () => {
  it('a follower refuses a request and names the leader; nothing is proposed', () => {
    const s = new Services(3);
    s.elect('n1');
    expect(submit(s.get('n2'), 'r1', put('x', '1'))).toEqual({ ok: false, leaderId: 'n1' });
    expect(s.get('n2').waiting).toEqual({});
    expect(s.get('n2').raft.log.length).toBe(1);
  });

  it('the leader answers a request once its entry is committed and applied, with the KV result and the index', () => {
    const s = new Services(3);
    const leader = s.elect('n1');
    expect(submit(leader, 'r1', put('x', '1'))).toEqual({ ok: true, index: 2 });
    expect(submit(leader, 'r2', { op: 'get', key: 'x' })).toEqual({ ok: true, index: 3 });
    s.flush();
    expect(s.replies['n1']).toEqual([
      { requestId: 'r1', ok: true, result: { ok: true, value: '1' }, index: 2 },
      { requestId: 'r2', ok: true, result: { ok: true, value: '1' }, index: 3 },
    ]);
    expect(leader.waiting).toEqual({});
    s.heartbeat('n1');
    for (const id of ['n2', 'n3']) {
      expect(s.get(id).kv.data, id).toEqual({ x: '1' }); // every replica applied it …
      expect(s.replies[id], id).toEqual([]); // … but only the node the client asked answers
    }
  });

  it('a single-node service answers at the next advance()', () => {
    const svc = createService(config('n1', ['n1']));
    timeout(svc.raft);
    advance(svc);
    expect(submit(svc, 'a', put('k', 'v'))).toEqual({ ok: true, index: 2 });
    expect(advance(svc).replies).toEqual([{ requestId: 'a', ok: true, result: { ok: true, value: 'v' }, index: 2 }]);
  });

  it('a retried request (same client and seq, proposed twice) is applied once and both copies get the first answer', () => {
    const s = new Services(3);
    const leader = s.elect('n1');
    const cas: KvCommand = { op: 'cas', key: 'x', expected: null, value: 'a', client: 'c', seq: 1 };
    submit(leader, 'try1', cas);
    submit(leader, 'other', { op: 'delete', key: 'x' });
    submit(leader, 'try2', cas);
    s.flush();
    expect(s.replies['n1']!.map((r) => (r.ok ? [r.requestId, r.result] : r))).toEqual([
      ['try1', { ok: true, value: null }],
      ['other', { ok: true, value: 'a' }],
      ['try2', { ok: true, value: null }],
    ]);
    expect(leader.kv.data).toEqual({});
  });

  it('lost leadership: a request whose entry was replaced by another leader\'s is told so, and was not applied', () => {
    const s = new Services(3);
    const old = s.elect('n1');
    s.heartbeat('n1');
    s.cut.add('n1');
    expect(submit(old, 'mine', put('x', 'old'))).toEqual({ ok: true, index: 2 });
    s.flush();
    expect(s.replies['n1']).toEqual([]); // not committed: no majority
    // n2 wins term 2 and writes its own entries at 2 (its no-op) and 3.
    const next = s.elect('n2');
    expect(next.raft.role).toBe('leader');
    submit(next, 'theirs', put('x', 'new'));
    s.flush();
    s.cut.delete('n1');
    s.heartbeat('n2');
    expect(old.raft.role).toBe('follower');
    expect(s.replies['n1']).toEqual([{ requestId: 'mine', ok: false, reason: 'lost-leadership' }]);
    expect(old.kv.data).toEqual({ x: 'new' });
    expect(s.replies['n2']).toEqual([{ requestId: 'theirs', ok: true, result: { ok: true, value: 'new' }, index: 3 }]);
  });

  it('the same index with a command of another term is not our request either (another leader\'s client command there)', () => {
    const s = new Services(3);
    const old = s.elect('n1');
    s.heartbeat('n1');
    s.cut.add('n1');
    submit(old, 'a', put('x', 'old-a'));
    submit(old, 'b', put('x', 'old-b')); // index 3
    s.flush();
    const next = s.elect('n2'); // no-op at 2
    submit(next, 'theirs', put('y', 'new')); // index 3, term 2
    s.flush();
    s.cut.delete('n1');
    s.heartbeat('n2');
    expect(s.replies['n1']).toEqual([
      { requestId: 'a', ok: false, reason: 'lost-leadership' },
      { requestId: 'b', ok: false, reason: 'lost-leadership' },
    ]);
    expect(old.kv.data).toEqual({ y: 'new' });
  });
});

describe('service: snapshots', () => {
  it('snapshots every N applied entries: the snapshot holds the KV state (sessions too) and reaches the adapter with the next ready()', () => {
    const s = new Services(1, 3);
    const svc = s.elect('n1'); // index 1: the no-op
    submit(svc, 'r1', put('a', '1', { client: 'c', seq: 1 }));
    s.flush(); // 2 applied
    expect(svc.raft.snapshot).toBeNull();
    submit(svc, 'r2', put('b', '2'));
    s.flush(); // 3 applied: snapshot at 3
    expect(svc.raft.snapshot).toMatchObject({ lastIndex: 3, lastTerm: 1 });
    expect(s.persisted['n1']!.snapshot).toBeNull(); // taken after this advance()'s ready() …
    s.flush();
    expect(s.persisted['n1']!.snapshot).toMatchObject({ lastIndex: 3 }); // … so the next one hands it over
    expect((svc.raft.snapshot!.data as KvState).data).toEqual({ a: '1', b: '2' });
    expect((svc.raft.snapshot!.data as KvState).sessions).toEqual({ c: { seq: 1, result: { ok: true, value: '1' } } });
    expect(svc.raft.log).toEqual([]);
    // The snapshot is a copy: later writes do not change it.
    submit(svc, 'r3', put('a', 'changed'));
    submit(svc, 'r4', put('c', '3'));
    s.flush();
    expect(svc.raft.snapshot).toMatchObject({ lastIndex: 3 });
    expect((svc.raft.snapshot!.data as KvState).data).toEqual({ a: '1', b: '2' });
    submit(svc, 'r5', put('d', '4'));
    s.flush(); // 6 applied: the next snapshot
    expect(svc.raft.snapshot).toMatchObject({ lastIndex: 6 });
    expect((svc.raft.snapshot!.data as KvState).data).toEqual({ a: 'changed', b: '2', c: '3', d: '4' });
  });

  it('snapshotEvery 0 never snapshots', () => {
    const s = new Services(1, 0);
    const svc = s.elect('n1');
    for (let i = 0; i < 10; i += 1) submit(svc, `r${i}`, put('k', `${i}`));
    s.flush();
    expect(svc.raft.snapshot).toBeNull();
    expect(svc.raft.log.length).toBe(11);
  });

  it('a restart from disk restores the KV state from the snapshot and re-applies the entries after it', () => {
    const s = new Services(1, 3);
    const svc = s.elect('n1');
    submit(svc, 'r1', put('a', '1', { client: 'c', seq: 1 }));
    submit(svc, 'r2', put('b', '2'));
    s.flush(); // 3 applied: a snapshot at 3 …
    submit(svc, 'r3', put('a', '3'));
    s.flush(); // … on disk with this ready(), and entry 4 after it
    const disk = structuredClone(s.persisted['n1']!);
    expect(disk.snapshot).toMatchObject({ lastIndex: 3 });
    const again = createService(config('n1', ['n1']), disk, 3);
    expect(again.kv.data).toEqual({ a: '1', b: '2' });
    expect(again.kv.sessions).toEqual({ c: { seq: 1, result: { ok: true, value: '1' } } });
    timeout(again.raft); // leader again; commits its no-op and with it entry 4
    const { replies } = advance(again);
    expect(replies).toEqual([]);
    expect(again.kv.data).toEqual({ a: '3', b: '2' });
    // The dedupe table came back with the snapshot: the retried put of seq 1 acts no more.
    submit(again, 'retry', put('a', '1', { client: 'c', seq: 1 }));
    expect(advance(again).replies).toEqual([{ requestId: 'retry', ok: true, result: { ok: true, value: '1' }, index: 6 }]);
    expect(again.kv.data).toEqual({ a: '3', b: '2' });
  });

  it('a restarted node\'s state is its own copy of the snapshot (applying does not change what was persisted)', () => {
    const data: KvState = { ...emptyKv(), data: { a: '1' } };
    const persisted: Persisted = { term: 1, votedFor: null, snapshot: { lastIndex: 1, lastTerm: 1, data }, entries: [] };
    const svc = createService(config('n1', ['n1']), persisted);
    timeout(svc.raft);
    advance(svc);
    submit(svc, 'r', put('a', '2'));
    advance(svc);
    expect(svc.kv.data).toEqual({ a: '2' });
    expect(data.data).toEqual({ a: '1' });
  });

  it('a follower restores a leader\'s snapshot (InstallSnapshot) and drops the requests it covered, unanswered', () => {
    const s = new Services(3, 2);
    const leader = s.elect('n1');
    s.cut.add('n3');
    for (const [k, v] of [['a', '1'], ['b', '2'], ['c', '3']] as const) submit(leader, k, put(k, v));
    s.flush();
    expect(leader.raft.snapshot).not.toBeNull();
    // n3 was cut off; give it a request it thinks it waits for (as if it had led once at that index).
    const n3 = s.get('n3');
    n3.waiting[2] = { term: 0, requestId: 'stale' };
    n3.waiting[leader.raft.snapshot!.lastIndex] = { term: 0, requestId: 'at the snapshot' };
    n3.waiting[9] = { term: 1, requestId: 'later' };
    s.cut.delete('n3');
    s.heartbeat('n1');
    expect(n3.raft.snapshot).toMatchObject({ lastIndex: leader.raft.snapshot!.lastIndex });
    expect(n3.kv.data).toEqual({ a: '1', b: '2', c: '3' });
    expect(n3.waiting).toEqual({ 9: { term: 1, requestId: 'later' } });
    expect(s.replies['n3']).toEqual([]);
    // Its state is a copy: the leader's later writes reach it through the log, and its snapshot data stays.
    submit(leader, 'd', put('a', 'x'));
    s.flush();
    s.heartbeat('n1');
    expect(n3.kv.data).toEqual({ a: 'x', b: '2', c: '3' });
  });
});
