// Validation (examples/chat/core/frames.ts): every client frame is checked before the core acts on it, with an
// error code and a message a person can act on; the bus's messages and beats are checked too.
import { describe, expect, it } from 'vitest';
import { CLIENT_ID, isChatMessage, isDraft, isPresenceBeat, isUser, parseClientFrame, ROOM } from '../../examples/chat/core/frames.ts';
import { defaultLimits } from '../../examples/chat/core/types.ts';

const parse = (value: unknown) => parseClientFrame(typeof value === 'string' ? value : JSON.stringify(value), defaultLimits);
const ROOM_MSG = 'must be 1-32 characters of a-z, 0-9 and "-", starting with a letter or digit';

describe('parseClientFrame: good frames', () => {
  it('accepts each frame type and returns exactly its fields', () => {
    expect(parse({ type: 'hello', user: 'Ada L', clientId: 'c_1-X' })).toEqual({ ok: true, frame: { type: 'hello', user: 'Ada L', clientId: 'c_1-X' } });
    // A join without `after` has no `after` key at all (not `after: undefined`).
    expect(parse({ type: 'join', room: 'a' })).toStrictEqual({ ok: true, frame: { type: 'join', room: 'a' } });
    expect(parse({ type: 'join', room: 'a', after: 0 })).toEqual({ ok: true, frame: { type: 'join', room: 'a', after: 0 } });
    expect(parse({ type: 'join', room: 'a', after: 17 })).toEqual({ ok: true, frame: { type: 'join', room: 'a', after: 17 } });
    expect(parse({ type: 'leave', room: '0-b' })).toEqual({ ok: true, frame: { type: 'leave', room: '0-b' } });
    expect(parse({ type: 'send', room: 'a', id: 1, text: 'x' })).toEqual({ ok: true, frame: { type: 'send', room: 'a', id: 1, text: 'x' } });
    expect(parse({ type: 'ping' })).toEqual({ ok: true, frame: { type: 'ping' } });
  });

  it('text up to maxTextChars characters, a frame of exactly maxFrameBytes', () => {
    expect(parse({ type: 'send', room: 'a', id: Number.MAX_SAFE_INTEGER, text: 'x'.repeat(2000) }).ok).toBe(true);
    const base = JSON.stringify({ type: 'send', room: 'a', id: 1, text: '' });
    const limits = { ...defaultLimits, maxFrameBytes: base.length + 3 };
    // "é" is 2 bytes in UTF-8: 1 + 2 fits exactly, 2 + 2 does not.
    expect(parseClientFrame(JSON.stringify({ type: 'send', room: 'a', id: 1, text: 'xé' }), limits).ok).toBe(true);
    expect(parseClientFrame(JSON.stringify({ type: 'send', room: 'a', id: 1, text: 'éé' }), limits)).toEqual({
      ok: false,
      code: 'too-large',
      message: `frame is larger than ${base.length + 3} bytes`,
    });
  });
});

