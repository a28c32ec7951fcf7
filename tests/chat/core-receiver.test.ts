// The client's side of ordering and resume (examples/chat/core/receiver.ts): show each message once, in seq
// order; hold early ones; skip announced gaps; ask again when something is missing; and the outbox of
// unconfirmed sends that is sent again (same ids) after a reconnect.
import { describe, expect, it } from 'vitest';
import {
  accept,
  acceptGap,
  caughtUp,
  confirmed,
  emptyOutbox,
  emptyReceiver,
  joinFrame,
  MAX_HELD,
  queueSend,
  resendAll,
  type Receiver,
} from '../../examples/chat/core/receiver.ts';
import type { ChatMessage } from '../../examples/chat/core/types.ts';

const m = (seq: number, room = 'a'): ChatMessage => ({ room, seq, from: 'ada', text: `m${seq}`, clientId: 'c1', id: seq });
const seqs = (ms: ChatMessage[]) => ms.map((x) => x.seq);

/** Feed messages in order, collecting what is shown; returns the final receiver. */
function feed(r: Receiver, messages: ChatMessage[]): { receiver: Receiver; shown: number[] } {
  const shown: number[] = [];
  for (const message of messages) {
    const out = accept(r, message);
    shown.push(...seqs(out.show));
    r = out.receiver;
  }
  return { receiver: r, shown };
}

describe('joinFrame', () => {
  it('asks for everything after the last seq shown (0 for a new room)', () => {
    expect(joinFrame(emptyReceiver(), 'a')).toEqual({ type: 'join', room: 'a', after: 0 });
    const { receiver } = feed(emptyReceiver(), [m(1), m(2)]);
    expect(joinFrame(receiver, 'a')).toEqual({ type: 'join', room: 'a', after: 2 });
    expect(joinFrame(receiver, 'b')).toEqual({ type: 'join', room: 'b', after: 0 });
  });
});

describe('accept', () => {
  it('shows messages in order and drops duplicates', () => {
    const { receiver, shown } = feed(emptyReceiver(), [m(1), m(2), m(1), m(2), m(3)]);
    expect(shown).toEqual([1, 2, 3]);
    expect(receiver.rooms.a).toEqual({ last: 3, held: [], caughtUp: false });
    // A duplicate changes nothing: the very same receiver comes back.
    for (const seq of [1, 2, 3]) expect(accept(receiver, m(seq))).toStrictEqual({ receiver, show: [] });
    expect(accept(receiver, m(3)).receiver).toBe(receiver);
    expect(accept(receiver, m(2)).receiver).toBe(receiver);
  });

  it('holds an early message until the ones before it come, then shows them all in order', () => {
    let r = emptyReceiver();
    let out = accept(r, m(3));
    expect(out.show).toEqual([]);
    expect(out.rejoin).toBeUndefined();
    r = out.receiver;
    out = accept(r, m(4));
    r = out.receiver;
    expect(seqs(r.rooms.a!.held)).toEqual([3, 4]);
    out = accept(r, m(3)); // a duplicate of a held one
    expect(out).toEqual({ receiver: r, show: [] });
    out = accept(r, m(1));
    expect(seqs(out.show)).toEqual([1]);
    out = accept(out.receiver, m(2));
    expect(seqs(out.show)).toEqual([2, 3, 4]);
    expect(out.receiver.rooms.a).toEqual({ last: 4, held: [], caughtUp: false });
  });

  it('keeps the held messages sorted whatever order they come in', () => {
    const { receiver } = feed(emptyReceiver(), [m(5), m(3), m(4)]);
    expect(seqs(receiver.rooms.a!.held)).toEqual([3, 4, 5]);
    expect(seqs(accept(receiver, m(2)).receiver.rooms.a!.held)).toEqual([2, 3, 4, 5]);
    const out = accept(accept(receiver, m(2)).receiver, m(1));
    expect(seqs(out.show)).toEqual([1, 2, 3, 4, 5]);
  });

  it('a gap seen while caught up asks to join again after the last seq shown; during a join it waits', () => {
    let r = caughtUp(feed(emptyReceiver(), [m(1), m(2)]).receiver, 'a', 2).receiver;
    expect(r.rooms.a!.caughtUp).toBe(true);
    const out = accept(r, m(4));
    expect(out.show).toEqual([]);
    expect(out.rejoin).toEqual({ type: 'join', room: 'a', after: 2 });
    expect(out.receiver.rooms.a).toEqual({ last: 2, held: [m(4)], caughtUp: false });
    r = out.receiver;
    const again = accept(r, m(5));
    expect(again.rejoin).toBeUndefined();
  });

  it('keeps rooms apart', () => {
    const { receiver, shown } = feed(emptyReceiver(), [m(1, 'a'), m(1, 'b'), m(2, 'b'), m(2, 'a')]);
    expect(shown).toEqual([1, 1, 2, 2]);
    expect(receiver.rooms.a!.last).toBe(2);
    expect(receiver.rooms.b!.last).toBe(2);
    expect(accept(receiver, m(1, 'c')).show).toEqual([m(1, 'c')]);
  });

  it(`holds at most ${MAX_HELD} messages, the lowest`, () => {
    expect(MAX_HELD).toBe(1000);
    let r = emptyReceiver();
    for (let seq = MAX_HELD + 2; seq >= 3; seq--) r = accept(r, m(seq)).receiver; // 3..1002: 1000 of them
    expect(r.rooms.a!.held.length).toBe(MAX_HELD);
    r = accept(r, m(2000)).receiver;
    expect(r.rooms.a!.held.length).toBe(MAX_HELD);
    expect(r.rooms.a!.held[0]!.seq).toBe(3);
    expect(r.rooms.a!.held.at(-1)!.seq).toBe(MAX_HELD + 2);
  });
});

