// The join, with real feeds from stand-in producers: a shipment goes only
// once inventory's StockCommitted AND payments' PaymentCaptured are both
// known for its order, whichever arrives first; orders' OrderCancelled stops
// it for good, before or after the stock; redeliveries ship once. "Never
// ships" is checked after driving a worker pass by hand (h.runWorker), with a
// paid order beside it that the same pass ships, not after a sleep.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import {
  assertProblem,
  call,
  cancelOrder,
  capturePayment,
  commitStock,
  factKnown,
  outboxFor,
  startShipping,
  waitFor,
  type Harness,
} from './harness.ts';

let h: Harness;

before(async () => {
  h = await startShipping('shipping_join');
});
after(async () => {
  await h?.close();
});

const API = '/api/v1/shipments';
const shipment = (orderId: string) => call(h.svc.url, 'GET', `${API}/${orderId}`, { token: h.readerToken });

/** Waits until the order's shipment is in one of `statuses`; returns it. */
const inStatus = (orderId: string, ...statuses: string[]) =>
  waitFor(
    async () => {
      const res = await shipment(orderId);
      return res.status === 200 && statuses.includes(res.json.status) ? res.json : undefined;
    },
    { what: `the shipment of ${orderId} to be ${statuses.join(' or ')}` },
  );

const behave = async (body: unknown) => {
  const res = await call(h.svc.adminUrl, 'PATCH', '/_admin/shipping/behaviour', { token: h.adminToken, body });
  assert.equal(res.status, 200, res.text);
};

/**
 * Runs a worker pass by hand, after moving the clock by `advanceMs` (past a delay), and
 * checks that it ran over what was due: a paid order recorded just before must be shipped
 * by it (or by the service's own worker, which may hold it locked while the pass goes by).
 * The caller then checks that its own shipment was not.
 * (The clock moves little: tokens are checked against it and live 300 s.)
 */
async function workerPass(advanceMs = 0): Promise<void> {
  const control = randomUUID();
  await commitStock(h, control);
  await capturePayment(h, control);
  await inStatus(control, 'PENDING', 'SHIPPED');
  h.clock.advance(advanceMs);
  await h.runWorker();
  // Shipped by this pass, or by the service's worker that had it locked when the pass went by (SKIP LOCKED).
  await inStatus(control, 'SHIPPED');
}

async function noEventsAbout(orderId: string): Promise<void> {
  assert.deepEqual(
    (await outboxFor(h, orderId)).map((e) => e.type),
    [],
  );
}

async function shippedOnce(orderId: string) {
  const shipped = await inStatus(orderId, 'SHIPPED', 'FAILED', 'CANCELLED');
  assert.equal(shipped.status, 'SHIPPED');
  const events = await outboxFor(h, orderId);
  assert.deepEqual(
    events.map((e) => e.type),
    ['souk.shipping.OrderShipped'],
  );
  assert.equal(events[0]!.data.shipmentId, shipped.id);
  return shipped;
}

test('StockCommitted then PaymentCaptured: waits AWAITING_PAYMENT, then ships', async () => {
  const order = await commitStock(h);
  const waiting = await inStatus(order.orderId, 'AWAITING_PAYMENT');
  assert.deepEqual([waiting.paymentId, waiting.paidAt, waiting.shippedAt, waiting.cancelledAt], [null, null, null, null]);
  await workerPass();
  assert.equal((await shipment(order.orderId)).json.status, 'AWAITING_PAYMENT');
  await noEventsAbout(order.orderId);

  const { paymentId, capturedAt } = await capturePayment(h, order.orderId);
  const shipped = await shippedOnce(order.orderId);
  assert.equal(shipped.paymentId, paymentId);
  assert.equal(shipped.paidAt, capturedAt);
  assert.equal(shipped.reservationId, order.reservationId);
});

test('PaymentCaptured then StockCommitted: the capture is remembered, and the shipment goes when the stock is committed', async () => {
  const orderId = randomUUID();
  const { paymentId } = await capturePayment(h, orderId);
  await factKnown(h, orderId, 'paid');
  assertProblem(await shipment(orderId), 404, 'SOUK_SHIPPING_SHIPMENT_NOT_FOUND');
  await commitStock(h, orderId);
  const shipped = await shippedOnce(orderId);
  assert.equal(shipped.paymentId, paymentId);
});

test('StockCommitted alone never ships: still AWAITING_PAYMENT after the worker has run', async () => {
  const order = await commitStock(h);
  await inStatus(order.orderId, 'AWAITING_PAYMENT');
  await workerPass();
  await workerPass();
  const still = (await shipment(order.orderId)).json;
  assert.equal(still.status, 'AWAITING_PAYMENT');
  assert.equal(still.shippedAt, null);
  await noEventsAbout(order.orderId);
});

