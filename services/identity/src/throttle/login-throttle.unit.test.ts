// Login throttling decisions with a fake clock: 5 failures in 15 minutes lock
// the account until the oldest leaves the window; a success resets.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  admitAttempt,
  checkThrottle,
  EMPTY_THROTTLE_STATE,
  recordFailure,
  recordSuccess,
  retryAfterSeconds,
  type ThrottleState,
} from './login-throttle.ts';

const MIN = 60_000;
const T0 = Date.UTC(2025, 0, 1);

function failAt(times: number[], state: ThrottleState = EMPTY_THROTTLE_STATE): ThrottleState {
  return times.reduce((s, t) => recordFailure(s, t), state);
}

describe('login throttle', () => {
  it('allows up to 4 failures, refuses after the 5th', () => {
    const four = failAt([T0, T0 + 1, T0 + 2, T0 + 3]);
    assert.deepEqual(checkThrottle(four, T0 + 4), { allowed: true });
    const five = recordFailure(four, T0 + 4);
    assert.equal(checkThrottle(five, T0 + 5).allowed, false);
  });

  it('refuses until the oldest counted failure leaves the window', () => {
    const state = failAt([T0, T0 + 1 * MIN, T0 + 2 * MIN, T0 + 3 * MIN, T0 + 4 * MIN]);
    const decision = checkThrottle(state, T0 + 5 * MIN);
    assert.deepEqual(decision, { allowed: false, retryAfterMs: 10 * MIN });
    assert.equal(checkThrottle(state, T0 + 15 * MIN - 1).allowed, false);
    assert.deepEqual(checkThrottle(state, T0 + 15 * MIN), { allowed: true });
  });

  it('forgets failures older than the window', () => {
    const state = failAt([T0, T0 + 1, T0 + 2, T0 + 3, T0 + 20 * MIN]);
    assert.deepEqual(checkThrottle(state, T0 + 20 * MIN + 1), { allowed: true });
    assert.deepEqual(state.failures, [T0 + 20 * MIN]);
  });

  it('keeps at most 5 failure times', () => {
    const state = failAt(Array.from({ length: 12 }, (_, i) => T0 + i));
    assert.equal(state.failures.length, 5);
  });

  it('counts an admitted attempt as a failure until it succeeds, so parallel guesses stop at 5', () => {
    let state = EMPTY_THROTTLE_STATE;
    const admitted = [];
    for (let i = 0; i < 8; i++) {
      const { decision, next } = admitAttempt(state, T0 + i);
      admitted.push(decision.allowed);
      state = next;
    }
    assert.deepEqual(admitted, [true, true, true, true, true, false, false, false]);
    assert.equal(state.failures.length, 5);
  });

  it('resets on success', () => {
    assert.deepEqual(checkThrottle(recordSuccess(), T0), { allowed: true });
  });

  it('rounds Retry-After up to whole seconds, at least 1', () => {
    assert.equal(retryAfterSeconds(1), 1);
    assert.equal(retryAfterSeconds(1001), 2);
    assert.equal(retryAfterSeconds(0), 1);
  });
});
