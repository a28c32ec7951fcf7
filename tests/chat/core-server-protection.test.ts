// One chat server's core: protection (rate limit and strikes, slow consumers, heartbeats) and presence (beats
// in and out, expiry, telling each room's members once per change).
import { describe, expect, it } from 'vitest';
import { CLOSE } from '../../examples/chat/core/types.ts';
import { beats, msg, Server, to, types } from './core-server-harness.ts';

describe('rate limit', () => {
  it('refused frames get rate-limited; maxStrikes refusals in a row close the connection with 1008', () => {
    const s = new Server({ limits: { rateBurst: 2, ratePerSecond: 10, maxStrikes: 3 } });
    s.open('c1', 0);
    expect(types(to(s.frame('c1', { type: 'ping' }, 0), 'c1'))).toEqual(['pong']);
    expect(types(to(s.frame('c1', { type: 'ping' }, 0), 'c1'))).toEqual(['pong']);
    const limited = { type: 'error', code: 'rate-limited', message: 'slow down: at most 10 frames a second (bursts of 2)' };
    expect(s.frame('c1', { type: 'ping' }, 0)).toEqual({ sends: [{ conn: 'c1', frame: limited }], closes: [], bus: [] });
    expect(s.frame('c1', { type: 'ping' }, 0)).toEqual({ sends: [{ conn: 'c1', frame: limited }], closes: [], bus: [] });
    const e = s.frame('c1', { type: 'ping' }, 0);
    expect(e).toEqual({ sends: [], closes: [{ conn: 'c1', code: 1008, reason: 'kept sending after 3 rate-limited frames' }], bus: [] });
    expect(CLOSE.policy).toBe(1008);
    expect(s.state.conns.c1).toBeUndefined();
    expect(s.frame('c1', { type: 'ping' }, 0)).toEqual({ sends: [], closes: [], bus: [] });
  });

  it('an allowed frame resets the strikes; tokens come back with time', () => {
    const s = new Server({ limits: { rateBurst: 1, ratePerSecond: 10, maxStrikes: 2 } });
    s.open('c1', 0);
    s.frame('c1', { type: 'ping' }, 0);
    expect(types(to(s.frame('c1', { type: 'ping' }, 0), 'c1'))).toEqual(['error']); // strike 1
    expect(types(to(s.frame('c1', { type: 'ping' }, 100), 'c1'))).toEqual(['pong']); // a token came back
    expect(types(to(s.frame('c1', { type: 'ping' }, 100), 'c1'))).toEqual(['error']); // strike 1 again, not 2
    expect(s.frame('c1', { type: 'ping' }, 100).closes).toHaveLength(1);
  });

  it('a refused frame is not looked at, and closing a member tells the room', () => {
    const s = new Server({ limits: { rateBurst: 3, ratePerSecond: 1, maxStrikes: 1 } });
    s.connect('c1', 'ada'); // frame 1
    s.connect('c2', 'bob');
    s.joinAt('c2', 'a', 0, 1, 0);
    s.frame('c1', { type: 'join', room: 'a', after: 0 }, 0); // frame 2
    s.frame('c1', { type: 'ping' }, 0); // frame 3
    s.flushAll();
    const e = s.frame('c1', { type: 'send', room: 'a', id: 1, text: 'x' }, 0);
    expect(e.bus.filter((r) => r.op === 'append')).toEqual([]);
    expect(e.closes).toEqual([{ conn: 'c1', code: 1008, reason: 'kept sending after 1 rate-limited frames' }]);
    expect(to(e, 'c2')).toEqual([{ type: 'presence', room: 'a', online: ['bob'] }]);
  });
});

