// The behaviour hook with a fake sleep and random source: delay first, then the failure, only on the chosen reads.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBehaviourHook } from './behaviour.ts';

function hook(initialDelayMs = 0, rolls: number[] = []) {
  const slept: number[] = [];
  const h = createBehaviourHook({ initialDelayMs, sleep: async (ms) => void slept.push(ms), random: () => rolls.shift() ?? 0.5 });
  return { h, slept };
}

test('starts with the configured delay, no failures, on both reads', async () => {
  const { h, slept } = hook(250);
  assert.deepEqual(h.get(), { delayMs: 250, failureRate: 0, endpoints: ['related', 'bestsellers'] });
  await h.apply('related');
  await h.apply('bestsellers');
  assert.deepEqual(slept, [250, 250]);
});

test('a failure rate fails that share of reads, after the delay, with a retryable 503', async () => {
  const { h, slept } = hook(0, [0.1, 0.9]);
  h.change({ delayMs: 40, failureRate: 0.5 });
  await assert.rejects(h.apply('related'), (err: { code: string; status: number; retryable: boolean }) => {
    assert.equal(err.code, 'SOUK_RECOMMENDATIONS_INJECTED_FAILURE');
    assert.equal(err.status, 503);
    assert.equal(err.retryable, true);
    return true;
  });
  await h.apply('related'); // 0.9 ≥ 0.5: this one passes
  assert.deepEqual(slept, [40, 40]);
});

test('only the chosen endpoints are affected; a change keeps the fields it does not name', async () => {
  const { h, slept } = hook(0, [0]);
  h.change({ delayMs: 10, failureRate: 1, endpoints: ['related'] });
  await h.apply('bestsellers');
  assert.deepEqual(slept, []);
  await assert.rejects(h.apply('related'));
  assert.deepEqual(h.change({ failureRate: 0 }), { delayMs: 10, failureRate: 0, endpoints: ['related'] });
  await h.apply('related');
  assert.deepEqual(slept, [10, 10], 'the failed read and the one after both waited the kept delay');
});

test('a reset goes back to how the instance started', () => {
  const { h } = hook(250);
  h.change({ delayMs: 0, failureRate: 1, endpoints: ['bestsellers'] });
  assert.deepEqual(h.reset(), { delayMs: 250, failureRate: 0, endpoints: ['related', 'bestsellers'] });
  assert.deepEqual(h.get(), { delayMs: 250, failureRate: 0, endpoints: ['related', 'bestsellers'] });
});
