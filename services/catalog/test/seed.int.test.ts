// The seed catalogue loads once per database, however many instances start.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, createTestIssuer, type TestDatabase, type TestIssuer } from '@souk/chassis/testing';
import type { CatalogDatabase } from '../src/db.ts';
import { buildSeed } from '../src/seed/build-seed.ts';
import { seedCatalogOnce } from '../src/seed/load-seed.ts';
import { call, startCatalogOn } from './harness.ts';

const expected = buildSeed();
let issuer: TestIssuer;
const databases: TestDatabase[] = [];

before(async () => {
  issuer = await createTestIssuer();
});
after(async () => {
  for (const d of databases) await d.drop();
});

async function freshDatabase(label: string) {
  const d = await createTestDatabase(label);
  databases.push(d);
  return d;
}

async function productTotal(url: string): Promise<number> {
  const res = await call(url, 'GET', '/api/v1/catalog/products?pageSize=1');
  assert.equal(res.status, 200, res.text);
  return res.json.total;
}

test('the first start seeds; later starts leave the catalogue alone', async () => {
  const database = await freshDatabase('catalog_seed');
  const first = await startCatalogOn(database.url, issuer);
  try {
    assert.equal(await productTotal(first.url), expected.products.length);
  } finally {
    await first.stop();
  }
  const second = await startCatalogOn(database.url, issuer);
  try {
    assert.equal(await productTotal(second.url), expected.products.length);
    const categories = await call(second.url, 'GET', '/api/v1/catalog/categories');
    assert.equal(categories.json.items.length, expected.categories.length);
  } finally {
    await second.stop();
  }
});

test('two instances starting at once on a migrated database seed it once', async () => {
  const database = await freshDatabase('catalog_seed_race');
  // Migrate first: this test is about the seed, not concurrent migrations.
  const migrator = await startCatalogOn(database.url, issuer, { CATALOG_SEED: 'false' });
  await migrator.stop();
  const [a, b] = await Promise.all([startCatalogOn(database.url, issuer), startCatalogOn(database.url, issuer)]);
  try {
    assert.equal(await productTotal(a.url), expected.products.length);
    assert.equal(await productTotal(b.url), expected.products.length);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
});

test('concurrent seed calls: exactly one loads, the other sees the marker', async () => {
  const database = await freshDatabase('catalog_seed_calls');
  const svc = await startCatalogOn(database.url, issuer, { CATALOG_SEED: 'false' });
  try {
    const db: CatalogDatabase = svc.ctx.db;
    const results = await Promise.all([seedCatalogOnce(db), seedCatalogOnce(db), seedCatalogOnce(db)]);
    assert.deepEqual(results.map((r) => r.seeded).sort(), [false, false, true]);
    assert.equal(results.find((r) => r.seeded)?.products, expected.products.length);
    assert.equal(await productTotal(svc.url), expected.products.length);
  } finally {
    await svc.stop();
  }
});

test('CATALOG_SEED=false starts with an empty catalogue', async () => {
  const database = await freshDatabase('catalog_noseed');
  const svc = await startCatalogOn(database.url, issuer, { CATALOG_SEED: 'false' });
  try {
    assert.equal(await productTotal(svc.url), 0);
    const categories = await call(svc.url, 'GET', '/api/v1/catalog/categories');
    assert.deepEqual(categories.json, { items: [] });
  } finally {
    await svc.stop();
  }
});

test('rows an admin created before seeding was switched on are kept, and the seed fills in the rest', async () => {
  const database = await freshDatabase('catalog_seed_existing');
  const admin = await issuer.token({ roles: ['admin'] });
  const P = '/api/v1/catalog';
  const taken = { bySku: expected.products[0]!, bySlug: expected.products[1]! };

  const early = await startCatalogOn(database.url, issuer, { CATALOG_SEED: 'false' });
  let kitchenId: string;
  let cookwareId: string;
  try {
    // A seed department and one of its subcategories, with ids of the admin's making.
    const kitchen = await call(early.url, 'POST', `${P}/categories`, {
      token: admin,
      body: { slug: 'kitchen', name: 'Our Kitchen' },
    });
    assert.equal(kitchen.status, 201, kitchen.text);
    kitchenId = kitchen.json.id;
    const cookware = await call(early.url, 'POST', `${P}/categories`, {
      token: admin,
      body: { slug: 'cookware', name: 'Pots & Pans', parentId: kitchenId },
    });
    assert.equal(cookware.status, 201, cookware.text);
    cookwareId = cookware.json.id;
    // Products holding a seed product's SKU and another's slug.
    for (const body of [
      { sku: taken.bySku.sku, slug: 'our-own-skillet', name: 'Our Own Skillet', categoryId: cookwareId, priceCents: 1000 },
      { sku: 'ADM-001', slug: taken.bySlug.slug, name: 'Our Own Pan', categoryId: cookwareId, priceCents: 2000 },
    ]) {
      const res = await call(early.url, 'POST', `${P}/products`, { token: admin, body });
      assert.equal(res.status, 201, res.text);
    }
  } finally {
    await early.stop();
  }

  const svc = await startCatalogOn(database.url, issuer);
  try {
    // Every seed product except the two whose SKU or slug was taken, plus the admin's two.
    assert.equal(await productTotal(svc.url), expected.products.length);
    const categories = (await call(svc.url, 'GET', `${P}/categories`)).json.items as {
      id: string;
      slug: string;
      name: string;
      parentId: string | null;
    }[];
    assert.equal(categories.length, expected.categories.length);
    const bySlug = new Map(categories.map((c) => [c.slug, c]));
    assert.deepEqual([bySlug.get('kitchen')?.id, bySlug.get('kitchen')?.name], [kitchenId, 'Our Kitchen']);
    assert.equal(bySlug.get('cookware')?.id, cookwareId);
    // Seed subcategories hang under the admin's department.
    assert.equal(bySlug.get('kitchen-tools')?.parentId, kitchenId);
    // Seed products of an existing category land in it.
    const seededCookware = expected.products.find(
      (p) => p.categorySlug === 'cookware' && p !== taken.bySku && p !== taken.bySlug,
    )!;
    const product = await call(svc.url, 'GET', `${P}/products/${seededCookware.slug}`);
    assert.equal(product.status, 200, product.text);
    assert.equal(product.json.categoryId, cookwareId);
    // The admin's products kept their values; the seed's clashing ones were skipped.
    assert.equal((await call(svc.url, 'GET', `${P}/products/our-own-skillet`)).json.sku, taken.bySku.sku);
    assert.equal((await call(svc.url, 'GET', `${P}/products/${taken.bySlug.slug}`)).json.name, 'Our Own Pan');
    assert.equal((await call(svc.url, 'GET', `${P}/products/${taken.bySku.slug}`)).status, 404);
  } finally {
    await svc.stop();
  }
});
