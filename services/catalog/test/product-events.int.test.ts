// ProductCreated, PriceChanged, ProductRenamed and ProductDeleted against a real
// PostgreSQL: written to the outbox with the write they announce and only then;
// the seed publishes nothing.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FEED_PATH, type FeedPage } from '@souk/chassis';
import { waitFor } from '@souk/chassis/testing';
import { sql } from 'kysely';
import { PriceChanged, PriceChangedV1, ProductCreated, ProductDeleted, ProductRenamed } from '../contract.ts';
import { buildSeed, categoryIdFor } from '../src/seed/build-seed.ts';
import { assertProblem, call, startCatalog, type Harness } from './harness.ts';

const P = '/api/v1/catalog';
const CREATED = 'souk.catalog.ProductCreated';
const CHANGED = 'souk.catalog.PriceChanged';
const RENAMED = 'souk.catalog.ProductRenamed';
const DELETED = 'souk.catalog.ProductDeleted';
const seeded = buildSeed().products[0]!;
let h: Harness;
/** A token of a consumer granted catalog's feed (the feed serves no one else). */
let feedReader: () => Promise<string>;

before(async () => {
  h = await startCatalog('catalog_events');
  feedReader = () => h.issuer.token({ sub: 'svc-cart', roles: [], scopes: ['events:read:catalog'] });
});
after(async () => {
  await h.close();
});

interface Envelope {
  id: string;
  type: string;
  subject?: string;
  time: string;
  data: Record<string, unknown>;
}

async function events(subject?: string): Promise<Envelope[]> {
  const filter = subject === undefined ? sql`` : sql`where envelope->>'subject' = ${subject}`;
  const { rows } = await sql<{ envelope: Envelope }>`select envelope from souk_outbox ${filter} order by seq`.execute(
    h.svc.ctx.db,
  );
  return rows.map((r) => r.envelope);
}

const post = (body: unknown) => call(h.svc.url, 'POST', `${P}/products`, { body, token: h.adminToken });
const patch = (id: string, body: unknown) => call(h.svc.url, 'PATCH', `${P}/products/${id}`, { body, token: h.adminToken });

function newProduct(n: string, extra: Record<string, unknown> = {}) {
  return { sku: `EVT-${n}`, name: `Enamel Kettle ${n}`, categoryId: categoryIdFor('cookware'), priceCents: 3990, ...extra };
}

async function created(n: string) {
  const res = await post(newProduct(n));
  assert.equal(res.status, 201, res.text);
  return res.json as {
    id: string;
    sku: string;
    slug: string;
    name: string;
    categoryId: string;
    priceCents: number;
    currency: string;
    createdAt: string;
  };
}

describe('seed', () => {
  test('loading the seed catalogue publishes nothing', async () => {
    const total = await call(h.svc.url, 'GET', `${P}/products?pageSize=1`);
    assert.equal(total.json.total, buildSeed().products.length);
    assert.deepEqual(await events(), []);
  });
});

describe('ProductCreated', () => {
  test('a created product is announced once, matching the contract and the product', async () => {
    const product = await created('001');
    const [event, ...rest] = await events(product.id);
    assert.equal(rest.length, 0);
    assert.equal(event?.type, CREATED);
    assert.equal(event.time, product.createdAt);
    assert.deepEqual(event.data, {
      productId: product.id,
      sku: product.sku,
      slug: product.slug,
      name: product.name,
      categoryId: product.categoryId,
      priceCents: product.priceCents,
      currency: product.currency,
      createdAt: product.createdAt,
    });
    assert.equal(ProductCreated.check(event.data).ok, true);
  });

  test('a refused create publishes nothing', async () => {
    const before = (await events()).length;
    assertProblem(await post(newProduct('002', { sku: seeded.sku })), 409, 'SOUK_CATALOG_PRODUCT_CONFLICT');
    assertProblem(
      await post(newProduct('003', { categoryId: '00000000-0000-4000-8000-000000000000' })),
      422,
      'SOUK_CATALOG_CATEGORY_UNKNOWN',
    );
    assertProblem(await post(newProduct('004', { priceCents: 0 })), 400, 'SOUK_REQUEST_INVALID');
    assert.equal((await events()).length, before);
  });
});

