// Order messages end to end over real feeds: stand-in orders and shipping
// services publish the real contracts through their outboxes, notifications
// reads both feeds and records the messages. OrderShipped may be handled
// before the order's OrderConfirmed (two feeds, no agreed order): its message
// waits for the user. Redelivery adds nothing.

import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { handlerContext, waitFor } from '@souk/chassis/testing';
import { OrderCancelled, OrderConfirmed } from '@souk/orders/contract';
import { OrderShipped } from '@souk/shipping/contract';
import { sql } from 'kysely';
import type { NotificationsDatabase } from '../src/db.ts';
import { orderMessageHandlers } from '../src/orders/order-handlers.ts';
import { API, call, startNotifications, type Harness } from './harness.ts';
import { startOrders, startShipping, type Producer } from './producers.ts';

let orders: Producer;
let shipping: Producer;
let h: Harness;

before(async () => {
  orders = await startOrders();
  shipping = await startShipping();
  h = await startNotifications('notifications_orders', {
    STATIC_SERVICES: `orders=${orders.svc.url};shipping=${shipping.svc.url}`,
    // Short held polls: a poll left behind by a restarted instance ends soon.
    EVENTS_FEED_WAIT_MS: '1000',
  });
});
after(async () => {
  // Producers first: they answer the consumer's held polls as they drain.
  await orders?.close();
  await shipping?.close();
  await h?.close();
});

const tea = {
  productId: '0b0e6c1e-8f5c-4f3c-9a57-1d2f3e4a5b6c',
  name: 'Mint tea',
  quantity: 2,
  unitPriceCents: 450,
  currency: 'EUR',
};

function confirmed(orderId: string, userId: string) {
  return {
    orderId,
    userId,
    items: [tea],
    totalCents: 900,
    currency: 'EUR',
    reservationId: randomUUID(),
    paymentId: randomUUID(),
    confirmedAt: new Date().toISOString(),
  };
}
const shipped = (orderId: string) => ({
  orderId,
  shipmentId: randomUUID(),
  carrier: 'DHL',
  trackingNumber: `JD${orderId.slice(0, 8).toUpperCase()}`,
  shippedAt: new Date().toISOString(),
});

async function messagesOf(userId: string, count: number) {
  const token = await h.tokenFor(userId);
  return waitFor(
    async () => {
      const res = await call(h.svc.url, 'GET', API, { token });
      return res.status === 200 && res.json.items.length >= count ? res.json.items : undefined;
    },
    { what: `${count} message(s) for ${userId}` },
  );
}

const count = async (db: NotificationsDatabase, table: string) =>
  Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0]!.n);

/** Waits until notifications has read both producers' feeds to their end. */
async function caughtUp(): Promise<void> {
  for (const producer of [orders, shipping]) {
    const name = producer.svc.ctx.name;
    const head = await waitFor(() => producer.head(), { what: `${name}'s outbox to be sequenced` });
    await waitFor(
      async () => {
        const cursor = await sql<{ position: string }>`select position from souk_feed_cursor where producer = ${name}`.execute(
          h.svc.ctx.db,
        );
        return Number(cursor.rows[0]?.position ?? -1) >= head;
      },
      { what: `the ${name} cursor to reach ${head}` },
    );
  }
}

