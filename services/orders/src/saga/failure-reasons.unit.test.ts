// The saga's failures as cancellation reasons customers and consumers see.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SagaFailure } from '@souk/chassis';
import { cancellationReason } from './failure-reasons.ts';

const items = [
  { productId: 'a0000000-0000-4000-8000-000000000001', name: 'Moka pot', quantity: 3, unitPriceCents: 2500, currency: 'EUR' },
];
const failure = (over: Partial<SagaFailure>): SagaFailure => ({
  step: 'reserveStock',
  code: 'SOUK_X',
  message: 'it failed',
  status: 500,
  deadlineExceeded: false,
  attempts: 1,
  extensions: {},
  ...over,
});

test('a reservation that expired during a long pause: RESERVATION_EXPIRED', () => {
  assert.equal(
    cancellationReason(failure({ step: 'reserveStock', code: 'SOUK_ORDERS_RESERVATION_NOT_HELD' }), items).reasonCode,
    'RESERVATION_EXPIRED',
  );
});

test('insufficient stock: OUT_OF_STOCK naming the product and the counts', () => {
  const r = cancellationReason(
    failure({
      code: 'SOUK_INVENTORY_INSUFFICIENT_STOCK',
      status: 409,
      extensions: { productId: items[0]!.productId, requested: 3, available: 1 },
    }),
    items,
  );
  assert.deepEqual(r, { reasonCode: 'OUT_OF_STOCK', reason: 'Not enough stock of "Moka pot" (3 ordered, 1 available).' });
  assert.equal(
    cancellationReason(failure({ code: 'SOUK_INVENTORY_INSUFFICIENT_STOCK' }), items).reason,
    'Not enough stock of a product.',
  );
});

test('a declined card, or a payment payments says is not authorized: PAYMENT_DECLINED', () => {
  assert.equal(
    cancellationReason(failure({ step: 'authorizePayment', code: 'SOUK_PAYMENTS_DECLINED', message: 'card_declined' }), items)
      .reasonCode,
    'PAYMENT_DECLINED',
  );
  assert.match(
    cancellationReason(failure({ step: 'authorizePayment', code: 'SOUK_ORDERS_PAYMENT_REFUSED' }), items).reason,
    /declined/,
  );
});

test('no answer in time: STEP_TIMED_OUT, whichever step', () => {
  const r = cancellationReason(
    failure({ step: 'authorizePayment', code: 'SOUK_SAGA_ATTEMPT_TIMEOUT', deadlineExceeded: true, attempts: 4 }),
    items,
  );
  assert.deepEqual(r, { reasonCode: 'STEP_TIMED_OUT', reason: 'Authorizing the payment took too long (4 attempts).' });
  assert.equal(
    cancellationReason(failure({ code: 'SOUK_CLIENT_TIMEOUT', deadlineExceeded: true }), items).reasonCode,
    'STEP_TIMED_OUT',
  );
});

test('payments or its provider away until the deadline: PAYMENT_UNAVAILABLE', () => {
  for (const code of ['SOUK_PAYMENTS_PROVIDER_UNAVAILABLE', 'SOUK_CLIENT_CIRCUIT_OPEN', 'SOUK_CLIENT_NO_INSTANCE']) {
    assert.equal(
      cancellationReason(failure({ step: 'authorizePayment', code, deadlineExceeded: true }), items).reasonCode,
      'PAYMENT_UNAVAILABLE',
      code,
    );
  }
});

test('other failures say which step failed', () => {
  assert.equal(cancellationReason(failure({ code: 'SOUK_CLIENT_CONNECTION_FAILED' }), items).reasonCode, 'INVENTORY_UNAVAILABLE');
  assert.equal(
    cancellationReason(failure({ step: 'capturePayment', code: 'SOUK_PAYMENTS_NOT_CAPTURABLE' }), items).reasonCode,
    'PAYMENT_CAPTURE_FAILED',
  );
  assert.deepEqual(
    cancellationReason(failure({ step: 'confirmOrder', code: 'SOUK_ORDERS_NOT_PENDING', message: 'gone' }), items),
    {
      reasonCode: 'CHECKOUT_FAILED',
      reason: 'Confirming the order failed: gone',
    },
  );
});
