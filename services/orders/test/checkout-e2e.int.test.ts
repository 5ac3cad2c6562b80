// The checkout saga against the REAL inventory, payments and payment provider,
// each in-process with its own database (cart and catalog stay fakes: cart
// would need catalog and inventory too). Proves the calls match the other services' APIs: reserve,
// authorize, confirm, capture, and the compensations on a shortage or a decline.

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startService, type RunningService, type RunningServiceOf, type ServiceDefinition } from '@souk/chassis';
import type { TObject } from 'typebox';
import {
  call,
  createTestDatabase,
  createTestIssuer,
  freePort,
  waitFor,
  type TestDatabase,
  type TestIssuer,
} from '@souk/chassis/testing';
// Test-only imports of other services' code: in production orders knows them by their HTTP APIs alone.
import { inventoryService } from '../../inventory/src/service.ts';
import { paymentProviderService } from '../../payment-provider/src/service.ts';
import { paymentsService } from '../../payments/src/service.ts';
import { ordersService } from '../src/service.ts';
import { cartLine, cartOf, fakeCart, fakeCatalog, PRODUCT_A, PRODUCT_B, type Fake } from './fakes.ts';
import { FAST } from './harness.ts';
// The grants the devhost gives each service's client: the saga must work with exactly those.
import { findService } from '../../../tools/devhost/src/services.ts';

const API = '/api/v1/orders';
let issuer: TestIssuer;
let cart: Fake;
let catalog: Fake;
let orders: RunningServiceOf<typeof ordersService>;
let inventory: RunningServiceOf<typeof inventoryService>;
let payments: RunningServiceOf<typeof paymentsService>;
let provider: RunningServiceOf<typeof paymentProviderService>;
let merchantKey: string;
let dir: string;
const databases: TestDatabase[] = [];
const running: RunningService[] = [];

before(async () => {
  issuer = await createTestIssuer();
  cart = await fakeCart();
  catalog = await fakeCatalog();
  dir = await mkdtemp(join(tmpdir(), 'souk-orders-e2e-'));
  merchantKey = `sk_test_${randomBytes(12).toString('hex')}`;
  await writeFile(join(dir, 'api-key'), `${merchantKey}\n`);
  await writeFile(join(dir, 'admin-key'), `admin_${randomBytes(12).toString('hex')}\n`);
  const db = async (label: string) => {
    const d = await createTestDatabase(`orders_e2e_${label}`);
    databases.push(d);
    return d.url;
  };
  const [ordersPort, inventoryPort] = await Promise.all([freePort(), freePort()]);
  const base = { LOG_LEVEL: 'silent', BREAKER_FAILURE_THRESHOLD: '1000', EVENTS_FEED_WAIT_MS: '1000' };
  const start = async <C extends TObject, DB>(definition: ServiceDefinition<C, DB>, env: Record<string, string>) => {
    const serviceToken = issuer.serviceToken(`svc-${definition.name}`, [...findService(definition.name)!.clientScopes]);
    const svc = await startService(definition, { env: { ...base, ...env }, serviceToken });
    svc.ctx.auth.setKeySource(issuer.keySource);
    running.push(svc);
    return svc;
  };
  provider = await start(paymentProviderService, {
    DATABASE_URL: await db('provider'),
    PAYMENT_PROVIDER_API_KEY_FILE: join(dir, 'api-key'),
    PAYMENT_PROVIDER_ADMIN_KEY_FILE: join(dir, 'admin-key'),
  });
  payments = await start(paymentsService, {
    DATABASE_URL: await db('payments'),
    PAYMENT_PROVIDER_API_KEY_FILE: join(dir, 'api-key'),
    STATIC_SERVICES: `payment-provider=${provider.url}`,
  });
  // Inventory commits the reservation when it hears OrderConfirmed from orders' feed.
  inventory = await start(inventoryService, {
    DATABASE_URL: await db('inventory'),
    PORT: String(inventoryPort),
    STATIC_SERVICES: `orders=http://127.0.0.1:${ordersPort}`,
  });
  orders = await start(ordersService, {
    ...FAST,
    ORDERS_STEP_TIMEOUT_MS: '8000',
    ORDERS_CAPTURE_TIMEOUT_MS: '8000',
    ORDERS_STEP_ATTEMPT_TIMEOUT_MS: '4000',
    DATABASE_URL: await db('orders'),
    PORT: String(ordersPort),
    STATIC_SERVICES: `cart=${cart.url};catalog=${catalog.url};inventory=${inventory.url};payments=${payments.url}`,
  });
});

