// Public reads against the seeded catalogue: paging, filters, sorting,
// full-text search, lookups, categories, and bad query values.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSeed } from '../src/seed/build-seed.ts';
import { assertProblem, call, startCatalog, type Harness } from './harness.ts';

const seed = buildSeed();
const P = '/api/v1/catalog';
let h: Harness;
const get = (path: string) => call(h.svc.url, 'GET', path);

before(async () => {
  h = await startCatalog('catalog_read');
});
after(async () => {
  await h.close();
});

/** Seed products in the category with this slug or below it. */
function seedCountInTree(slug: string): number {
  const ids = new Set<string>();
  const visit = (id: string) => {
    ids.add(id);
    for (const c of seed.categories) if (c.parentId === id) visit(c.id);
  };
  visit(seed.categories.find((c) => c.slug === slug)!.id);
  return seed.products.filter((p) => ids.has(p.categoryId)).length;
}

describe('paging', () => {
  test('totals and page counts', async () => {
    const res = await get(`${P}/products`);
    assert.equal(res.status, 200);
    assert.equal(res.json.total, seed.products.length);
    assert.equal(res.json.page, 1);
    assert.equal(res.json.pageSize, 20);
    assert.equal(res.json.totalPages, Math.ceil(seed.products.length / 20));
    assert.equal(res.json.items.length, 20);
  });

  test('the last page is partial and a page past the end is empty', async () => {
    const pageSize = 50;
    const last = Math.ceil(seed.products.length / pageSize);
    const lastPage = await get(`${P}/products?pageSize=${pageSize}&page=${last}`);
    assert.equal(lastPage.json.items.length, seed.products.length - (last - 1) * pageSize);
    const beyond = await get(`${P}/products?pageSize=${pageSize}&page=${last + 1}`);
    assert.equal(beyond.status, 200);
    assert.deepEqual(beyond.json.items, []);
    assert.equal(beyond.json.total, seed.products.length);
  });

  test('walking every page visits each product exactly once', async () => {
    const seen: string[] = [];
    for (let page = 1; ; page++) {
      const res = await get(`${P}/products?sort=price&pageSize=37&page=${page}`);
      if (res.json.items.length === 0) break;
      seen.push(...res.json.items.map((p: { id: string }) => p.id));
      // Pages that never run out (the page ignored) would loop for ever instead of failing.
      assert.ok(seen.length <= seed.products.length, `page ${page} goes past the ${seed.products.length} products`);
    }
    assert.equal(seen.length, seed.products.length);
    assert.equal(new Set(seen).size, seed.products.length);
  });
});

describe('filters', () => {
  test('a category includes its subcategories', async () => {
    const res = await get(`${P}/products?category=coffee-tea&pageSize=100`);
    assert.equal(res.json.total, seedCountInTree('coffee-tea'));
    const slugs = new Set(res.json.items.map((p: { category: { slug: string } }) => p.category.slug));
    assert.deepEqual([...slugs].sort(), ['brewing', 'coffee', 'coffee-tea', 'tea']);
  });

  test('a leaf category holds only its own products', async () => {
    const res = await get(`${P}/products?category=tea&pageSize=100`);
    assert.equal(res.json.total, seedCountInTree('tea'));
    assert.ok(res.json.items.every((p: { category: { slug: string } }) => p.category.slug === 'tea'));
  });

  test('an unknown category matches nothing', async () => {
    const res = await get(`${P}/products?category=spaceships`);
    assert.equal(res.status, 200);
    assert.equal(res.json.total, 0);
    assert.equal(res.json.totalPages, 0);
  });

  test("ids picks those products in one call (a cart's prices); unknown ids are left out, malformed ones are a 400", async () => {
    const some = (await get(`${P}/products?pageSize=3`)).json.items as Array<{ id: string }>;
    const unknown = '00000000-0000-4000-8000-000000000000';
    const ids = [some[0]!.id, some[2]!.id.toUpperCase(), unknown, some[0]!.id];
    const res = await get(`${P}/products?ids=${ids.join(',')}&pageSize=10`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.items.map((p: { id: string }) => p.id).sort(), [some[0]!.id, some[2]!.id].sort());
    assert.equal((await get(`${P}/products?ids=not-a-uuid`)).status, 400);
    assert.equal((await get(`${P}/products?ids=${some[0]!.id},`)).status, 400);
  });

  test('price bounds are inclusive and combine with the category', async () => {
    const res = await get(`${P}/products?category=audio&minPrice=5000&maxPrice=20000&pageSize=100`);
    const expected = seed.products
      .filter((p) => p.priceCents >= 5000 && p.priceCents <= 20000)
      .filter((p) => ['audio', 'headphones', 'speakers'].includes(p.categorySlug)).length;
    assert.equal(res.json.total, expected);
    for (const p of res.json.items) assert.ok(p.priceCents >= 5000 && p.priceCents <= 20000);
    const exact = await get(`${P}/products?minPrice=4990&maxPrice=4990`);
    assert.ok(exact.json.items.length > 0 && exact.json.items.every((p: { priceCents: number }) => p.priceCents === 4990));
  });
});

