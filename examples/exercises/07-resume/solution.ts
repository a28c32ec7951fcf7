// Reference solution for exercise 07: the client's side of resume (the chat core's receiver.ts does the same).
import type { ChatMessage, ClientFrame } from '../../chat/core/types.ts';
import type { Received, Receiver, RoomReceiver } from '../../chat/core/receiver.ts';

export type { ChatMessage, Received, Receiver, RoomReceiver };

export function roomOf(receiver: Receiver, name: string): RoomReceiver {
  return receiver.rooms[name] ?? { last: 0, held: [], caughtUp: false };
}

export function withRoom(receiver: Receiver, name: string, room: RoomReceiver): Receiver {
  return { rooms: { ...receiver.rooms, [name]: room } };
}

export function joinFrame(receiver: Receiver, room: string): ClientFrame {
  return { type: 'join', room, after: roomOf(receiver, room).last };
}

export function showReady(room: RoomReceiver): { room: RoomReceiver; show: ChatMessage[] } {
  const held = [...room.held];
  const show: ChatMessage[] = [];
  let last = room.last;
  while (held[0] !== undefined && held[0].seq <= last + 1) {
    const message = held.shift()!;
    if (message.seq === last + 1) {
      show.push(message);
      last = message.seq;
    }
  }
  return { room: { ...room, last, held }, show };
}

export function accept(receiver: Receiver, message: ChatMessage): Received {
  const room = roomOf(receiver, message.room);
  if (message.seq <= room.last || room.held.some((m) => m.seq === message.seq)) return { receiver, show: [] };
  if (message.seq > room.last + 1) {
    const held = [...room.held, message].sort((a, b) => a.seq - b.seq);
    const next = withRoom(receiver, message.room, { ...room, held, caughtUp: false });
    if (!room.caughtUp) return { receiver: next, show: [] }; // a join is under way: the rest is coming
    return { receiver: next, show: [], rejoin: { type: 'join', room: message.room, after: room.last } };
  }
  const ready = showReady({ ...room, held: [message, ...room.held] });
  return { receiver: withRoom(receiver, message.room, ready.room), show: ready.show };
}

export function acceptGap(receiver: Receiver, room: string, from: number, to: number): Received {
  const state = roomOf(receiver, room);
  if (to <= state.last) return { receiver, show: [] };
  const ready = showReady({ ...state, last: to });
  return { receiver: withRoom(receiver, room, ready.room), show: ready.show, lost: { from: Math.max(from, state.last + 1), to } };
}
