// One chat server's core (examples/chat/core/server.ts), input by input: hello and validation, rooms and
// catch-up from the bus, live fan-out and repair after a bus gap, presence, and protection (rate limit,
// slow consumers, heartbeats). The random schedules are in core-properties.test.ts.
import { describe, expect, it } from 'vitest';
import { PAGE } from '../../examples/chat/core/server.ts';
import { CLOSE, defaultLimits } from '../../examples/chat/core/types.ts';
import { beats, msg, page, reads, Server, to, types } from './core-server-harness.ts';

describe('hello and bad frames', () => {
  it('welcome names the server and the user and tells the limits and the client timeout', () => {
    const s = new Server({ clientTimeoutMs: 1234 });
    expect(s.open('c1')).toEqual({ sends: [], closes: [], bus: [] });
    const e = s.frame('c1', { type: 'hello', user: 'ada', clientId: 'x1' });
    expect(e).toEqual({ sends: [{ conn: 'c1', frame: { type: 'welcome', server: 's1', user: 'ada', limits: defaultLimits, clientTimeoutMs: 1234 } }], closes: [], bus: [] });
    expect(s.state.conns.c1).toMatchObject({ user: 'ada', clientId: 'x1' });
  });

  it('a second hello is refused and changes nothing', () => {
    const s = new Server();
    s.connect('c1', 'ada');
    expect(to(s.frame('c1', { type: 'hello', user: 'eve', clientId: 'x2' }), 'c1')).toEqual([
      { type: 'error', code: 'bad-frame', message: 'hello: already said hello on this connection' },
    ]);
    expect(s.state.conns.c1).toMatchObject({ user: 'ada', clientId: 'id-c1' });
  });

  it('before hello only ping works; everything else is hello-first', () => {
    const s = new Server();
    s.open('c1');
    expect(to(s.frame('c1', { type: 'ping' }), 'c1')).toEqual([{ type: 'pong' }]);
    const err = { type: 'error', code: 'hello-first', message: 'say hello first: {"type":"hello","user":"ada","clientId":"..."}' };
    for (const f of [{ type: 'join', room: 'a' }, { type: 'leave', room: 'a' }, { type: 'send', room: 'a', id: 1, text: 'x' }]) {
      const e = s.frame('c1', f);
      expect(e).toEqual({ sends: [{ conn: 'c1', frame: err }], closes: [], bus: [] });
    }
    expect(s.state.rooms).toEqual({});
  });

  it('a bad frame gets the validator\'s error and disturbs no one else', () => {
    const s = new Server();
    s.connect('c1');
    s.connect('c2');
    s.joinAt('c2', 'a', 0, 1, 0);
    const before = structuredClone(s.state.conns.c2);
    for (const [data, code] of [['{', 'bad-json'], ['[]', 'bad-frame'], ['x'.repeat(9000), 'too-large']] as const) {
      const e = s.frame('c1', data);
      expect(e.closes).toEqual([]);
      expect(e.bus).toEqual([]);
      expect(e.sends).toEqual([{ conn: 'c1', frame: expect.objectContaining({ type: 'error', code }) }]);
    }
    s.flushAll();
    expect(s.state.conns.c2).toEqual(before);
  });

  it('inputs for a connection it does not know do nothing', () => {
    const s = new Server();
    const none = { sends: [], closes: [], bus: [] };
    expect(s.frame('ghost', { type: 'ping' })).toEqual(none);
    expect(s.in({ kind: 'closed', conn: 'ghost', at: 0 })).toEqual(none);
    expect(s.in({ kind: 'flushed', conn: 'ghost', count: 1 })).toEqual(none);
    expect(s.in({ kind: 'appended', conn: 'ghost', message: msg('a', 1), duplicate: false })).toEqual(none);
    expect(s.state.conns).toEqual({});
  });
});

