// Ids derived from the order id: stable, distinct per purpose, valid UUIDs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UUID_PATTERN } from '../../contract.ts';
import { derivedId, paymentIdOf, reservationIdOf } from './saga-ids.ts';

const order = '3f2c1a9e-7b1d-4c55-9a0e-2b8f6d4e1c7a';

test('the same order always gives the same reservation and payment ids, whatever the case', () => {
  assert.equal(reservationIdOf(order), reservationIdOf(order.toUpperCase()));
  assert.equal(paymentIdOf(order), derivedId(order, 'payment'));
});

test('reservation, payment and order ids all differ, and are RFC 9562 version 8 UUIDs', () => {
  const ids = [order, reservationIdOf(order), paymentIdOf(order), reservationIdOf('00000000-0000-4000-8000-000000000000')];
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids.slice(1)) {
    assert.match(id, new RegExp(UUID_PATTERN));
    assert.equal(id[14], '8', 'version 8');
    assert.match(id[19]!, /[89ab]/, 'RFC variant');
  }
});
