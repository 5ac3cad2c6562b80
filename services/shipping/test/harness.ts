// Shared set-up of shipping's integration tests: a throwaway database, a
// running instance with a hand-moved clock reading stand-in inventory, orders
// and payments feeds, a token issuer, and readers of the outbox.

import { eventsReadScope, startService, type RunningServiceOf } from '@souk/chassis';
import { createTestDatabase, sharedTestIssuer, type TestDatabase, type TestIssuer } from '@souk/chassis/testing';
import { StockCommitted } from '@souk/inventory/contract';
import { OrderCancelled, OrderConfirmed } from '@souk/orders/contract';
import { PaymentCaptured } from '@souk/payments/contract';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createBehaviourStore } from '../src/behaviour/behaviour-store.ts';
import type { ShippingDatabase } from '../src/db.ts';
import { shippingService } from '../src/service.ts';
import { startShipmentWorker } from '../src/shipments/shipment-worker.ts';
import { waitFor } from '@souk/chassis/testing';
import { startStandInProducer as startFakeProducer, type StandInProducer as FakeProducer } from '@souk/chassis/testing';

export interface FakeClock {
  now(): number;
  advance(ms: number): void;
}

export interface Harness {
  svc: RunningServiceOf<typeof shippingService>;
  db: ShippingDatabase;
  database: TestDatabase;
  issuer: TestIssuer;
  clock: FakeClock;
  inventory: FakeProducer;
  orders: FakeProducer;
  payments: FakeProducer;
  adminToken: string;
  /** A service token granted shipments:read (reads anyone's shipment). */
  readerToken: string;
  /**
   * One pass of a warehouse worker over the same database (the service's own runs on its timer
   * too): ships or fails every shipment due at the harness clock; returns how many it handled.
   * A test calls it to know the worker has looked at a shipment, instead of sleeping.
   */
  runWorker(): Promise<number>;
  close(): Promise<void>;
}

export async function startShipping(label: string, env: Record<string, string> = {}): Promise<Harness> {
  const [inventory, orders, payments] = await Promise.all([
    startFakeProducer('inventory', [StockCommitted]),
    startFakeProducer('orders', [OrderConfirmed, OrderCancelled]),
    startFakeProducer('payments', [PaymentCaptured]),
  ]);
  const producers = [inventory, orders, payments];
  const database = await createTestDatabase(label);
  // Shared: the stand-in producers take shipping's token from it.
  const issuer = await sharedTestIssuer();
  let t = Date.now();
  const clock: FakeClock = { now: () => t, advance: (ms) => void (t += ms) };
  let svc: RunningServiceOf<typeof shippingService>;
  try {
    svc = await startService(shippingService, {
      clock,
      env: {
        DATABASE_URL: database.url,
        LOG_LEVEL: 'silent',
        SHIPPING_POLL_MS: '50',
        EVENTS_FEED_WAIT_MS: '1000',
        EVENTS_POLL_INTERVAL_MS: '50',
        STATIC_SERVICES: `inventory=${inventory.url};orders=${orders.url};payments=${payments.url}`,
        ...env,
      },
      serviceToken: issuer.serviceToken('svc-shipping', ['inventory', 'orders', 'payments'].map(eventsReadScope)),
    });
  } catch (err) {
    await Promise.all([database.drop(), ...producers.map((p) => p.close())]);
    throw err;
  }
  svc.ctx.auth.setKeySource(issuer.keySource);
  const db = svc.ctx.db;
  const { SHIPPING_FAILURE_RATE, SHIPPING_DELAY_MS } = svc.ctx.config;
  // Driven by hand only: its timer is set beyond any test's length.
  const worker = startShipmentWorker({
    db,
    clock,
    events: svc.ctx.events,
    log: svc.ctx.log,
    schedule: { intervalMs: 2 ** 31 - 1 },
    behaviour: createBehaviourStore(db, { failureRate: Number(SHIPPING_FAILURE_RATE), delayMs: Number(SHIPPING_DELAY_MS) }),
  });
  return {
    svc,
    db,
    database,
    issuer,
    clock,
    inventory,
    orders,
    payments,
    adminToken: await issuer.token({ roles: ['admin'] }),
    readerToken: await issuer.token({ sub: 'svc-reader', roles: [], scopes: ['shipments:read'] }),
    runWorker: () => worker.runOnce(),
    async close() {
      await worker.stop();
      await svc.stop();
      await Promise.all([database.drop(), ...producers.map((p) => p.close())]);
    },
  };
}

export interface Envelope {
  id: string;
  type: string;
  subject?: string;
  data: Record<string, any>;
}

/** Events shipping wrote to its outbox about one order, oldest first. */
export async function outboxFor(h: Harness, orderId: string): Promise<Envelope[]> {
  const { rows } = await sql<{
    envelope: Envelope;
  }>`select envelope from souk_outbox where envelope->>'subject' = ${orderId} order by seq`.execute(h.db);
  return rows.map((r) => r.envelope);
}

// ---- the stand-in producers' facts about an order --------------------------------

export interface CommittedOrder {
  orderId: string;
  reservationId: string;
  items: { productId: string; quantity: number }[];
}

/** inventory: the order's stock is committed. Publish the returned order again for a redelivery under another event id. */
export async function commitStock(h: Harness, orderId: string = randomUUID(), again?: CommittedOrder): Promise<CommittedOrder> {
  const { reservationId, items } = again ?? { reservationId: randomUUID(), items: [{ productId: randomUUID(), quantity: 2 }] };
  const order = { orderId: again?.orderId ?? orderId, reservationId, items };
  await h.inventory.publish(StockCommitted, { ...order, committedAt: new Date().toISOString() }, { subject: reservationId });
  return order;
}

/** payments: the order's payment is captured. */
export async function capturePayment(
  h: Harness,
  orderId: string,
  paymentId: string = randomUUID(),
): Promise<{ paymentId: string; capturedAt: string }> {
  const capturedAt = new Date().toISOString();
  await h.payments.publish(
    PaymentCaptured,
    {
      paymentId,
      orderId,
      amountCents: 1000,
      currency: 'EUR',
      captureId: `cap_${orderId.slice(0, 8)}`,
      capturedAt,
    },
    { subject: paymentId },
  );
  return { paymentId, capturedAt };
}

/** orders: the order is cancelled (the saga compensated: the capture failed, say). */
export async function cancelOrder(h: Harness, orderId: string, reasonCode = 'PAYMENT_UNAVAILABLE'): Promise<void> {
  await h.orders.publish(
    OrderCancelled,
    {
      orderId,
      userId: randomUUID(),
      reasonCode,
      reason: 'The payment could not be captured.',
      cancelledAt: new Date().toISOString(),
    },
    { subject: orderId },
  );
}

/** Waits until shipping has handled the payment or cancellation of an order (its remembered facts show it). */
export async function factKnown(h: Harness, orderId: string, fact: 'paid' | 'cancelled'): Promise<void> {
  await waitFor(
    async () => {
      const row = await h.db.selectFrom('order_facts').selectAll().where('order_id', '=', orderId).executeTakeFirst();
      return (fact === 'paid' ? row?.paid_at : row?.cancelled_at) ?? undefined;
    },
    { what: `shipping to know that order ${orderId} is ${fact}` },
  );
}

export { call, assertProblem, waitFor, type Answer } from '@souk/chassis/testing';