describe('joining a room', () => {
  it('asks the bus for everything after `after` (0 when omitted), one page at a time', () => {
    const s = new Server();
    s.connect('c1');
    expect(reads(s.frame('c1', { type: 'join', room: 'a', after: 7 }))).toEqual([{ op: 'read', room: 'a', after: 7, limit: PAGE }]);
    expect(PAGE).toBe(200);
    s.connect('c2');
    expect(reads(s.frame('c2', { type: 'join', room: 'b' }))).toEqual([{ op: 'read', room: 'b', after: 0, limit: 200 }]);
    // The same read is not asked twice while it is under way.
    s.connect('c3');
    expect(reads(s.frame('c3', { type: 'join', room: 'a', after: 7 }))).toEqual([]);
    expect(s.state.reads).toEqual(['a:7', 'b:0']);
  });

  it('resume: exactly the messages after `after`, then caught-up', () => {
    const s = new Server();
    s.connect('c1');
    const frames = s.joinAt('c1', 'a', 3, 1, 6);
    expect(frames.filter((f) => f.type !== 'presence')).toEqual([
      { type: 'message', ...msg('a', 4) },
      { type: 'message', ...msg('a', 5) },
      { type: 'message', ...msg('a', 6) },
      { type: 'caught-up', room: 'a', seq: 6 },
    ]);
  });

  it('a fresh join (no `after`) gets the recent messages and a gap notice for the older ones', () => {
    const s = new Server({ recentOnJoin: 3 });
    s.connect('c1');
    const frames = s.joinAt('c1', 'a', undefined, 1, 10);
    expect(frames.filter((f) => f.type !== 'presence')).toEqual([
      { type: 'gap', room: 'a', from: 1, to: 7 },
      { type: 'message', ...msg('a', 8) },
      { type: 'message', ...msg('a', 9) },
      { type: 'message', ...msg('a', 10) },
      { type: 'caught-up', room: 'a', seq: 10 },
    ]);
  });

  it('a fresh join of a short room gets all of it and no gap; of an empty room just caught-up 0', () => {
    const s = new Server({ recentOnJoin: 3 });
    s.connect('c1');
    expect(types(s.joinAt('c1', 'a', undefined, 1, 3))).toEqual(['presence', 'm1', 'm2', 'm3', 'caught-up']);
    s.connect('c2');
    expect(s.joinAt('c2', 'b', undefined, 1, 0).filter((f) => f.type !== 'presence')).toEqual([{ type: 'caught-up', room: 'b', seq: 0 }]);
  });

  it('a fresh join where the bus kept fewer than recentOnJoin: the gap is what the bus dropped', () => {
    const s = new Server({ recentOnJoin: 50 });
    s.connect('c1');
    expect(s.joinAt('c1', 'a', undefined, 9, 10).filter((f) => f.type !== 'presence')).toEqual([
      { type: 'gap', room: 'a', from: 1, to: 8 },
      { type: 'message', ...msg('a', 9) },
      { type: 'message', ...msg('a', 10) },
      { type: 'caught-up', room: 'a', seq: 10 },
    ]);
  });

  it('history bound: a client further behind than the bus keeps is told the gap, then gets the rest', () => {
    const s = new Server();
    s.connect('c1');
    expect(s.joinAt('c1', 'a', 2, 6, 7).filter((f) => f.type !== 'presence')).toEqual([
      { type: 'gap', room: 'a', from: 3, to: 5 },
      { type: 'message', ...msg('a', 6) },
      { type: 'message', ...msg('a', 7) },
      { type: 'caught-up', room: 'a', seq: 7 },
    ]);
  });

  it('a long room comes page by page', () => {
    const s = new Server();
    s.connect('c1');
    let e = s.frame('c1', { type: 'join', room: 'a', after: 0 });
    const got: string[] = [];
    for (let i = 0; i < 5 && reads(e).length > 0; i++) {
      const r = reads(e)[0]!;
      e = s.in({ kind: 'history', after: r.after, page: page('a', r.after, 1, 450) });
      got.push(`${r.after}:${to(e, 'c1').length}`);
      s.flushAll();
    }
    expect(got).toEqual(['0:200', '200:200', '400:51']);
    expect(to(e, 'c1').at(-1)).toEqual({ type: 'caught-up', room: 'a', seq: 450 });
    expect(s.state.reads).toEqual([]);
  });

  it('joining again (a rejoin) starts the catch-up over from the new `after`', () => {
    const s = new Server();
    s.connect('c1');
    s.joinAt('c1', 'a', 0, 1, 5);
    // (It is told who is online again too: harmless, and a rejoin is the client asking for a fresh start.)
    expect(types(s.joinAt('c1', 'a', 3, 1, 5))).toEqual(['presence', 'm4', 'm5', 'caught-up']);
  });

  it('too many rooms', () => {
    const s = new Server({ limits: { maxRooms: 2 } });
    s.connect('c1');
    s.frame('c1', { type: 'join', room: 'a' });
    s.frame('c1', { type: 'join', room: 'b' });
    expect(s.frame('c1', { type: 'join', room: 'c' })).toEqual({
      sends: [{ conn: 'c1', frame: { type: 'error', code: 'too-many-rooms', message: 'at most 2 rooms per connection: leave one first', room: 'c' } }],
      closes: [],
      bus: [],
    });
    expect(reads(s.frame('c1', { type: 'join', room: 'a', after: 1 }))).toHaveLength(1); // already in it: fine
    s.frame('c1', { type: 'leave', room: 'b' });
    expect(reads(s.frame('c1', { type: 'join', room: 'c' }))).toHaveLength(1);
  });
});

