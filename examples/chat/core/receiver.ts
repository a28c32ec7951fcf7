// The client's side of ordering and resume. Whatever the network and the servers do (a message twice, late,
// out of order, a reconnect to another server), a client shows each room's messages exactly once, in seq
// order, with no gap it does not know about. It remembers the last seq it showed per room; after a reconnect
// it joins with `after: last` and the server sends exactly what it missed. The browser client, the test and
// benchmark clients and the simulator's clients all run this core.

import type { ChatMessage, ClientFrame } from './types.ts';

// #region receiver
export interface RoomReceiver {
  /** The last seq shown (0: none yet). Everything up to it was shown exactly once, in order. */
  last: number;
  /** Messages that came before their turn, waiting for the ones in between (sorted by seq). */
  held: ChatMessage[];
  /** False while a join or a repair is under way (the server has not said `caught-up` since). */
  caughtUp: boolean;
}

export interface Receiver {
  rooms: Record<string, RoomReceiver>;
}

export interface Received {
  receiver: Receiver;
  /** Show these, in this order. */
  show: ChatMessage[];
  /** Messages `from`..`to` are gone from history: show a notice instead. */
  lost?: { from: number; to: number };
  /** Ask the server again for everything after `after` (a gap was seen). */
  rejoin?: { type: 'join'; room: string; after: number };
}

/** The most messages held back waiting for a gap to fill; beyond it they are dropped and fetched again. */
export const MAX_HELD = 1000;

export function emptyReceiver(): Receiver {
  return { rooms: {} };
}

/** The frame that joins (or rejoins) a room: it asks for everything after the last seq shown. */
export function joinFrame(receiver: Receiver, room: string): ClientFrame {
  return { type: 'join', room, after: receiver.rooms[room]?.last ?? 0 };
}
// #endregion receiver

// #region accept
/** A message arrived: show it, hold it, or drop it as a duplicate. */
export function accept(receiver: Receiver, message: ChatMessage): Received {
  const room = receiver.rooms[message.room] ?? { last: 0, held: [], caughtUp: false };
  if (message.seq <= room.last || room.held.some((m) => m.seq === message.seq)) {
    return { receiver, show: [] }; // a duplicate: already shown or already waiting
  }
  if (message.seq > room.last + 1) {
    const held = [...room.held, message].sort((a, b) => a.seq - b.seq).slice(0, MAX_HELD);
    const next = put(receiver, message.room, { ...room, held, caughtUp: false });
    // A gap while live means something was lost on the way: ask again. During a join the rest is coming.
    return room.caughtUp ? { receiver: next, show: [], rejoin: { type: 'join', room: message.room, after: room.last } } : { receiver: next, show: [] };
  }
  return drain(receiver, message.room, { ...room, held: [message, ...room.held] });
}

/** Show every held message that is next in line. */
function drain(receiver: Receiver, name: string, room: RoomReceiver): Received {
  const show: ChatMessage[] = [];
  let last = room.last;
  const held = [...room.held];
  while (held[0] !== undefined && held[0].seq <= last + 1) {
    const message = held.shift()!;
    if (message.seq === last + 1) {
      show.push(message);
      last = message.seq;
    }
  }
  return { receiver: put(receiver, name, { ...room, last, held }), show };
}
// #endregion accept

// #region gap-and-caught-up
/** The server says messages from..to are no longer kept: skip them (and say so), then go on. */
export function acceptGap(receiver: Receiver, room: string, from: number, to: number): Received {
  const state = receiver.rooms[room] ?? { last: 0, held: [], caughtUp: false };
  if (to <= state.last) return { receiver, show: [] };
  const lost = { from: Math.max(from, state.last + 1), to };
  const drained = drain(receiver, room, { ...state, last: to });
  return { ...drained, lost };
}

/** The server says it sent everything up to `seq`. If something is still missing, ask again. */
export function caughtUp(receiver: Receiver, room: string, seq: number): Received {
  const state = receiver.rooms[room] ?? { last: 0, held: [], caughtUp: false };
  if (seq > state.last) {
    return { receiver: put(receiver, room, { ...state, caughtUp: false }), show: [], rejoin: { type: 'join', room, after: state.last } };
  }
  return { receiver: put(receiver, room, { ...state, caughtUp: true }), show: [] };
}
// #endregion gap-and-caught-up

function put(receiver: Receiver, name: string, room: RoomReceiver): Receiver {
  return { rooms: { ...receiver.rooms, [name]: room } };
}

// #region outbox
/** What this client sent and the server has not yet confirmed. After a reconnect it sends them all again. */
export interface Outbox {
  nextId: number;
  pending: { room: string; id: number; text: string }[];
}

export function emptyOutbox(): Outbox {
  return { nextId: 1, pending: [] };
}

/** Give a new message the next id and keep it until the server confirms it. */
export function queueSend(outbox: Outbox, room: string, text: string): { outbox: Outbox; frame: ClientFrame } {
  const entry = { room, id: outbox.nextId, text };
  return { outbox: { nextId: outbox.nextId + 1, pending: [...outbox.pending, entry] }, frame: { type: 'send', ...entry } };
}

/** The server confirmed message `id` (`sent`). */
export function confirmed(outbox: Outbox, id: number): Outbox {
  return { ...outbox, pending: outbox.pending.filter((entry) => entry.id !== id) };
}

/** After a reconnect (and the joins): send every unconfirmed message again, same ids, same order. */
export function resendAll(outbox: Outbox): ClientFrame[] {
  return outbox.pending.map((entry) => ({ type: 'send', ...entry }));
}
// #endregion outbox
