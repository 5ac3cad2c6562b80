// Token buckets: a burst, then the refill rate; Retry-After says when the next
// token is there; the map of buckets stays bounded.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBuckets, takeToken, type Bucket } from './token-bucket.ts';

const T0 = Date.UTC(2025, 0, 1);
const POLICY = { burst: 3, perMinute: 6 }; // one token every 10 s

describe('token bucket', () => {
  it('allows the burst at once, then refuses with the time to the next token', () => {
    let bucket: Bucket | undefined;
    const answers = [];
    for (let i = 0; i < 4; i++) {
      const d = takeToken(bucket, T0, POLICY);
      answers.push(d.allowed ? 'ok' : d.retryAfterMs);
      bucket = d.next;
    }
    assert.deepEqual(answers, ['ok', 'ok', 'ok', 10_000]);
  });

  it('refills at the rate, never above the burst', () => {
    let bucket: Bucket | undefined;
    for (let i = 0; i < 3; i++) bucket = takeToken(bucket, T0, POLICY).next;
    assert.equal(takeToken(bucket, T0 + 9_999, POLICY).allowed, false);
    assert.equal(takeToken(bucket, T0 + 10_000, POLICY).allowed, true);
    const rested = takeToken(bucket, T0 + 3_600_000, POLICY);
    assert.equal(rested.allowed, true);
    assert.equal(rested.next.tokens, POLICY.burst - 1);
  });

  it('keeps one bucket per key, and at most maxKeys of them (least recently used dropped)', () => {
    const buckets = createBuckets({ burst: 1, perMinute: 1 }, 2);
    assert.equal(buckets.take('a', T0).allowed, true);
    assert.equal(buckets.take('a', T0).allowed, false);
    assert.equal(buckets.take('b', T0).allowed, true);
    assert.equal(buckets.take('a', T0).allowed, false); // a used again: b is now the oldest
    assert.equal(buckets.take('c', T0).allowed, true); // drops b
    assert.equal(buckets.size, 2);
    assert.equal(buckets.take('a', T0).allowed, false, 'a kept its empty bucket');
  });
});
