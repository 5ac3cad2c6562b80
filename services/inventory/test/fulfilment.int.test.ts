// Inventory and shipping together, both real, orders and payments stand-ins: an order
// confirmed → inventory commits (StockCommitted), payments captures
// (PaymentCaptured) → shipping ships (OrderShipped); with the carrier refusing → ShipmentFailed → inventory
// returns the units (StockReturned). Nobody calls anybody: events only.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { eventsReadScope, startService, type RunningService } from '@souk/chassis';
import { createTestDatabase, freePort, sharedTestIssuer, type TestDatabase } from '@souk/chassis/testing';
import { OrderConfirmed } from '@souk/orders/contract';
import { PaymentCaptured } from '@souk/payments/contract';
import { shippingService } from '../../shipping/src/service.ts';
import { startStandInProducer as startFakeProducer, type StandInProducer as FakeProducer } from '@souk/chassis/testing';
import { API, call, levelRow, startInventory, waitFor, type Harness } from './harness.ts';

let orders: FakeProducer;
let payments: FakeProducer;
let shippingDb: TestDatabase;
let shipping: RunningService;
let h: Harness;
let shippingAdmin: string;

before(async () => {
  const issuer = await sharedTestIssuer();
  [orders, payments] = await Promise.all([
    startFakeProducer('orders', [OrderConfirmed]),
    startFakeProducer('payments', [PaymentCaptured]),
  ]);
  const inventoryPort = await freePort();
  shippingDb = await createTestDatabase('inventory_fulfilment_shipping');
  // Shipping first: it waits for inventory's feed (its calls fail until inventory listens).
  shipping = await startService(shippingService, {
    env: {
      DATABASE_URL: shippingDb.url,
      LOG_LEVEL: 'silent',
      SHIPPING_POLL_MS: '50',
      EVENTS_FEED_WAIT_MS: '1000',
      BREAKER_HALF_OPEN_AFTER_MS: '100',
      STATIC_SERVICES: `inventory=http://127.0.0.1:${inventoryPort};orders=${orders.url};payments=${payments.url}`,
    },
    serviceToken: issuer.serviceToken('svc-shipping', ['inventory', 'orders', 'payments'].map(eventsReadScope)),
  });
  shipping.ctx.auth.setKeySource(issuer.keySource);
  shippingAdmin = await issuer.token({ roles: ['admin'] });
  h = await startInventory('inventory_fulfilment', {
    realClock: true,
    services: { orders: orders.url, shipping: shipping.url },
    env: { PORT: String(inventoryPort) },
  });
});
after(async () => {
  await h?.close();
  await shipping?.stop();
  await shippingDb?.drop();
  await Promise.all([orders?.close(), payments?.close()]);
});

async function confirmedOrder(onHand: number, quantity: number) {
  const productId = randomUUID();
  await call(h.svc.url, 'PUT', `${API}/${productId}`, { token: h.adminToken, body: { onHand } });
  const reservationId = randomUUID();
  const orderId = randomUUID();
  const res = await call(h.svc.url, 'PUT', `${API}/reservations/${reservationId}`, {
    token: h.serviceToken,
    body: { orderId, items: [{ productId, quantity }] },
  });
  assert.equal(res.status, 201, res.text);
  await orders.publish(OrderConfirmed, {
    orderId,
    userId: randomUUID(),
    reservationId,
    paymentId: randomUUID(),
    items: [{ productId, name: 'Teapot', quantity, unitPriceCents: 2500, currency: 'EUR' }],
    totalCents: 2500 * quantity,
    currency: 'EUR',
    confirmedAt: new Date().toISOString(),
  });
  // Shipping ships only once the payment is captured too (the orders saga captures after confirming).
  await payments.publish(PaymentCaptured, {
    paymentId: randomUUID(),
    orderId,
    amountCents: 2500 * quantity,
    currency: 'EUR',
    captureId: `cap_${orderId.slice(0, 8)}`,
    capturedAt: new Date().toISOString(),
  });
  return { productId, reservationId, orderId };
}

const shipmentOf = (orderId: string) =>
  waitFor(
    async () => {
      const res = await call(shipping.url, 'GET', `/api/v1/shipments/${orderId}`, { token: shippingAdmin });
      // PENDING and AWAITING_PAYMENT move on by themselves (the capture may arrive after the commit).
      return res.status === 200 && !['PENDING', 'AWAITING_PAYMENT'].includes(res.json.status) ? res.json : undefined;
    },
    { timeoutMs: 20_000, what: `the shipment of ${orderId}` },
  );

const statusOf = async (id: string) =>
  (await call(h.svc.url, 'GET', `${API}/reservations/${id}`, { token: h.serviceToken })).json.status as string;

test('confirmed → committed → shipped', async () => {
  const o = await confirmedOrder(10, 3);
  const shipped = await shipmentOf(o.orderId);
  assert.equal(shipped.status, 'SHIPPED');
  assert.equal(shipped.reservationId, o.reservationId);
  assert.equal(await statusOf(o.reservationId), 'COMMITTED');
  assert.equal((await levelRow(h, o.productId))?.on_hand, 7);
});

test('the carrier refuses → ShipmentFailed → the units are back in stock (RETURNED)', async () => {
  const set = await call(shipping.adminUrl, 'PATCH', '/_admin/shipping/behaviour', {
    token: shippingAdmin,
    body: { failureRate: 1 },
  });
  assert.equal(set.status, 200, set.text);
  const o = await confirmedOrder(10, 4);
  assert.equal((await shipmentOf(o.orderId)).status, 'FAILED');
  await waitFor(async () => (await statusOf(o.reservationId)) === 'RETURNED', { what: 'the units to come back' });
  const row = await levelRow(h, o.productId);
  assert.deepEqual({ onHand: row?.on_hand, reserved: row?.reserved }, { onHand: 10, reserved: 0 });
});
