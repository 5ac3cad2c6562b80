// Shared set-up of the recommendations integration tests: a stand-in orders
// producer (a chassis service with an outbox and a feed, publishing the real
// OrderConfirmed contract), a recommendations instance reading its feed, a
// token issuer, and helpers to confirm orders and wait until they are counted.

import { randomUUID } from 'node:crypto';
import { defineService, eventsReadScope, startService, type RunningService, type RunningServiceOf } from '@souk/chassis';
import { createTestDatabase, createTestIssuer, waitFor, type TestDatabase, type TestIssuer } from '@souk/chassis/testing';
import { OrderConfirmed } from '@souk/orders/contract';
import { sql } from 'kysely';
import { recommendationsService } from '../src/service.ts';

export const API = '/api/v1/recommendations';

export interface Harness {
  svc: RunningServiceOf<typeof recommendationsService>;
  orders: RunningService;
  issuer: TestIssuer;
  /** Publishes an OrderConfirmed for these products (quantity 1 unless given); returns the event's order id. */
  confirm(
    products: (string | { id: string; quantity: number; name?: string })[],
    options?: { orderId?: string; confirmedAt?: Date },
  ): Promise<string>;
  /** Waits until recommendations has read the whole orders feed. */
  caughtUp(): Promise<void>;
  close(): Promise<void>;
}

const ordersStandIn = defineService({
  name: 'orders',
  version: '0.0.0-test',
  migrations: { '001_nothing': { async up() {} } },
  events: { publishes: [OrderConfirmed] },
  setup() {},
});

/** A readable name per product id, so tests can check names travel. */
export const nameOf = (id: string) => `Product ${id.slice(0, 8)}`;

export async function startRecommendations(label: string, env: Record<string, string> = {}): Promise<Harness> {
  const databases: TestDatabase[] = [];
  const issuer = await createTestIssuer();
  let orders: RunningService | undefined;
  let svc: RunningServiceOf<typeof recommendationsService> | undefined;
  // recommendations reads orders' feed with its own token.
  const serviceToken = issuer.serviceToken('svc-recommendations', [eventsReadScope('orders')]);
  const common = { LOG_LEVEL: 'silent', EVENTS_FEED_WAIT_MS: '1000', EVENTS_LEASE_MS: '3000' };
  const close = async () => {
    await orders?.stop().catch(() => undefined);
    await svc?.stop().catch(() => undefined);
    await Promise.allSettled(databases.map((d) => d.drop()));
  };
  try {
    const ordersDb = await createTestDatabase(`rec_${label}_orders`);
    databases.push(ordersDb);
    orders = await startService(ordersStandIn, { env: { ...common, DATABASE_URL: ordersDb.url } });
    orders.ctx.auth.setKeySource(issuer.keySource);
    const database = await createTestDatabase(`rec_${label}`);
    databases.push(database);
    const serviceEnv = { ...common, DATABASE_URL: database.url, STATIC_SERVICES: `orders=${orders.url}`, ...env };
    svc = await startService(recommendationsService, { env: serviceEnv, serviceToken });
    svc.ctx.auth.setKeySource(issuer.keySource);
  } catch (err) {
    await close();
    throw err;
  }
  const producer = orders;
  const consumer = svc;
  return {
    svc: consumer,
    orders: producer,
    issuer,
    async confirm(products, options = {}) {
      const orderId = options.orderId ?? randomUUID();
      const items = products.map((p) => {
        const { id, quantity, name } = typeof p === 'string' ? { id: p, quantity: 1, name: undefined } : p;
        return { productId: id, name: name ?? nameOf(id), quantity, unitPriceCents: 1000, currency: 'EUR' };
      });
      const totalCents = items.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0);
      const confirmedAt = (options.confirmedAt ?? new Date()).toISOString();
      await producer.ctx.db.transaction().execute((trx) =>
        producer.ctx.events.publish(
          trx,
          OrderConfirmed,
          {
            orderId,
            userId: randomUUID(),
            items,
            totalCents,
            currency: 'EUR',
            reservationId: randomUUID(),
            paymentId: randomUUID(),
            confirmedAt,
          },
          { subject: orderId },
        ),
      );
      return orderId;
    },
    async caughtUp() {
      await producer.ctx.events.flush();
      // The feed numbers its events 1, 2, ...: the last one's number is the count of the outbox.
      const { rows } = await sql<{ head: number | null }>`select count(*) as head from souk_outbox`.execute(producer.ctx.db);
      const head = Number(rows[0]?.head ?? 0);
      await waitFor(
        async () => {
          const cursor = await sql<{ position: number }>`select position from souk_feed_cursor where producer = 'orders'`.execute(
            consumer.ctx.db,
          );
          return Number(cursor.rows[0]?.position ?? -1) >= head;
        },
        { what: `the orders feed read up to ${head}`, timeoutMs: 20_000 },
      );
    },
    close,
  };
}

export { call, assertProblem, type Answer } from '@souk/chassis/testing';
