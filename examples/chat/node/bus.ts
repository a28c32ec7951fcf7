// The bus: what joins the chat servers. A chat server hands it every message a client sends; the bus numbers
// it (the sequencer), keeps the room's recent history and publishes it to every chat server, the sender's
// included. Two adapters do this behind one interface, and a chat server only ever sees the interface:
//   ws://host:port     the course's own bus (bus-server.ts, running core/sequencer.ts), through bus-client.ts
//   redis://host:port  Redis: a Lua script, Streams and pub/sub (redis-bus.ts)
//
// This file also defines the course bus's wire protocol (JSON text frames over one WebSocket per chat server)
// and checks every frame that crosses it, in both directions: the other end is another process, and a bad
// frame must get an error, never crash anything.

import { isChatMessage, isDraft, isPresenceBeat, ROOM } from '../core/frames.ts';
import { defaultLimits, type ChatMessage, type Draft, type HistoryPage, type PresenceBeat } from '../core/types.ts';

// #region interface
export interface Bus {
  /** Number a draft: the room's next seq, or the seq it already had if this is a resend (`duplicate`). */
  append(draft: Draft): Promise<{ message: ChatMessage; duplicate: boolean }>;
  /** The room's messages with seq > after, at most `limit`, and what the bus still keeps of the room. */
  read(room: string, after: number, limit: number): Promise<HistoryPage>;
  /** Tell every other chat server who is online here. Fire and forget: a lost beat is repaired by the next. */
  beat(beat: PresenceBeat): void;
  /** Live messages (at-most-once: some may be missed while the bus is down), beats, and up/down. */
  subscribe(handlers: BusHandlers): void;
  close(): Promise<void>;
}

export interface BusHandlers {
  message(m: ChatMessage): void;
  beat(b: PresenceBeat): void;
  /** Connected (again). Messages may have been missed while down: read what is missing. */
  up(): void;
  down(reason: string): void;
}
// #endregion interface

/** Options both adapters understand. */
export interface BusOptions {
  /** A request (append or read) that has no answer after this long is rejected. Default 5,000 ms. */
  requestTimeoutMs?: number;
  /** connectBus gives up if the first connection is not up after this long. Default 15,000 ms. */
  connectTimeoutMs?: number;
  /** Redis only: messages kept per room (the course bus takes HISTORY_LIMIT). Every server must agree. Default 1,000. */
  historyLimit?: number;
  /** Redis only: prefix of every key and channel, so several chats (or tests) can share one Redis. Default "chat:". */
  prefix?: string;
  /** Redis only: how long a client's resend memory lives after its last message. Default 3,600 s. */
  dedupeTtlSeconds?: number;
  /** Where an adapter reports what it dropped (a bad frame from the bus). Default console.warn. */
  warn?: (line: string) => void;
}

// #region connect
/** A Bus for `url`: `ws://` is the course bus, `redis://` is Redis. Resolves once connected. */
export async function connectBus(url: string, options: BusOptions = {}): Promise<Bus> {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'ws' || scheme === 'wss') {
    const { connectCourseBus } = await import('./bus-client.ts');
    return connectCourseBus(url, options);
  }
  if (scheme === 'redis') {
    const { connectRedisBus } = await import('./redis-bus.ts');
    return connectRedisBus(url, options);
  }
  throw new Error(
    `unknown bus URL ${JSON.stringify(url)}: use ws://host:port for the course bus (e.g. ws://127.0.0.1:7300) or redis://host:port for Redis (e.g. redis://127.0.0.1:6379)`,
  );
}
// #endregion connect

// #region protocol
/** Chat server -> course bus. `rid` is the sender's request id; the answer carries it back. */
export type BusRequestFrame =
  | { type: 'append'; rid: number; draft: Draft }
  | { type: 'read'; rid: number; room: string; after: number; limit: number }
  | { type: 'beat'; beat: PresenceBeat };

/** Course bus -> chat server: answers (with the request's `rid`) and pushes (without). */
export type BusReplyFrame =
  | { type: 'appended'; rid: number; message: ChatMessage; duplicate: boolean }
  | { type: 'page'; rid: number; page: HistoryPage }
  /** A request the bus could not take; `rid` when the frame had a readable one. */
  | { type: 'error'; rid?: number; message: string }
  /** Published: a message the bus numbered (for every chat server). */
  | { type: 'message'; message: ChatMessage }
  /** Relayed: another chat server's presence beat. */
  | { type: 'beat'; beat: PresenceBeat };

/** Largest frame either side accepts (ws maxPayload). A beat of a busy server is the biggest thing sent. */
export const MAX_BUS_FRAME_BYTES = 1 << 20;
/** Largest `limit` a read may ask for. */
export const MAX_READ_LIMIT = 10_000;
// #endregion protocol

