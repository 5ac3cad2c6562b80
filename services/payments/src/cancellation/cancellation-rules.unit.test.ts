import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventStoreErrors } from '@souk/chassis';
import { errors } from '../errors.ts';
import { afterFailure, describeFailure, needsOperator, retryDelayMs } from './cancellation-rules.ts';

const policy = { parkAfter: 4, baseMs: 1_000, capMs: 5_000 };

test('the backoff doubles per attempt up to the cap, with half of each window jittered', () => {
  const low = (n: number) => retryDelayMs(n, policy, () => 0);
  const high = (n: number) => retryDelayMs(n, policy, () => 0.999_999);
  assert.deepEqual([1, 2, 3, 4, 5].map(low), [500, 1_000, 2_000, 2_500, 2_500]);
  assert.deepEqual([1, 2, 3, 4, 5].map(high), [999, 1_999, 3_999, 4_999, 4_999]);
  assert.equal(
    retryDelayMs(0, policy, () => 0),
    500,
    'an attempt count below 1 is the first backoff',
  );
});

test('a failure is retried until the attempts run out, then parked', () => {
  const unavailable = errors.providerUnavailable({ detail: 'down' });
  assert.deepEqual(
    afterFailure(1, [unavailable], policy, () => 0),
    { kind: 'retry', delayMs: 500 },
  );
  assert.deepEqual(
    afterFailure(3, [new Error('connection refused')], policy, () => 0),
    { kind: 'retry', delayMs: 2_000 },
  );
  assert.equal(afterFailure(4, [unavailable], policy).kind, 'park');
  assert.equal(afterFailure(9, [unavailable], policy).kind, 'park');
});

test('what no retry can fix is parked at once', () => {
  assert.equal(needsOperator(errors.providerDisagrees({ detail: 'no such capture' })), true);
  assert.equal(needsOperator(errors.refundTooLarge({ detail: 'too much' })), true);
  assert.equal(needsOperator(errors.providerUnavailable({ detail: 'down' })), false);
  assert.equal(needsOperator(eventStoreErrors.versionConflict({ detail: 'raced' })), false);
  assert.equal(needsOperator(new Error('socket hang up')), false);
  assert.equal(afterFailure(1, [new Error('x'), errors.providerDisagrees()], policy).kind, 'park');
});

test('a failure is described by its code and detail', () => {
  assert.equal(
    describeFailure(errors.providerUnavailable({ detail: 'timed out' })),
    'SOUK_PAYMENTS_PROVIDER_UNAVAILABLE: timed out',
  );
  assert.equal(describeFailure(new Error('boom')), 'boom');
  assert.equal(describeFailure('odd'), 'odd');
});
