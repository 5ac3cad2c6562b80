// Orders' copy of catalog's prices against the REAL catalog (in-process,
// seeded): filled once from catalog's list at the first start (the seed
// publishes no events), kept current by ProductCreated, PriceChanged,
// ProductRenamed and ProductDeleted, and what checkout charges. Cart,
// inventory and payments stay fakes.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startService, type RunningService, type RunningServiceOf } from '@souk/chassis';
import { call, createTestDatabase, sharedTestIssuer, waitFor, type TestDatabase, type TestIssuer } from '@souk/chassis/testing';
import { catalogService } from '../../catalog/src/service.ts';
import { createPriceCopy } from '../src/prices/price-copy.ts';
import { ordersService } from '../src/service.ts';
import { cartLine, cartOf, fakeCart, fakeInventory, fakePayments, type Fake } from './fakes.ts';
import { assertProblem, FAST, SERVICE_TOKEN } from './harness.ts';

const API = '/api/v1/orders';
const CATALOG = '/api/v1/catalog/products';
let issuer: TestIssuer;
let catalog: RunningService;
let orders: RunningServiceOf<typeof ordersService>;
let fakes: Fake[];
let cart: Fake;
const databases: TestDatabase[] = [];
let adminToken: string;
let startOrders: () => Promise<RunningServiceOf<typeof ordersService>>;

interface Seeded {
  id: string;
  name: string;
  priceCents: number;
}
let products: Seeded[];

before(async () => {
  issuer = await sharedTestIssuer();
  adminToken = await issuer.token({ roles: ['admin'] });
  const [catalogDb, ordersDb] = await Promise.all([
    createTestDatabase('orders_prices_catalog'),
    createTestDatabase('orders_prices'),
  ]);
  databases.push(catalogDb, ordersDb);
  catalog = await startService(catalogService, { env: { LOG_LEVEL: 'silent', DATABASE_URL: catalogDb.url } });
  catalog.ctx.auth.setKeySource(issuer.keySource);
  let inventory: Fake, payments: Fake;
  [cart, inventory, payments] = await Promise.all([fakeCart(), fakeInventory(), fakePayments()]);
  fakes = [cart, inventory, payments];
  startOrders = async () => {
    const svc = await startService(ordersService, {
      env: {
        ...FAST,
        LOG_LEVEL: 'silent',
        DATABASE_URL: ordersDb.url,
        EVENTS_FEED_WAIT_MS: '1000',
        STATIC_SERVICES: `cart=${cart.url};catalog=${catalog.url};inventory=${inventory.url};payments=${payments.url}`,
      },
      serviceToken: async () => SERVICE_TOKEN,
    });
    svc.ctx.auth.setKeySource(issuer.keySource);
    return svc;
  };
  orders = await startOrders();
  const page = await call(catalog.url, 'GET', `${CATALOG}?sort=price&pageSize=100`);
  products = page.json.items;
});

after(async () => {
  await orders?.stop();
  await catalog?.stop();
  await Promise.all((fakes ?? []).map((f) => f.close()));
  await Promise.allSettled(databases.map((d) => d.drop()));
});

const copied = async (productId: string) =>
  (await createPriceCopy(orders.ctx.db).get([productId.toLowerCase()])).get(productId.toLowerCase());

/** Places an order of `lines` (the fake cart answers them) and returns the answer. */
async function order(lines: ReturnType<typeof cartLine>[]) {
  cart.on(() => ({ status: 200, body: cartOf(lines) }));
  try {
    return await call(orders.url, 'POST', API, {
      token: await issuer.token({ sub: randomUUID() }),
      headers: { 'idempotency-key': randomUUID() },
      body: {},
    });
  } finally {
    cart.on(undefined);
  }
}

describe('the copy', () => {
  test("is filled once from catalog's list at the first start, though the seed published no events", async () => {
    const total = (await call(catalog.url, 'GET', `${CATALOG}?pageSize=1`)).json.total as number;
    assert.ok(total > 100, 'more than one page of products');
    const filled = await waitFor(() => orders.ctx.db.selectFrom('product_prices_backfill').selectAll().executeTakeFirst(), {
      what: 'the backfill to complete',
    });
    assert.equal(filled.products, total);
    const rows = await orders.ctx.db
      .selectFrom('product_prices')
      .select(({ fn }) => fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(rows.n), total);
    const cheapest = (await copied(products[0]!.id))!;
    assert.deepEqual(
      [cheapest.name, cheapest.priceCents, cheapest.currency, cheapest.active],
      [products[0]!.name, products[0]!.priceCents, 'EUR', true],
    );
    // A restart does not fill it again.
    await orders.stop();
    orders = await startOrders();
    const again = await orders.ctx.db.selectFrom('product_prices_backfill').selectAll().executeTakeFirstOrThrow();
    assert.equal(again.completed_at.getTime(), filled.completed_at.getTime());
  });

  test('never takes older news over newer, whichever arrives first', async () => {
    const copy = createPriceCopy(orders.ctx.db);
    const id = randomUUID();
    const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s));
    await copy.priceChanged(orders.ctx.db, { productId: id, priceCents: 700, currency: 'EUR', at: at(10) });
    // Known in part: a price without a name.
    assert.deepEqual([(await copied(id))!.name, (await copied(id))!.priceCents], [null, 700]);
    await copy.putStates(orders.ctx.db, [{ productId: id, name: 'Old', priceCents: 500, currency: 'EUR', asOf: at(5) }]);
    assert.deepEqual([(await copied(id))!.name, (await copied(id))!.priceCents], [null, 700], 'an older whole state is refused');
    await copy.putStates(orders.ctx.db, [{ productId: id, name: 'Cup', priceCents: 700, currency: 'EUR', asOf: at(10) }]);
    await copy.renamed(orders.ctx.db, { productId: id, name: 'Older name', at: at(9) });
    assert.equal((await copied(id))!.name, 'Cup');
    await copy.deleted(orders.ctx.db, { productId: id, at: at(20) });
    await copy.putStates(orders.ctx.db, [{ productId: id, name: 'Cup', priceCents: 700, currency: 'EUR', asOf: at(15) }]);
    assert.equal((await copied(id))!.active, false, 'a late state does not bring a deleted product back');
  });
});

