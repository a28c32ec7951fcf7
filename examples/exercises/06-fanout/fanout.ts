// Exercise 06 (Session 6, docs/real-time/06-websockets-pubsub.md): a room's fan-out with a bounded queue per
// client and a policy for slow consumers.
//
// A chat server copies every message of a room to each member. It cannot wait for a client: the socket
// write only hands the frame to the kernel, and a client on a bad phone line reads slower than the room
// talks. So each client has a queue of frames handed to its socket and not yet written out (`queued`). The
// adapter tells the core when the socket took some (`flushed`). A queue that could grow without end would
// let one slow client eat the server's memory, so it is bounded (`limit`), and the policy when it is full is:
// DROP that client (close it with 4008). It reconnects and resumes from the last seq it has, so it loses
// nothing, and nobody else ever waits for it.
//
// A client's queue is { queued, dropped } (ClientQueue, from the chat core). You write three functions:
//   offer(queue, limit)            one frame for one client: { queue, action: 'send' | 'drop' | 'ignore' }
//   flushed(queue, count)          the socket wrote `count` frames of this client
//   fanOut(queues, members, limit) one message to every member of a room: { queues, send, drop }
// Never change the objects you are given (the checker freezes them): return new ones.
//
// Run the checker (from the repository root):
//   npm run check -- 06-fanout              grades this file
//   npm run check -- 06-fanout --solution   shows what passing looks like
// It holds every answer against the chat core's own fan-out (examples/chat/core/fanout.ts), then plays
// seeded rooms whose clients read at different speeds, stall and reconnect.
import type { ClientQueue } from '../../chat/core/fanout.ts';

export type { ClientQueue };
export type Action = 'send' | 'drop' | 'ignore';

/** What one message does to a room: each member's queue afterwards, who was sent it, who was dropped. */
export interface FanOut {
  queues: Record<string, ClientQueue>;
  send: string[];
  drop: string[];
}

export function offer(queue: ClientQueue, limit: number): { queue: ClientQueue; action: Action } {
  // TODO 1: Offer one frame to one client's queue.
  //   - Already dropped (queue.dropped): the client is being closed. Do nothing: action 'ignore', the same
  //     queue. (It must be dropped exactly once: one close, one reconnect.)
  //   - Full (queued has reached limit): the client is too slow. action 'drop', and remember it:
  //     { ...queue, dropped: true }. Do not count the frame: it is not handed to the socket.
  //   - Otherwise: action 'send', and count the frame: queued + 1.
  throw new Error(`offer is not written yet (queued ${queue.queued}, limit ${limit}): follow TODO 1`);
}

export function flushed(queue: ClientQueue, count: number): ClientQueue {
  // TODO 2: The socket wrote `count` frames: that many fewer are queued (never below 0), so there is room
  //         again. A dropped client stays dropped: flushing what it already had does not bring it back.
  throw new Error(`flushed is not written yet (queued ${queue.queued}, count ${count}): follow TODO 2`);
}

export function fanOut(queues: Readonly<Record<string, ClientQueue>>, members: readonly string[], limit: number): FanOut {
  // TODO 3: One message for the room. For each of the room's `members` (each has a queue in `queues`), in
  //         order: offer the frame to its queue, keep the new queue, and list the member in `send` or `drop`
  //         by the action ('ignore': in neither). A full or dropped member must not stop or delay the
  //         others: everyone else still gets the message. Clients with a queue that are not members of this
  //         room get nothing: copy their queues over unchanged.
  throw new Error(`fanOut is not written yet (${members.length} members, limit ${limit}): follow TODO 1 to 3`);
}