describe('acceptGap', () => {
  it('skips the lost range (saying which part was new to this client) and shows what was held after it', () => {
    const { receiver } = feed(emptyReceiver(), [m(1), m(2), m(4), m(6), m(7)]);
    const out = acceptGap(receiver, 'a', 1, 5);
    expect(out.lost).toEqual({ from: 3, to: 5 });
    expect(seqs(out.show)).toEqual([6, 7]);
    expect(out.receiver.rooms.a).toEqual({ last: 7, held: [], caughtUp: false });
  });

  it('a gap the client is already past changes nothing', () => {
    const { receiver } = feed(emptyReceiver(), [m(1), m(2), m(3)]);
    expect(acceptGap(receiver, 'a', 1, 3)).toEqual({ receiver, show: [] });
    expect(acceptGap(receiver, 'a', 2, 2)).toEqual({ receiver, show: [] });
  });

  it('on a new room the whole range is lost', () => {
    const out = acceptGap(emptyReceiver(), 'a', 1, 40);
    expect(out).toEqual({ receiver: { rooms: { a: { last: 40, held: [], caughtUp: false } } }, show: [], lost: { from: 1, to: 40 } });
    expect(acceptGap(emptyReceiver(), 'a', 4, 4).lost).toEqual({ from: 4, to: 4 });
  });

  it('keeps the caught-up flag as it was', () => {
    const r = caughtUp(feed(emptyReceiver(), [m(1)]).receiver, 'a', 1).receiver;
    expect(acceptGap(r, 'a', 2, 9).receiver.rooms.a!.caughtUp).toBe(true);
  });
});

describe('caughtUp', () => {
  it('marks the room caught up when everything up to seq was shown', () => {
    const { receiver } = feed(emptyReceiver(), [m(1), m(2)]);
    expect(caughtUp(receiver, 'a', 2)).toEqual({ receiver: { rooms: { a: { last: 2, held: [], caughtUp: true } } }, show: [] });
    expect(caughtUp(receiver, 'a', 1).receiver.rooms.a!.caughtUp).toBe(true);
    expect(caughtUp(emptyReceiver(), 'a', 0).receiver.rooms.a).toEqual({ last: 0, held: [], caughtUp: true });
  });

  it('something is still missing: ask again after the last seq shown', () => {
    const { receiver } = feed(emptyReceiver(), [m(1), m(3)]);
    const out = caughtUp(receiver, 'a', 3);
    expect(out).toEqual({
      receiver: { rooms: { a: { last: 1, held: [m(3)], caughtUp: false } } },
      show: [],
      rejoin: { type: 'join', room: 'a', after: 1 },
    });
    expect(caughtUp(emptyReceiver(), 'b', 1).rejoin).toEqual({ type: 'join', room: 'b', after: 0 });
  });
});

describe('outbox', () => {
  it('numbers sends 1, 2, 3..., keeps them until confirmed, and resends the rest with the same ids in order', () => {
    let o = emptyOutbox();
    expect(o).toEqual({ nextId: 1, pending: [] });
    const first = queueSend(o, 'a', 'hi');
    expect(first.frame).toEqual({ type: 'send', room: 'a', id: 1, text: 'hi' });
    o = first.outbox;
    const second = queueSend(o, 'b', 'there');
    expect(second.frame).toEqual({ type: 'send', room: 'b', id: 2, text: 'there' });
    o = queueSend(second.outbox, 'a', 'again').outbox;
    expect(o.nextId).toBe(4);
    expect(resendAll(o)).toEqual([
      { type: 'send', room: 'a', id: 1, text: 'hi' },
      { type: 'send', room: 'b', id: 2, text: 'there' },
      { type: 'send', room: 'a', id: 3, text: 'again' },
    ]);
    o = confirmed(o, 2);
    expect(resendAll(o).map((f) => (f.type === 'send' ? f.id : 0))).toEqual([1, 3]);
    expect(o.nextId).toBe(4);
    expect(confirmed(confirmed(o, 1), 3)).toEqual({ nextId: 4, pending: [] });
    expect(resendAll(emptyOutbox())).toEqual([]);
  });
});
