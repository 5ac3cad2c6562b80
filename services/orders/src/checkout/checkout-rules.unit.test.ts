// Placing an order's pure rules: the Idempotency-Key, fingerprints, Prefer: wait, and pricing the cart's lines.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CopiedProduct } from '../prices/price-copy.ts';
import { fingerprintOf, idempotencyKeyOf, preferredWait, priceLines, toLookUp } from './checkout-rules.ts';

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

const A = 'a0000000-0000-4000-8000-000000000001';
const B = 'a0000000-0000-4000-8000-000000000002';
const asOf = new Date('2025-01-01T00:00:00.000Z');
const product = (productId: string, over: Partial<CopiedProduct> = {}): CopiedProduct => ({
  productId,
  name: 'Moka pot',
  priceCents: 2500,
  currency: 'EUR',
  active: true,
  asOf,
  ...over,
});
const copyOf = (...products: CopiedProduct[]) => new Map(products.map((p) => [p.productId, p]));

test("the cart's lines become order lines at the copy's prices, with the total computed here", () => {
  const lines = priceLines(
    [
      { productId: A.toUpperCase(), quantity: 2 },
      { productId: B, quantity: 1 },
    ],
    copyOf(product(A), product(B, { name: 'Filter', priceCents: 399 })),
  );
  assert.equal(lines.totalCents, 5399);
  assert.equal(lines.currency, 'EUR');
  assert.deepEqual(lines.items, [
    { productId: A, name: 'Moka pot', quantity: 2, unitPriceCents: 2500, currency: 'EUR' },
    { productId: B, name: 'Filter', quantity: 1, unitPriceCents: 399, currency: 'EUR' },
  ]);
});

test('products the copy does not know, or knows only in part, are the ones to ask catalog for; deleted ones are not', () => {
  const lines = [A, B, 'c0000000-0000-4000-8000-000000000003', 'd0000000-0000-4000-8000-000000000004'].map((productId) => ({
    productId,
    quantity: 1,
  }));
  const copy = copyOf(
    product(A),
    product(B, { name: null }),
    product('d0000000-0000-4000-8000-000000000004', { active: false, name: null, priceCents: null, currency: null }),
  );
  assert.deepEqual(toLookUp(lines, copy), [B, 'c0000000-0000-4000-8000-000000000003']);
  assert.deepEqual(toLookUp([{ productId: A, quantity: 1 }], copy), []);
});

test('a total above what the card processor can authorize is refused up front, not cancelled later', () => {
  assert.throws(
    () => priceLines([{ productId: A, quantity: 2 }], copyOf(product(A, { priceCents: 60_000_000 }))),
    (err: { code?: string; status?: number }) => err.code === 'SOUK_ORDERS_CART_INVALID' && err.status === 422,
  );
});

test('an empty cart, products no longer sold (or never priced) and mixed currencies are refused', () => {
  assert.equal(
    code(() => priceLines([], copyOf())),
    'SOUK_ORDERS_CART_EMPTY',
  );
  assert.throws(() => priceLines([{ productId: A, quantity: 1 }], copyOf(product(A, { active: false }))), {
    code: 'SOUK_ORDERS_PRODUCT_UNAVAILABLE',
    status: 422,
    extensions: { productIds: [A] },
  });
  assert.equal(
    code(() => priceLines([{ productId: A, quantity: 1 }], copyOf())),
    'SOUK_ORDERS_PRODUCT_UNAVAILABLE',
  );
  assert.equal(
    code(() =>
      priceLines(
        [
          { productId: A, quantity: 1 },
          { productId: B, quantity: 1 },
        ],
        copyOf(product(A), product(B, { currency: 'USD' })),
      ),
    ),
    'SOUK_ORDERS_CART_INVALID',
  );
});
