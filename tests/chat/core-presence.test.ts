// Presence (examples/chat/core/presence.ts): the latest beat per server, expired after a timeout by the
// receiver's clock (never itself), and a room's online list as the sorted union over servers.
import { describe, expect, it } from 'vitest';
import { emptyPresence, expire, observe, online } from '../../examples/chat/core/presence.ts';

describe('presence table', () => {
  it('a beat replaces everything known about its server', () => {
    let t = observe(emptyPresence(), { server: 's2', rooms: { a: ['bob', 'ada'], b: ['cy'] } }, 10);
    expect(t).toEqual({ servers: { s2: { rooms: { a: ['bob', 'ada'], b: ['cy'] }, heardAt: 10 } } });
    t = observe(t, { server: 's2', rooms: { a: ['ada'] } }, 20);
    expect(t.servers.s2).toEqual({ rooms: { a: ['ada'] }, heardAt: 20 });
    expect(online(t, 'b')).toEqual([]);
  });

  it('does not change the table it was given', () => {
    const t = observe(emptyPresence(), { server: 's2', rooms: { a: ['bob'] } }, 0);
    observe(t, { server: 's3', rooms: { a: ['cy'] } }, 5);
    expire(t, 10_000, 100, 's1');
    expect(Object.keys(t.servers)).toEqual(['s2']);
  });

  it('online is the union over servers, sorted, each name once', () => {
    let t = observe(emptyPresence(), { server: 's1', rooms: { a: ['eve', 'ada'] } }, 0);
    t = observe(t, { server: 's2', rooms: { a: ['bob', 'ada'], b: ['zed'] } }, 0);
    expect(online(t, 'a')).toEqual(['ada', 'bob', 'eve']);
    expect(online(t, 'b')).toEqual(['zed']);
    expect(online(t, 'c')).toEqual([]);
  });

  it('forgets a server not heard from for timeoutMs (by this server\'s clock), keeps one heard more recently', () => {
    let t = observe(emptyPresence(), { server: 's2', rooms: { a: ['bob'] } }, 1000);
    t = observe(t, { server: 's3', rooms: { a: ['cy'] } }, 1500);
    expect(Object.keys(expire(t, 1000 + 3499, 3500, 's1').servers)).toEqual(['s2', 's3']);
    const later = expire(t, 1000 + 3500, 3500, 's1');
    expect(Object.keys(later.servers)).toEqual(['s3']);
    expect(online(later, 'a')).toEqual(['cy']);
  });

  it('a server never expires itself', () => {
    const t = observe(emptyPresence(), { server: 's1', rooms: { a: ['ada'] } }, 0);
    expect(online(expire(t, 1e9, 3500, 's1'), 'a')).toEqual(['ada']);
    expect(online(expire(t, 1e9, 3500, 's2'), 'a')).toEqual([]);
  });
});
