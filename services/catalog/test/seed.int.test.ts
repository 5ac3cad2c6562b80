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
