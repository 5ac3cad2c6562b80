// Progressive delays: free failures, then a wait that doubles up to a cap;
// never a lock-out; failures leave the window; a success resets.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  admitAttempt,
  checkThrottle,
  delayAfter,
  EMPTY_THROTTLE_STATE,
  MAX_REMEMBERED,
  recordFailure,
  recordSuccess,
  retryAfterSeconds,
  type ThrottlePolicy,
  type ThrottleState,
} from './login-throttle.ts';

const SEC = 1000;
const MIN = 60 * SEC;
const T0 = Date.UTC(2025, 0, 1);
const POLICY: ThrottlePolicy = { freeFailures: 3, baseDelayMs: SEC, maxDelayMs: MIN, windowMs: 15 * MIN };

function failAt(times: number[], state: ThrottleState = EMPTY_THROTTLE_STATE): ThrottleState {
  return times.reduce((s, t) => recordFailure(s, t, POLICY), state);
}

describe('progressive sign-in delays', () => {
  it('lets the free failures through without waiting', () => {
    const three = failAt([T0, T0 + 1, T0 + 2]);
    assert.deepEqual(checkThrottle(three, T0 + 3, POLICY), { allowed: true });
  });

  it('doubles the wait with each failure beyond the free ones, up to the cap', () => {
    assert.deepEqual(
      [0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 30, 1000].map((n) => delayAfter(n, POLICY)),
      [0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60, 60].map((s) => s * SEC),
    );
  });

  it('refuses until the wait since the last failure has passed, then admits', () => {
    const five = failAt([T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4]);
    assert.deepEqual(checkThrottle(five, T0 + 4, POLICY), { allowed: false, retryAfterMs: 2 * SEC });
    assert.deepEqual(checkThrottle(five, T0 + 4 + 2 * SEC - 1, POLICY), { allowed: false, retryAfterMs: 1 });
    assert.deepEqual(checkThrottle(five, T0 + 4 + 2 * SEC, POLICY), { allowed: true });
  });

  it('never locks out: after any number of failures an attempt is admitted within the cap', () => {
    let state = EMPTY_THROTTLE_STATE;
    let now = T0;
    let refused = 0;
    for (let i = 0; i < 200; i++) {
      const decision = checkThrottle(state, now, POLICY);
      if (!decision.allowed) {
        refused++;
        assert.ok(decision.retryAfterMs <= POLICY.maxDelayMs, `wait ${decision.retryAfterMs} after ${i} failures`);
        now += decision.retryAfterMs;
        assert.equal(checkThrottle(state, now, POLICY).allowed, true);
      }
      state = recordFailure(state, now, POLICY);
    }
    // The free failures and the first one beyond them wait for nothing; every later attempt waits.
    assert.equal(refused, 200 - POLICY.freeFailures - 1);
    // Spaced a minute apart, only the failures of the last 15 minutes still count.
    assert.ok(state.failures.length <= MAX_REMEMBERED);
    assert.equal(state.failures.length, 15);
  });

  it('remembers at most MAX_REMEMBERED failures', () => {
    const state = failAt(Array.from({ length: 120 }, (_, i) => T0 + i));
    assert.equal(state.failures.length, MAX_REMEMBERED);
  });

  it('forgets failures older than the window', () => {
    const state = failAt([T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4, T0 + 20 * MIN]);
    assert.deepEqual(checkThrottle(state, T0 + 20 * MIN + 1, POLICY), { allowed: true });
    assert.deepEqual(state.failures, [T0 + 20 * MIN]);
  });

  it('counts an admitted attempt as a failure until it succeeds, so parallel guesses are spaced out', () => {
    let state = EMPTY_THROTTLE_STATE;
    const admitted = [];
    for (let i = 0; i < 6; i++) {
      const { decision, next } = admitAttempt(state, T0 + i, POLICY);
      admitted.push(decision.allowed);
      state = next;
    }
    assert.deepEqual(admitted, [true, true, true, true, false, false]);
    assert.equal(state.failures.length, 4);
  });

  it('resets on success', () => {
    assert.deepEqual(checkThrottle(recordSuccess(), T0, POLICY), { allowed: true });
  });

  it('rounds Retry-After up to whole seconds, at least 1', () => {
    assert.equal(retryAfterSeconds(1), 1);
    assert.equal(retryAfterSeconds(1001), 2);
    assert.equal(retryAfterSeconds(0), 1);
  });
});
