// The counting rules: distinct products with units summed, both directions of every pair.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basket, dayOf, pairs } from './basket.ts';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';
const C = 'cccccccc-0000-4000-8000-000000000003';

test('a product on two lines is one product with the units summed', () => {
  const products = basket([
    { productId: B, quantity: 2, name: 'Bee' },
    { productId: A.toUpperCase(), quantity: 1, name: 'Ay' },
    { productId: B, quantity: 3, name: 'Bee (again)' },
  ]);
  assert.deepEqual(products, [
    { productId: A, units: 1, name: 'Ay' },
    { productId: B, units: 5, name: 'Bee' },
  ]);
});

test('pairs go both ways and never pair a product with itself', () => {
  const got = pairs(
    basket([
      { productId: A, quantity: 1, name: 'a' },
      { productId: B, quantity: 1, name: 'b' },
      { productId: C, quantity: 1, name: 'c' },
    ]),
  );
  assert.equal(got.length, 6);
  assert.deepEqual(new Set(got.map((p) => `${p.productId[0]}${p.otherId[0]}`)), new Set(['ab', 'ac', 'ba', 'bc', 'ca', 'cb']));
  assert.deepEqual(pairs(basket([{ productId: A, quantity: 4, name: 'a' }])), [], 'a one-product order pairs nothing');
});

test('the day of an instant is its UTC date', () => {
  assert.equal(dayOf(new Date('2025-06-01T23:59:59.999Z')), '2025-06-01');
  assert.equal(dayOf(new Date('2025-06-02T00:00:00.000Z')), '2025-06-02');
});
