// Reservations nobody commits in time, with a fake clock (no test sleeps):
// the sweeper expires exactly the due ones, gives their units back and
// publishes StockReleased (reason 'expired'); an order confirmed after that
// takes the units again if they are there, and publishes nothing if not.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { OrderConfirmed } from '@souk/orders/contract';
import { startStandInProducer as startFakeProducer, type StandInProducer as FakeProducer } from '@souk/chassis/testing';
import { API, call, levelRow, outbox, startInventory, waitFor, type Harness } from './harness.ts';

let h: Harness;
let orders: FakeProducer;

before(async () => {
  orders = await startFakeProducer('orders', [OrderConfirmed]);
  h = await startInventory('inventory_expiry', { services: { orders: orders.url } });
});
after(async () => {
  await h?.close();
  await orders?.close();
});

async function stocked(onHand: number): Promise<string> {
  const productId = randomUUID();
  assert.equal(
    (await call(h.svc.url, 'PUT', `${API}/${productId}`, { token: h.adminToken, body: { onHand, lowStockThreshold: 0 } })).status,
    200,
  );
  return productId;
}

async function reserve(productId: string, quantity: number, ttlSeconds: number) {
  const id = randomUUID();
  const orderId = randomUUID();
  const res = await call(h.svc.url, 'PUT', `${API}/reservations/${id}`, {
    token: h.serviceToken,
    body: { orderId, items: [{ productId, quantity }], ttlSeconds },
  });
  assert.equal(res.status, 201, res.text);
  return { id, orderId };
}

const statusOf = async (id: string) =>
  (await call(h.svc.url, 'GET', `${API}/reservations/${id}`, { token: h.serviceToken })).json.status as string;

function confirm(order: { id: string; orderId: string }, productId: string, quantity: number) {
  return orders.publish(OrderConfirmed, {
    orderId: order.orderId,
    userId: randomUUID(),
    reservationId: order.id,
    paymentId: randomUUID(),
    items: [{ productId, name: 'Kettle', quantity, unitPriceCents: 1000, currency: 'EUR' }],
    totalCents: quantity * 1000,
    currency: 'EUR',
    confirmedAt: new Date().toISOString(),
  });
}

test('a held reservation past its expiry is released by itself: EXPIRED, units back, StockReleased reason expired', async () => {
  const p = await stocked(10);
  const soon = await reserve(p, 4, 60);
  const later = await reserve(p, 3, 600);
  assert.equal((await levelRow(h, p))?.reserved, 7);

  h.clock.advance(60_000);
  await waitFor(async () => (await statusOf(soon.id)) === 'EXPIRED', { what: 'the first reservation to expire' });
  // The same sweep looked at the other one too: not due, still held.
  assert.equal(await statusOf(later.id), 'HELD');
  assert.equal((await levelRow(h, p))?.reserved, 3);
  const released = (await outbox(h, 'StockReleased')).filter((e) => e.subject === soon.id);
  assert.equal(released.length, 1);
  assert.deepEqual(
    { ...released[0]!.data, releasedAt: undefined },
    {
      reservationId: soon.id,
      orderId: soon.orderId,
      items: [{ productId: p, quantity: 4 }],
      reason: 'expired',
      releasedAt: undefined,
    },
  );
  const metrics = (await call(h.svc.adminUrl, 'GET', '/metrics')).text;
  assert.match(metrics, /souk_inventory_reservations_expired_total(\{[^}]*\})? 1\b/);

  // An expired reservation cannot be committed over HTTP...
  const commit = await call(h.svc.url, 'POST', `${API}/reservations/${soon.id}/commit`, { token: h.serviceToken });
  assert.equal(commit.status, 409, commit.text);
  assert.equal(commit.json.code, 'SOUK_INVENTORY_RESERVATION_NOT_HELD');
  // ...and a repeat of its reserve tells the caller it expired.
  const repeat = await call(h.svc.url, 'PUT', `${API}/reservations/${soon.id}`, {
    token: h.serviceToken,
    body: { orderId: soon.orderId, items: [{ productId: p, quantity: 4 }], ttlSeconds: 60 },
  });
  assert.equal(repeat.status, 200, repeat.text);
  assert.equal(repeat.json.status, 'EXPIRED');
});

test('OrderConfirmed after expiry takes the units again while they are there', async () => {
  const p = await stocked(5);
  const order = await reserve(p, 2, 30);
  h.clock.advance(30_000);
  await waitFor(async () => (await statusOf(order.id)) === 'EXPIRED', { what: 'expiry' });
  await confirm(order, p, 2);
  await waitFor(async () => (await statusOf(order.id)) === 'COMMITTED', { what: 'the late confirmation to commit' });
  const row = await levelRow(h, p);
  assert.deepEqual({ onHand: row?.on_hand, reserved: row?.reserved }, { onHand: 3, reserved: 0 });
  assert.equal((await outbox(h, 'StockCommitted')).filter((e) => e.subject === order.id).length, 1);
});

test('OrderConfirmed after expiry when the units are gone: stays EXPIRED, publishes nothing, counted', async () => {
  const p = await stocked(2);
  const order = await reserve(p, 2, 30);
  h.clock.advance(30_000);
  await waitFor(async () => (await statusOf(order.id)) === 'EXPIRED', { what: 'expiry' });
  await reserve(p, 2, 600); // someone else takes them
  await confirm(order, p, 2);
  await waitFor(
    async () => {
      const metrics = (await call(h.svc.adminUrl, 'GET', '/metrics')).text;
      return /souk_inventory_reservations_total\{[^}]*outcome="confirm_short"[^}]*\} 1\b/.test(metrics);
    },
    { what: 'the short confirmation to be counted' },
  );
  assert.equal(await statusOf(order.id), 'EXPIRED');
  assert.equal((await outbox(h, 'StockCommitted')).filter((e) => e.subject === order.id).length, 0);
  const row = await levelRow(h, p);
  assert.deepEqual({ onHand: row?.on_hand, reserved: row?.reserved }, { onHand: 2, reserved: 2 });
  // Handled, not failed: nothing was parked.
  assert.equal((await h.svc.ctx.events.deadLetters.list()).length, 0);
});
