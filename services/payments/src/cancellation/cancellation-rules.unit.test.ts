import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, eventStoreErrors, isPermanentFailure } from '@souk/chassis';
import { errors } from '../errors.ts';
import { cancellationBackoff, cancellationFailure, describeFailure, needsOperator } from './cancellation-rules.ts';

const policy = { baseMs: 1_000, capMs: 5_000 };

test('the backoff doubles per attempt up to the cap, with half of each window jittered', () => {
  const curve = cancellationBackoff(policy);
  const low = (n: number) => backoffDelay(curve, n, () => 0);
  const high = (n: number) => backoffDelay(curve, n, () => 0.999_999);
  assert.deepEqual([1, 2, 3, 4, 5].map(low), [500, 1_000, 2_000, 2_500, 2_500]);
  assert.deepEqual([1, 2, 3, 4, 5].map(high), [999, 1_999, 3_999, 4_999, 4_999]);
  assert.equal(low(0), 500, 'an attempt count below 1 is the first backoff');
});

test('what no retry can fix makes the attempt fail for good (the job parks at once)', () => {
  assert.equal(needsOperator(errors.providerDisagrees({ detail: 'no such capture' })), true);
  assert.equal(needsOperator(errors.refundTooLarge({ detail: 'too much' })), true);
  assert.equal(needsOperator(errors.providerUnavailable({ detail: 'down' })), false);
  assert.equal(needsOperator(eventStoreErrors.versionConflict({ detail: 'raced' })), false);
  assert.equal(needsOperator(new Error('socket hang up')), false);
  assert.equal(isPermanentFailure(cancellationFailure([new Error('x'), errors.providerDisagrees()])), true);
  assert.equal(isPermanentFailure(cancellationFailure([errors.providerUnavailable({ detail: 'down' })])), false);
});

test("an attempt's failures are described by their codes and details, in one line", () => {
  assert.equal(
    describeFailure(errors.providerUnavailable({ detail: 'timed out' })),
    'SOUK_PAYMENTS_PROVIDER_UNAVAILABLE: timed out',
  );
  assert.equal(describeFailure(new Error('boom')), 'boom');
  assert.equal(describeFailure('odd'), 'odd');
  assert.equal(
    cancellationFailure([errors.providerUnavailable({ detail: 'timed out' }), new Error('boom')]).message,
    'SOUK_PAYMENTS_PROVIDER_UNAVAILABLE: timed out; boom',
  );
});
