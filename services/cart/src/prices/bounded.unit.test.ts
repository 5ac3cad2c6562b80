// mapBounded keeps order and never has more than `limit` calls in flight.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapBounded } from './bounded.ts';

test('results in input order, at most limit in flight', async () => {
  let inFlight = 0;
  let most = 0;
  const results = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (n) => {
    inFlight++;
    most = Math.max(most, inFlight);
    // Resolve in an order unlike the input's.
    for (let i = 0; i < n; i++) await Promise.resolve();
    inFlight--;
    return n * 10;
  });
  assert.deepEqual(results, [50, 10, 40, 20, 30, 0]);
  assert.equal(most, 2);
  assert.deepEqual(await mapBounded([], 4, async () => 1), []);
});