describe('sending', () => {
  it('a send goes to the bus as a draft; the bus\'s answer becomes `sent`', () => {
    const s = new Server();
    s.connect('c1', 'ada');
    s.joinAt('c1', 'a', 0, 1, 0);
    expect(s.frame('c1', { type: 'send', room: 'a', id: 4, text: 'hi' })).toEqual({
      sends: [],
      closes: [],
      bus: [{ op: 'append', conn: 'c1', draft: { room: 'a', from: 'ada', text: 'hi', clientId: 'id-c1', id: 4 } }],
    });
    const m = { room: 'a', seq: 1, from: 'ada', text: 'hi', clientId: 'id-c1', id: 4 };
    expect(to(s.in({ kind: 'appended', conn: 'c1', message: m, duplicate: false }), 'c1')).toEqual([{ type: 'sent', room: 'a', id: 4, seq: 1 }]);
    expect(to(s.in({ kind: 'appended', conn: 'c1', message: m, duplicate: true }), 'c1')).toEqual([{ type: 'sent', room: 'a', id: 4, seq: 1 }]);
  });

  it('the bus could not store it: unavailable, with the room and id to send again', () => {
    const s = new Server();
    s.connect('c1', 'ada');
    const draft = { room: 'a', from: 'ada', text: 'hi', clientId: 'id-c1', id: 4 };
    expect(to(s.in({ kind: 'append-failed', conn: 'c1', draft, reason: 'bus down' }), 'c1')).toEqual([
      { type: 'error', code: 'unavailable', message: 'not confirmed (bus down): it may or may not be stored; send it again with the same id (never stored twice)', room: 'a', id: 4 },
    ]);
  });

  it('send and leave need the room joined', () => {
    const s = new Server();
    s.connect('c1');
    for (const f of [{ type: 'send', room: 'a', id: 1, text: 'x' }, { type: 'leave', room: 'a' }]) {
      expect(s.frame('c1', f)).toEqual({ sends: [{ conn: 'c1', frame: { type: 'error', code: 'not-joined', message: 'join "a" first', room: 'a' } }], closes: [], bus: [] });
    }
  });
});