describe('checkout', () => {
  test("charges the copy's prices, and follows PriceChanged and ProductRenamed", async () => {
    const [a, b] = [products[3]!, products[4]!];
    const first = await order([cartLine(a.id, 2), cartLine(b.id, 1)]);
    assert.equal(first.status, 202, first.text);
    assert.equal(first.json.totalCents, 2 * a.priceCents + b.priceCents);
    assert.deepEqual(
      first.json.items.map((i: { name: string; unitPriceCents: number }) => [i.name, i.unitPriceCents]),
      [
        [a.name, a.priceCents],
        [b.name, b.priceCents],
      ],
    );

    const patched = await call(catalog.url, 'PATCH', `${CATALOG}/${a.id}`, {
      token: adminToken,
      body: { priceCents: a.priceCents + 100, name: `${a.name} (new)` },
    });
    assert.equal(patched.status, 200, patched.text);
    await waitFor(async () => (await copied(a.id))?.name === `${a.name} (new)`, { what: 'the copy to follow the update' });
    assert.equal((await copied(a.id))!.priceCents, a.priceCents + 100);
    const second = await order([cartLine(a.id, 1)]);
    assert.equal(second.status, 202, second.text);
    assert.deepEqual(
      [second.json.items[0].name, second.json.items[0].unitPriceCents, second.json.totalCents],
      [`${a.name} (new)`, a.priceCents + 100, a.priceCents + 100],
    );
  });

  test('a product created after the start comes as ProductCreated; one the copy lacks is asked of catalog', async () => {
    const created = await call(catalog.url, 'POST', CATALOG, {
      token: adminToken,
      body: { sku: 'ORD-COPY-1', name: 'Copper Pot', categoryId: await someCategory(), priceCents: 4321 },
    });
    assert.equal(created.status, 201, created.text);
    await waitFor(async () => (await copied(created.json.id))?.priceCents === 4321, { what: 'ProductCreated in the copy' });

    const lacking = products[5]!;
    await orders.ctx.db.deleteFrom('product_prices').where('product_id', '=', lacking.id).execute();
    const res = await order([cartLine(lacking.id, 1), cartLine(created.json.id, 1)]);
    assert.equal(res.status, 202, res.text);
    assert.equal(res.json.totalCents, lacking.priceCents + 4321);
    assert.equal((await copied(lacking.id))?.priceCents, lacking.priceCents, 'what catalog said is kept');
  });

  test('a product catalog deleted is refused (422) once ProductDeleted arrived', async () => {
    const doomed = products[6]!;
    assert.equal((await call(catalog.url, 'DELETE', `${CATALOG}/${doomed.id}`, { token: adminToken })).status, 204);
    await waitFor(async () => (await copied(doomed.id))?.active === false, { what: 'ProductDeleted in the copy' });
    const res = await order([cartLine(products[7]!.id, 1), cartLine(doomed.id, 1)]);
    assertProblem(res, 422, 'SOUK_ORDERS_PRODUCT_UNAVAILABLE');
    assert.deepEqual(res.json.productIds, [doomed.id]);
  });

  test('catalog stopped: products in the copy still check out; one the copy lacks cannot be priced (503)', async () => {
    const [known, lacking] = [products[8]!, products[9]!];
    await orders.ctx.db.deleteFrom('product_prices').where('product_id', '=', lacking.id).execute();
    await catalog.stop();
    const ok = await order([cartLine(known.id, 1)]);
    assert.equal(ok.status, 202, ok.text);
    assert.equal(ok.json.totalCents, known.priceCents);
    const res = await order([cartLine(lacking.id, 1)]);
    assertProblem(res, 503, 'SOUK_ORDERS_PRICES_UNAVAILABLE');
    assert.equal(res.headers.get('retry-after'), '5');
  });
});

async function someCategory(): Promise<string> {
  return (await call(catalog.url, 'GET', '/api/v1/catalog/categories')).json.items[0].id;
}
