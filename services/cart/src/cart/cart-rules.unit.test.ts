// The cart's pure rules: expiry, limits, what an order leaves, and the priced view.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterOrder, expiryFrom, isExpired, priceCart, quantityAfterAdd, type PriceInfo } from './cart-rules.ts';

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return (err as { code: string }).code;
  }
};

test('a cart expires when the clock reaches expiresAt', () => {
  const expires = expiryFrom(1_000, 60);
  assert.equal(expires.getTime(), 61_000);
  assert.equal(isExpired(expires, 60_999), false);
  assert.equal(isExpired(expires, 61_000), true);
});

test('adding sums with the line; 99 units and 50 products are the limits', () => {
  const lines = [{ productId: 'a', quantity: 90 }];
  assert.equal(quantityAfterAdd(lines, 'a', 9), 99);
  assert.equal(quantityAfterAdd(lines, 'b', 99), 99);
  assert.equal(
    code(() => quantityAfterAdd(lines, 'a', 10)),
    'SOUK_CART_QUANTITY_LIMIT',
  );
  const full = Array.from({ length: 50 }, (_, i) => ({ productId: `p${i}`, quantity: 1 }));
  assert.equal(
    code(() => quantityAfterAdd(full, 'new', 1)),
    'SOUK_CART_TOO_MANY_LINES',
  );
  assert.equal(quantityAfterAdd(full, 'p3', 1), 2);
});

test('an order takes its units out; lines it takes entirely go; others stay', () => {
  const lines = [
    { productId: 'a', quantity: 3 },
    { productId: 'b', quantity: 1 },
    { productId: 'c', quantity: 2 },
  ];
  assert.deepEqual(
    afterOrder(lines, [
      { productId: 'A', quantity: 2 },
      { productId: 'b', quantity: 5 },
      { productId: 'z', quantity: 1 },
    ]),
    {
      update: [{ productId: 'a', quantity: 1 }],
      remove: ['b'],
    },
  );
  // The same product on two order lines counts twice.
  assert.deepEqual(
    afterOrder(lines, [
      { productId: 'a', quantity: 1 },
      { productId: 'a', quantity: 2 },
    ]),
    { update: [], remove: ['a'] },
  );
});

test('the priced view totals the lines, says when a price is stale and when availability is unknown', () => {
  const asOf = new Date('2025-03-01T10:00:00.000Z');
  const prices = new Map<string, PriceInfo>([
    ['a', { name: 'Mug', priceCents: 450, currency: 'EUR', asOf, stale: false }],
    ['b', { name: 'Tea', priceCents: 1_000, currency: 'EUR', asOf, stale: true }],
  ]);
  const lines = [
    { productId: 'a', quantity: 2 },
    { productId: 'b', quantity: 1 },
    { productId: 'gone', quantity: 1 },
  ];
  const cart = priceCart(lines, prices, new Map([['a', 3]]), new Date('2025-04-01T00:00:00.000Z'));
  assert.deepEqual(
    cart.items.map((l) => [l.productId, l.lineTotalCents, l.priceStale, l.available]),
    [
      ['a', 900, false, 3],
      ['b', 1_000, true, null],
    ],
  );
  assert.equal(cart.itemCount, 3);
  assert.equal(cart.totalCents, 1_900);
  assert.equal(cart.stale, true);
  assert.equal(cart.expiresAt, '2025-04-01T00:00:00.000Z');
  assert.equal(cart.items[0]!.priceAsOf, asOf.toISOString());
  assert.equal(priceCart(lines.slice(0, 1), prices, undefined, null).items[0]!.available, null);
  assert.deepEqual(priceCart([], prices, undefined, new Date()), {
    items: [],
    itemCount: 0,
    totalCents: 0,
    currency: 'EUR',
    stale: false,
    expiresAt: null,
  });
});
