// Placing an order's pure rules: the Idempotency-Key, fingerprints, Prefer: wait and cart to lines.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Cart } from '@souk/cart/contract';
import { fingerprintOf, idempotencyKeyOf, linesFromCart, preferredWait } from './checkout-rules.ts';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return 'no error';
};

test('the Idempotency-Key is required and must be 1-200 visible ASCII characters', () => {
  assert.equal(idempotencyKeyOf('a1b2-c3'), 'a1b2-c3');
  assert.equal(idempotencyKeyOf(['first', 'second']), 'first');
  for (const absent of [undefined, '', '   '])
    assert.equal(
      code(() => idempotencyKeyOf(absent)),
      'SOUK_ORDERS_IDEMPOTENCY_KEY_MISSING',
      String(absent),
    );
  for (const bad of ['has space', 'é', 'x'.repeat(201), 'one, two'])
    assert.equal(
      code(() => idempotencyKeyOf(bad)),
      'SOUK_ORDERS_IDEMPOTENCY_KEY_INVALID',
      bad,
    );
});

test('a fingerprint depends on the normalised body only', () => {
  assert.equal(fingerprintOf({ paymentMethod: 'tok_visa' }), fingerprintOf({ paymentMethod: 'tok_visa' }));
  assert.notEqual(fingerprintOf({ paymentMethod: 'tok_visa' }), fingerprintOf({ paymentMethod: 'tok_decline' }));
});

test('Prefer: wait=N is read among other preferences and capped at 30 s', () => {
  assert.equal(preferredWait(undefined), 0);
  assert.equal(preferredWait('wait=5'), 5);
  assert.equal(preferredWait('respond-async, wait=12'), 12);
  assert.equal(preferredWait(['handling=strict', 'Wait = "3"']), 3);
  assert.equal(preferredWait('wait=600'), 30);
  assert.equal(preferredWait('wait=99999999999'), 30, 'a huge wait is capped, not ignored');
  assert.equal(preferredWait('wait=soon'), 0);
});

const line = (over: Partial<Cart['items'][number]> = {}): Cart['items'][number] => ({
  productId: 'A0000000-0000-4000-8000-000000000001',
  name: 'Moka pot',
  quantity: 2,
  unitPriceCents: 2500,
  currency: 'EUR',
  lineTotalCents: 5000,
  priceStale: false,
  priceAsOf: '2025-01-01T00:00:00.000Z',
  available: 10,
  ...over,
});
const cart = (items: Cart['items'], stale = false): Cart => ({
  items,
  itemCount: items.reduce((n, l) => n + l.quantity, 0),
  totalCents: 0,
  currency: 'EUR',
  stale,
  expiresAt: null,
});

test('a total above what the card processor can authorize is refused up front, not cancelled later', () => {
  assert.throws(
    () => linesFromCart(cart([line({ quantity: 2, unitPriceCents: 60_000_000 })]), 5),
    (err: { code?: string; status?: number }) => err.code === 'SOUK_ORDERS_CART_INVALID' && err.status === 422,
  );
});

test('a cart becomes order lines at its prices, with the total computed here', () => {
  const lines = linesFromCart(
    cart([line(), line({ productId: 'a0000000-0000-4000-8000-000000000002', name: 'Filter', quantity: 1, unitPriceCents: 399 })]),
    5,
  );
  assert.equal(lines.totalCents, 5399);
  assert.equal(lines.currency, 'EUR');
  assert.deepEqual(lines.items[0], {
    productId: 'a0000000-0000-4000-8000-000000000001',
    name: 'Moka pot',
    quantity: 2,
    unitPriceCents: 2500,
    currency: 'EUR',
  });
});

test('an empty cart, stale prices and mixed currencies are refused', () => {
  assert.equal(
    code(() => linesFromCart(cart([]), 5)),
    'SOUK_ORDERS_CART_EMPTY',
  );
  assert.equal(
    code(() => linesFromCart(cart([line({ priceStale: true })]), 5)),
    'SOUK_ORDERS_PRICES_UNAVAILABLE',
  );
  assert.equal(
    code(() => linesFromCart(cart([line()], true), 5)),
    'SOUK_ORDERS_PRICES_UNAVAILABLE',
  );
  assert.equal(
    code(() => linesFromCart(cart([line(), line({ currency: 'USD' })]), 5)),
    'SOUK_ORDERS_CART_INVALID',
  );
  assert.throws(() => linesFromCart(cart([line({ priceStale: true })]), 7), {
    code: 'SOUK_ORDERS_PRICES_UNAVAILABLE',
    headers: { 'retry-after': '7' },
  });
});
