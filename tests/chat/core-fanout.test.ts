// Fan-out queues (examples/chat/core/fanout.ts): bounded per client; a slow consumer is dropped once.
import { describe, expect, it } from 'vitest';
import { emptyQueue, flushed, offer } from '../../examples/chat/core/fanout.ts';

describe('bounded client queue', () => {
  it('sends while fewer than `limit` frames are unflushed, then drops the client once and ignores it after', () => {
    let q = emptyQueue();
    expect(q).toEqual({ queued: 0, dropped: false });
    const actions: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = offer(q, 3);
      actions.push(r.action);
      q = r.queue;
    }
    expect(actions).toEqual(['send', 'send', 'send', 'drop', 'ignore']);
    expect(q).toEqual({ queued: 3, dropped: true });
    expect(offer(q, 100).action).toBe('ignore');
  });

  it('flushed frames make room again; the count never goes below zero', () => {
    let q = offer(offer(emptyQueue(), 2).queue, 2).queue;
    expect(offer(q, 2).action).toBe('drop');
    q = flushed(q, 1);
    expect(q).toEqual({ queued: 1, dropped: false });
    expect(offer(q, 2)).toEqual({ queue: { queued: 2, dropped: false }, action: 'send' });
    expect(flushed(q, 5)).toEqual({ queued: 0, dropped: false });
  });
});
