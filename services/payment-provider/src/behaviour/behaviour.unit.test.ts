// Behaviour settings: partial changes, reset, the random decisions and the
// pauses that shutdown ends early.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChange, createBehaviourSettings, createPauses, fires, holdAfterWork, TIMEOUT_HOLD_MS } from './behaviour.ts';

const base = { latencyMs: 0, declineRate: 0, errorRate: 0, timeoutRate: 0, outage: false };

test('a change replaces the fields it names; reset returns to the start', () => {
  assert.deepEqual(applyChange(base, { outage: true, latencyMs: 5 }), { ...base, outage: true, latencyMs: 5 });
  const settings = createBehaviourSettings({ ...base, latencyMs: 7 });
  settings.change({ errorRate: 0.5 });
  assert.deepEqual(settings.current(), { ...base, latencyMs: 7, errorRate: 0.5 });
  assert.deepEqual(settings.reset(), { ...base, latencyMs: 7 });
  assert.ok(Object.isFrozen(settings.current()));
});

test('a rate fires when the draw is below it: 0 never, 1 always', () => {
  assert.equal(
    fires(0, () => 0),
    false,
  );
  assert.equal(
    fires(1, () => 0.999_999),
    true,
  );
  assert.equal(
    fires(0.3, () => 0.29),
    true,
  );
  assert.equal(
    fires(0.3, () => 0.3),
    false,
  );
});

test('the hold after the work is the latency, or the timeout hold when timeoutRate fires', () => {
  assert.equal(
    holdAfterWork({ ...base, latencyMs: 40 }, () => 0),
    40,
  );
  assert.equal(
    holdAfterWork({ ...base, latencyMs: 40, timeoutRate: 1 }, () => 0.5),
    TIMEOUT_HOLD_MS,
  );
});

test('endAll ends pending pauses at once', async () => {
  const pauses = createPauses();
  const started = Date.now();
  const waiting = pauses.wait(60_000);
  pauses.endAll();
  await waiting;
  assert.ok(Date.now() - started < 1_000);
  await pauses.wait(0);
});
