// The simulated carrier's rules: the join (committed and paid, unless
// cancelled), the failure roll, stable tracking numbers, the due time, and
// the admin's values over the configuration.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cancellable,
  decideShipment,
  effectiveBehaviour,
  shipAfter,
  shipAfterOnPayment,
  statusOnCommit,
  trackingNumberFor,
} from './shipment-rules.ts';

const ID = '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e';

test('the roll against the failure rate: 0 never fails, 1 always does, otherwise below the rate fails', () => {
  for (const roll of [0, 0.5, 0.999999]) {
    assert.equal(decideShipment(ID, 0, roll).kind, 'ship');
    assert.equal(decideShipment(ID, 1, roll).kind, 'fail');
  }
  assert.equal(decideShipment(ID, 0.3, 0.29).kind, 'fail');
  assert.equal(decideShipment(ID, 0.3, 0.3).kind, 'ship');
  assert.deepEqual(decideShipment(ID, 1, 0), {
    kind: 'fail',
    reasonCode: 'CARRIER_REFUSED',
    reason: 'The carrier refused the parcel (simulated failure).',
  });
  assert.deepEqual(decideShipment(ID, 0, 0), { kind: 'ship', carrier: 'souk-post', trackingNumber: 'SP9F0A1B2C3D4ESK' });
});

test('tracking numbers are stable per shipment and differ between shipments', () => {
  assert.equal(trackingNumberFor(ID), trackingNumberFor(ID));
  assert.notEqual(trackingNumberFor(ID), trackingNumberFor('3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4f'));
  assert.match(trackingNumberFor(ID), /^SP[0-9A-F]{12}SK$/);
});

test('a shipment is due its delay after the stock was committed', () => {
  assert.equal(shipAfter(new Date('2025-01-01T00:00:00.000Z'), 1500).toISOString(), '2025-01-01T00:00:01.500Z');
});

test("the admin's values win where set; the configuration fills the rest", () => {
  const config = { failureRate: 0.1, delayMs: 200 };
  assert.deepEqual(effectiveBehaviour(config, undefined), { ...config, updatedAt: null });
  const at = new Date();
  assert.deepEqual(effectiveBehaviour(config, { failureRate: 0, delayMs: null, updatedAt: at }), {
    failureRate: 0,
    delayMs: 200,
    updatedAt: at,
  });
});

test('the join: committed stock waits for the payment; a known cancellation wins over everything', () => {
  assert.equal(statusOnCommit({ paid: false, cancelled: false }), 'AWAITING_PAYMENT');
  assert.equal(statusOnCommit({ paid: true, cancelled: false }), 'PENDING');
  assert.equal(statusOnCommit({ paid: false, cancelled: true }), 'CANCELLED');
  assert.equal(statusOnCommit({ paid: true, cancelled: true }), 'CANCELLED');
});

test('a shipment released by its payment keeps its delay, but is never due before the payment was known', () => {
  const due = new Date('2025-01-01T00:01:00.000Z');
  assert.equal(shipAfterOnPayment(due, new Date('2025-01-01T00:00:30.000Z')), due);
  assert.equal(shipAfterOnPayment(due, new Date('2025-01-01T00:02:00.000Z')).toISOString(), '2025-01-01T00:02:00.000Z');
});

test('only a shipment that has not left, nor been refused, can be cancelled', () => {
  assert.deepEqual(['AWAITING_PAYMENT', 'PENDING', 'SHIPPED', 'FAILED', 'CANCELLED'].map(cancellable), [
    true,
    true,
    false,
    false,
    false,
  ]);
});
