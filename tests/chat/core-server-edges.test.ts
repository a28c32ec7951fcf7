// Edges of one chat server's core that the mutation run (npx stryker run --mutate examples/chat/core/server.ts)
// showed were not pinned: which reads stay under way, what a member still catching up is (not) sent, retries
// of failed reads on the tick, and sorted presence beats.
import { describe, expect, it } from 'vitest';
import { msg, page, reads, Server, to, types, beats } from './core-server-harness.ts';

describe('reads under way', () => {
  it('an answer forgets only its own read', () => {
    const s = new Server();
    s.connect('c1');
    s.frame('c1', { type: 'join', room: 'a', after: 0 });
    s.frame('c1', { type: 'join', room: 'b', after: 3 });
    expect(s.state.reads).toEqual(['a:0', 'b:3']);
    s.in({ kind: 'history', after: 0, page: page('a', 0, 1, 0) });
    expect(s.state.reads).toEqual(['b:3']);
    s.in({ kind: 'read-failed', room: 'b', after: 2, reason: 'x' }); // not a read that was asked
    expect(s.state.reads).toEqual(['b:3']);
  });

  it('a room left empty forgets only its own reads', () => {
    const s = new Server();
    s.connect('c1');
    s.frame('c1', { type: 'join', room: 'a', after: 0 });
    s.frame('c1', { type: 'join', room: 'ab', after: 0 });
    s.frame('c1', { type: 'join', room: 'b', after: 0 });
    s.frame('c1', { type: 'leave', room: 'a' });
    expect(s.state.reads).toEqual(['ab:0', 'b:0']);
  });

  it('a live message before the first page asks for nothing yet: the page will', () => {
    const s = new Server();
    s.connect('c1');
    s.frame('c1', { type: 'join', room: 'a', after: 0 });
    expect(s.in({ kind: 'bus-message', message: msg('a', 3) })).toEqual({ sends: [], closes: [], bus: [] });
    expect(reads(s.in({ kind: 'history', after: 0, page: page('a', 0, 1, 1) }))).toEqual([{ op: 'read', room: 'a', after: 1, limit: 200 }]);
  });
});

describe('members catching up', () => {
  it('a member not yet caught up gets no live message, even the next one in line; its page brings it', () => {
    const s = new Server();
    s.connect('c1');
    s.connect('c2');
    s.joinAt('c1', 'a', 0, 1, 2);
    s.frame('c2', { type: 'join', room: 'a', after: 2 }); // its read is under way
    const e = s.in({ kind: 'bus-message', message: msg('a', 3) });
    expect(types(to(e, 'c1'))).toEqual(['m3']);
    expect(to(e, 'c2')).toEqual([]);
    expect(types(to(s.in({ kind: 'history', after: 2, page: page('a', 2, 1, 3) }), 'c2'))).toEqual(['m3', 'caught-up']);
  });

  it('a client that says it has more than the room holds gets nothing until the room passes that point', () => {
    const s = new Server();
    s.connect('c1');
    expect(types(s.joinAt('c1', 'a', 5, 1, 3))).toEqual(['presence', 'caught-up']);
    for (const seq of [4, 5]) expect(to(s.in({ kind: 'bus-message', message: msg('a', seq) }), 'c1')).toEqual([]);
    expect(types(to(s.in({ kind: 'bus-message', message: msg('a', 6) }), 'c1'))).toEqual(['m6']);
  });

  it('a member is caught up only once it reaches the end of the room, not just the end of a page', () => {
    const s = new Server();
    s.connect('c1');
    s.joinAt('c1', 'a', 0, 1, 2);
    s.connect('c2');
    s.frame('c2', { type: 'join', room: 'a', after: 2 });
    s.in({ kind: 'bus-message', message: msg('a', 250) }); // a gap: the server reads after 2
    const e = s.in({ kind: 'history', after: 2, page: page('a', 2, 1, 250) }); // 3..202 of 250
    expect(s.state.rooms.a!.last).toBe(202);
    expect(types(to(e, 'c2')).at(-1)).toBe('m202');
    expect(to(e, 'c2').some((f) => f.type === 'caught-up')).toBe(false);
    expect(reads(e)).toEqual([{ op: 'read', room: 'a', after: 202, limit: 200 }]);
  });

  it('a member dropped as a slow consumer in the middle of a page asks for no more pages', () => {
    const s = new Server({ limits: { maxQueuedFrames: 3 } });
    s.connect('c1');
    s.frame('c1', { type: 'join', room: 'a', after: 0 });
    s.flushAll();
    const e = s.in({ kind: 'history', after: 0, page: page('a', 0, 1, 10, 5) }); // 1..5 of 10
    expect(e.closes).toEqual([{ conn: 'c1', code: 4008, reason: expect.any(String) }]);
    expect(reads(e)).toEqual([]);
    expect(s.state.reads).toEqual([]);
  });

  it('a joiner dropped as a slow consumer in its join step is not sent its online list', () => {
    const s = new Server({ limits: { maxQueuedFrames: 1 } });
    s.connect('c1');
    s.frame('c1', { type: 'ping' }); // the pong fills its queue
    const e = s.frame('c1', { type: 'join', room: 'a', after: 0 });
    expect(e.closes).toEqual([{ conn: 'c1', code: 4008, reason: expect.any(String) }]);
    expect(e.sends).toEqual([]);
    expect(s.state.conns).toEqual({});
  });
});

