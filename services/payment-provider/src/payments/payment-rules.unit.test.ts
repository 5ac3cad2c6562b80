// The processor's money rules: approval by card and decline rate, and what
// capture, void and refund may do in each state.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideAuthorization, decideCapture, decideRefund, decideVoid, type AuthorizationState } from './payment-rules.ts';

const never = () => 0.999_999;
const always = () => 0;
const auth = (over: Partial<AuthorizationState> = {}): AuthorizationState => ({
  id: 'auth_1',
  status: 'authorized',
  amount: 5_000,
  amountCaptured: 0,
  amountRefunded: 0,
  ...over,
});
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'no error';
};

test('approving cards approve unless the decline rate fires; declining and unknown cards always decline', () => {
  assert.deepEqual(decideAuthorization('tok_visa', 0.5, never), { status: 'authorized' });
  assert.deepEqual(decideAuthorization('tok_mastercard', 0, always), { status: 'authorized' });
  assert.deepEqual(decideAuthorization('tok_visa', 0.5, always), { status: 'declined', declineCode: 'card_declined' });
  assert.deepEqual(decideAuthorization('tok_decline', 0, never), { status: 'declined', declineCode: 'card_declined' });
  assert.deepEqual(decideAuthorization('tok_insufficient_funds', 0, never), {
    status: 'declined',
    declineCode: 'insufficient_funds',
  });
  assert.deepEqual(decideAuthorization('tok_expired', 0, never), { status: 'declined', declineCode: 'expired_card' });
  assert.deepEqual(decideAuthorization('tok_nope', 0, never), { status: 'declined', declineCode: 'invalid_payment_method' });
});

test('capture takes the whole amount by default, at most the authorized amount, only once', () => {
  assert.equal(decideCapture(auth(), undefined), 5_000);
  assert.equal(decideCapture(auth(), 1), 1);
  assert.equal(
    code(() => decideCapture(auth(), 5_001)),
    'SOUK_PROVIDER_AMOUNT_EXCEEDS_AUTHORIZED',
  );
  for (const status of ['captured', 'voided', 'declined'] as const) {
    assert.equal(
      code(() => decideCapture(auth({ status }), undefined)),
      'SOUK_PROVIDER_NOT_CAPTURABLE',
    );
  }
});

test('only an authorized, uncaptured authorization can be voided', () => {
  assert.equal(
    code(() => decideVoid(auth())),
    'no error',
  );
  for (const status of ['captured', 'voided', 'declined'] as const)
    assert.equal(
      code(() => decideVoid(auth({ status }))),
      'SOUK_PROVIDER_NOT_VOIDABLE',
    );
});

test('refunds never add up past the capture; the default is what is left', () => {
  const captured = auth({ status: 'captured', amountCaptured: 4_000, amountRefunded: 1_500 });
  assert.equal(decideRefund(captured, 'cap_1', undefined), 2_500);
  assert.equal(decideRefund(captured, 'cap_1', 2_500), 2_500);
  assert.equal(
    code(() => decideRefund(captured, 'cap_1', 2_501)),
    'SOUK_PROVIDER_AMOUNT_EXCEEDS_CAPTURED',
  );
  assert.equal(
    code(() => decideRefund({ ...captured, amountRefunded: 4_000 }, 'cap_1', undefined)),
    'SOUK_PROVIDER_AMOUNT_EXCEEDS_CAPTURED',
  );
});