describe('parseClientFrame: every error', () => {
  const cases: [string, unknown, string, string][] = [
    ['too large', 'x'.repeat(8193), 'too-large', 'frame is larger than 8192 bytes'],
    ['not JSON', '{"type":', 'bad-json', 'frame is not JSON: send one JSON object per frame, e.g. {"type":"ping"}'],
    ['empty', '', 'bad-json', 'frame is not JSON: send one JSON object per frame, e.g. {"type":"ping"}'],
    ['an array', '[]', 'bad-frame', 'frame must be a JSON object with a "type"'],
    ['null', 'null', 'bad-frame', 'frame must be a JSON object with a "type"'],
    ['a number', '7', 'bad-frame', 'frame must be a JSON object with a "type"'],
    ['no type', {}, 'bad-frame', '"type" must be one of hello, join, leave, send, ping'],
    ['type not a string', { type: 1 }, 'bad-frame', '"type" must be one of hello, join, leave, send, ping'],
    ['unknown type', { type: 'shout' }, 'bad-frame', '"type" must be one of hello, join, leave, send, ping'],
    ['type an array that reads as a type', { type: ['ping'] }, 'bad-frame', '"type" must be one of hello, join, leave, send, ping'],
    ['inherited type', { type: 'toString' }, 'bad-frame', '"type" must be one of hello, join, leave, send, ping'],
    ['extra field', { type: 'ping', room: 'a' }, 'bad-frame', 'ping: unknown field "room"'],
    ['__proto__ field', '{"type":"leave","room":"a","__proto__":{}}', 'bad-frame', 'leave: unknown field "__proto__"'],
    ['join without room', { type: 'join' }, 'bad-frame', `join: "room" ${ROOM_MSG}`],
    ['room not a string', { type: 'leave', room: 5 }, 'bad-frame', `leave: "room" ${ROOM_MSG}`],
    ['room with capitals', { type: 'send', room: 'A', id: 1, text: 'x' }, 'bad-frame', `send: "room" ${ROOM_MSG}`],
    ['hello user empty', { type: 'hello', user: '', clientId: 'c' }, 'bad-frame', 'hello: "user" must be 1-32 characters, no control characters, no spaces at either end'],
    ['hello user not a string', { type: 'hello', user: 3, clientId: 'c' }, 'bad-frame', 'hello: "user" must be 1-32 characters, no control characters, no spaces at either end'],
    ['hello clientId missing', { type: 'hello', user: 'ada' }, 'bad-frame', 'hello: "clientId" must be 1-64 characters of A-Z, a-z, 0-9, "_" and "-"'],
    ['hello clientId with a dot', { type: 'hello', user: 'ada', clientId: 'a.b' }, 'bad-frame', 'hello: "clientId" must be 1-64 characters of A-Z, a-z, 0-9, "_" and "-"'],
    ['join after negative', { type: 'join', room: 'a', after: -1 }, 'bad-frame', 'join: "after" must be a whole number >= 0 (the last seq you have)'],
    ['join after a fraction', { type: 'join', room: 'a', after: 1.5 }, 'bad-frame', 'join: "after" must be a whole number >= 0 (the last seq you have)'],
    ['join after a string', { type: 'join', room: 'a', after: '3' }, 'bad-frame', 'join: "after" must be a whole number >= 0 (the last seq you have)'],
    ['join after null', { type: 'join', room: 'a', after: null }, 'bad-frame', 'join: "after" must be a whole number >= 0 (the last seq you have)'],
    ['send id 0', { type: 'send', room: 'a', id: 0, text: 'x' }, 'bad-frame', 'send: "id" must be a whole number >= 1 (your own number for the message)'],
    ['send id unsafe', { type: 'send', room: 'a', id: 2 ** 53, text: 'x' }, 'bad-frame', 'send: "id" must be a whole number >= 1 (your own number for the message)'],
    ['send id a string', { type: 'send', room: 'a', id: '1', text: 'x' }, 'bad-frame', 'send: "id" must be a whole number >= 1 (your own number for the message)'],
    ['send text empty', { type: 'send', room: 'a', id: 1, text: '' }, 'bad-frame', 'send: "text" must be a string of 1-2000 characters'],
    ['send text too long', { type: 'send', room: 'a', id: 1, text: 'x'.repeat(2001) }, 'bad-frame', 'send: "text" must be a string of 1-2000 characters'],
    ['send text not a string', { type: 'send', room: 'a', id: 1, text: ['x'] }, 'bad-frame', 'send: "text" must be a string of 1-2000 characters'],
  ];
  for (const [name, value, code, message] of cases) {
    it(name, () => expect(parse(value)).toEqual({ ok: false, code, message }));
  }

  it('the text limit comes from the limits given', () => {
    const limits = { ...defaultLimits, maxTextChars: 3 };
    expect(parseClientFrame(JSON.stringify({ type: 'send', room: 'a', id: 1, text: 'abc' }), limits).ok).toBe(true);
    expect(parseClientFrame(JSON.stringify({ type: 'send', room: 'a', id: 1, text: 'abcd' }), limits)).toEqual({
      ok: false,
      code: 'bad-frame',
      message: 'send: "text" must be a string of 1-3 characters',
    });
  });
});