after(async () => {
  for (const svc of running.reverse()) await svc.stop().catch(() => undefined);
  await cart?.close();
  await catalog?.close();
  await Promise.allSettled(databases.map((d) => d.drop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const reader = (scope: 'inventory:reservations:read' | 'payments:read') =>
  issuer.token({ sub: 'svc-test', roles: [], scopes: [scope] });

async function stock(productId: string, onHand: number) {
  const res = await call(inventory.url, 'PUT', `/api/v1/inventory/${productId}`, {
    token: await issuer.token({ roles: ['admin'] }),
    body: { onHand },
  });
  assert.equal(res.status, 200, res.text);
}

async function checkout(paymentMethod = 'tok_visa') {
  const token = await issuer.token({ sub: randomUUID() });
  const res = await call(orders.url, 'POST', API, {
    token,
    body: { paymentMethod },
    headers: { 'idempotency-key': randomUUID(), prefer: 'wait=25' },
  });
  assert.ok(res.status === 201, res.text);
  const [row] = await orders.ctx.db
    .selectFrom('orders')
    .select(['reservation_id', 'payment_id'])
    .where('id', '=', res.json.id)
    .execute();
  return { order: res.json, reservationId: row!.reservation_id, paymentId: row!.payment_id };
}

const reservation = async (id: string) =>
  (
    await call(inventory.url, 'GET', `/api/v1/inventory/reservations/${id}`, {
      token: await reader('inventory:reservations:read'),
    })
  ).json;
const payment = async (id: string) =>
  (await call(payments.url, 'GET', `/api/v1/payments/${id}`, { token: await reader('payments:read') })).json;
const level = async (productId: string) => (await call(inventory.url, 'GET', `/api/v1/inventory/${productId}`)).json;
const charges = async (paymentId: string) =>
  (await call(provider.url, 'GET', `/v1/charges?reference=${paymentId}`, { headers: { authorization: `Bearer ${merchantKey}` } }))
    .json;

test('a checkout confirms: stock reserved then committed, payment authorized then captured once', async () => {
  await stock(PRODUCT_A, 10);
  await stock(PRODUCT_B, 10);
  const { order, reservationId, paymentId } = await checkout();
  assert.equal(order.status, 'CONFIRMED');
  await waitFor(async () => (await payment(paymentId)).status === 'CAPTURED', { what: 'captured', timeoutMs: 15_000 });
  const paid = await payment(paymentId);
  assert.equal(paid.capturedCents, 5399);
  assert.equal(paid.orderId, order.id);
  await waitFor(async () => (await reservation(reservationId)).status === 'COMMITTED', {
    what: 'reservation committed',
    timeoutMs: 15_000,
  });
  assert.equal((await level(PRODUCT_A)).onHand, 8);
  const c = await charges(paymentId);
  assert.equal(c.captures.length, 1);
  assert.equal(c.amountCaptured, 5399);
});

test('a shortage cancels OUT_OF_STOCK and leaves the stock as it was; payments is never asked', async () => {
  await stock(PRODUCT_A, 1);
  await stock(PRODUCT_B, 10);
  const { order, reservationId, paymentId } = await checkout();
  assert.equal(order.status, 'CANCELLED');
  assert.equal(order.reasonCode, 'OUT_OF_STOCK');
  assert.match(order.reason, /Moka pot/);
  assert.equal((await reservation(reservationId)).status, 'RELEASED', 'a tombstone: a late reserve with this id is refused');
  assert.equal((await level(PRODUCT_A)).available, 1);
  assert.equal((await level(PRODUCT_B)).available, 10);
  assert.equal(
    (await call(payments.url, 'GET', `/api/v1/payments/${paymentId}`, { token: await reader('payments:read') })).status,
    404,
  );
});

test('a declined card cancels PAYMENT_DECLINED; the reservation is released and nothing is charged', async () => {
  await stock(PRODUCT_A, 10);
  await stock(PRODUCT_B, 10);
  cart.on(() => ({ status: 200, body: cartOf([cartLine(PRODUCT_A, 3)]) }));
  try {
    const { order, reservationId, paymentId } = await checkout('tok_decline');
    assert.equal(order.status, 'CANCELLED');
    assert.equal(order.reasonCode, 'PAYMENT_DECLINED');
    assert.equal((await reservation(reservationId)).status, 'RELEASED');
    assert.equal((await level(PRODUCT_A)).available, 10);
    assert.equal((await charges(paymentId)).amountCaptured, 0);
  } finally {
    cart.on(undefined);
  }
});
