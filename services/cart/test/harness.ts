// Shared set-up of the cart's integration tests: the REAL catalog in-process
// (seeded), a stand-in orders service that publishes OrderConfirmed through
// its outbox, a stand-in inventory answering stock levels, and the cart under
// test with a clock the test can move.

import { defineService, eventsReadScope, startService, type RunningService, type RunningServiceOf } from '@souk/chassis';
import {
  call,
  createTestDatabase,
  createTestIssuer,
  type Answer,
  type TestDatabase,
  type TestIssuer,
} from '@souk/chassis/testing';
import { OrderConfirmed } from '@souk/orders/contract';
import { Type } from 'typebox';
import { catalogService } from '../../catalog/src/service.ts';
import { cartService } from '../src/service.ts';

export const API = '/api/v1/cart';

export interface Running {
  svc: RunningService;
  stop(): Promise<void>;
}

export interface World {
  issuer: TestIssuer;
  catalog: Running;
  orders: Running & { confirm(data: OrderConfirmed): Promise<void> };
  inventory: Running & { levels: Map<string, number> };
  cart: RunningServiceOf<typeof cartService>;
  cartDb: TestDatabase;
  /** The cart's clock: real time, plus what `advance` skipped. */
  clock: { now(): number; advance(ms: number): void };
  /** Seeded products (id, name, priceCents), cheapest first. */
  products: { id: string; name: string; priceCents: number }[];
  tokenFor(userId: string): Promise<string>;
  adminToken: string;
  close(): Promise<void>;
}

async function withDatabase(label: string, start: (url: string) => Promise<RunningService>): Promise<Running> {
  const database = await createTestDatabase(label);
  const svc = await start(database.url).catch(async (err: unknown) => {
    await database.drop();
    throw err;
  });
  let stopped = false;
  return {
    svc,
    async stop() {
      if (stopped) return;
      stopped = true;
      await svc.stop();
      await database.drop();
    },
  };
}

/** Inventory as the cart sees it: GET /api/v1/inventory?productIds= with levels the test sets. */
function inventoryStandIn(levels: Map<string, number>) {
  return defineService({
    name: 'inventory',
    version: '0.0.1',
    setup(ctx) {
      ctx.app.get(
        '/api/v1/inventory',
        { schema: { querystring: Type.Object({ productIds: Type.String() }) } },
        async (request) => ({
          items: request.query.productIds.split(',').map((productId) => ({
            productId,
            onHand: levels.get(productId) ?? 0,
            reserved: 0,
            available: levels.get(productId) ?? 0,
            lowStockThreshold: 0,
            updatedAt: null,
          })),
        }),
      );
    },
  });
}

export async function startWorld(label: string, env: Record<string, string> = {}): Promise<World> {
  const issuer = await createTestIssuer();
  const silent = { LOG_LEVEL: 'silent' };
  const catalog = await withDatabase(`${label}_catalog`, async (url) => {
    const svc = await startService(catalogService, { env: { ...silent, DATABASE_URL: url } });
    svc.ctx.auth.setKeySource(issuer.keySource);
    return svc;
  });
  const ordersDefinition = defineService({
    name: 'orders',
    version: '0.0.1',
    migrations: {},
    events: { publishes: [OrderConfirmed] },
    setup() {},
  });
  const ordersRunning = await withDatabase(`${label}_orders`, async (url) => {
    const svc = await startService(ordersDefinition, { env: { ...silent, DATABASE_URL: url } });
    svc.ctx.auth.setKeySource(issuer.keySource);
    return svc;
  });
  const orders = {
    ...ordersRunning,
    async confirm(data: OrderConfirmed) {
      await ordersRunning.svc.ctx.db
        .transaction()
        .execute((trx) => ordersRunning.svc.ctx.events.publish(trx, OrderConfirmed, data, { subject: data.orderId }));
    },
  };
  const levels = new Map<string, number>();
  const inventorySvc = await startService(inventoryStandIn(levels), { env: silent });
  const inventory = { svc: inventorySvc, levels, stop: () => inventorySvc.stop() };

  // Real time plus what the test skipped ahead: event times (real) and the cart's clock stay in step.
  let skipped = 0;
  const clock = { now: () => Date.now() + skipped, advance: (ms: number) => void (skipped += ms) };
  const cartDb = await createTestDatabase(`${label}_cart`);
  const cart = await startService(cartService, {
    clock,
    env: {
      ...silent,
      DATABASE_URL: cartDb.url,
      STATIC_SERVICES: `catalog=${catalog.svc.url};orders=${orders.svc.url};inventory=${inventory.svc.url}`,
      // Short held polls: stopping a producer does not wait for them.
      EVENTS_FEED_WAIT_MS: '1000',
      ...env,
    },
    // cart reads catalog's and orders' feeds with its own token.
    serviceToken: issuer.serviceToken('svc-cart', [eventsReadScope('catalog'), eventsReadScope('orders')]),
  });
  cart.ctx.auth.setKeySource(issuer.keySource);

  const page = await call(catalog.svc.url, 'GET', '/api/v1/catalog/products?sort=price&pageSize=100');
  const products = page.json.items.map((p: { id: string; name: string; priceCents: number }) => ({
    id: p.id,
    name: p.name,
    priceCents: p.priceCents,
  }));
  return {
    issuer,
    catalog,
    orders,
    inventory,
    cart,
    cartDb,
    clock,
    products,
    // Long-lived: the TTL tests move the cart's clock (which also checks token expiry) by hours.
    tokenFor: (userId) => issuer.token({ sub: userId, expiresInSeconds: 7 * 24 * 3600 }),
    adminToken: await issuer.token({ roles: ['admin'] }),
    async close() {
      // Producers first: they answer the cart's held feed polls as they drain.
      await Promise.allSettled([catalog.stop(), orders.stop(), inventory.stop()]);
      await cart.stop();
      await cartDb.drop();
    },
  };
}

/** A user of the cart with their token, and calls on their cart. */
export async function shopper(w: World, userId: string) {
  const token = await w.tokenFor(userId);
  return {
    userId,
    token,
    read: (): Promise<Answer> => call(w.cart.url, 'GET', API, { token }),
    add: (productId: string, quantity?: number): Promise<Answer> =>
      call(w.cart.url, 'POST', `${API}/items`, { token, body: quantity === undefined ? { productId } : { productId, quantity } }),
    set: (productId: string, quantity: number): Promise<Answer> =>
      call(w.cart.url, 'PATCH', `${API}/items/${productId}`, { token, body: { quantity } }),
    remove: (productId: string): Promise<Answer> => call(w.cart.url, 'DELETE', `${API}/items/${productId}`, { token }),
    clear: (): Promise<Answer> => call(w.cart.url, 'DELETE', API, { token }),
  };
}

export { assertProblem, call, waitFor, type Answer } from '@souk/chassis/testing';
