// Inventory's part in the choreography, with real feeds from stand-in
// producers: OrderConfirmed commits the reservation (once, however often it
// arrives), ShipmentFailed returns the committed units, ProductCreated opens
// a level, and a confirmation naming no reservation is parked, not swallowed.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ProductCreated } from '@souk/catalog/contract';
import { OrderConfirmed } from '@souk/orders/contract';
import { ShipmentFailed } from '@souk/shipping/contract';
import { startStandInProducer as startFakeProducer, type StandInProducer as FakeProducer } from '@souk/chassis/testing';
import { API, call, levelRow, outbox, startInventory, waitFor, type Harness } from './harness.ts';

let h: Harness;
let orders: FakeProducer;
let shipping: FakeProducer;
let catalog: FakeProducer;

before(async () => {
  [orders, shipping, catalog] = await Promise.all([
    startFakeProducer('orders', [OrderConfirmed]),
    startFakeProducer('shipping', [ShipmentFailed]),
    startFakeProducer('catalog', [ProductCreated]),
  ]);
  h = await startInventory('inventory_choreography', {
    services: { orders: orders.url, shipping: shipping.url, catalog: catalog.url },
    env: { INVENTORY_NEW_PRODUCT_STOCK: '25', EVENTS_MAX_ATTEMPTS: '2' },
  });
});
after(async () => {
  await h?.close();
  await Promise.all([orders?.close(), shipping?.close(), catalog?.close()]);
});

async function heldOrder(onHand: number, quantity: number) {
  const productId = randomUUID();
  await call(h.svc.url, 'PUT', `${API}/${productId}`, { token: h.adminToken, body: { onHand } });
  const reservationId = randomUUID();
  const orderId = randomUUID();
  const res = await call(h.svc.url, 'PUT', `${API}/reservations/${reservationId}`, {
    token: h.serviceToken,
    body: { orderId, items: [{ productId, quantity }] },
  });
  assert.equal(res.status, 201, res.text);
  return { productId, reservationId, orderId, quantity };
}

type Order = Awaited<ReturnType<typeof heldOrder>>;

const confirmed = (o: Pick<Order, 'orderId' | 'reservationId' | 'productId' | 'quantity'>) =>
  orders.publish(OrderConfirmed, {
    orderId: o.orderId,
    userId: randomUUID(),
    reservationId: o.reservationId,
    paymentId: randomUUID(),
    items: [{ productId: o.productId, name: 'Mug', quantity: o.quantity, unitPriceCents: 900, currency: 'EUR' }],
    totalCents: 900 * o.quantity,
    currency: 'EUR',
    confirmedAt: new Date().toISOString(),
  });

const statusOf = async (id: string) =>
  (await call(h.svc.url, 'GET', `${API}/reservations/${id}`, { token: h.serviceToken })).json.status as string;
const eventsOf = async (type: string, reservationId: string) =>
  (await outbox(h, type)).filter((e) => e.subject === reservationId);

test('OrderConfirmed → the reservation is COMMITTED, on hand decreases, StockCommitted once (also when confirmed twice)', async () => {
  const o = await heldOrder(10, 4);
  await confirmed(o);
  await waitFor(async () => (await statusOf(o.reservationId)) === 'COMMITTED', { what: 'the commit' });
  const row = await levelRow(h, o.productId);
  assert.deepEqual({ onHand: row?.on_hand, reserved: row?.reserved }, { onHand: 6, reserved: 0 });

  // The same confirmation again (another event id: the inbox cannot tell) changes nothing.
  await confirmed(o);
  const marker = await heldOrder(1, 1);
  await confirmed(marker); // handled after the repeat: once it is committed, the repeat was handled too
  await waitFor(async () => (await statusOf(marker.reservationId)) === 'COMMITTED', { what: 'the marker order' });
  assert.equal((await levelRow(h, o.productId))?.on_hand, 6);
  const [event, ...more] = await eventsOf('StockCommitted', o.reservationId);
  assert.equal(more.length, 0);
  assert.deepEqual(
    { ...event!.data, committedAt: undefined },
    {
      reservationId: o.reservationId,
      orderId: o.orderId,
      items: [{ productId: o.productId, quantity: 4 }],
      committedAt: undefined,
    },
  );
});

