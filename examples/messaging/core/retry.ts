// When to try again: a retry schedule as a pure function.
//
// A client that got no answer cannot know whether its request was lost or only the reply was, so it tries
// again. Trying again at once, forever, turns a struggling server into a flattened one: every client hammers
// it in lockstep. Exponential backoff spaces the attempts out (1x, 2x, 4x, ... the base delay, up to a cap),
// and jitter spreads clients apart so their retries do not arrive together ("full jitter" in Marc Brooker,
// "Exponential Backoff And Jitter", AWS Architecture Blog, 2015).
//
// The random number arrives as an argument (`jitter` in [0, 1)), so this file stays deterministic and a test
// can pin the schedule exactly; the node client passes Math.random(), the simulator a seeded generator.

// #region retry
export interface RetryPolicy {
  /** Total tries, the first one included. After that the client gives up and reports an error. */
  maxAttempts: number;
  /** The delay ceiling before the first retry; it doubles with every further retry. */
  baseDelayMs: number;
  /** No delay is ever longer than this, however many retries came before. */
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 1_000 };

/**
 * How long to wait after failed attempt number `attempt` (1 = the first try), or null to give up.
 * Full jitter: a uniformly random wait between 0 and min(max, base * 2^(attempt-1)).
 */
export function retryDelay(policy: RetryPolicy, attempt: number, jitter: number): number | null {
  if (attempt >= policy.maxAttempts) return null;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(ceiling * jitter);
}
// #endregion retry

/**
 * The whole schedule at once, for printing and testing: the waits between the attempts, given one jitter
 * value per retry. `retrySchedule(p, [1, 1, 1])` shows the ceilings: [50, 100, 200] with the default policy.
 */
export function retrySchedule(policy: RetryPolicy, jitters: readonly number[]): number[] {
  const delays: number[] = [];
  for (let attempt = 1; attempt <= jitters.length; attempt++) {
    const delay = retryDelay(policy, attempt, jitters[attempt - 1]!);
    if (delay === null) break;
    delays.push(delay);
  }
  return delays;
}
