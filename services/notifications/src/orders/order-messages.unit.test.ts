// Order message texts: items and total on confirmation, the reason on
// cancellation, carrier and tracking number on shipping.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_LISTED_LINES,
  formatMoney,
  orderCancelledMessage,
  orderConfirmedMessage,
  orderNumber,
  orderShippedMessage,
} from './order-messages.ts';

const orderId = '1a2b3c4d-0000-4000-8000-000000000001';
const tea = {
  productId: '0b0e6c1e-8f5c-4f3c-9a57-1d2f3e4a5b6c',
  name: 'Mint tea',
  quantity: 2,
  unitPriceCents: 450,
  currency: 'EUR',
};
const pot = {
  productId: '7d3f1f9e-2b7a-4c1e-9d1b-0a6f2c3e4d5f',
  name: 'Teapot',
  quantity: 1,
  unitPriceCents: 2500,
  currency: 'EUR',
};

test('the order number is the first 8 digits of the id, upper case', () => {
  assert.equal(orderNumber(orderId), '#1A2B3C4D');
});

test('money in euros, and a currency Intl does not know still reads', () => {
  assert.equal(formatMoney(3400, 'EUR'), '€34.00');
  assert.equal(formatMoney(5, 'EUR'), '€0.05');
  assert.equal(formatMoney(1250, 'XYZ').includes('12.50'), true);
});

test('a confirmation lists the items and the total', () => {
  const m = orderConfirmedMessage({ orderId, items: [tea, pot], totalCents: 3400, currency: 'EUR' });
  assert.equal(m.title, 'Order confirmed');
  assert.equal(
    m.body,
    "Thank you! Your order #1A2B3C4D is confirmed.\n2 × Mint tea: €9.00\n1 × Teapot: €25.00\nTotal: €34.00.\nWe'll let you know when it is on its way.",
  );
});

test('a big order lists the first lines and says how many more', () => {
  const items = Array.from({ length: MAX_LISTED_LINES + 2 }, (_, i) => ({ ...tea, name: `Tea ${i}` }));
  const m = orderConfirmedMessage({ orderId, items, totalCents: 900 * items.length, currency: 'EUR' });
  assert.match(m.body, /Tea 9: /);
  assert.doesNotMatch(m.body, /Tea 10: /);
  assert.match(m.body, /and 2 more items/);
});

test('a cancellation gives the reason, and what to do next when the code is known', () => {
  const declined = orderCancelledMessage({ orderId, reasonCode: 'PAYMENT_DECLINED', reason: 'The card was declined.' });
  assert.equal(declined.title, 'Order cancelled');
  assert.equal(
    declined.body,
    'Your order #1A2B3C4D was cancelled: The card was declined. Your card was declined and not charged; you can order again with another payment method.',
  );
  const odd = orderCancelledMessage({ orderId, reasonCode: 'SOMETHING_NEW', reason: 'A new kind of failure' });
  assert.equal(odd.body, 'Your order #1A2B3C4D was cancelled: A new kind of failure.');
});

test('shipped: carrier and tracking number', () => {
  const m = orderShippedMessage({ orderId, carrier: 'DHL', trackingNumber: 'JD0146000033' });
  assert.equal(m.title, 'Your order is on its way');
  assert.equal(m.body, 'Order #1A2B3C4D has left our warehouse with DHL. Tracking number: JD0146000033.');
});

test('the same event always makes the same message', () => {
  const order = { orderId, items: [tea], totalCents: 900, currency: 'EUR' };
  assert.deepEqual(orderConfirmedMessage(order), orderConfirmedMessage({ ...order, items: [{ ...tea }] }));
});
