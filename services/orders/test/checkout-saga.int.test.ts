// The checkout saga's failure paths against a real PostgreSQL, with inventory
// and payments faked: each failure cancels the order with its reason and
// undoes what was done, in reverse, the failed step included.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, test } from 'node:test';
import { waitFor } from '@souk/chassis/testing';
import { PRODUCT_A, problem, type Fake } from './fakes.ts';
import { API, call, startOrders, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startOrders('saga');
});
afterEach(() => {
  h.inventory.on(undefined);
  h.payments.on(undefined);
});
after(async () => {
  await h.close();
});

async function placeAndSettle(paymentMethod = 'tok_visa') {
  const token = await h.tokenFor(randomUUID());
  const res = await call(h.svc.url, 'POST', API, {
    token,
    body: { paymentMethod },
    headers: { 'idempotency-key': randomUUID(), prefer: 'wait=20' },
  });
  assert.ok(res.status === 201 || res.status === 202, res.text);
  // Prefer: wait holds the answer until the saga ends: the order is final here.
  return { order: res.json, token };
}

/** What the saga asked of a fake for one order, as "METHOD last-path-segment". */
const asked = (fake: Fake, id: string) =>
  fake.requests
    .filter((r) => r.path.includes(id))
    .map((r) => `${r.method} ${r.path.split('/').at(-1) === id ? 'reserve' : r.path.split('/').at(-1)}`);

async function ids(orderId: string) {
  const [row] = await h.query<{ reservation_id: string; payment_id: string }>(
    'select reservation_id, payment_id from orders where id = $1',
    [orderId],
  );
  return { reservationId: row!.reservation_id, paymentId: row!.payment_id };
}

test('out of stock: CANCELLED OUT_OF_STOCK naming the product; the reservation is released (a tombstone), payments never asked', async () => {
  h.inventory.on((req) =>
    req.method === 'PUT'
      ? problem(409, 'SOUK_INVENTORY_INSUFFICIENT_STOCK', 'not enough', { productId: PRODUCT_A, requested: 2, available: 1 })
      : undefined,
  );
  const { order, token } = await placeAndSettle();
  assert.equal(order.status, 'CANCELLED');
  assert.equal(order.reasonCode, 'OUT_OF_STOCK');
  assert.equal(order.reason, 'Not enough stock of "Moka pot" (2 ordered, 1 available).');
  const { reservationId, paymentId } = await ids(order.id);
  assert.deepEqual(asked(h.inventory, reservationId), ['PUT reserve', 'POST release']);
  assert.match(h.inventory.requests.at(-1)!.body.reason, /^OUT_OF_STOCK: /);
  assert.deepEqual(asked(h.payments, paymentId), []);
  assert.deepEqual(await h.events(order.id), ['OrderPlaced', 'OrderCancelled']);
  const saga = (await call(h.svc.url, 'GET', `${API}/${order.id}/saga`, { token })).json;
  assert.equal(saga.status, 'COMPENSATED');
  assert.equal(saga.failure.code, 'SOUK_INVENTORY_INSUFFICIENT_STOCK');
  assert.equal(saga.steps[0].status, 'FAILED');
  assert.equal(saga.steps[0].compensation.status, 'SUCCEEDED');
});

test('declined card: PAYMENT_DECLINED; the payment is cancelled, then the stock released (reverse order)', async () => {
  h.payments.on((req) => (req.path.endsWith('/authorize') ? problem(402, 'SOUK_PAYMENTS_DECLINED', 'card_declined') : undefined));
  const { order } = await placeAndSettle('tok_decline');
  assert.equal(order.status, 'CANCELLED');
  assert.equal(order.reasonCode, 'PAYMENT_DECLINED');
  const { reservationId, paymentId } = await ids(order.id);
  const cancel = h.payments.requests.find((r) => r.path === `/api/v1/payments/${paymentId}/cancel`)!;
  const release = h.inventory.requests.find((r) => r.path === `/api/v1/inventory/reservations/${reservationId}/release`)!;
  assert.ok(h.payments.requests.indexOf(cancel) >= 0 && h.inventory.requests.indexOf(release) >= 0);
  assert.deepEqual(cancel.body, { reason: cancel.body.reason, orderId: order.id });
  assert.match(cancel.body.reason, /^PAYMENT_DECLINED: /);
  const log = await h.query<{ kind: string; step: string }>(
    `select kind, step from souk_saga_log where saga_id = $1 and kind = 'compensation_succeeded' order by seq`,
    [order.id],
  );
  assert.deepEqual(
    log.map((l) => l.step),
    ['authorizePayment', 'reserveStock'],
  );
  assert.equal(h.payments.calls(new RegExp(`${paymentId}/capture`)).length, 0);
});

