// Shared set-up of the orders service's integration tests: a throwaway
// database, fakes of cart, catalog, inventory and payments found through
// STATIC_SERVICES, a token issuer, a service token for the saga's calls, and
// a restartable instance.

import pg from 'pg';
import { startService, type RunningServiceOf } from '@souk/chassis';
import { createTestDatabase, sharedTestIssuer, type TestDatabase, type TestIssuer } from '@souk/chassis/testing';
import { findService } from '../../../tools/devhost/src/services.ts';
import { ordersService } from '../src/service.ts';
import { fakeCart, fakeCatalog, fakeInventory, fakePayments, type Fake } from './fakes.ts';

export const API = '/api/v1/orders';
/** Shared: stand-in producers (catalog, shipping) check orders' token with its keys. */
const issuer = await sharedTestIssuer();
/**
 * The token orders' own calls carry (auth: 'service'), with what the devhost grants orders' client;
 * the fakes check for it.
 */
export const SERVICE_TOKEN = await issuer.token({
  sub: 'svc-orders',
  clientId: 'svc-orders',
  roles: [],
  scopes: [...findService('orders')!.clientScopes],
  expiresInSeconds: 3600,
});

export interface Harness {
  svc: RunningServiceOf<typeof ordersService>;
  database: TestDatabase;
  issuer: TestIssuer;
  cart: Fake;
  catalog: Fake;
  inventory: Fake;
  payments: Fake;
  tokenFor(userId: string, roles?: string[]): Promise<string>;
  restart(env?: Record<string, string>): Promise<void>;
  /** Rows of one query over a connection of its own. */
  query<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  /** Event types in the outbox for one order, in order. */
  events(orderId: string): Promise<string[]>;
  close(): Promise<void>;
}

/** Fast saga settings: a test that waits for a deadline waits well under a second per step. */
export const FAST = {
  ORDERS_STEP_TIMEOUT_MS: '1500',
  ORDERS_CAPTURE_TIMEOUT_MS: '1500',
  ORDERS_STEP_ATTEMPT_TIMEOUT_MS: '400',
  ORDERS_STEP_RETRY_BASE_MS: '20',
  ORDERS_STEP_RETRY_CAP_MS: '100',
  ORDERS_COMPENSATION_RETRY_BASE_MS: '20',
  ORDERS_COMPENSATION_RETRY_CAP_MS: '100',
  ORDERS_SAGA_POLL_MS: '100',
  ORDERS_SAGA_LEASE_MS: '2000',
  SAGA_COMPENSATION_PARK_AFTER: '20',
  // The client's breakers open on the fakes' 503s as they would in production; they half-open quickly here.
  BREAKER_HALF_OPEN_AFTER_MS: '200',
};

export async function startOrders(label: string, env: Record<string, string> = {}, extraServices = ''): Promise<Harness> {
  const database = await createTestDatabase(`orders_${label}`);
  const [cart, catalog, inventory, payments] = await Promise.all([fakeCart(), fakeCatalog(), fakeInventory(), fakePayments()]);
  const services = `cart=${cart.url};catalog=${catalog.url};inventory=${inventory.url};payments=${payments.url}${extraServices ? `;${extraServices}` : ''}`;
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  const start = async (more: Record<string, string> = {}) => {
    const svc = await startService(ordersService, {
      env: {
        DATABASE_URL: database.url,
        LOG_LEVEL: process.env.ORDERS_TEST_LOG_LEVEL ?? 'silent',
        STATIC_SERVICES: services,
        ...FAST,
        ...env,
        ...more,
      },
      serviceToken: async () => SERVICE_TOKEN,
    });
    svc.ctx.auth.setKeySource(issuer.keySource);
    return svc;
  };
  const svc = await start();
  const harness: Harness = {
    svc,
    database,
    issuer,
    cart,
    catalog,
    inventory,
    payments,
    tokenFor: (userId, roles) => issuer.token({ sub: userId, ...(roles ? { roles } : {}) }),
    async restart(more) {
      await harness.svc.stop();
      harness.svc = await start(more);
    },
    async query(text, values) {
      return (await pool.query(text, values as unknown[])).rows;
    },
    async events(orderId) {
      const rows = await harness.query<{ type: string }>(
        `select type from souk_outbox where envelope->>'subject' = $1 order by seq`,
        [orderId],
      );
      return rows.map((r) => r.type.replace('souk.orders.', ''));
    },
    async close() {
      await harness.svc.stop();
      await pool.end();
      await Promise.all([cart.close(), catalog.close(), inventory.close(), payments.close()]);
      await database.drop();
    },
  };
  return harness;
}

export { call, assertProblem, type Answer } from '@souk/chassis/testing';
