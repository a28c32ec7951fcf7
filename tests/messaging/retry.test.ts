import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultRetryPolicy, retryDelay, retrySchedule, type RetryPolicy } from '../../examples/messaging/core/retry.ts';

const policy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 300 };

describe('retryDelay', () => {
  it('doubles the ceiling with each attempt and caps it at maxDelayMs', () => {
    const almostOne = 0.999_999;
    expect([1, 2, 3, 4, 5].map((n) => retryDelay(policy, n, almostOne))).toEqual([49, 99, 199, 299, 299]);
  });

  it('gives up once maxAttempts tries have been made', () => {
    expect(retryDelay(policy, 6, 0.5)).toBeNull();
    expect(retryDelay(policy, 7, 0.5)).toBeNull();
    expect(retryDelay(policy, 5, 0.5)).not.toBeNull();
  });

  it('full jitter: any delay from 0 up to the ceiling, scaled by the jitter passed in', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, jitter) => {
        const delay = retryDelay(policy, attempt, jitter)!;
        const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }),
    );
  });
});

describe('retrySchedule', () => {
  it('lists the waits between attempts and stops at maxAttempts', () => {
    expect(retrySchedule(defaultRetryPolicy, [0.5, 0.5, 0.5])).toEqual([25, 50, 100]);
    // 10 jitters offered, but maxAttempts 6 allows only 5 waits.
    expect(retrySchedule(defaultRetryPolicy, Array(10).fill(0))).toHaveLength(defaultRetryPolicy.maxAttempts - 1);
  });
});
