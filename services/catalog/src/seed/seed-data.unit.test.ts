// The seed catalogue is big enough, consistent and valid against the API contract.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from 'typebox/value';
import { CreateProductBody, SKU_PATTERN, SLUG_PATTERN, TAG_PATTERN } from '../../contract.ts';
import { buildSeed } from './build-seed.ts';
import { seedCategories } from './categories.ts';
import { uuidV5 } from './stable-id.ts';

const seed = buildSeed();
const { products, categories } = seed;

function assertUnique(values: string[], what: string) {
  const seen = new Set<string>();
  const dupes = values.filter((v) => (seen.has(v) ? true : (seen.add(v), false)));
  assert.deepEqual(dupes, [], `duplicate ${what}`);
}

describe('seed catalogue', () => {
  test('has at least 150 products in 6 to 8 departments', () => {
    assert.ok(products.length >= 150, `only ${products.length} products`);
    const roots = categories.filter((c) => c.parentId === null);
    assert.ok(roots.length >= 6 && roots.length <= 8, `${roots.length} top-level categories`);
  });

  test('ids, SKUs and slugs are unique', () => {
    assertUnique(
      products.map((p) => p.id),
      'product id',
    );
    assertUnique(
      products.map((p) => p.sku),
      'sku',
    );
    assertUnique(
      products.map((p) => p.slug),
      'slug',
    );
    assertUnique(
      categories.map((c) => c.id),
      'category id',
    );
    assertUnique(
      categories.map((c) => c.slug),
      'category slug',
    );
  });

  test('every category is used and every product names a known category', () => {
    const ids = new Set(categories.map((c) => c.id));
    for (const p of products) assert.ok(ids.has(p.categoryId), `${p.sku} has unknown category ${p.categorySlug}`);
    const used = new Set(products.map((p) => p.categorySlug));
    for (const c of categories) assert.ok(used.has(c.slug), `category ${c.slug} has no product`);
  });

  test('each department has a decent range of products', () => {
    const rootOf = (slug: string): string => {
      const c = seedCategories.find((x) => x.slug === slug)!;
      return c.parent ? rootOf(c.parent) : c.slug;
    };
    const perRoot = new Map<string, number>();
    for (const p of products) perRoot.set(rootOf(p.categorySlug), (perRoot.get(rootOf(p.categorySlug)) ?? 0) + 1);
    for (const [root, n] of perRoot) assert.ok(n >= 15, `${root} has only ${n} products`);
  });

  test('parents are listed before their children', () => {
    const seen = new Set<string>();
    for (const c of seedCategories) {
      if (c.parent) assert.ok(seen.has(c.parent), `${c.slug} comes before its parent ${c.parent}`);
      seen.add(c.slug);
    }
  });

  test('prices are positive whole cents in a believable range', () => {
    for (const p of products) {
      assert.ok(Number.isInteger(p.priceCents) && p.priceCents > 0, `${p.sku} price ${p.priceCents}`);
      assert.ok(p.priceCents >= 100 && p.priceCents <= 100_000, `${p.sku} price ${p.priceCents} looks wrong`);
    }
  });

  test('every product is valid input for POST /products', () => {
    for (const p of products) {
      const body = {
        sku: p.sku,
        slug: p.slug,
        name: p.name,
        description: p.description,
        categoryId: p.categoryId,
        priceCents: p.priceCents,
        currency: p.currency,
        imageUrl: p.imageUrl,
        tags: p.tags,
        attributes: p.attributes,
      };
      assert.ok(
        Value.Check(CreateProductBody, body),
        `${p.sku}: ${JSON.stringify([...Value.Errors(CreateProductBody, body)][0])}`,
      );
    }
  });

  test('formats: SKUs, slugs, tags, image paths', () => {
    for (const p of products) {
      assert.match(p.sku, new RegExp(SKU_PATTERN));
      assert.match(p.slug, new RegExp(SLUG_PATTERN));
      assert.equal(p.imageUrl, `/images/products/${p.slug}.jpg`);
      assert.ok(p.tags.length >= 1, `${p.sku} has no tags`);
      for (const t of p.tags) assert.match(t, new RegExp(TAG_PATTERN), `${p.sku} tag "${t}"`);
    }
  });

  test('every product has a brand and a real description', () => {
    for (const p of products) {
      assert.equal(typeof p.attributes.brand, 'string', `${p.sku} has no brand`);
      assert.ok(p.description.length >= 40 && /[.!?]$/.test(p.description), `${p.sku} description "${p.description}"`);
    }
    // Variants share a description; product lines do not.
    const distinct = new Set(products.map((p) => p.description)).size;
    assert.ok(distinct >= 120, `only ${distinct} distinct descriptions`);
  });

  test('is deterministic, creation times included', () => {
    assert.deepEqual(buildSeed(), seed);
    assert.equal(new Set(products.map((p) => p.createdAt.getTime())).size, products.length);
  });
});

test('uuidV5 matches the RFC test vector', () => {
  assert.equal(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
});