describe('failed reads are retried on the tick', () => {
  it('a member whose read failed is read again from where it is', () => {
    const s = new Server({ beatMs: 1e9 });
    s.connect('c1');
    s.frame('c1', { type: 'join', room: 'a', after: 5 });
    s.in({ kind: 'tick', at: 1 });
    expect(s.state.reads).toEqual(['a:5']); // under way: not asked again
    s.in({ kind: 'read-failed', room: 'a', after: 5, reason: 'down' });
    expect(reads(s.in({ kind: 'tick', at: 2 }))).toEqual([{ op: 'read', room: 'a', after: 5, limit: 200 }]);
  });

  it('a fresh join (no after) is read again from 0', () => {
    const s = new Server({ beatMs: 1e9 });
    s.connect('c1');
    s.frame('c1', { type: 'join', room: 'a' });
    s.in({ kind: 'read-failed', room: 'a', after: 0, reason: 'down' });
    expect(reads(s.in({ kind: 'tick', at: 2 }))).toEqual([{ op: 'read', room: 'a', after: 0, limit: 200 }]);
  });

  it('only rooms with a member catching up and no read under way', () => {
    const s = new Server({ beatMs: 1e9 });
    s.connect('c1');
    s.joinAt('c1', 'done', 0, 1, 0); // caught up
    s.frame('c1', { type: 'join', room: 'a', after: 0 });
    s.frame('c1', { type: 'join', room: 'b', after: 0 });
    s.in({ kind: 'read-failed', room: 'a', after: 0, reason: 'down' });
    expect(reads(s.in({ kind: 'tick', at: 2 }))).toEqual([{ op: 'read', room: 'a', after: 0, limit: 200 }]);
  });
});

describe('more edges', () => {
  it('joining a room again is not a change: no beat, one membership', () => {
    const s = new Server();
    s.connect('c1');
    s.joinAt('c1', 'a', 0, 1, 0);
    expect(beats(s.frame('c1', { type: 'join', room: 'a', after: 0 }, 5))).toEqual([]);
    expect(s.state.rooms.a!.members).toEqual(['c1']);
  });

  it('a failed read is not retried while another read of the room is under way', () => {
    const s = new Server({ beatMs: 1e9 });
    s.connect('c1');
    s.connect('c2');
    s.frame('c1', { type: 'join', room: 'a', after: 7 });
    s.frame('c2', { type: 'join', room: 'a', after: 0 });
    s.in({ kind: 'read-failed', room: 'a', after: 0, reason: 'down' });
    expect(reads(s.in({ kind: 'tick', at: 2 }))).toEqual([]);
  });

  it('a repair page from the oldest message the bus keeps: the stream goes on from where it was', () => {
    const s = new Server();
    s.connect('c1');
    s.joinAt('c1', 'a', 0, 1, 6);
    expect(reads(s.in({ kind: 'bus-message', message: msg('a', 8) }))).toEqual([{ op: 'read', room: 'a', after: 6, limit: 200 }]);
    const e = s.in({ kind: 'history', after: 6, page: page('a', 6, 6, 8) }); // the bus keeps 6..8
    expect(types(to(e, 'c1'))).toEqual(['m7', 'm8']);
    expect(reads(e)).toEqual([]);
  });

  it('a duplicate of the stream point\'s message asks for nothing, even after the stream jumped a bus gap', () => {
    const s = new Server();
    s.connect('c1');
    s.joinAt('c1', 'a', 0, 1, 3);
    s.connect('c2');
    s.frame('c2', { type: 'join', room: 'a', after: 10 });
    s.in({ kind: 'history', after: 10, page: page('a', 10, 6, 10) }); // the bus keeps 6..10: the stream jumps to 5
    expect(s.state.rooms.a!.last).toBe(5);
    expect(s.in({ kind: 'bus-message', message: msg('a', 5) })).toEqual({ sends: [], closes: [], bus: [] });
  });

  it('a member ahead of the stream whose own read failed reads on from where it is when a room page comes', () => {
    const s = new Server();
    s.connect('c1');
    s.joinAt('c1', 'a', 0, 1, 2);
    s.in({ kind: 'bus-message', message: msg('a', 450) }); // the room reads after 2
    s.connect('c2');
    s.frame('c2', { type: 'join', room: 'a', after: 300 });
    s.in({ kind: 'read-failed', room: 'a', after: 300, reason: 'timeout' });
    const e = s.in({ kind: 'history', after: 2, page: page('a', 2, 1, 450) }); // 3..202 of 450
    expect(reads(e)).toEqual([
      { op: 'read', room: 'a', after: 202, limit: 200 },
      { op: 'read', room: 'a', after: 300, limit: 200 },
    ]);
    expect(to(e, 'c2')).toEqual([]);
  });
});

describe('presence beats', () => {
  it('list each room\'s users sorted, whatever order they joined in', () => {
    const s = new Server();
    s.connect('c1', 'zoe');
    s.connect('c2', 'ada');
    s.joinAt('c1', 'a', 0, 1, 0);
    expect(beats(s.frame('c2', { type: 'join', room: 'a', after: 0 }))).toEqual([{ server: 's1', rooms: { a: ['ada', 'zoe'] } }]);
  });
});
