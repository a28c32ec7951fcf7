// The token bucket (examples/chat/core/rate.ts): `burst` at once, `perSecond` on average; time comes in.
import { describe, expect, it } from 'vitest';
import { fullBucket, take } from '../../examples/chat/core/rate.ts';

describe('token bucket', () => {
  it('allows `burst` frames at once, then refuses', () => {
    let b = fullBucket(3, 100);
    expect(b).toEqual({ tokens: 3, at: 100 });
    const allowed: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const r = take(b, 100, 10, 3);
      allowed.push(r.allowed);
      b = r.bucket;
    }
    expect(allowed).toEqual([true, true, true, false]);
    expect(b).toEqual({ tokens: 0, at: 100 });
  });

  it('refills at perSecond, up to burst', () => {
    const empty = { tokens: 0, at: 0 };
    expect(take(empty, 99, 10, 3)).toEqual({ bucket: { tokens: 0.99, at: 99 }, allowed: false });
    expect(take(empty, 100, 10, 3)).toEqual({ bucket: { tokens: 0, at: 100 }, allowed: true });
    expect(take(empty, 250, 10, 3)).toEqual({ bucket: { tokens: 1.5, at: 250 }, allowed: true });
    expect(take(empty, 60_000, 10, 3)).toEqual({ bucket: { tokens: 2, at: 60_000 }, allowed: true });
  });

  it('a clock that goes backwards adds nothing', () => {
    expect(take({ tokens: 0.5, at: 1000 }, 0, 10, 3)).toEqual({ bucket: { tokens: 0.5, at: 0 }, allowed: false });
  });
});
