// Reference solution for exercise 06: a room's fan-out with bounded per-client queues; a slow client is
// dropped once and resumes after reconnecting (the chat core's fanout.ts does the same).
import type { ClientQueue } from '../../chat/core/fanout.ts';

export type Action = 'send' | 'drop' | 'ignore';

export interface FanOut {
  queues: Record<string, ClientQueue>;
  send: string[];
  drop: string[];
}

export function offer(queue: ClientQueue, limit: number): { queue: ClientQueue; action: Action } {
  if (queue.dropped) return { queue, action: 'ignore' };
  if (queue.queued >= limit) return { queue: { ...queue, dropped: true }, action: 'drop' };
  return { queue: { ...queue, queued: queue.queued + 1 }, action: 'send' };
}

export function flushed(queue: ClientQueue, count: number): ClientQueue {
  return { ...queue, queued: Math.max(0, queue.queued - count) };
}

export function fanOut(queues: Readonly<Record<string, ClientQueue>>, members: readonly string[], limit: number): FanOut {
  const next: Record<string, ClientQueue> = { ...queues };
  const send: string[] = [];
  const drop: string[] = [];
  for (const member of members) {
    const offered = offer(next[member]!, limit);
    next[member] = offered.queue;
    if (offered.action === 'send') send.push(member);
    else if (offered.action === 'drop') drop.push(member); // and go on: nobody waits for a slow client
  }
  return { queues: next, send, drop };
}