describe('PriceChanged', () => {
  test('a price update is announced with the old and the new price', async () => {
    const product = await created('010');
    assert.equal((await patch(product.id, { priceCents: 3490 })).status, 200);
    const changes = (await events(product.id)).filter((e) => e.type === CHANGED);
    assert.equal(changes.length, 1);
    assert.deepEqual(changes[0]!.data, { productId: product.id, oldPriceCents: 3990, newPriceCents: 3490, currency: 'EUR' });
    assert.equal(PriceChanged.check(changes[0]!.data).ok, true);
  });

  test('the reason given with the price travels in the event (v2), which v1 readers still accept', async () => {
    const product = await created('011');
    const res = await patch(product.id, { priceCents: 4490, priceChangeReason: 'supplier raised prices' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.priceChangeReason, undefined, 'the reason is not part of the product');
    const [change] = (await events(product.id)).filter((e) => e.type === CHANGED);
    assert.equal(change?.data.reason, 'supplier raised prices');
    assert.equal(PriceChanged.check(change.data).ok, true);
    assert.equal(PriceChangedV1.check(change.data).ok, true);
  });

  test('updates that leave the price alone publish no PriceChanged', async () => {
    const product = await created('012');
    assert.equal((await patch(product.id, { name: 'Enamel Kettle Renamed' })).status, 200);
    assert.equal((await patch(product.id, { priceCents: product.priceCents, tags: ['kettle'] })).status, 200);
    assert.deepEqual(
      (await events(product.id)).map((e) => e.type),
      [CREATED, RENAMED],
    );
  });

  test('refused updates publish nothing', async () => {
    const product = await created('013');
    assertProblem(await patch(product.id, { priceCents: 100, slug: seeded.slug }), 409, 'SOUK_CATALOG_PRODUCT_CONFLICT');
    assertProblem(await patch(product.id, { priceChangeReason: 'sale' }), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await patch(product.id, { name: 'X', priceChangeReason: 'sale' }), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(
      await patch('00000000-0000-4000-8000-000000000000', { priceCents: 100 }),
      404,
      'SOUK_CATALOG_PRODUCT_NOT_FOUND',
    );
    assert.deepEqual(
      (await events(product.id)).map((e) => e.type),
      [CREATED],
    );
    assert.equal((await call(h.svc.url, 'GET', `${P}/products/${product.id}`)).json.priceCents, product.priceCents);
  });

  test('consecutive changes chain: each old price is the previous new one, in feed order', async () => {
    const product = await created('014');
    for (const price of [3000, 3100, 2900]) assert.equal((await patch(product.id, { priceCents: price })).status, 200);
    const page = await waitFor(
      async () => {
        const res = await call(h.svc.url, 'GET', `${FEED_PATH}?after=0&limit=1000`, { token: await feedReader() });
        const mine = (res.json as FeedPage).events.filter((e) => e.subject === product.id);
        return mine.length === 4 ? mine : undefined;
      },
      { what: 'the product events on the feed' },
    );
    assert.deepEqual(
      page.map((e) => e.type),
      [CREATED, CHANGED, CHANGED, CHANGED],
    );
    assert.deepEqual(
      page.slice(1).map((e) => [(e.data as any).oldPriceCents, (e.data as any).newPriceCents]),
      [
        [3990, 3000],
        [3000, 3100],
        [3100, 2900],
      ],
    );
  });
});

describe('ProductRenamed and ProductDeleted', () => {
  test('a new name is announced with the old one, in the transaction of the update; the same name is not', async () => {
    const product = await created('020');
    const res = await patch(product.id, { name: 'Enamel Kettle Blue', priceCents: 3590 });
    assert.equal(res.status, 200, res.text);
    assert.equal((await patch(product.id, { name: 'Enamel Kettle Blue', tags: ['blue'] })).status, 200);
    const mine = await events(product.id);
    assert.deepEqual(
      mine.map((e) => e.type),
      [CREATED, CHANGED, RENAMED],
    );
    const renamed = mine[2]!;
    assert.deepEqual(renamed.data, { productId: product.id, oldName: product.name, name: 'Enamel Kettle Blue' });
    assert.equal(ProductRenamed.check(renamed.data).ok, true);
    // One update, one time: both events carry the product's new updatedAt.
    assert.equal(renamed.time, mine[1]!.time);
    assert.equal(renamed.time, res.json.updatedAt);
  });

  test('a deleted product is announced once; deleting a missing one publishes nothing', async () => {
    const product = await created('021');
    assert.equal((await call(h.svc.url, 'DELETE', `${P}/products/${product.id}`, { token: h.adminToken })).status, 204);
    assertProblem(
      await call(h.svc.url, 'DELETE', `${P}/products/${product.id}`, { token: h.adminToken }),
      404,
      'SOUK_CATALOG_PRODUCT_NOT_FOUND',
    );
    const mine = await events(product.id);
    assert.deepEqual(
      mine.map((e) => e.type),
      [CREATED, DELETED],
    );
    assert.deepEqual(mine[1]!.data, { productId: product.id, sku: product.sku, deletedAt: mine[1]!.time });
    assert.equal(ProductDeleted.check(mine[1]!.data).ok, true);
  });
});