test('payments unavailable until the step deadline: retried, then PAYMENT_UNAVAILABLE', async () => {
  h.payments.on((req) =>
    req.path.endsWith('/authorize') ? problem(503, 'SOUK_PAYMENTS_PROVIDER_UNAVAILABLE', 'provider outage') : undefined,
  );
  const { order } = await placeAndSettle();
  assert.equal(order.status, 'CANCELLED');
  assert.equal(order.reasonCode, 'PAYMENT_UNAVAILABLE');
  const [saga] = await h.query<{ failure: { attempts: number; deadlineExceeded: boolean } }>(
    'select failure from souk_saga where id = $1',
    [order.id],
  );
  assert.equal(saga!.failure.deadlineExceeded, true);
  assert.ok(saga!.failure.attempts >= 2, `retried (${saga!.failure.attempts} attempts)`);
});

test('inventory hanging: each attempt times out, then STEP_TIMED_OUT; the maybe-made reservation is released', async () => {
  h.inventory.on((req) => (req.method === 'PUT' ? 'hang' : undefined));
  const { order } = await placeAndSettle();
  assert.equal(order.status, 'CANCELLED');
  assert.equal(order.reasonCode, 'STEP_TIMED_OUT');
  assert.match(order.reason, /^Reserving the stock took too long/);
  const { reservationId } = await ids(order.id);
  assert.deepEqual(asked(h.inventory, reservationId).at(-1), 'POST release');
});

test('capture refused after the pivot: the confirmed order is cancelled, the payment cancelled and the stock released', async () => {
  h.payments.on((req) =>
    req.path.endsWith('/capture') ? problem(409, 'SOUK_PAYMENTS_NOT_CAPTURABLE', 'authorization expired') : undefined,
  );
  const { order } = await placeAndSettle();
  await waitFor(
    async () =>
      (await h.query<{ status: string }>('select status from orders where id = $1', [order.id]))[0]?.status === 'CANCELLED',
    { what: 'cancelled' },
  );
  const [row] = await h.query<{ reason_code: string }>('select reason_code from orders where id = $1', [order.id]);
  assert.equal(row!.reason_code, 'PAYMENT_CAPTURE_FAILED');
  assert.deepEqual(await h.events(order.id), ['OrderPlaced', 'OrderConfirmed', 'OrderCancelled']);
  const { paymentId, reservationId } = await ids(order.id);
  assert.deepEqual(asked(h.payments, paymentId), ['POST authorize', 'POST capture', 'POST cancel']);
  assert.deepEqual(asked(h.inventory, reservationId), ['PUT reserve', 'POST release']);
});

test('a compensation that keeps failing parks the saga (the order stays visible); an operator retry finishes it', async () => {
  h.payments.on((req) => {
    if (req.path.endsWith('/authorize')) return problem(402, 'SOUK_PAYMENTS_DECLINED', 'card_declined');
    if (req.path.endsWith('/cancel')) return problem(503, 'SOUK_SERVICE_NOT_READY', 'payments starting');
    return undefined;
  });
  const { order } = await placeAndSettle('tok_decline');
  assert.equal(order.status, 'PENDING', 'not cancelled while its payment may still be held');
  const admin = await h.tokenFor(randomUUID(), ['admin']);
  const parked = (await call(h.svc.adminUrl, 'GET', '/_admin/sagas?status=PARKED', { token: admin })).json.sagas;
  assert.ok(parked.some((s: { id: string; currentStep: string }) => s.id === order.id && s.currentStep === 'authorizePayment'));

  h.payments.on(undefined);
  assert.equal((await call(h.svc.adminUrl, 'POST', `/_admin/sagas/${order.id}/retry`, { token: admin })).status, 200);
  await waitFor(
    async () =>
      (await h.query<{ status: string }>('select status from orders where id = $1', [order.id]))[0]?.status === 'CANCELLED',
    { what: 'cancelled' },
  );
  const [row] = await h.query<{ reason_code: string }>('select reason_code from orders where id = $1', [order.id]);
  assert.equal(row!.reason_code, 'PAYMENT_DECLINED');
});
