// Exercise 07 (Session 7, docs/real-time/07-chat-system.md): resume from a sequence number, with no gap and
// no duplicate. You write the client's side: what to do with what arrives from the server.
//
// The sequencer numbers every message of a room 1, 2, 3, ... The client remembers, per room, the last seq
// it SHOWED (`last`). Whatever the network does (a message twice, one early, a reconnect to another server
// that sends again what the old one already sent), the screen must show each seq once, in order. After a
// reconnect the client joins with `after: last` and the server sends exactly what it missed; messages the
// server no longer keeps (history is bounded) come as a `gap {from, to}` notice instead.
//
// The receiver (the chat core's type, examples/chat/core/receiver.ts) keeps per room:
//   last      the last seq shown (0: none yet)
//   held      messages that came early, waiting for the ones before them (sorted by seq, each seq once)
//   caughtUp  true once the server said `caught-up` for this room; false while a join is under way
// Each function returns a Received: { receiver (a NEW one: never change the one given), show (the messages
// to put on screen now, in order), lost? ({ from, to }: say these are gone), rejoin? (a join frame to send) }.
//
// Run the checker (from the repository root):
//   npm run check -- 07-resume              grades this file
//   npm run check -- 07-resume --solution   shows what passing looks like
// It holds every answer against the chat core's receiver, then runs your code in seeded chats (two chat
// servers on the real server core, the real sequencer, four clients) that force disconnects, restart
// servers, deliver frames twice, late and out of order, and trim history, and compares each client's screen
// with the sequencer's log.
import type { ChatMessage, ClientFrame } from '../../chat/core/types.ts';
import type { Received, Receiver, RoomReceiver } from '../../chat/core/receiver.ts';

export type { ChatMessage, Received, Receiver, RoomReceiver };

/** A room's state (a fresh one if the client has none for it yet). */
export function roomOf(receiver: Receiver, name: string): RoomReceiver {
  return receiver.rooms[name] ?? { last: 0, held: [], caughtUp: false };
}

/** A new receiver with `room` as the state of `name` (the other rooms unchanged). */
export function withRoom(receiver: Receiver, name: string, room: RoomReceiver): Receiver {
  return { rooms: { ...receiver.rooms, [name]: room } };
}

export function joinFrame(receiver: Receiver, room: string): ClientFrame {
  // TODO 1: The frame that joins (or, after a reconnect, rejoins) `room`: ask for everything AFTER the last
  //         seq shown there: { type: 'join', room, after: <last> } (0 for a room never seen).
  throw new Error(`joinFrame is not written yet (room ${room}, ${Object.keys(receiver.rooms).length} rooms known): follow TODO 1`);
}

/** Show every held message that is next in line; held ones at or below `last` are duplicates: drop them. */
export function showReady(room: RoomReceiver): { room: RoomReceiver; show: ChatMessage[] } {
  // TODO 2: While the first held message's seq is last + 1: take it out of held, show it, and move last to
  //         it. Held messages with seq <= last are already shown (or lost): take them out without showing.
  //         Stop at the first one that is still early. Return the new room state and what to show.
  throw new Error(`showReady is not written yet (last ${room.last}, ${room.held.length} held): follow TODO 2`);
}

export function accept(receiver: Receiver, message: ChatMessage): Received {
  // TODO 3: A duplicate: seq <= last (already shown), or a seq already in held. Show nothing, change
  //         nothing: return { receiver, show: [] }.

  // TODO 4: Early: seq > last + 1 (something before it has not come yet). Hold it: held gets it, sorted by
  //         seq, and caughtUp becomes false. If the room WAS caught up, the missing ones were lost on the way
  //         and will not come by themselves: also return rejoin: { type: 'join', room, after: last }. If it
  //         was not caught up, a join is under way and the rest is coming: just hold.

  // TODO 5: Next in line: seq === last + 1. Put it in held and let showReady show it and every held message
  //         that now follows.
  throw new Error(`accept is not written yet (seq ${message.seq} in room ${message.room}): follow TODO 3 to 5`);
}

export function acceptGap(receiver: Receiver, room: string, from: number, to: number): Received {
  // TODO 6: The server says seq from..to are gone from history: they will never come. If `to` <= last,
  //         this is old news: return { receiver, show: [] }. Otherwise move last to `to`, say
  //         lost: { from: <the larger of from and last + 1>, to }, and show what is now ready (showReady).
  throw new Error(`acceptGap is not written yet (room ${room}, ${from}..${to}): follow TODO 6`);
}
