// Full-jitter backoff: every delay stays within [0, min(cap, base * 2^n)), and
// cockatiel's retry policy uses exactly these delays.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handleAll, retry } from 'cockatiel';
import { fullJitterBackoff, fullJitterDelay } from './backoff.ts';

const opts = { baseMs: 100, capMs: 2000 };

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

test('the lowest draw gives no delay at all', () => {
  for (let retry = 0; retry < 10; retry++) assert.equal(fullJitterDelay(retry, { ...opts, random: () => 0 }), 0);
});

test('the highest draw stays just under base * 2^n, then under the cap', () => {
  const random = () => 0.999999;
  assert.equal(fullJitterDelay(0, { ...opts, random }), 99);
  assert.equal(fullJitterDelay(1, { ...opts, random }), 199);
  assert.equal(fullJitterDelay(3, { ...opts, random }), 799);
  assert.equal(fullJitterDelay(5, { ...opts, random }), 1999); // 3200 capped to 2000
  assert.equal(fullJitterDelay(60, { ...opts, random }), 1999); // no overflow for large n
});

test('every delay lies within the full-jitter window', () => {
  const random = seeded(42);
  for (let retry = 0; retry < 8; retry++) {
    const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** retry);
    for (let i = 0; i < 500; i++) {
      const d = fullJitterDelay(retry, { ...opts, random });
      assert.ok(d >= 0 && d < ceiling, `retry ${retry}: ${d} outside [0, ${ceiling})`);
    }
  }
});

test('the cockatiel backoff walks the same windows, one retry further each step', () => {
  let backoff = fullJitterBackoff({ ...opts, random: () => 0.5 }).next(undefined);
  const delays = [backoff.duration];
  for (let i = 0; i < 6; i++) {
    backoff = backoff.next(undefined);
    delays.push(backoff.duration);
  }
  assert.deepEqual(delays, [50, 100, 200, 400, 800, 1000, 1000]);
});

test('a cockatiel retry policy waits the injected delays between attempts', async () => {
  const policy = retry(handleAll, { maxAttempts: 2, backoff: fullJitterBackoff({ ...opts, random: () => 0 }) });
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
  assert.deepEqual(delays, [0, 0]);
});