describe('names', () => {
  it('rooms: a-z, 0-9 and "-", 1-32 characters, not starting with "-"', () => {
    for (const good of ['a', '0', 'a-b', 'x'.repeat(32), '9lives']) expect(ROOM.test(good)).toBe(true);
    for (const badRoom of ['', '-a', 'A', 'a b', 'x'.repeat(33), 'a_b', 'é', 'a\n']) expect(ROOM.test(badRoom)).toBe(false);
  });

  it('clientIds: A-Z, a-z, 0-9, "_" and "-", 1-64 characters', () => {
    for (const good of ['a', 'Z_9-', '-', 'x'.repeat(64)]) expect(CLIENT_ID.test(good)).toBe(true);
    for (const badId of ['', 'x'.repeat(65), 'a b', 'a.b', 'é', 'a\n']) expect(CLIENT_ID.test(badId)).toBe(false);
  });

  it('users: 1-32 characters, no control characters, no spaces at either end', () => {
    for (const good of ['a', 'Ada Lovelace', 'x'.repeat(32), 'é ü', '<img src=x>']) expect(isUser(good)).toBe(true);
    for (const badUser of ['', 'x'.repeat(33), ' ada', 'ada ', 'a\u0000', 'a\u001fb', 'a\u007f', 'a\u009f', 'a\nb', 7, null]) {
      expect(isUser(badUser)).toBe(false);
    }
    expect(isUser('a\u00a0b')).toBe(true); // just past the C1 controls
    expect(isUser('a\u0020b')).toBe(true); // just past the C0 controls
  });
});

describe('bus values', () => {
  const draft = { room: 'a', from: 'ada', text: 'hi', clientId: 'c1', id: 1 };

  it('a draft needs every field valid', () => {
    expect(isDraft(draft)).toBe(true);
    expect(isDraft({ ...draft, text: 'x' })).toBe(true);
    for (const broken of [
      { ...draft, room: 'A' },
      { ...draft, room: 1 },
      { ...draft, from: '' },
      { ...draft, text: '' },
      { ...draft, text: 1 },
      { ...draft, text: ['x'] },
      { ...draft, clientId: 'a.b' },
      { ...draft, clientId: 1 },
      { ...draft, id: 0 },
      null,
      [draft],
      'draft',
    ]) {
      expect(isDraft(broken)).toBe(false);
    }
  });

  it('a message is a draft with a seq >= 1', () => {
    expect(isChatMessage({ ...draft, seq: 1 })).toBe(true);
    expect(isChatMessage(draft)).toBe(false);
    expect(isChatMessage({ ...draft, seq: 0 })).toBe(false);
    expect(isChatMessage({ ...draft, seq: 1.5 })).toBe(false);
    expect(isChatMessage({ ...draft, room: '', seq: 1 })).toBe(false);
  });

  it('a beat names its server and lists valid users per valid room', () => {
    expect(isPresenceBeat({ server: 's1', rooms: {} })).toBe(true);
    expect(isPresenceBeat({ server: 's1', rooms: { a: ['ada', 'bob'], b: [] } })).toBe(true);
    for (const broken of [
      { server: '', rooms: {} },
      { server: 1, rooms: {} },
      { rooms: {} },
      { server: 's1' },
      { server: 's1', rooms: null },
      { server: 's1', rooms: [] },
      { server: 's1', rooms: { A: ['ada'] } },
      { server: 's1', rooms: { a: 'ada' } },
      { server: 's1', rooms: { a: ['ada', ''] } },
      null,
      [],
    ]) {
      expect(isPresenceBeat(broken)).toBe(false);
    }
  });
});
