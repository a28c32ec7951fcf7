// The sequencer (examples/chat/core/sequencer.ts): per-room numbering with no gaps, bounded history, and
// resends recognised by clientId + id (a resend gets the seq it already had, never a new one).
import { describe, expect, it } from 'vitest';
import { append, defaultSequencerConfig, emptySequencer, read, type SequencerState } from '../../examples/chat/core/sequencer.ts';
import type { Draft } from '../../examples/chat/core/types.ts';

const draft = (room: string, clientId: string, id: number, text = `${clientId}-${id}`): Draft => ({ room, from: 'ada', text, clientId, id });

function appendAll(drafts: Draft[], config = defaultSequencerConfig): SequencerState {
  let s = emptySequencer();
  for (const d of drafts) s = append(s, d, config).state;
  return s;
}

describe('append', () => {
  it('numbers each room 1, 2, 3... on its own, keeping the draft as it was', () => {
    let s = emptySequencer();
    const seqs: [string, number][] = [];
    for (const d of [draft('a', 'c1', 1), draft('b', 'c1', 2), draft('a', 'c2', 1), draft('a', 'c1', 3)]) {
      const r = append(s, d);
      expect(r.duplicate).toBe(false);
      expect(r.message).toEqual({ ...d, seq: r.message.seq });
      seqs.push([d.room, r.message.seq]);
      s = r.state;
    }
    expect(seqs).toEqual([['a', 1], ['b', 1], ['a', 2], ['a', 3]]);
    expect(s.rooms.a!.next).toBe(4);
    expect(s.rooms.b!.next).toBe(2);
  });

  it('updates the state it was given in place and returns it (a resend changes nothing)', () => {
    const s = appendAll([draft('a', 'c1', 1)]);
    const copy = structuredClone(s);
    expect(append(s, draft('a', 'c1', 1)).state).toBe(s);
    expect(s).toEqual(copy);
    expect(append(s, draft('a', 'c1', 2)).state).toBe(s);
    expect(append(s, draft('b', 'c2', 1)).state).toBe(s);
    expect(s.rooms.a!.history.map((m) => m.seq)).toEqual([1, 2]);
    expect(s.rooms.b!.next).toBe(2);
    expect(Object.keys(s.seen.c1!)).toEqual(['1', '2']);
  });

  it('a resend (same clientId and id) gets the seq it already had and changes nothing', () => {
    const s = appendAll([draft('a', 'c1', 1), draft('a', 'c2', 1)]);
    const again = append(s, draft('a', 'c1', 1));
    expect(again.duplicate).toBe(true);
    expect(again.state).toBe(s);
    expect(again.message).toEqual({ ...draft('a', 'c1', 1), seq: 1 });
    // Another client's id 1, or this client's id 2, are new messages.
    expect(append(s, draft('a', 'c3', 1)).message.seq).toBe(3);
    expect(append(s, draft('a', 'c1', 2)).duplicate).toBe(false);
  });

  it('a resend returns the stored message, whatever room or text the resend carries', () => {
    const s = appendAll([draft('a', 'c1', 1, 'first'), draft('b', 'c1', 2, 'second')]);
    const r = append(s, draft('b', 'c1', 1, 'changed'));
    expect(r).toMatchObject({ duplicate: true, message: { room: 'a', seq: 1, text: 'first' } });
  });

  it('a resend of a message that left the history still gets its old seq (rebuilt from the resend)', () => {
    const config = { historyLimit: 2, dedupeLimit: 10 };
    const s = appendAll([draft('a', 'c1', 1, 'old'), draft('a', 'c2', 1), draft('a', 'c2', 2)], config);
    expect(read(s, 'a', 0, 10).oldest).toBe(2);
    const r = append(s, { ...draft('b', 'c1', 1, 'again'), from: 'bob' }, config);
    expect(r).toEqual({ state: s, duplicate: true, message: { room: 'a', seq: 1, from: 'bob', text: 'again', clientId: 'c1', id: 1 } });
  });

  it('keeps at most historyLimit messages per room, the newest', () => {
    const config = { historyLimit: 3, dedupeLimit: 10 };
    const s = appendAll([1, 2, 3, 4, 5].map((id) => draft('a', 'c1', id)), config);
    expect(s.rooms.a!.history.map((m) => m.seq)).toEqual([3, 4, 5]);
    expect(s.rooms.a!.next).toBe(6);
  });

  it('remembers the last dedupeLimit ids of each client; an older resend is numbered again', () => {
    const config = { historyLimit: 100, dedupeLimit: 3 };
    const s = appendAll([1, 2, 3, 4].map((id) => draft('a', 'c1', id)).concat([draft('a', 'c2', 1)]), config);
    expect(Object.keys(s.seen.c1!)).toEqual(['2', '3', '4']);
    expect(append(s, draft('a', 'c1', 2), config)).toMatchObject({ duplicate: true, message: { seq: 2 } });
    expect(append(s, draft('a', 'c1', 1), config)).toMatchObject({ duplicate: false, message: { seq: 6 } });
    expect(append(s, draft('a', 'c2', 1), config)).toMatchObject({ duplicate: true, message: { seq: 5 } });
  });

  it('defaults: 1,000 messages of history per room and 256 ids per client', () => {
    expect(defaultSequencerConfig).toEqual({ historyLimit: 1000, dedupeLimit: 256 });
    const drafts = Array.from({ length: 1001 }, (_, i) => draft('a', 'c1', i + 1));
    const s = appendAll(drafts);
    expect(read(s, 'a', 0, 5)).toMatchObject({ oldest: 2, last: 1001 });
    expect(Object.keys(s.seen.c1!).length).toBe(256);
    expect(append(s, draft('a', 'c1', 1001 - 255)).duplicate).toBe(true);
    expect(append(s, draft('a', 'c1', 1001 - 256)).duplicate).toBe(false);
  });
});

describe('read', () => {
  const s = appendAll([1, 2, 3, 4, 5].map((id) => draft('a', 'c1', id)), { historyLimit: 4, dedupeLimit: 10 });

  it('returns the messages after `after`, oldest first, at most `limit`, with what the bus still keeps', () => {
    expect(read(s, 'a', 2, 2)).toEqual({ room: 'a', messages: s.rooms.a!.history.slice(1, 3), oldest: 2, last: 5 });
    expect(read(s, 'a', 2, 2).messages.map((m) => m.seq)).toEqual([3, 4]);
    expect(read(s, 'a', 0, 10).messages.map((m) => m.seq)).toEqual([2, 3, 4, 5]);
    expect(read(s, 'a', 5, 10)).toEqual({ room: 'a', messages: [], oldest: 2, last: 5 });
    expect(read(s, 'a', 4, 1).messages.map((m) => m.seq)).toEqual([5]);
  });

  it('an unknown room has nothing: oldest 1, last 0', () => {
    expect(read(s, 'zz', 0, 10)).toEqual({ room: 'zz', messages: [], oldest: 1, last: 0 });
  });
});
