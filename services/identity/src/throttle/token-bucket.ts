// Token buckets per key (a client IP, a client id) as pure decisions, and a
// bounded in-memory map of them. They stand in front of everything that costs
// CPU at the token endpoint and sign-up, so they must cost nothing themselves:
// no database, no I/O.

export interface BucketPolicy {
  /** Requests a fresh key may make at once. */
  burst: number;
  /** Requests per minute the bucket refills by. */
  perMinute: number;
}

export interface Bucket {
  tokens: number;
  /** When `tokens` was last computed (ms). */
  at: number;
}

export type BucketDecision = { allowed: true; next: Bucket } | { allowed: false; next: Bucket; retryAfterMs: number };

/** Takes one token from `bucket` (undefined: a key not seen yet) at `now`, or says how long until one is there. */
export function takeToken(bucket: Bucket | undefined, now: number, policy: BucketPolicy): BucketDecision {
  const perMs = policy.perMinute / 60_000;
  const elapsed = bucket ? Math.max(0, now - bucket.at) : 0;
  const tokens = bucket ? Math.min(policy.burst, bucket.tokens + elapsed * perMs) : policy.burst;
  if (tokens >= 1) return { allowed: true, next: { tokens: tokens - 1, at: now } };
  return { allowed: false, next: { tokens, at: now }, retryAfterMs: Math.ceil((1 - tokens) / perMs) };
}

/**
 * Buckets per key, at most `maxKeys` of them: when full, the least recently
 * used key is dropped (a Map keeps insertion order; a key used again moves to
 * the end). A dropped key starts again with a full bucket, so the bound is
 * set far above the number of clients active within a refill period.
 */
export function createBuckets(policy: BucketPolicy, maxKeys = 50_000) {
  const buckets = new Map<string, Bucket>();
  return {
    take(key: string, now: number): { allowed: true } | { allowed: false; retryAfterMs: number } {
      const decision = takeToken(buckets.get(key), now, policy);
      buckets.delete(key);
      buckets.set(key, decision.next);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
      return decision.allowed ? { allowed: true } : { allowed: false, retryAfterMs: decision.retryAfterMs };
    },
    get size(): number {
      return buckets.size;
    },
  };
}

export type Buckets = ReturnType<typeof createBuckets>;
