// The warehouse step end to end with real feeds from stand-in producers:
// StockCommitted and PaymentCaptured in → OrderShipped out; the carrier
// refusing (failure rate 1) → ShipmentFailed; a delay that holds shipments
// back; redelivery that does not ship twice; and who may read a shipment.
// The join itself (either order, never unpaid, cancellations) is in join.int.test.ts.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { OrderConfirmed } from '@souk/orders/contract';
import { assertProblem, call, capturePayment, commitStock, outboxFor, startShipping, waitFor, type Harness } from './harness.ts';

let h: Harness;

before(async () => {
  h = await startShipping('shipping_flow');
});
after(async () => {
  await h?.close();
});

const API = '/api/v1/shipments';
const BEHAVIOUR = '/_admin/shipping/behaviour';

/** An order whose stock is committed and whose payment is captured: it may ship. */
async function committed(orderId = randomUUID()) {
  const order = await commitStock(h, orderId);
  const { paymentId } = await capturePayment(h, orderId);
  return { ...order, paymentId };
}

const shipment = (orderId: string, token = h.readerToken) => call(h.svc.url, 'GET', `${API}/${orderId}`, { token });
const settled = (orderId: string) =>
  waitFor(
    async () => {
      const res = await shipment(orderId);
      return res.status === 200 && ['SHIPPED', 'FAILED', 'CANCELLED'].includes(res.json.status) ? res.json : undefined;
    },
    { what: `the shipment of ${orderId}` },
  );
const behave = async (body: unknown) => {
  const res = await call(h.svc.adminUrl, 'PATCH', BEHAVIOUR, { token: h.adminToken, body });
  assert.equal(res.status, 200, res.text);
};

test('StockCommitted and PaymentCaptured → a shipment, shipped by souk-post, and OrderShipped', async () => {
  const order = await committed();
  const shipped = await settled(order.orderId);
  assert.equal(shipped.status, 'SHIPPED');
  assert.equal(shipped.carrier, 'souk-post');
  assert.match(shipped.trackingNumber, /^SP[0-9A-F]{12}SK$/);
  assert.equal(shipped.reservationId, order.reservationId);
  assert.deepEqual(shipped.items, order.items);
  assert.equal(shipped.paymentId, order.paymentId);
  assert.ok(shipped.paidAt);
  assert.equal(shipped.cancelledAt, null);
  const [event, ...more] = await outboxFor(h, order.orderId);
  assert.equal(more.length, 0);
  assert.equal(event!.type, 'souk.shipping.OrderShipped');
  assert.deepEqual(event!.data, {
    orderId: order.orderId,
    shipmentId: shipped.id,
    carrier: 'souk-post',
    trackingNumber: shipped.trackingNumber,
    shippedAt: shipped.shippedAt,
  });
});

test('StockCommitted delivered again (another event id) does not ship twice', async () => {
  const order = await committed();
  const first = await settled(order.orderId);
  await commitStock(h, order.orderId, order);
  const marker = await committed();
  await settled(marker.orderId); // handled after the repeat
  assert.deepEqual((await shipment(order.orderId)).json, first);
  assert.equal((await outboxFor(h, order.orderId)).length, 1);
  const rows = await h.db.selectFrom('shipments').select('id').where('order_id', '=', order.orderId).execute();
  assert.equal(rows.length, 1);
});

test('failure rate 1: the carrier refuses, FAILED and ShipmentFailed', async () => {
  await behave({ failureRate: 1 });
  try {
    const order = await committed();
    const failed = await settled(order.orderId);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.reasonCode, 'CARRIER_REFUSED');
    assert.equal(failed.trackingNumber, null);
    const [event, ...more] = await outboxFor(h, order.orderId);
    assert.equal(more.length, 0);
    assert.equal(event!.type, 'souk.shipping.ShipmentFailed');
    assert.deepEqual(event!.data, {
      orderId: order.orderId,
      shipmentId: failed.id,
      reasonCode: 'CARRIER_REFUSED',
      reason: failed.reason,
      failedAt: failed.failedAt,
    });
  } finally {
    await behave({ failureRate: 0 });
  }
});

test('a delay holds the shipment back until its time (fake clock)', async () => {
  await behave({ delayMs: 60_000 });
  try {
    const held = await committed();
    const pending = await waitFor(
      async () => {
        const res = await shipment(held.orderId);
        return res.status === 200 && res.json.status !== 'AWAITING_PAYMENT' ? res.json : undefined;
      },
      { what: 'the pending shipment' },
    );
    assert.equal(pending.status, 'PENDING');
    assert.equal(Date.parse(pending.shipAfter), Date.parse(pending.createdAt) + 60_000);
    // A shipment recorded later with no delay ships; the worker has looked at the held one meanwhile.
    await behave({ delayMs: 0 });
    const quick = await committed();
    await settled(quick.orderId);
    assert.equal((await shipment(held.orderId)).json.status, 'PENDING');
    h.clock.advance(60_000);
    assert.equal((await settled(held.orderId)).status, 'SHIPPED');
  } finally {
    await behave({ delayMs: 0 });
  }
});

test("who may read a shipment: the order's customer (from OrderConfirmed), an admin, shipments:read; others see 404", async () => {
  const customer = randomUUID();
  const order = await committed();
  await h.orders.publish(OrderConfirmed, {
    orderId: order.orderId,
    userId: customer,
    reservationId: order.reservationId,
    paymentId: randomUUID(),
    items: [{ productId: order.items[0]!.productId, name: 'Tea', quantity: 2, unitPriceCents: 500, currency: 'EUR' }],
    totalCents: 1000,
    currency: 'EUR',
    confirmedAt: new Date().toISOString(),
  });
  await settled(order.orderId);
  const own = await waitFor(
    async () => {
      const res = await shipment(order.orderId, await h.issuer.token({ sub: customer }));
      return res.status === 200 ? res : undefined;
    },
    { what: 'the owner to be known' },
  );
  assert.equal(own.json.orderId, order.orderId);
  assert.equal((await shipment(order.orderId, h.adminToken)).status, 200);
  assert.equal((await shipment(order.orderId, h.readerToken)).status, 200);
  assertProblem(await shipment(order.orderId, await h.issuer.token()), 404, 'SOUK_SHIPPING_SHIPMENT_NOT_FOUND');
  // A service with any other capability (or a feed scope) is nobody here.
  const otherService = await h.issuer.token({
    sub: 'svc-other',
    roles: [],
    scopes: ['orders:read', 'payments:refund', 'inventory:reserve', 'events:read:shipping'],
  });
  assertProblem(await shipment(order.orderId, otherService), 404, 'SOUK_SHIPPING_SHIPMENT_NOT_FOUND');
  assertProblem(await shipment(randomUUID()), 404, 'SOUK_SHIPPING_SHIPMENT_NOT_FOUND');
  assertProblem(await call(h.svc.url, 'GET', `${API}/${order.orderId}`), 401, 'SOUK_AUTH_TOKEN_MISSING');
  assertProblem(await shipment('not-a-uuid'), 400, 'SOUK_REQUEST_INVALID');
});