describe('sorting', () => {
  const order = async (sort: string) => (await get(`${P}/products?sort=${encodeURIComponent(sort)}&pageSize=100`)).json.items;

  test('by price, both ways', async () => {
    const up = (await order('price')).map((p: { priceCents: number }) => p.priceCents);
    assert.deepEqual(
      up,
      [...up].sort((a, b) => a - b),
    );
    const down = (await order('-price')).map((p: { priceCents: number }) => p.priceCents);
    assert.deepEqual(
      down,
      [...down].sort((a, b) => b - a),
    );
    assert.equal(down[0], Math.max(...seed.products.map((p) => p.priceCents)));
  });

  test('by name, both ways, and name is the default', async () => {
    const all = async (sort: string) => {
      const pages = await Promise.all([1, 2].map((page) => get(`${P}/products?sort=${sort}&pageSize=100&page=${page}`)));
      return pages.flatMap((r) => r.json.items.map((p: { name: string }) => p.name));
    };
    const names = await all('name');
    assert.equal(names.length, seed.products.length);
    // Case is ignored; how punctuation sorts depends on the database collation, so compare first letters only.
    const initials = names.map((n) => n[0]!.toLowerCase());
    assert.deepEqual(initials, [...initials].sort());
    assert.ok(names.indexOf('LED Desk Lamp with Wireless Charger, Black') > names.indexOf('Larch Raised Bed 120 × 80 cm'));
    assert.deepEqual(await all('-name'), [...names].reverse());
    const unsorted = (await get(`${P}/products?pageSize=100`)).json.items.map((p: { name: string }) => p.name);
    assert.deepEqual(unsorted, names.slice(0, 100));
  });

  test('newest first', async () => {
    const times = (await order('newest')).map((p: { createdAt: string }) => Date.parse(p.createdAt));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
  });
});

describe('full-text search', () => {
  const search = async (q: string, extra = '') => (await get(`${P}/products?q=${encodeURIComponent(q)}${extra}`)).json;

  test('a product named by the query ranks first', async () => {
    assert.match((await search('gooseneck kettle')).items[0].name, /^Gooseneck Kettle/);
    assert.match((await search('french press')).items[0].name, /^French Press/);
    assert.match((await search('chess')).items[0].name, /Chess Set/);
  });

  test('a name match outranks a description mention', async () => {
    // "coffee" is in many names, tags and descriptions; the first hits must carry it in the name.
    const res = await search('coffee');
    assert.ok(res.total > 10);
    assert.match(res.items[0].name, /coffee/i);
  });

  test('stems words and finds tags and brands', async () => {
    assert.ok((await search('grinders')).items.some((p: { name: string }) => p.name === 'Hand Burr Grinder'));
    const brand = await search('Hillside Roasters', '&pageSize=100');
    assert.equal(brand.total, seed.products.filter((p) => p.attributes.brand === 'Hillside Roasters').length);
    assert.ok(brand.items.every((p: { attributes: { brand: string } }) => p.attributes.brand === 'Hillside Roasters'));
    assert.ok((await search('montessori')).items.some((p: { name: string }) => p.name === 'Wooden Rainbow Stacker'));
  });

  test('web search syntax: phrases and exclusions', async () => {
    const phrase = await search('"pour over" -paper');
    assert.equal(
      phrase.items.some((p: { name: string }) => /Paper Filters/.test(p.name)),
      false,
    );
    assert.ok(phrase.total >= 1);
  });

  test('search combines with the category filter and other sorts', async () => {
    const res = await search('wool', '&category=apparel&sort=price&pageSize=100');
    assert.ok(res.total >= 2);
    const prices = res.items.map((p: { priceCents: number }) => p.priceCents);
    assert.deepEqual(
      prices,
      [...prices].sort((a, b) => a - b),
    );
  });

  test('no match and stop-word-only queries give an empty page, not an error', async () => {
    for (const q of ['zzyzx', 'the', '&&&', '(((', '"']) {
      const res = await get(`${P}/products?q=${encodeURIComponent(q)}`);
      assert.equal(res.status, 200, `${q}: ${res.text}`);
      assert.equal(res.json.total, 0, q);
    }
  });
});

