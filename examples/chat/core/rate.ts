// A token bucket per connection: a client may send `burst` frames at once and `perSecond` frames per second
// on average. Pure: the adapter passes the time in.

// #region bucket
export interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
}

export function fullBucket(burst: number, at: number): Bucket {
  return { tokens: burst, at };
}

/** Take one token if there is one. Tokens come back at `perSecond`, up to `burst`. */
export function take(bucket: Bucket, at: number, perSecond: number, burst: number): { bucket: Bucket; allowed: boolean } {
  const elapsed = Math.max(0, at - bucket.at);
  const tokens = Math.min(burst, bucket.tokens + (elapsed * perSecond) / 1000);
  if (tokens < 1) return { bucket: { tokens, at }, allowed: false };
  return { bucket: { tokens: tokens - 1, at }, allowed: true };
}
// #endregion bucket