describe('slow consumers', () => {
  it('a client with maxQueuedFrames unflushed frames is closed with 4008, once; the others carry on', () => {
    const s = new Server({ limits: { maxQueuedFrames: 2 } });
    s.connect('slow', 'ada');
    s.connect('fast', 'bob');
    s.joinAt('slow', 'a', 0, 1, 0);
    s.joinAt('fast', 'a', 0, 1, 0);
    const got: string[] = [];
    const closes: unknown[] = [];
    for (let seq = 1; seq <= 4; seq++) {
      const e = s.in({ kind: 'bus-message', message: msg('a', seq) });
      got.push(...types(to(e, 'slow')));
      closes.push(...e.closes);
      s.in({ kind: 'flushed', conn: 'fast', count: 1 });
    }
    expect(got).toEqual(['m1', 'm2']);
    expect(closes).toEqual([{ conn: 'slow', code: 4008, reason: 'slow consumer: reconnect and join with your last seq to resume' }]);
    expect(CLOSE.slowConsumer).toBe(4008);
    expect(s.state.conns.slow).toBeUndefined();
    expect(s.state.rooms.a!.members).toEqual(['fast']);
    expect(s.state.conns.fast!.rooms.a!.after).toBe(4);
  });

  it('flushed frames make room: a client that keeps up is never dropped', () => {
    const s = new Server({ limits: { maxQueuedFrames: 2 } });
    s.connect('c1');
    s.joinAt('c1', 'a', 0, 1, 0); // presence and caught-up: 2 frames
    for (let seq = 1; seq <= 5; seq++) {
      const e = s.in({ kind: 'bus-message', message: msg('a', seq) });
      expect(e.closes).toEqual([]);
      expect(types(to(e, 'c1'))).toEqual([`m${seq}`]);
      s.in({ kind: 'flushed', conn: 'c1', count: 1 });
    }
  });

  it('dropped while catching up: nothing more is sent to it, and no caught-up', () => {
    const s = new Server({ limits: { maxQueuedFrames: 3 } });
    s.connect('c1');
    const frames = s.joinAt('c1', 'a', 0, 1, 10);
    expect(types(frames)).toEqual(['presence', 'm1', 'm2']);
    expect(s.last.closes).toEqual([{ conn: 'c1', code: 4008, reason: expect.any(String) }]);
    expect(s.state.reads).toEqual([]);
  });
});

describe('heartbeats', () => {
  it('a client that sends nothing for clientTimeoutMs is closed with 4000 and leaves presence', () => {
    const s = new Server({ clientTimeoutMs: 1000, beatMs: 1e9 });
    s.connect('c1', 'ada', 0);
    s.connect('c2', 'bob', 0);
    s.joinAt('c1', 'a', 0, 1, 0, 0);
    s.joinAt('c2', 'a', 0, 1, 0, 0);
    expect(s.in({ kind: 'tick', at: 999 }).closes).toEqual([]);
    s.frame('c2', { type: 'ping' }, 500);
    s.flushAll();
    const e = s.in({ kind: 'tick', at: 1000 });
    expect(e.closes).toEqual([{ conn: 'c1', code: 4000, reason: 'nothing heard for 1000 ms: send a ping now and then' }]);
    expect(CLOSE.timeout).toBe(4000);
    expect(beats(e)).toEqual([{ server: 's1', rooms: { a: ['bob'] } }]);
    expect(to(e, 'c2')).toEqual([{ type: 'presence', room: 'a', online: ['bob'] }]);
    expect(s.in({ kind: 'tick', at: 1499 }).closes).toEqual([]);
    expect(s.in({ kind: 'tick', at: 1500 }).closes).toEqual([{ conn: 'c2', code: 4000, reason: expect.any(String) }]);
  });

  it('any frame counts, even a refused one', () => {
    const s = new Server({ clientTimeoutMs: 1000, limits: { rateBurst: 1, ratePerSecond: 0.001 } });
    s.open('c1', 0);
    s.frame('c1', { type: 'ping' }, 0);
    s.frame('c1', { type: 'ping' }, 900); // rate-limited, but heard
    expect(s.in({ kind: 'tick', at: 1800 }).closes).toEqual([]);
  });
});

