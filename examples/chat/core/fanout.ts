// Fan-out with bounded per-client queues. A chat server copies every message of a room to each member's
// queue; the adapter writes queued frames to the socket and reports them flushed. A client whose socket does
// not keep up would make its queue grow without end (and the server run out of memory), so the queue is
// bounded and the policy for a slow consumer is: disconnect it. It reconnects and resumes from the last seq
// it has, so it loses nothing, and nobody else waits for it.

// #region queue
export interface ClientQueue {
  /** Frames handed to the socket and not yet reported flushed. */
  queued: number;
  /** Set once the client was found too slow: it gets nothing more and is being closed. */
  dropped: boolean;
}

export function emptyQueue(): ClientQueue {
  return { queued: 0, dropped: false };
}

/**
 * Offer one frame to a client's queue. `send`: hand it to the socket. `drop`: the queue is full, close this
 * client as a slow consumer (it happens once; later offers are ignored).
 */
export function offer(queue: ClientQueue, limit: number): { queue: ClientQueue; action: 'send' | 'drop' | 'ignore' } {
  if (queue.dropped) return { queue, action: 'ignore' };
  if (queue.queued >= limit) return { queue: { ...queue, dropped: true }, action: 'drop' };
  return { queue: { ...queue, queued: queue.queued + 1 }, action: 'send' };
}

/** The socket took `count` frames. */
export function flushed(queue: ClientQueue, count: number): ClientQueue {
  return { ...queue, queued: Math.max(0, queue.queued - count) };
}
// #endregion queue
