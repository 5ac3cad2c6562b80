// The chassis' backoff curves: every delay stays within its window, the windows
// double to the cap, and cockatiel's retry policy uses exactly these delays.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handleAll, retry } from 'cockatiel';
import { backoffDelay, cockatielBackoff, failurePause, type Backoff } from './backoff.ts';

const full: Backoff = { curve: 'full-jitter', baseMs: 100, capMs: 2000 };
const equal: Backoff = { curve: 'equal-jitter', baseMs: 1_000, capMs: 5_000 };
const highest = () => 0.999999;
const lowest = () => 0;

/** A small deterministic PRNG (mulberry32), so the bounds are checked over many values reproducibly. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('full jitter: the lowest draw gives no delay at all', () => {
  for (let n = 1; n <= 10; n++) assert.equal(backoffDelay(full, n, lowest), 0);
});

test('full jitter: the highest draw stays just under base * 2^(n-1), then under the cap', () => {
  assert.equal(backoffDelay(full, 1, highest), 99);
  assert.equal(backoffDelay(full, 2, highest), 199);
  assert.equal(backoffDelay(full, 4, highest), 799);
  assert.equal(backoffDelay(full, 6, highest), 1999); // 3200 capped to 2000
  assert.equal(backoffDelay(full, 61, highest), 1999); // no overflow for large n
  assert.equal(backoffDelay(full, 0, highest), 99, 'a count below 1 is the first failure');
});

test('every draw lies within its curve window', () => {
  const random = seeded(42);
  for (let n = 1; n <= 8; n++) {
    const ceiling = Math.min(full.capMs, full.baseMs * 2 ** (n - 1));
    for (let i = 0; i < 500; i++) {
      const f = backoffDelay(full, n, random);
      assert.ok(f >= 0 && f < ceiling, `full jitter, failure ${n}: ${f} outside [0, ${ceiling})`);
      const e = backoffDelay({ ...full, curve: 'equal-jitter' }, n, random);
      assert.ok(e >= ceiling / 2 && e < ceiling, `equal jitter, failure ${n}: ${e} outside [${ceiling / 2}, ${ceiling})`);
    }
  }
});

test('equal jitter keeps the lower half of each window and jitters the upper half', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => backoffDelay(equal, n, lowest)),
    [500, 1_000, 2_000, 2_500, 2_500],
  );
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => backoffDelay(equal, n, highest)),
    [999, 1_999, 3_999, 4_999, 4_999],
  );
});

test('the exponential curve is the window itself, whatever the draw: the failure pause runs 200 ms doubling to 5 s', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 100].map((n) => failurePause(n)),
    [200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000],
  );
  assert.equal(failurePause(0), 200);
  assert.equal(backoffDelay({ curve: 'exponential', baseMs: 100, capMs: 5_000 }, 3, highest), 400);
});

test('the cockatiel backoff walks the same windows, one failure further each step', () => {
  let backoff = cockatielBackoff(full, () => 0.5).next(undefined);
  const delays = [backoff.duration];
  for (let i = 0; i < 6; i++) {
    backoff = backoff.next(undefined);
    delays.push(backoff.duration);
  }
  assert.deepEqual(delays, [50, 100, 200, 400, 800, 1000, 1000]);
});

test('a cockatiel retry policy waits the injected delays between attempts', async () => {
  const policy = retry(handleAll, { maxAttempts: 2, backoff: cockatielBackoff(full, () => 0.01) });
  const delays: number[] = [];
  policy.onRetry((e) => delays.push(e.delay));
  let calls = 0;
  const result = await policy.execute(() => {
    calls++;
    if (calls < 3) throw new Error('flaky');
    return 'ok';
  });
  assert.equal(result, 'ok');
  assert.equal(calls, 3);
  assert.deepEqual(delays, [1, 2]);
});
