// Shared set-up of shipping's integration tests: a throwaway database, a
// running instance with a hand-moved clock reading stand-in inventory and
// orders feeds, a token issuer, and readers of the outbox.

import { startService, type RunningService } from '@souk/chassis';
import { createTestDatabase, createTestIssuer, type TestDatabase, type TestIssuer } from '@souk/chassis/testing';
import { StockCommitted } from '@souk/inventory/contract';
import { OrderConfirmed } from '@souk/orders/contract';
import { sql } from 'kysely';
import type { ShippingDatabase } from '../src/db.ts';
import { shippingService } from '../src/service.ts';
import { startFakeProducer, type FakeProducer } from './fake-producer.ts';

export interface FakeClock {
  now(): number;
  advance(ms: number): void;
}

export interface Harness {
  svc: RunningService;
  db: ShippingDatabase;
  database: TestDatabase;
  issuer: TestIssuer;
  clock: FakeClock;
  inventory: FakeProducer;
  orders: FakeProducer;
  adminToken: string;
  internalToken: string;
  close(): Promise<void>;
}

export async function startShipping(label: string, env: Record<string, string> = {}): Promise<Harness> {
  const [inventory, orders] = await Promise.all([startFakeProducer('inventory', [StockCommitted]), startFakeProducer('orders', [OrderConfirmed])]);
  const database = await createTestDatabase(label);
  const issuer = await createTestIssuer();
  let t = Date.now();
  const clock: FakeClock = { now: () => t, advance: (ms) => void (t += ms) };
  let svc: RunningService;
  try {
    svc = await startService(shippingService, {
      clock,
      env: {
        DATABASE_URL: database.url, LOG_LEVEL: 'silent', SHIPPING_POLL_MS: '50', EVENTS_FEED_WAIT_MS: '1000', EVENTS_POLL_INTERVAL_MS: '50',
        STATIC_SERVICES: `inventory=${inventory.url};orders=${orders.url}`, ...env,
      },
    });
  } catch (err) {
    await Promise.all([database.drop(), inventory.close(), orders.close()]);
    throw err;
  }
  svc.ctx.auth.setKeySource(issuer.keySource);
  return {
    svc, db: svc.ctx.db as ShippingDatabase, database, issuer, clock, inventory, orders,
    adminToken: await issuer.token({ roles: ['admin'] }),
    internalToken: await issuer.token({ sub: 'svc-orders', roles: [], scopes: ['internal'] }),
    async close() {
      await svc.stop();
      await Promise.all([database.drop(), inventory.close(), orders.close()]);
    },
  };
}

export interface Envelope { id: string; type: string; subject?: string; data: Record<string, any> }

/** Events shipping wrote to its outbox about one order, oldest first. */
export async function outboxFor(h: Harness, orderId: string): Promise<Envelope[]> {
  const { rows } = await sql<{ envelope: Envelope }>`select envelope from souk_outbox where envelope->>'subject' = ${orderId} order by seq`.execute(h.db);
  return rows.map((r) => r.envelope);
}

export { call, assertProblem, waitFor, type Answer } from '@souk/chassis/testing';
