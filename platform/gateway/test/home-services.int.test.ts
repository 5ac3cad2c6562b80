// GET /api/v1/home with the real services in-process: a seeded catalog, cart
// and recommendations (fed an OrderConfirmed by a stand-in orders producer).
// Recommendations healthy, slowed through its `faults` setting at a real config
// server, and stopped:
// the page says where its recommendations came from, and never fails.

import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  configPath,
  DEFAULT_EXTERNAL_AUDIENCE,
  defineService,
  eventsReadScope,
  startService,
  type RunningService,
} from '@souk/chassis';
import { call, createTestDatabase, createTestIssuer, waitFor, type TestDatabase, type TestIssuer } from '@souk/chassis/testing';
import { OrderConfirmed } from '@souk/orders/contract';
import { cartService } from '../../../services/cart/src/service.ts';
import { catalogService } from '../../../services/catalog/src/service.ts';
import { recommendationsService } from '../../../services/recommendations/src/service.ts';
import { configService } from '../../config/src/service.ts';
import { DEFAULT_HOME_RECOMMENDATIONS_TIMEOUT_MS } from '../src/config.ts';
import { startGateway } from './harness.ts';

const silent = { LOG_LEVEL: 'silent' };
const running: { svc: RunningService; db?: TestDatabase }[] = [];

async function withDatabase(label: string, start: (url: string) => Promise<RunningService>): Promise<RunningService> {
  const db = await createTestDatabase(label);
  const svc = await start(db.url);
  running.push({ svc, db });
  return svc;
}

let issuer: TestIssuer;
let catalog: RunningService;
let orders: RunningService;
let recommendations: RunningService;
let config: RunningService;
let gateway: RunningService;
let products: { id: string; name: string }[];
let user: string;
let admin: string;

before(async () => {
  issuer = await createTestIssuer();
  catalog = await withDatabase('home_catalog', (url) => startService(catalogService, { env: { ...silent, DATABASE_URL: url } }));
  const ordersDefinition = defineService({
    name: 'orders',
    version: '0.0.1',
    migrations: {},
    events: { publishes: [OrderConfirmed] },
    setup() {},
  });
  orders = await withDatabase('home_orders', async (url) => {
    const svc = await startService(ordersDefinition, { env: { ...silent, DATABASE_URL: url } });
    svc.ctx.auth.setKeySource(issuer.keySource);
    return svc;
  });
  catalog.ctx.auth.setKeySource(issuer.keySource);
  config = await withDatabase('home_config', (url) => startService(configService, { env: { ...silent, DATABASE_URL: url } }));
  config.ctx.auth.setKeySource(issuer.keySource);
  // Each consumer reads the feeds with its own token.
  const reads = (client: string, producers: string[]) => issuer.serviceToken(client, producers.map(eventsReadScope));
  recommendations = await withDatabase('home_recommendations', (url) =>
    startService(recommendationsService, {
      env: {
        ...silent,
        DATABASE_URL: url,
        STATIC_SERVICES: `orders=${orders.url};config=${config.url}`,
        CONFIG_SERVICE: 'config',
        CONFIG_WATCH_MS: '5000',
        EVENTS_FEED_WAIT_MS: '1000',
        SHUTDOWN_TIMEOUT_MS: '2000',
      },
      serviceToken: reads('svc-recommendations', ['orders']),
    }),
  );
  const cart = await withDatabase('home_cart', (url) =>
    startService(cartService, {
      env: {
        ...silent,
        DATABASE_URL: url,
        STATIC_SERVICES: `catalog=${catalog.url};orders=${orders.url}`,
        EVENTS_FEED_WAIT_MS: '1000',
      },
      serviceToken: reads('svc-cart', ['catalog', 'orders']),
    }),
  );
  for (const svc of [catalog, recommendations, cart]) svc.ctx.auth.setKeySource(issuer.keySource);
  // Users' tokens are checked with the issuer's keys; a stand-in identity exchanges them for internal ones.
  gateway = await startGateway({
    services: { catalog: [catalog.url], cart: [cart.url], recommendations: [recommendations.url] },
    issuer,
  });
  running.push({ svc: gateway });

  const page = await call(catalog.url, 'GET', '/api/v1/catalog/products?sort=price&pageSize=3');
  products = page.json.items.map((p: { id: string; name: string }) => ({ id: p.id, name: p.name }));
  user = await issuer.token({ sub: randomUUID(), audience: DEFAULT_EXTERNAL_AUDIENCE });
  admin = await issuer.token({ roles: ['admin'] });

  // Someone bought the first two products together.
  const [a, b] = products as [{ id: string; name: string }, { id: string; name: string }];
  const line = (p: { id: string; name: string }) => ({
    productId: p.id,
    name: p.name,
    quantity: 1,
    unitPriceCents: 100,
    currency: 'EUR',
  });
  const orderId = randomUUID();
  await orders.ctx.db.transaction().execute((trx) =>
    orders.ctx.events.publish(
      trx,
      OrderConfirmed,
      {
        orderId,
        userId: randomUUID(),
        items: [line(a), line(b)],
        totalCents: 200,
        currency: 'EUR',
        reservationId: randomUUID(),
        paymentId: randomUUID(),
        confirmedAt: new Date().toISOString(),
      },
      { subject: orderId },
    ),
  );
  await waitFor(
    async () => {
      const res = await call(recommendations.url, 'GET', `/api/v1/recommendations?productId=${a.id}`);
      return res.status === 200 && res.json.items.length > 0;
    },
    { what: 'recommendations to count the order' },
  );

  // The user has the first product in the cart, put there through the gateway.
  const added = await call(gateway.url, 'POST', '/api/v1/cart/items', { token: user, body: { productId: a.id, quantity: 2 } });
  assert.ok(added.status < 300, added.text);
});

