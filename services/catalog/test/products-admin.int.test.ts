// Admin writes: who may write, creating, changing and deleting products and
// categories, and every bad input answered with a 4xx problem.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSeed, categoryIdFor } from '../src/seed/build-seed.ts';
import { assertProblem, call, startCatalog, type Harness } from './harness.ts';

const P = '/api/v1/catalog';
const seeded = buildSeed().products[0]!;
let h: Harness;

before(async () => {
  h = await startCatalog('catalog_admin');
});
after(async () => {
  await h.close();
});

const as = (token: string | undefined) => ({
  post: (path: string, body: unknown) => call(h.svc.url, 'POST', path, { body, ...(token ? { token } : {}) }),
  patch: (path: string, body: unknown) => call(h.svc.url, 'PATCH', path, { body, ...(token ? { token } : {}) }),
  delete: (path: string) => call(h.svc.url, 'DELETE', path, token ? { token } : {}),
  raw: (method: string, path: string, rawBody: string, headers: Record<string, string> = {}) =>
    call(h.svc.url, method, path, {
      rawBody,
      headers: { 'content-type': 'application/json', ...headers },
      ...(token ? { token } : {}),
    }),
});
const admin = () => as(h.adminToken);
const get = (path: string) => call(h.svc.url, 'GET', path);

function newProduct(n: string, extra: Record<string, unknown> = {}) {
  return {
    sku: `TST-${n}`,
    name: `Copper Milk Pan ${n}`,
    description: 'A small copper pan with a tin lining, for warming milk and making sauces.',
    categoryId: categoryIdFor('cookware'),
    priceCents: 5490,
    tags: ['Copper', 'saucepan'],
    attributes: { brand: 'Ferro & Fig', material: 'copper' },
    ...extra,
  };
}

describe('who may write', () => {
  const writes = [
    ['POST', `${P}/products`],
    ['PATCH', `${P}/products/${seeded.id}`],
    ['DELETE', `${P}/products/${seeded.id}`],
    ['POST', `${P}/categories`],
  ] as const;

  test('no token: 401', async () => {
    for (const [method, path] of writes) {
      const res = await call(h.svc.url, method, path, method === 'DELETE' ? {} : { body: {} });
      assertProblem(res, 401, 'SOUK_AUTH_TOKEN_MISSING');
    }
  });

  test('a customer token: 403', async () => {
    for (const [method, path] of writes) {
      const res = await call(h.svc.url, method, path, {
        token: h.customerToken,
        ...(method === 'DELETE' ? {} : { body: newProduct('X') }),
      });
      assertProblem(res, 403, 'SOUK_AUTH_FORBIDDEN');
    }
    assert.equal((await get(`${P}/products/${seeded.id}`)).status, 200, 'the customer deleted a product');
  });

  test('a forged token: 401', async () => {
    assertProblem(await as('not.a.jwt').post(`${P}/products`, newProduct('Y')), 401, 'SOUK_AUTH_TOKEN_INVALID');
  });
});

