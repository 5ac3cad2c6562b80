// The jobs module's decisions after a failed attempt: retry on the kind's
// backoff until parkAfter, park at once on what no retry fixes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defineErrors } from '../errors/errors.ts';
import type { Backoff } from '../backoff.ts';
import { afterJobFailure, describeJobError, isPermanentFailure, permanentFailure } from './job-rules.ts';

const errors = defineErrors({
  refused: { code: 'SOUK_TEST_JOB_REFUSED', status: 422, title: 'Refused', description: 'test' },
  busy: { code: 'SOUK_TEST_JOB_BUSY', status: 429, title: 'Busy', retryable: true, description: 'test' },
  down: { code: 'SOUK_TEST_JOB_DOWN', status: 503, title: 'Down', description: 'test' },
});
const backoff: Backoff = { curve: 'equal-jitter', baseMs: 1_000, capMs: 5_000 };
const decide = (err: unknown, attempts: number, extra: Partial<Parameters<typeof afterJobFailure>[0]> = {}) =>
  afterJobFailure({ err, attempts, parkAfter: 4, backoff, random: () => 0, ...extra });

test('a retryable failure is retried on the backoff curve until parkAfter attempts, then parked', () => {
  const down = errors.down('provider down');
  assert.deepEqual(
    [1, 2, 3].map((n) => decide(down, n)),
    [
      { kind: 'retry', delayMs: 500 },
      { kind: 'retry', delayMs: 1_000 },
      { kind: 'retry', delayMs: 2_000 },
    ],
  );
  assert.deepEqual(decide(new Error('socket hang up'), 4), { kind: 'park', why: '4 attempts failed' });
  assert.equal(decide(down, 9).kind, 'park');
  assert.deepEqual(decide(down, 1, { backoff: { curve: 'exponential', baseMs: 10, capMs: 15 } }), { kind: 'retry', delayMs: 10 });
});

test('what no retry fixes parks at once: a non-retryable 4xx, the permanent marker, or what the kind says', () => {
  assert.equal(decide(errors.refused('no'), 1).kind, 'park');
  assert.equal(decide(permanentFailure('the ledger disagrees'), 1).kind, 'park');
  assert.equal(decide(new Error('custom'), 1, { isPermanent: (e) => (e as Error).message === 'custom' }).kind, 'park');
  // Not permanent: a 4xx marked retryable (429), a 5xx, an error without a code.
  assert.equal(isPermanentFailure(errors.busy('later')), false);
  assert.equal(isPermanentFailure(errors.down('later')), false);
  assert.equal(isPermanentFailure(new Error('x')), false);
  assert.equal(isPermanentFailure({ permanent: 'yes' }), false);
  assert.equal(decide(errors.busy('later'), 1).kind, 'retry');
});

test('a failure is described by its code and detail', () => {
  assert.equal(describeJobError(errors.down('timed out')), 'SOUK_TEST_JOB_DOWN: timed out');
  assert.equal(describeJobError(permanentFailure('no capture')), 'no capture');
  assert.equal(describeJobError('odd'), 'odd');
});