test('OrderConfirmed of a two-product reservation moves both levels; lines that differ from the reservation commit what it holds', async () => {
  // Two products: the one-statement commit moves every level the reservation holds units of.
  const p1 = randomUUID();
  const p2 = randomUUID();
  for (const productId of [p1, p2])
    await call(h.svc.url, 'PUT', `${API}/${productId}`, { token: h.adminToken, body: { onHand: 10 } });
  const two = { reservationId: randomUUID(), orderId: randomUUID() };
  const res = await call(h.svc.url, 'PUT', `${API}/reservations/${two.reservationId}`, {
    token: h.serviceToken,
    body: {
      orderId: two.orderId,
      items: [
        { productId: p2, quantity: 2 },
        { productId: p1, quantity: 5 },
      ],
    },
  });
  assert.equal(res.status, 201, res.text);
  await orders.publish(OrderConfirmed, {
    ...two,
    userId: randomUUID(),
    paymentId: randomUUID(),
    items: [
      { productId: p1, name: 'Mug', quantity: 5, unitPriceCents: 900, currency: 'EUR' },
      { productId: p2, name: 'Cup', quantity: 2, unitPriceCents: 500, currency: 'EUR' },
    ],
    totalCents: 5500,
    currency: 'EUR',
    confirmedAt: new Date().toISOString(),
  });
  await waitFor(async () => (await statusOf(two.reservationId)) === 'COMMITTED', { what: 'the two-product commit' });
  for (const [productId, onHand] of [
    [p1, 5],
    [p2, 8],
  ] as const) {
    const row = await levelRow(h, productId);
    assert.deepEqual({ onHand: row?.on_hand, reserved: row?.reserved }, { onHand, reserved: 0 });
  }

  // The order says 3 units, the reservation holds 4: the reservation's 4 are committed and announced.
  const o = await heldOrder(10, 4);
  await confirmed({ ...o, quantity: 3 });
  await waitFor(async () => (await statusOf(o.reservationId)) === 'COMMITTED', { what: 'the commit' });
  const row = await levelRow(h, o.productId);
  assert.deepEqual({ onHand: row?.on_hand, reserved: row?.reserved }, { onHand: 6, reserved: 0 });
  const [event, ...more] = await eventsOf('StockCommitted', o.reservationId);
  assert.equal(more.length, 0);
  assert.deepEqual(event!.data.items, [{ productId: o.productId, quantity: 4 }]);
});

test('ShipmentFailed → the committed units come back: RETURNED and StockReturned', async () => {
  const o = await heldOrder(10, 3);
  await confirmed(o);
  await waitFor(async () => (await statusOf(o.reservationId)) === 'COMMITTED', { what: 'the commit' });
  await shipping.publish(ShipmentFailed, {
    orderId: o.orderId,
    shipmentId: randomUUID(),
    reasonCode: 'CARRIER_REFUSED',
    reason: 'The carrier refused the parcel.',
    failedAt: new Date().toISOString(),
  });
  await waitFor(async () => (await statusOf(o.reservationId)) === 'RETURNED', { what: 'the return' });
  const row = await levelRow(h, o.productId);
  assert.deepEqual({ onHand: row?.on_hand, reserved: row?.reserved }, { onHand: 10, reserved: 0 });
  const [event, ...more] = await eventsOf('StockReturned', o.reservationId);
  assert.equal(more.length, 0);
  assert.equal(event!.data.reason, 'SHIPMENT_FAILED');
  assert.equal(event!.data.orderId, o.orderId);
});

test('ProductCreated → a level with INVENTORY_NEW_PRODUCT_STOCK units; an existing level keeps its units', async () => {
  const fresh = randomUUID();
  const known = randomUUID();
  await call(h.svc.url, 'PUT', `${API}/${known}`, { token: h.adminToken, body: { onHand: 3 } });
  for (const productId of [known, fresh]) {
    await catalog.publish(ProductCreated, {
      productId,
      sku: `SKU-${productId.slice(0, 8).toUpperCase()}`,
      slug: `p-${productId.slice(0, 8)}`,
      name: 'Lamp',
      categoryId: randomUUID(),
      priceCents: 1500,
      currency: 'EUR',
      createdAt: new Date().toISOString(),
    });
  }
  const level = await waitFor(
    async () => {
      const res = await call(h.svc.url, 'GET', `${API}/${fresh}`);
      return res.status === 200 ? res.json : undefined;
    },
    { what: "the new product's level" },
  );
  assert.equal(level.onHand, 25);
  assert.equal(level.available, 25);
  assert.equal((await levelRow(h, known))?.on_hand, 3);
});

test('OrderConfirmed naming a reservation inventory never made is parked as a dead letter', async () => {
  const ghost = { orderId: randomUUID(), reservationId: randomUUID(), productId: randomUUID(), quantity: 1 };
  const eventId = await confirmed(ghost);
  const parked = await waitFor(async () => (await h.svc.ctx.events.deadLetters.list()).find((d) => d.eventId === eventId), {
    what: 'the dead letter',
  });
  assert.match(parked.error, /cannot be committed \(unknown\)/);
  // The feed moved on: a later confirmation is handled.
  const o = await heldOrder(2, 1);
  await confirmed(o);
  await waitFor(async () => (await statusOf(o.reservationId)) === 'COMMITTED', { what: 'the next order' });
});