describe('live messages from the bus', () => {
  function twoMembers(): Server {
    const s = new Server();
    s.connect('c1');
    s.connect('c2');
    s.joinAt('c1', 'a', 0, 1, 2);
    s.joinAt('c2', 'a', 2, 1, 2);
    return s;
  }

  it('the next message goes to every caught-up member, once', () => {
    const s = twoMembers();
    const e = s.in({ kind: 'bus-message', message: msg('a', 3) });
    expect(e).toEqual({ sends: [{ conn: 'c1', frame: { type: 'message', ...msg('a', 3) } }, { conn: 'c2', frame: { type: 'message', ...msg('a', 3) } }], closes: [], bus: [] });
    expect(s.in({ kind: 'bus-message', message: msg('a', 3) })).toEqual({ sends: [], closes: [], bus: [] });
    expect(s.in({ kind: 'bus-message', message: msg('a', 1) })).toEqual({ sends: [], closes: [], bus: [] });
    expect(s.state.rooms.a!.last).toBe(3);
  });

  it('messages of rooms nobody here is in are ignored', () => {
    const s = twoMembers();
    expect(s.in({ kind: 'bus-message', message: msg('zz', 1) })).toEqual({ sends: [], closes: [], bus: [] });
    expect(s.state.rooms.zz).toBeUndefined();
  });

  it('stream-point repair: after a bus gap it reads what it missed and delivers it in order', () => {
    const s = twoMembers();
    const e = s.in({ kind: 'bus-message', message: msg('a', 5) });
    expect(e.sends).toEqual([]);
    expect(reads(e)).toEqual([{ op: 'read', room: 'a', after: 2, limit: 200 }]);
    expect(reads(s.in({ kind: 'bus-message', message: msg('a', 6) }))).toEqual([]); // already asked
    const filled = s.in({ kind: 'history', after: 2, page: page('a', 2, 1, 6) });
    expect(types(to(filled, 'c1'))).toEqual(['m3', 'm4', 'm5', 'm6']);
    expect(types(to(filled, 'c2'))).toEqual(['m3', 'm4', 'm5', 'm6']);
    expect(s.state.rooms.a!.last).toBe(6);
    expect(s.state.reads).toEqual([]);
  });

  it('a repair page that is itself behind asks for the rest', () => {
    const s = twoMembers();
    s.in({ kind: 'bus-message', message: msg('a', 5) });
    const e = s.in({ kind: 'history', after: 2, page: { ...page('a', 2, 1, 4), last: 5 } });
    expect(types(to(e, 'c1'))).toEqual(['m3', 'm4']);
    expect(reads(e)).toEqual([{ op: 'read', room: 'a', after: 4, limit: 200 }]);
  });

  it('a repair page that shows history moved on: members are told the gap and go on from the oldest kept', () => {
    const s = twoMembers();
    s.in({ kind: 'bus-message', message: msg('a', 9) });
    const e = s.in({ kind: 'history', after: 2, page: page('a', 2, 6, 9) });
    expect(to(e, 'c1')).toEqual([
      { type: 'gap', room: 'a', from: 3, to: 5 },
      { type: 'message', ...msg('a', 6) },
      { type: 'message', ...msg('a', 7) },
      { type: 'message', ...msg('a', 8) },
      { type: 'message', ...msg('a', 9) },
      { type: 'caught-up', room: 'a', seq: 9 },
    ]);
    expect(s.state.rooms.a!.last).toBe(9);
  });

  it('a member still catching up gets the live message through its pages, not twice', () => {
    const s = new Server();
    s.connect('c1');
    s.frame('c1', { type: 'join', room: 'a', after: 0 });
    s.connect('c2');
    s.frame('c2', { type: 'join', room: 'a', after: 0 }); // the same read: asked once
    s.in({ kind: 'history', after: 0, page: page('a', 0, 1, 2) }); // both caught up at 2
    s.flushAll();
    s.frame('c1', { type: 'join', room: 'a', after: 0 }); // c1 rejoins: catching up again
    const e = s.in({ kind: 'bus-message', message: msg('a', 3) });
    expect(types(to(e, 'c1'))).toEqual([]);
    expect(types(to(e, 'c2'))).toEqual(['m3']);
    const p = s.in({ kind: 'history', after: 0, page: page('a', 0, 1, 3) });
    expect(types(to(p, 'c1'))).toEqual(['m1', 'm2', 'm3', 'caught-up']);
    expect(types(to(p, 'c2'))).toEqual([]);
  });

  it('a page that is older than what the server streamed since: the member reads again, then is caught up', () => {
    const s = new Server();
    s.connect('c2');
    s.joinAt('c2', 'a', 0, 1, 2);
    s.connect('c1');
    s.frame('c1', { type: 'join', room: 'a', after: 0 });
    s.in({ kind: 'bus-message', message: msg('a', 3) }); // streamed to c2; the page for c1 was read before it
    const e = s.in({ kind: 'history', after: 0, page: page('a', 0, 1, 2) });
    expect(types(to(e, 'c1'))).toEqual(['m1', 'm2']);
    expect(reads(e)).toEqual([{ op: 'read', room: 'a', after: 2, limit: 200 }]);
    expect(types(to(s.in({ kind: 'history', after: 2, page: page('a', 2, 1, 3) }), 'c1'))).toEqual(['m3', 'caught-up']);
  });

  it('a page for a room nobody is in any more is dropped, and the read is forgotten', () => {
    const s = new Server();
    s.connect('c1');
    s.frame('c1', { type: 'join', room: 'a', after: 0 });
    s.frame('c1', { type: 'leave', room: 'a' });
    expect(s.in({ kind: 'history', after: 0, page: page('a', 0, 1, 3) })).toEqual({ sends: [], closes: [], bus: [] });
    expect(s.state.reads).toEqual([]);
  });

  it('a failed read is forgotten, so it can be asked again', () => {
    const s = new Server();
    s.connect('c1');
    s.frame('c1', { type: 'join', room: 'a', after: 0 });
    expect(s.in({ kind: 'read-failed', room: 'a', after: 0, reason: 'down' })).toEqual({ sends: [], closes: [], bus: [] });
    expect(s.state.reads).toEqual([]);
    expect(reads(s.frame('c1', { type: 'join', room: 'a', after: 0 }))).toHaveLength(1);
  });

  it('bus-up re-reads every active room from its stream point (and beats)', () => {
    const s = twoMembers();
    s.connect('c3');
    s.joinAt('c3', 'b', 0, 1, 4);
    const e = s.in({ kind: 'bus-up', at: 10 });
    expect(reads(e)).toEqual([
      { op: 'read', room: 'a', after: 2, limit: 200 },
      { op: 'read', room: 'b', after: 4, limit: 200 },
    ]);
    expect(beats(e)).toEqual([{ server: 's1', rooms: { a: ['c1', 'c2'], b: ['c3'] } }]);
    expect(types(to(s.in({ kind: 'history', after: 2, page: page('a', 2, 1, 4) }), 'c1'))).toEqual(['m3', 'm4']);
  });
});

describe('leaving and closing', () => {
  it('leave: no more messages, presence updated for the others, the room forgotten when empty', () => {
    const s = new Server();
    s.connect('c1', 'ada');
    s.connect('c2', 'bob');
    s.joinAt('c1', 'a', 0, 1, 0);
    s.joinAt('c2', 'a', 0, 1, 0);
    const e = s.frame('c1', { type: 'leave', room: 'a' }, 5);
    expect(beats(e)).toEqual([{ server: 's1', rooms: { a: ['bob'] } }]);
    expect(to(e, 'c2')).toEqual([{ type: 'presence', room: 'a', online: ['bob'] }]);
    expect(to(e, 'c1')).toEqual([]);
    expect(types(to(s.in({ kind: 'bus-message', message: msg('a', 1) }), 'c1'))).toEqual([]);
    const e2 = s.in({ kind: 'closed', conn: 'c2', at: 6 });
    expect(beats(e2)).toEqual([{ server: 's1', rooms: {} }]);
    expect(s.state.rooms).toEqual({});
    expect(s.state.conns.c2).toBeUndefined();
    expect(s.state.told).toEqual({});
  });
});