describe('lookups', () => {
  const product = seed.products[0]!;

  test('by id and by slug', async () => {
    const byId = await get(`${P}/products/${product.id}`);
    assert.equal(byId.status, 200);
    assert.equal(byId.json.sku, product.sku);
    assert.equal(byId.json.priceCents, product.priceCents);
    assert.equal(byId.json.currency, 'EUR');
    assert.equal(byId.json.imageUrl, `/images/products/${product.slug}.jpg`);
    assert.deepEqual(byId.json.tags, product.tags);
    assert.equal(byId.json.attributes.brand, product.attributes.brand);
    assert.equal(byId.json.category.slug, product.categorySlug);
    const bySlug = await get(`${P}/products/${product.slug}`);
    assert.deepEqual(bySlug.json, byId.json);
  });

  test('unknown products are a 404 problem', async () => {
    assertProblem(await get(`${P}/products/00000000-0000-4000-8000-000000000000`), 404, 'SOUK_CATALOG_PRODUCT_NOT_FOUND');
    assertProblem(await get(`${P}/products/no-such-thing`), 404, 'SOUK_CATALOG_PRODUCT_NOT_FOUND');
    assertProblem(await get(`${P}/products/${encodeURIComponent('Not A Slug!')}`), 404, 'SOUK_CATALOG_PRODUCT_NOT_FOUND');
  });

  test('categories with rolled-up counts, parents first', async () => {
    const res = await get(`${P}/categories`);
    assert.equal(res.status, 200);
    const items = res.json.items as Array<{ id: string; slug: string; parentId: string | null; productCount: number }>;
    assert.equal(items.length, seed.categories.length);
    for (const c of items) assert.equal(c.productCount, seedCountInTree(c.slug), c.slug);
    const index = new Map(items.map((c, i) => [c.id, i]));
    for (const c of items)
      if (c.parentId) assert.ok(index.get(c.parentId)! < index.get(c.id)!, `${c.slug} listed before its parent`);
    const tea = await get(`${P}/categories/tea`);
    assert.equal(tea.json.name, 'Tea');
    assertProblem(await get(`${P}/categories/nope`), 404, 'SOUK_CATALOG_CATEGORY_NOT_FOUND');
  });
});

test('openapi.json describes the catalog API from contract.ts', async () => {
  const doc = (await get('/openapi.json')).json;
  for (const path of [
    '/api/v1/catalog/products',
    '/api/v1/catalog/products/{id}',
    '/api/v1/catalog/categories',
    '/api/v1/catalog/categories/{id}',
  ]) {
    assert.ok(doc.paths[path], path);
  }
  const params = doc.paths['/api/v1/catalog/products'].get.parameters.map((p: { name: string }) => p.name);
  assert.deepEqual(params.sort(), ['category', 'ids', 'maxPrice', 'minPrice', 'page', 'pageSize', 'q', 'sort']);
});

describe('bad query values are 400 problems', () => {
  const bad = [
    'sort=cheapest',
    'sort=',
    'page=0',
    'page=-1',
    'page=abc',
    'page=2abc',
    'pageSize=0',
    'pageSize=101',
    'minPrice=abc',
    'minPrice=-5',
    'maxPrice=1e99',
    'category=Not%20A%20Slug',
    `q=${'a'.repeat(201)}`,
    'page=1&page=2',
  ];
  for (const query of bad) {
    test(query.slice(0, 40), async () => {
      assertProblem(await get(`${P}/products?${query}`), 400, 'SOUK_REQUEST_INVALID');
    });
  }

  // A shopper who types euros into a cents field must hear about it, not get
  // a silently truncated filter (the chassis converts query text strictly).
  for (const query of ['page=1.5', 'minPrice=12.99', 'pageSize=0x10']) {
    test(`fractional or non-decimal ${query}`, async () => {
      assertProblem(await get(`${P}/products?${query}`), 400, 'SOUK_REQUEST_INVALID');
    });
  }

  test('an empty price range says so', async () => {
    const res = await get(`${P}/products?minPrice=5000&maxPrice=1000`);
    assertProblem(res, 400, 'SOUK_CATALOG_PRICE_RANGE_INVALID');
  });

  test('unknown parameters (tracking tags) are ignored', async () => {
    assert.equal((await get(`${P}/products?utm_source=newsletter`)).status, 200);
  });
});

describe('HTTP caching', () => {
  test('pages and products say how long a cache may keep them, with an ETag; If-None-Match gets a 304 without the body', async () => {
    const page = await fetch(`${h.svc.url}${P}/products?pageSize=2`);
    await page.arrayBuffer();
    assert.equal(page.headers.get('cache-control'), 'public, max-age=60');
    const tag = page.headers.get('etag')!;
    assert.match(tag, /^"[\w-]{27}"$/);
    const again = await fetch(`${h.svc.url}${P}/products?pageSize=2`, { headers: { 'if-none-match': tag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
    assert.equal(again.headers.get('etag'), tag);
    // Another page is another representation.
    const other = await fetch(`${h.svc.url}${P}/products?pageSize=3`, { headers: { 'if-none-match': tag } });
    assert.equal(other.status, 200);
    await other.arrayBuffer();

    const one = await fetch(`${h.svc.url}${P}/products/${seed.products[0]!.id}`);
    await one.arrayBuffer();
    assert.equal(one.headers.get('cache-control'), 'public, max-age=5');
    // A problem is not cached.
    const missing = await fetch(`${h.svc.url}${P}/products/no-such-product`);
    await missing.arrayBuffer();
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('etag'), null);
  });
});