describe('products', () => {
  test('create: 201 with Location, defaults filled in, then readable and searchable', async () => {
    const res = await admin().post(`${P}/products`, newProduct('001'));
    assert.equal(res.status, 201, res.text);
    const created = res.json;
    assert.equal(res.headers.get('location'), `${P}/products/${created.id}`);
    assert.equal(created.slug, 'copper-milk-pan-001');
    assert.equal(created.imageUrl, '/images/products/copper-milk-pan-001.jpg');
    assert.equal(created.currency, 'EUR');
    assert.deepEqual(created.tags, ['copper', 'saucepan']);
    assert.equal(created.category.slug, 'cookware');
    assert.deepEqual(withoutStock((await get(res.headers.get('location')!)).json), created);
    const found = await get(`${P}/products?q=${encodeURIComponent('copper milk pan')}`);
    assert.equal(found.json.items[0].id, created.id);
    const inKitchen = await get(`${P}/products?category=kitchen&q=copper`);
    assert.ok(inKitchen.json.items.some((p: { id: string }) => p.id === created.id));
  });

  test('duplicate SKU or slug: 409 naming the field', async () => {
    const dupSku = await admin().post(`${P}/products`, newProduct('002', { sku: seeded.sku }));
    assertProblem(dupSku, 409, 'SOUK_CATALOG_PRODUCT_CONFLICT');
    assert.equal(dupSku.json.field, 'sku');
    const dupSlug = await admin().post(`${P}/products`, newProduct('003', { slug: seeded.slug }));
    assertProblem(dupSlug, 409, 'SOUK_CATALOG_PRODUCT_CONFLICT');
    assert.equal(dupSlug.json.field, 'slug');
  });

  test('unknown category: 422', async () => {
    const res = await admin().post(`${P}/products`, newProduct('004', { categoryId: '00000000-0000-4000-8000-000000000000' }));
    assertProblem(res, 422, 'SOUK_CATALOG_CATEGORY_UNKNOWN');
    assert.equal(res.json.field, 'categoryId');
  });

  test('patch: a price change, and the search follows a renamed product', async () => {
    const created = (await admin().post(`${P}/products`, newProduct('005'))).json;
    const repriced = await admin().patch(`${P}/products/${created.id}`, { priceCents: 4990 });
    assert.equal(repriced.status, 200, repriced.text);
    assert.equal(repriced.json.priceCents, 4990);
    assert.equal(repriced.json.name, created.name);
    assert.ok(Date.parse(repriced.json.updatedAt) >= Date.parse(created.updatedAt));
    assert.equal(repriced.json.createdAt, created.createdAt);

    await admin().patch(`${P}/products/${created.id}`, { name: 'Tinned Sauce Pot', categoryId: categoryIdFor('kitchen') });
    const found = await get(`${P}/products?q=${encodeURIComponent('tinned sauce pot')}`);
    assert.equal(found.json.items[0].id, created.id);
    assert.equal(found.json.items[0].category.slug, 'kitchen');
  });

  test('patch: 404 for an unknown id, 409 for a taken slug, 422 for an unknown category', async () => {
    assertProblem(
      await admin().patch(`${P}/products/00000000-0000-4000-8000-000000000000`, { priceCents: 100 }),
      404,
      'SOUK_CATALOG_PRODUCT_NOT_FOUND',
    );
    const created = (await admin().post(`${P}/products`, newProduct('006'))).json;
    assertProblem(
      await admin().patch(`${P}/products/${created.id}`, { slug: seeded.slug }),
      409,
      'SOUK_CATALOG_PRODUCT_CONFLICT',
    );
    assertProblem(
      await admin().patch(`${P}/products/${created.id}`, { categoryId: '00000000-0000-4000-8000-000000000000' }),
      422,
      'SOUK_CATALOG_CATEGORY_UNKNOWN',
    );
  });

  test('delete: 204, then gone', async () => {
    const created = (await admin().post(`${P}/products`, newProduct('007'))).json;
    const res = await admin().delete(`${P}/products/${created.id}`);
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assertProblem(await get(`${P}/products/${created.id}`), 404, 'SOUK_CATALOG_PRODUCT_NOT_FOUND');
    assertProblem(await admin().delete(`${P}/products/${created.id}`), 404, 'SOUK_CATALOG_PRODUCT_NOT_FOUND');
  });
});

describe('categories', () => {
  test('create a subcategory; its products count towards the parent', async () => {
    const before = (await get(`${P}/categories/kitchen`)).json.productCount;
    const res = await admin().post(`${P}/categories`, { slug: 'bakeware', name: 'Bakeware', parentId: categoryIdFor('kitchen') });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get('location'), `${P}/categories/${res.json.id}`);
    assert.equal(res.json.productCount, 0);
    await admin().post(`${P}/products`, newProduct('008', { categoryId: res.json.id, name: 'Fluted Tart Tin 24 cm' }));
    assert.equal((await get(`${P}/categories/kitchen`)).json.productCount, before + 1);
    assert.equal((await get(`${P}/products?category=bakeware`)).json.total, 1);
    assert.ok((await get(`${P}/products?category=kitchen&q=tart`)).json.total >= 1);
  });

  test('a blank name: 400, and nothing is created', async () => {
    assertProblem(await admin().post(`${P}/categories`, { slug: 'blank-name', name: '   ' }), 400, 'SOUK_REQUEST_INVALID');
    assert.equal((await get(`${P}/categories/blank-name`)).status, 404);
  });

  test('duplicate slug: 409; unknown parent: 422', async () => {
    const taken = await admin().post(`${P}/categories`, { slug: 'kitchen', name: 'Kitchen again' });
    assertProblem(taken, 409, 'SOUK_CATALOG_CATEGORY_CONFLICT');
    assert.equal(taken.json.field, 'slug');
    const orphan = await admin().post(`${P}/categories`, {
      slug: 'orphans',
      name: 'Orphans',
      parentId: '00000000-0000-4000-8000-000000000000',
    });
    assertProblem(orphan, 422, 'SOUK_CATALOG_CATEGORY_UNKNOWN');
    assert.equal(orphan.json.field, 'parentId');
  });
});