describe('presence', () => {
  function room(): Server {
    const s = new Server({ beatMs: 1000, presenceTimeoutMs: 3500 });
    s.connect('c1', 'ada');
    s.connect('c2', 'eve');
    s.joinAt('c1', 'a', 0, 1, 0);
    s.joinAt('c2', 'a', 0, 1, 0);
    return s;
  }

  it('a joiner is told who is online, once; the room is told of the change; the other servers get a beat', () => {
    const s = new Server();
    s.connect('c1', 'ada');
    s.connect('c2', 'eve');
    s.joinAt('c1', 'a', 0, 1, 0);
    const e = s.frame('c2', { type: 'join', room: 'a', after: 0 }, 7);
    expect(beats(e)).toEqual([{ server: 's1', rooms: { a: ['ada', 'eve'] } }]);
    expect(to(e, 'c1')).toEqual([{ type: 'presence', room: 'a', online: ['ada', 'eve'] }]);
    expect(to(e, 'c2')).toEqual([{ type: 'presence', room: 'a', online: ['ada', 'eve'] }]);
    expect(s.state.presence.servers.s1).toEqual({ rooms: { a: ['ada', 'eve'] }, heardAt: 7 });
    expect(s.state.lastBeatAt).toBe(7);
  });

  it('a joiner of a room whose list did not change is still told it (and only it is)', () => {
    const s = room();
    s.connect('c3', 'ada'); // a second tab of ada: the list stays [ada, eve]
    const e = s.frame('c3', { type: 'join', room: 'a', after: 0 });
    expect(to(e, 'c3')).toEqual([{ type: 'presence', room: 'a', online: ['ada', 'eve'] }]);
    expect(to(e, 'c1')).toEqual([]);
    expect(beats(e)).toEqual([{ server: 's1', rooms: { a: ['ada', 'eve'] } }]);
  });

  it('a beat from another server: the union, told once per change; its own beats echoed back are ignored', () => {
    const s = room();
    const e = s.in({ kind: 'beat', beat: { server: 's2', rooms: { a: ['bob'], b: ['zed'] } }, at: 10 });
    expect(e.sends).toEqual([
      { conn: 'c1', frame: { type: 'presence', room: 'a', online: ['ada', 'bob', 'eve'] } },
      { conn: 'c2', frame: { type: 'presence', room: 'a', online: ['ada', 'bob', 'eve'] } },
    ]);
    expect(e.bus).toEqual([]);
    s.flushAll();
    expect(s.in({ kind: 'beat', beat: { server: 's2', rooms: { a: ['bob'] } }, at: 20 }).sends).toEqual([]);
    expect(s.in({ kind: 'beat', beat: { server: 's1', rooms: {} }, at: 30 })).toEqual({ sends: [], closes: [], bus: [] });
    expect(s.state.presence.servers.s1!.rooms).toEqual({ a: ['ada', 'eve'] });
  });

  it('a server not heard from for presenceTimeoutMs drops out of the list; this server never does', () => {
    const s = room();
    s.in({ kind: 'beat', beat: { server: 's2', rooms: { a: ['bob'] } }, at: 1000 });
    s.flushAll();
    expect(s.in({ kind: 'tick', at: 4499 }).sends.filter((x) => x.frame.type === 'presence')).toEqual([]);
    const e = s.in({ kind: 'tick', at: 4500 });
    expect(e.sends.filter((x) => x.frame.type === 'presence')).toEqual([
      { conn: 'c1', frame: { type: 'presence', room: 'a', online: ['ada', 'eve'] } },
      { conn: 'c2', frame: { type: 'presence', room: 'a', online: ['ada', 'eve'] } },
    ]);
    expect(Object.keys(s.state.presence.servers)).toEqual(['s1']);
  });

  it('beats every beatMs on ticks, and at once on a change', () => {
    const s = new Server({ beatMs: 1000, clientTimeoutMs: 1e9 });
    expect(beats(s.in({ kind: 'tick', at: 0 }))).toEqual([{ server: 's1', rooms: {} }]); // the first tick
    expect(beats(s.in({ kind: 'tick', at: 999 }))).toEqual([]);
    expect(beats(s.in({ kind: 'tick', at: 1000 }))).toEqual([{ server: 's1', rooms: {} }]);
    s.connect('c1', 'ada', 1200);
    expect(beats(s.frame('c1', { type: 'join', room: 'a' }, 1300))).toEqual([{ server: 's1', rooms: { a: ['ada'] } }]);
    expect(beats(s.in({ kind: 'tick', at: 2299 }))).toEqual([]);
    expect(beats(s.in({ kind: 'tick', at: 2300 }))).toEqual([{ server: 's1', rooms: { a: ['ada'] } }]);
  });

  it('a change caused by an input without a clock (a slow consumer dropped) beats with the last beat\'s time', () => {
    const s = new Server({ limits: { maxQueuedFrames: 2 } });
    s.connect('c1', 'ada', 50);
    s.joinAt('c1', 'a', 0, 1, 0, 60);
    s.in({ kind: 'bus-message', message: msg('a', 1) });
    s.in({ kind: 'bus-message', message: msg('a', 2) });
    const e = s.in({ kind: 'bus-message', message: msg('a', 3) });
    expect(e.closes).toHaveLength(1);
    expect(beats(e)).toEqual([{ server: 's1', rooms: {} }]);
    expect(s.state.presence.servers.s1!.heardAt).toBe(60);
  });
});
