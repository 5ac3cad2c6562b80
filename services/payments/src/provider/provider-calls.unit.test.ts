// How provider failures read (declined, refused, unknown), decline codes, and the key file.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chassisErrors, SoukError } from '@souk/chassis';
import { parseApiKey } from '../config.ts';
import { classifyFailure, failureCodeOf } from './provider-calls.ts';

const remote = (code: string, status: number, extensions: Record<string, unknown> = {}) =>
  new SoukError({ code, status, title: code }, { detail: `${code} happened`, extensions });

test("a 402 is a decline with the provider's code and declined attempt", () => {
  assert.deepEqual(
    classifyFailure(remote('SOUK_PROVIDER_CARD_DECLINED', 402, { declineCode: 'expired_card', authorizationId: 'auth_3' })),
    {
      kind: 'declined',
      declineCode: 'expired_card',
      authorizationId: 'auth_3',
      detail: 'SOUK_PROVIDER_CARD_DECLINED happened',
    },
  );
});

test('no answer about the work is an unknown outcome: timeouts, 5xx, a same-key request in flight, our key refused', () => {
  for (const err of [
    chassisErrors.timeout('slow'),
    chassisErrors.circuitOpen('open'),
    remote('SOUK_PROVIDER_UNAVAILABLE', 503),
    remote('SOUK_PROVIDER_PROCESSING_ERROR', 500),
    remote('SOUK_PROVIDER_IDEMPOTENCY_KEY_IN_USE', 409),
    remote('SOUK_PROVIDER_UNAUTHENTICATED', 401),
    new Error('socket hang up'),
  ]) {
    assert.equal(classifyFailure(err).kind, 'unknown', String(err));
  }
  assert.deepEqual(classifyFailure(chassisErrors.timeout('slow')), {
    kind: 'unknown',
    errorCode: 'SOUK_CLIENT_TIMEOUT',
    detail: 'slow',
    sent: true,
  });
  // Refused by the client itself: the provider never saw it.
  assert.equal((classifyFailure(chassisErrors.circuitOpen('open')) as { sent: boolean }).sent, false);
});

test('other 4xx: the provider refused the operation for the state it has', () => {
  assert.deepEqual(classifyFailure(remote('SOUK_PROVIDER_NOT_VOIDABLE', 409)), {
    kind: 'refused',
    code: 'SOUK_PROVIDER_NOT_VOIDABLE',
    detail: 'SOUK_PROVIDER_NOT_VOIDABLE happened',
  });
});

test('decline codes become the stable codes of PaymentFailed', () => {
  assert.equal(failureCodeOf('card_declined'), 'DECLINED');
  assert.equal(failureCodeOf('insufficient_funds'), 'INSUFFICIENT_FUNDS');
  assert.equal(failureCodeOf('invalid_payment_method'), 'INVALID_PAYMENT_METHOD');
  assert.equal(failureCodeOf('lost-card'), 'LOST_CARD');
});

test('the API key file: one line, the trailing line break dropped', () => {
  assert.equal(parseApiKey('sk_test_123\n'), 'sk_test_123');
  assert.throws(() => parseApiKey(''), /PAYMENT_PROVIDER_API_KEY_FILE: the file is empty/);
  assert.throws(() => parseApiKey('two words'), /one line without spaces/);
});