describe('order messages', () => {
  const ann = randomUUID();
  const bob = randomUUID();
  const first = randomUUID();

  test('OrderConfirmed: "Order confirmed" with the items and the total, for the order\'s user only', async () => {
    await orders.publish(OrderConfirmed, confirmed(first, ann), { subject: first });
    const [message] = await messagesOf(ann, 1);
    assert.equal(message.kind, 'order-confirmed');
    assert.equal(message.title, 'Order confirmed');
    assert.equal(message.orderId, first);
    assert.match(message.body, /2 × Mint tea: €9\.00/);
    assert.match(message.body, /Total: €9\.00\./);
    assert.equal(message.readAt, null);
    const others = await call(h.svc.url, 'GET', API, { token: await h.tokenFor(bob) });
    assert.deepEqual(others.json.items, []);
  });

  test('OrderShipped after the confirmation: "Your order is on its way" with the tracking number', async () => {
    const shipment = shipped(first);
    await shipping.publish(OrderShipped, shipment, { subject: first });
    const [latest] = await messagesOf(ann, 2);
    assert.equal(latest.kind, 'order-shipped');
    assert.equal(latest.title, 'Your order is on its way');
    assert.equal(latest.orderId, first);
    assert.match(latest.body, new RegExp(`Tracking number: ${shipment.trackingNumber}\\.`));
    assert.match(latest.body, /with DHL/);
  });

  test('OrderCancelled: "Order cancelled" with the reason', async () => {
    const orderId = randomUUID();
    await orders.publish(
      OrderCancelled,
      {
        orderId,
        userId: bob,
        reasonCode: 'OUT_OF_STOCK',
        reason: 'Mint tea is out of stock',
        cancelledAt: new Date().toISOString(),
      },
      { subject: orderId },
    );
    const [message] = await messagesOf(bob, 1);
    assert.equal(message.kind, 'order-cancelled');
    assert.equal(message.title, 'Order cancelled');
    assert.equal(message.orderId, orderId);
    assert.match(message.body, /was cancelled: Mint tea is out of stock\./);
  });

  test('OrderShipped handled before its OrderConfirmed: the message waits, then comes after the confirmation', async () => {
    const carl = randomUUID();
    const orderId = randomUUID();
    const shipment = shipped(orderId);
    await shipping.publish(OrderShipped, shipment, { subject: orderId });
    await waitFor(async () => (await count(h.svc.ctx.db, 'pending_notifications')) === 1 || undefined, {
      what: 'the shipping message to wait',
    });
    assert.deepEqual((await call(h.svc.url, 'GET', API, { token: await h.tokenFor(carl) })).json.items, []);

    await orders.publish(OrderConfirmed, confirmed(orderId, carl), { subject: orderId });
    const items = await messagesOf(carl, 2);
    // Newest first: the shipment is listed above the confirmation it follows.
    assert.deepEqual(
      items.map((m: { kind: string }) => m.kind),
      ['order-shipped', 'order-confirmed'],
    );
    assert.match(items[0].body, new RegExp(shipment.trackingNumber));
    assert.equal(await count(h.svc.ctx.db, 'pending_notifications'), 0);
  });

  test('both feeds read again from the start add nothing, with the inbox kept or forgotten', async () => {
    await caughtUp();
    const rows = await count(h.svc.ctx.db, 'notifications');
    const handled = await count(h.svc.ctx.db, 'souk_inbox');
    assert.equal(rows, 5);
    for (const forgetInbox of [false, true]) {
      await h.restart(async () => {
        await h.query(
          `update souk_feed_cursor set position = 0, lease_owner = null, lease_until = null where producer in ('orders', 'shipping')`,
        );
        if (forgetInbox) await h.query('delete from souk_inbox');
      });
      await caughtUp();
      assert.equal(await count(h.svc.ctx.db, 'notifications'), rows, `forgetInbox=${forgetInbox}`);
      assert.equal(await count(h.svc.ctx.db, 'souk_inbox'), handled);
      assert.equal(await count(h.svc.ctx.db, 'pending_notifications'), 0);
      assert.equal(await count(h.svc.ctx.db, 'souk_dead_letter'), 0);
    }
    assert.equal((await messagesOf(ann, 2)).length, 2);
  });
});

describe('one order on two feeds at once', () => {
  test('OrderShipped and OrderConfirmed handled concurrently: the shipping message is never stranded', async () => {
    const handlers = orderMessageHandlers({ now: () => Date.now() });
    const dora = randomUUID();
    const orderId = randomUUID();
    const received = <T>(source: string, type: string, data: T) => ({
      id: randomUUID(),
      source,
      type,
      time: new Date().toISOString(),
      data,
      envelope: {} as never,
    });
    const db = h.svc.ctx.db;
    const log = h.svc.ctx.log;
    let bDone!: () => void;
    let finished = false;
    const bFinished = new Promise<void>((resolve) => (bDone = () => ((finished = true), resolve())));
    const bBlocked = (async () => {
      for (;;) {
        const { rows } = await sql<{
          n: string;
        }>`select count(*) as n from pg_locks where locktype = 'advisory' and not granted`.execute(db);
        if (finished || Number(rows[0]!.n) > 0) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    let parked!: () => void;
    const aParked = new Promise<void>((resolve) => (parked = resolve));
    // A: the shipment finds no user and parks its message, then keeps its transaction open until B
    // waits for the order (or, were there no lock, until B is done: the message would then be stranded).
    const a = db.transaction().execute(async (trx) => {
      await handlers.shipped(
        received('urn:souk:service:shipping', 'souk.shipping.OrderShipped', shipped(orderId)),
        handlerContext(trx, log),
      );
      parked();
      await Promise.race([bBlocked, bFinished]);
    });
    await aParked;
    // B: the confirmation, looking for parked messages while A's is not committed yet.
    const b = db
      .transaction()
      .execute(async (trx) => {
        await handlers.confirmed(
          received('urn:souk:service:orders', 'souk.orders.OrderConfirmed', confirmed(orderId, dora)),
          handlerContext(trx, log),
        );
      })
      .finally(() => bDone());
    await Promise.all([a, b]);
    const kinds = (await messagesOf(dora, 2)).map((m: { kind: string }) => m.kind).sort();
    assert.deepEqual(kinds, ['order-confirmed', 'order-shipped']);
    const pending = await sql<{ n: string }>`select count(*) as n from pending_notifications where order_id = ${orderId}`.execute(
      db,
    );
    assert.equal(Number(pending.rows[0]!.n), 0);
  });
});