test('OrderCancelled before StockCommitted (and before any capture): recorded CANCELLED, never ships, even if a capture comes late', async () => {
  const orderId = randomUUID();
  await cancelOrder(h, orderId, 'PAYMENT_UNAVAILABLE');
  await factKnown(h, orderId, 'cancelled');
  await commitStock(h, orderId);
  const cancelled = await inStatus(orderId, 'CANCELLED', 'AWAITING_PAYMENT', 'PENDING', 'SHIPPED');
  assert.equal(cancelled.status, 'CANCELLED');
  assert.equal(cancelled.reasonCode, 'PAYMENT_UNAVAILABLE');
  assert.ok(cancelled.cancelledAt);
  // A capture after the cancellation (it should not happen) does not bring it back.
  await capturePayment(h, orderId);
  await factKnown(h, orderId, 'paid');
  await workerPass();
  assert.equal((await shipment(orderId)).json.status, 'CANCELLED');
  await noEventsAbout(orderId);
});

test('OrderCancelled after StockCommitted, before the capture (the saga compensated): CANCELLED, never ships', async () => {
  const order = await commitStock(h);
  await inStatus(order.orderId, 'AWAITING_PAYMENT');
  await cancelOrder(h, order.orderId, 'PAYMENT_UNAVAILABLE');
  const cancelled = await inStatus(order.orderId, 'CANCELLED');
  assert.equal(cancelled.reasonCode, 'PAYMENT_UNAVAILABLE');
  assert.equal(cancelled.reason, 'The payment could not be captured.');
  assert.equal(cancelled.paidAt, null);
  await cancelOrder(h, order.orderId, 'PAYMENT_UNAVAILABLE'); // redelivered under another id: nothing changes
  await workerPass();
  assert.deepEqual((await shipment(order.orderId)).json, cancelled);
  await noEventsAbout(order.orderId);
});

test('OrderCancelled of a paid shipment still waiting for its delay: CANCELLED, never ships', async () => {
  await behave({ delayMs: 60_000 });
  try {
    const order = await commitStock(h);
    await capturePayment(h, order.orderId);
    await inStatus(order.orderId, 'PENDING');
    await cancelOrder(h, order.orderId, 'OUT_OF_STOCK');
    const cancelled = await inStatus(order.orderId, 'CANCELLED');
    assert.equal(cancelled.reasonCode, 'OUT_OF_STOCK');
    await workerPass(60_000); // past its shipAfter
    assert.equal((await shipment(order.orderId)).json.status, 'CANCELLED');
    await noEventsAbout(order.orderId);
  } finally {
    await behave({ delayMs: 0 });
  }
});

test('OrderCancelled after the parcel left changes nothing', async () => {
  const order = await commitStock(h);
  await capturePayment(h, order.orderId);
  const shipped = await shippedOnce(order.orderId);
  await cancelOrder(h, order.orderId, 'SHIPMENT_FAILED');
  await factKnown(h, order.orderId, 'cancelled');
  assert.deepEqual((await shipment(order.orderId)).json, shipped);
  assert.equal((await outboxFor(h, order.orderId)).length, 1);
});

test('redeliveries (other event ids) of StockCommitted and PaymentCaptured ship once', async () => {
  const order = await commitStock(h);
  await commitStock(h, order.orderId, order);
  const { paymentId, capturedAt } = await capturePayment(h, order.orderId);
  await capturePayment(h, order.orderId, paymentId);
  const first = await shippedOnce(order.orderId);
  assert.equal(first.paidAt, capturedAt);
  // Again after it shipped, then a marker order behind them on both feeds (each feed is handled in order).
  await commitStock(h, order.orderId, order);
  await capturePayment(h, order.orderId, paymentId);
  const marker = await commitStock(h);
  await capturePayment(h, marker.orderId);
  await inStatus(marker.orderId, 'SHIPPED');
  assert.deepEqual((await shipment(order.orderId)).json, first);
  assert.equal((await outboxFor(h, order.orderId)).length, 1);
  const rows = await h.db.selectFrom('shipments').select('id').where('order_id', '=', order.orderId).execute();
  assert.equal(rows.length, 1);
});

test('StockCommitted and PaymentCaptured arriving at the same moment (different feeds): every order ships, once', async () => {
  const orderIds = Array.from({ length: 20 }, () => randomUUID());
  await Promise.all(orderIds.flatMap((orderId) => [commitStock(h, orderId), capturePayment(h, orderId)]));
  for (const orderId of orderIds) await shippedOnce(orderId);
});

test('a capture that commits while StockCommitted waits for the order facts counts: the shipment is recorded paid', async () => {
  const orderId = randomUUID();
  const paymentId = randomUUID();
  const paidAt = new Date();
  // Stands in for a PaymentCaptured handler holding the order's facts: its row is not committed yet, so the
  // StockCommitted handler's statement (its snapshot taken before) waits on it, and must then use what it wrote.
  await h.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('order_facts')
      .values({ order_id: orderId, payment_id: paymentId, paid_at: paidAt, created_at: paidAt, updated_at: paidAt })
      .execute();
    await commitStock(h, orderId);
    await waitFor(
      async () => {
        const { rows } = await sql<{ waiting: number }>`
          select count(*)::int as waiting from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`.execute(h.db);
        return rows[0]!.waiting > 0 || undefined;
      },
      { what: 'the StockCommitted handler to wait for the order facts' },
    );
  });
  const recorded = await inStatus(orderId, 'AWAITING_PAYMENT', 'PENDING', 'SHIPPED');
  assert.notEqual(recorded.status, 'AWAITING_PAYMENT');
  assert.equal(recorded.paymentId, paymentId);
});
