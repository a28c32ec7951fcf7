// Validation of everything that comes in from outside: a client's frames, and the messages and beats a bus
// delivers. A frame that fails gets an error frame with a message a person can act on; it never reaches the
// rest of the core, so a bad client cannot crash the server or disturb anyone else.

import type { ChatLimits, ChatMessage, ClientFrame, Draft, ErrorCode, PresenceBeat } from './types.ts';

// #region names
export const ROOM = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A display name: 1-32 characters, none of them control characters. It is shown as text, never as HTML. */
export function isUser(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= 32 && !CONTROL.test(value) && value.trim() === value;
}
// #endregion names

export type Parsed = { ok: true; frame: ClientFrame } | { ok: false; code: ErrorCode; message: string };

const bad = (code: ErrorCode, message: string): Parsed => ({ ok: false, code, message });

function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

const FIELDS: Record<ClientFrame['type'], string[]> = {
  hello: ['type', 'user', 'clientId'],
  join: ['type', 'room', 'after'],
  leave: ['type', 'room'],
  send: ['type', 'room', 'id', 'text'],
  ping: ['type'],
};

// #region parse
/** Parse and check one text frame from a client. */
export function parseClientFrame(data: string, limits: ChatLimits): Parsed {
  if (utf8Bytes(data) > limits.maxFrameBytes) {
    return bad('too-large', `frame is larger than ${limits.maxFrameBytes} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return bad('bad-json', 'frame is not JSON: send one JSON object per frame, e.g. {"type":"ping"}');
  }
  if (!isPlainObject(value)) return bad('bad-frame', 'frame must be a JSON object with a "type"');
  const type = value.type;
  if (typeof type !== 'string' || !Object.hasOwn(FIELDS, type)) {
    return bad('bad-frame', `"type" must be one of ${Object.keys(FIELDS).join(', ')}`);
  }
  const extra = Object.keys(value).find((key) => !FIELDS[type as ClientFrame['type']].includes(key));
  if (extra !== undefined) return bad('bad-frame', `${type}: unknown field "${extra}"`);
  const room = value.room;
  if (type !== 'hello' && type !== 'ping' && (typeof room !== 'string' || !ROOM.test(room))) {
    return bad('bad-frame', `${type}: "room" must be 1-32 characters of a-z, 0-9 and "-", starting with a letter or digit`);
  }
  switch (type) {
    case 'hello':
      if (!isUser(value.user)) {
        return bad('bad-frame', 'hello: "user" must be 1-32 characters, no control characters, no spaces at either end');
      }
      if (typeof value.clientId !== 'string' || !CLIENT_ID.test(value.clientId)) {
        return bad('bad-frame', 'hello: "clientId" must be 1-64 characters of A-Z, a-z, 0-9, "_" and "-"');
      }
      return { ok: true, frame: { type, user: value.user, clientId: value.clientId } };
    case 'join':
      if (value.after !== undefined && !isSeq(value.after)) {
        return bad('bad-frame', 'join: "after" must be a whole number >= 0 (the last seq you have)');
      }
      return { ok: true, frame: value.after === undefined ? { type, room: room as string } : { type, room: room as string, after: value.after as number } };
    case 'leave':
      return { ok: true, frame: { type, room: room as string } };
    case 'send': {
      if (!isId(value.id)) return bad('bad-frame', 'send: "id" must be a whole number >= 1 (your own number for the message)');
      const text = value.text;
      if (typeof text !== 'string' || text.length < 1 || text.length > limits.maxTextChars) {
        return bad('bad-frame', `send: "text" must be a string of 1-${limits.maxTextChars} characters`);
      }
      return { ok: true, frame: { type, room: room as string, id: value.id, text } };
    }
    default:
      return { ok: true, frame: { type: 'ping' } };
  }
}
// #endregion parse

/** A numbered message as a bus delivers it (the bus is another process: check before trusting it). */
export function isChatMessage(value: unknown): value is ChatMessage {
  return isDraft(value) && isId((value as Record<string, unknown>).seq);
}

/** A message before numbering, as a chat server sends it to the bus. */
export function isDraft(value: unknown): value is Draft {
  if (!isPlainObject(value)) return false;
  return (
    typeof value.room === 'string' &&
    ROOM.test(value.room) &&
    isUser(value.from) &&
    typeof value.text === 'string' &&
    value.text.length >= 1 &&
    typeof value.clientId === 'string' &&
    CLIENT_ID.test(value.clientId) &&
    isId(value.id)
  );
}

export function isPresenceBeat(value: unknown): value is PresenceBeat {
  if (!isPlainObject(value) || typeof value.server !== 'string' || value.server === '' || !isPlainObject(value.rooms)) {
    return false;
  }
  return Object.entries(value.rooms).every(
    ([room, users]) => ROOM.test(room) && Array.isArray(users) && users.every((user) => isUser(user)),
  );
}