export type Checked<T> = { ok: true; frame: T } | { ok: false; rid?: number; message: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRid = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isCount = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;

/** The draft's own fields only (extra fields a sender added are not stored), or null if it is not a draft. */
export function cleanDraft(value: unknown): Draft | null {
  if (!isDraft(value) || value.text.length > defaultLimits.maxTextChars) return null;
  const { room, from, text, clientId, id } = value;
  return { room, from, text, clientId, id };
}

export function cleanMessage(value: unknown): ChatMessage | null {
  if (!isChatMessage(value)) return null;
  const draft = cleanDraft(value);
  return draft === null ? null : { ...draft, seq: value.seq };
}

function parseJson(data: string): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { ok: false, message: 'not JSON: send one JSON object per frame' };
  }
  return isObject(value) ? { ok: true, value } : { ok: false, message: 'a frame must be a JSON object with a "type"' };
}

// #region check-request
/** What the course bus does with every frame a chat server sends: a request, or the error to answer. */
export function checkRequest(data: string): Checked<BusRequestFrame> {
  const json = parseJson(data);
  if (!json.ok) return json;
  const f = json.value;
  const rid = isRid(f.rid) ? f.rid : undefined;
  const fail = (message: string): Checked<BusRequestFrame> => (rid === undefined ? { ok: false, message } : { ok: false, rid, message });
  switch (f.type) {
    case 'append': {
      if (rid === undefined) return fail('append: "rid" must be a whole number >= 0 (your request id)');
      const draft = cleanDraft(f.draft);
      if (draft === null) {
        return fail(`append: "draft" must be {room, from, text, clientId, id} with a valid room, user, clientId, id >= 1 and 1-${defaultLimits.maxTextChars} characters of text`);
      }
      return { ok: true, frame: { type: 'append', rid, draft } };
    }
    case 'read':
      if (rid === undefined) return fail('read: "rid" must be a whole number >= 0 (your request id)');
      if (typeof f.room !== 'string' || !ROOM.test(f.room)) return fail('read: "room" must be a room name ([a-z0-9-], 1-32 characters)');
      if (!isCount(f.after, 0, Number.MAX_SAFE_INTEGER)) return fail('read: "after" must be a whole number >= 0');
      if (!isCount(f.limit, 1, MAX_READ_LIMIT)) return fail(`read: "limit" must be a whole number from 1 to ${MAX_READ_LIMIT}`);
      return { ok: true, frame: { type: 'read', rid, room: f.room, after: f.after, limit: f.limit } };
    case 'beat':
      if (!isPresenceBeat(f.beat)) return fail('beat: "beat" must be {server, rooms: {room: [user, ...]}}');
      return { ok: true, frame: { type: 'beat', beat: f.beat } };
    default:
      return fail('"type" must be one of append, read, beat');
  }
}
// #endregion check-request

function isPage(v: unknown): v is HistoryPage {
  return (
    isObject(v) &&
    typeof v.room === 'string' &&
    isCount(v.oldest, 1, Number.MAX_SAFE_INTEGER) &&
    isCount(v.last, 0, Number.MAX_SAFE_INTEGER) &&
    Array.isArray(v.messages) &&
    v.messages.every((m) => cleanMessage(m) !== null && (m as ChatMessage).room === v.room)
  );
}

/** What a chat server's bus client does with every frame the course bus sends. */
export function checkReply(data: string): Checked<BusReplyFrame> {
  const json = parseJson(data);
  if (!json.ok) return json;
  const f = json.value;
  const rid = isRid(f.rid) ? f.rid : undefined;
  const fail = (message: string): Checked<BusReplyFrame> => (rid === undefined ? { ok: false, message } : { ok: false, rid, message });
  switch (f.type) {
    case 'appended': {
      const message = cleanMessage(f.message);
      if (rid === undefined || message === null || typeof f.duplicate !== 'boolean') return fail('appended: needs rid, message, duplicate');
      return { ok: true, frame: { type: 'appended', rid, message, duplicate: f.duplicate } };
    }
    case 'page':
      if (rid === undefined || !isPage(f.page)) return fail('page: needs rid and a history page');
      return { ok: true, frame: { type: 'page', rid, page: f.page } };
    case 'error':
      if (typeof f.message !== 'string') return fail('error: needs a message');
      return { ok: true, frame: rid === undefined ? { type: 'error', message: f.message } : { type: 'error', rid, message: f.message } };
    case 'message': {
      const message = cleanMessage(f.message);
      if (message === null) return fail('message: not a numbered chat message');
      return { ok: true, frame: { type: 'message', message } };
    }
    case 'beat':
      if (!isPresenceBeat(f.beat)) return fail('beat: not a presence beat');
      return { ok: true, frame: { type: 'beat', beat: f.beat } };
    default:
      return fail('"type" must be one of appended, page, error, message, beat');
  }
}

/** A chat server's request as checked input: the same checks the bus makes, before anything is sent. */
export function checkReadArgs(room: string, after: number, limit: number): string | null {
  if (!ROOM.test(room)) return `read: ${JSON.stringify(room)} is not a room name`;
  if (!isCount(after, 0, Number.MAX_SAFE_INTEGER)) return `read: after must be a whole number >= 0, got ${after}`;
  if (!isCount(limit, 1, MAX_READ_LIMIT)) return `read: limit must be a whole number from 1 to ${MAX_READ_LIMIT}, got ${limit}`;
  return null;
}