describe('bad bodies and paths are 400 problems, never 5xx', () => {
  test('malformed JSON', async () => {
    assertProblem(await admin().raw('POST', `${P}/products`, '{"sku": '), 400, 'SOUK_REQUEST_MALFORMED_JSON');
    assertProblem(await admin().raw('PATCH', `${P}/products/${seeded.id}`, '{'), 400, 'SOUK_REQUEST_MALFORMED_JSON');
  });

  const invalid: Array<[string, unknown]> = [
    ['price as a word', newProduct('101', { priceCents: 'cheap' })],
    ['price of zero', newProduct('102', { priceCents: 0 })],
    ['fractional price', newProduct('103', { priceCents: 12.5 })],
    ['price too large', newProduct('104', { priceCents: 1e12 })],
    ['other currency', newProduct('105', { currency: 'USD' })],
    ['lower-case sku', newProduct('106', { sku: 'tst-106' })],
    ['bad slug', newProduct('107', { slug: 'Not A Slug' })],
    ['category not a uuid', newProduct('108', { categoryId: 'kitchen' })],
    ['attributes not an object', newProduct('109', { attributes: [1, 2] })],
    ['nested attribute', newProduct('110', { attributes: { brand: { name: 'x' } } })],
    ['missing name', { sku: 'TST-111', categoryId: categoryIdFor('kitchen'), priceCents: 100 }],
    ['empty name', newProduct('112', { name: '' })],
    ['blank name', newProduct('114', { name: '   ' })],
    ['name of tabs and newlines', newProduct('116', { name: '\t\n ' })],
    ['body is an array', [newProduct('113')]],
    ['body is a string', 'hello'],
  ];
  for (const [label, body] of invalid) {
    test(`create: ${label}`, async () => {
      assertProblem(await admin().post(`${P}/products`, body), 400, 'SOUK_REQUEST_INVALID');
    });
  }

  test('patch: empty body, wrong types, non-uuid id', async () => {
    const target = (await admin().post(`${P}/products`, newProduct('115'))).json;
    const path = `${P}/products/${target.id}`;
    assertProblem(await admin().patch(path, {}), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await admin().patch(path, { priceCents: -1 }), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await admin().patch(path, { priceCents: '12' }), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await admin().patch(path, { tags: 'coffee' }), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await admin().patch(path, { name: 42 }), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await admin().patch(path, { name: '   ' }), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await admin().patch(`${P}/products/not-a-uuid`, { priceCents: 100 }), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await admin().delete(`${P}/products/not-a-uuid`), 400, 'SOUK_REQUEST_INVALID');
    assert.deepEqual(withoutStock((await get(path)).json), target, 'a refused patch changed the product');
  });

  test('unknown fields are refused rather than silently dropped', async () => {
    assertProblem(await admin().post(`${P}/products`, newProduct('120', { stock: 5 })), 400, 'SOUK_REQUEST_INVALID');
    const target = (await admin().post(`${P}/products`, newProduct('121'))).json;
    assertProblem(await admin().patch(`${P}/products/${target.id}`, { stock: 5 }), 400, 'SOUK_REQUEST_INVALID');
    assert.deepEqual(withoutStock((await get(`${P}/products/${target.id}`)).json), target);
  });

  test('a body that is not JSON', async () => {
    const res = await admin().raw('POST', `${P}/products`, 'sku=X', { 'content-type': 'text/plain' });
    assert.ok(res.status === 415 || res.status === 400, res.text);
    assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
  });
});

/** A product page with its stock figure left out, to compare with what create and update answered. */
function withoutStock(page: unknown): unknown {
  const { stock: _stock, ...product } = page as Record<string, unknown>;
  return product;
}