after(async () => {
  // The gateway first, then the consumers, then the producers (they answer the consumers' held polls as they drain).
  for (const { svc, db } of [...running].reverse()) {
    await svc.stop().catch(() => undefined);
    await db?.drop();
  }
});

async function home(token?: string, base = gateway.url) {
  const started = performance.now();
  const res = await call(base, 'GET', '/api/v1/home', token ? { token } : {});
  assert.equal(res.status, 200, res.text);
  return { page: res.json, ms: performance.now() - started };
}

test('recommendations healthy: picks for the cart for the user, bestsellers for everyone else', async () => {
  const [a, b] = products as [{ id: string; name: string }, { id: string; name: string }];
  const mine = (await home(user)).page;
  assert.deepEqual(mine.degraded, []);
  assert.equal(mine.cart.itemCount, 2);
  assert.deepEqual(mine.cart.productIds, [a.id]);
  assert.equal(mine.recommendations.source, 'recommendations');
  assert.equal(mine.recommendations.degraded, false);
  assert.deepEqual(
    mine.recommendations.items.map((i: { productId: string }) => i.productId),
    [b.id],
  );
  assert.equal(mine.recommendations.items[0].name, b.name);
  assert.equal(mine.recommendations.items[0].count, 1);
  assert.equal(mine.featured.items.length, 8);

  const anyone = (await home()).page;
  assert.equal(anyone.cart, null);
  assert.equal(anyone.recommendations.source, 'bestsellers');
  assert.deepEqual(anyone.recommendations.items.map((i: { productId: string }) => i.productId).sort(), [a.id, b.id].sort());
});

test('recommendations slowed: the kept bestsellers within the budget, for the user too', async (t) => {
  // As an operator does: recommendations' faults setting at the config server, applied live.
  const slow = async (faults: object | undefined, reason: string) => {
    const res = await call(config.url, 'PUT', configPath('recommendations'), {
      token: admin,
      body: { settings: faults ? { faults } : {}, reason },
    });
    assert.equal(res.status, 200, res.text);
    await waitFor(async () => (await call(recommendations.adminUrl, 'GET', '/_admin/config')).json.version === res.json.version, {
      what: 'recommendations applying its settings',
    });
  };
  await slow({ delayMs: 2_500, paths: ['/api/v1/recommendations'] }, 'drill: a slow recommendations');
  t.after(() => slow(undefined, 'drill over'));
  for (const token of [undefined, user]) {
    const { page, ms } = await home(token);
    assert.equal(page.recommendations.source, 'bestsellers-cache');
    assert.equal(page.recommendations.degraded, true);
    assert.match(page.recommendations.reason, new RegExp(`within ${DEFAULT_HOME_RECOMMENDATIONS_TIMEOUT_MS} ms`));
    assert.deepEqual(page.degraded, ['recommendations']);
    // The budget plus what a loaded machine adds: well below the 2.5 s delay.
    assert.ok(ms < DEFAULT_HOME_RECOMMENDATIONS_TIMEOUT_MS + 1_500, `took ${ms} ms`);
    assert.ok(page.featured);
  }
});

test('recommendations stopped: the kept bestsellers; a gateway that kept none shows catalogue products', async (t) => {
  await recommendations.stop();
  const { page } = await home(user);
  assert.equal(page.recommendations.source, 'bestsellers-cache');
  assert.equal(page.recommendations.degraded, true);
  assert.equal(page.cart.itemCount, 2, 'the cart is not affected');

  const fresh = await startGateway({ services: { catalog: [catalog.url], recommendations: [recommendations.url] } });
  t.after(() => fresh.stop());
  const { page: first } = await home(undefined, fresh.url);
  assert.equal(first.recommendations.source, 'catalog');
  assert.equal(first.recommendations.degraded, true);
  assert.equal(first.recommendations.items.length, 8);
  assert.deepEqual(first.degraded, ['recommendations']);
});
