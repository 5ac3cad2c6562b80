// Write rules of products: slugs, tags, image paths, create and patch rows, price changes, PostgreSQL error mapping.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultImageUrl, newProductRow, normaliseTags, priceChange, productUpdateRow, slugify } from './product-rules.ts';

describe('slugify', () => {
  test('lower-cases, strips accents and joins words with hyphens', () => {
    assert.equal(slugify('Café Crème 250 g'), 'cafe-creme-250-g');
    assert.equal(slugify("Chef's Knife 20 cm"), 'chef-s-knife-20-cm');
    assert.equal(slugify('Salt, Smoke & Fire'), 'salt-smoke-and-fire');
    assert.equal(slugify('Down Sleeping Bag −5 °C'), 'down-sleeping-bag-5-c');
  });
  test('never starts or ends with a hyphen, even when cut at 80 characters', () => {
    const slug = slugify(`${'a'.repeat(79)} b`);
    assert.ok(slug.length <= 80);
    assert.doesNotMatch(slug, /^-|-$/);
    assert.equal(slugify('!!!'), '');
  });
});

test('tags are trimmed, lower-cased and de-duplicated in order', () => {
  assert.deepEqual(normaliseTags([' Coffee ', 'coffee', 'Pour  Over', '', 'mug']), ['coffee', 'pour over', 'mug']);
});

test('the default image lives under /images/products', () => {
  assert.equal(defaultImageUrl('stoneware-mug'), '/images/products/stoneware-mug.jpg');
});

describe('newProductRow', () => {
  const now = new Date('2025-03-01T10:00:00Z');
  const categoryId = 'A9F4C68A-F753-5249-9768-5FAE47C4BB5E';

  test('fills slug, image, currency, tags and attributes from defaults', () => {
    const row = newProductRow({ sku: 'KIT-900', name: 'Copper Saucepan', categoryId, priceCents: 8900 }, 'id-1', now);
    assert.equal(row.slug, 'copper-saucepan');
    assert.equal(row.image_url, '/images/products/copper-saucepan.jpg');
    assert.equal(row.currency, 'EUR');
    assert.deepEqual(row.tags, []);
    assert.equal(row.attributes, '{}');
    assert.equal(row.category_id, categoryId.toLowerCase());
    assert.equal(row.created_at, now);
    assert.equal(row.updated_at, now);
  });

  test('keeps given values and falls back to the SKU when the name has nothing to slug', () => {
    const row = newProductRow(
      {
        sku: 'KIT-901',
        slug: 'my-pan',
        name: 'Pan',
        categoryId,
        priceCents: 100,
        imageUrl: 'https://cdn.example/pan.png',
        tags: ['Pan'],
        attributes: { brand: 'Acme' },
      },
      'id-2',
      now,
    );
    assert.equal(row.slug, 'my-pan');
    assert.equal(row.image_url, 'https://cdn.example/pan.png');
    assert.deepEqual(row.tags, ['pan']);
    assert.equal(row.attributes, '{"brand":"Acme"}');
    assert.equal(newProductRow({ sku: 'KIT-902', name: '★★★', categoryId, priceCents: 1 }, 'id-3', now).slug, 'kit-902');
  });
});

test('a patch changes only the fields it names, and always the update time', () => {
  const now = new Date('2025-03-02T00:00:00Z');
  assert.deepEqual(productUpdateRow({ priceCents: 4590 }, now), { price_cents: 4590, updated_at: now });
  assert.deepEqual(productUpdateRow({ tags: ['A', 'a'], name: ' New ' }, now), { tags: ['a'], name: 'New', updated_at: now });
});

describe('priceChange', () => {
  const eur = (price_cents: number) => ({ price_cents, currency: 'EUR' });
  test('a new price gives old, new and currency; a reason is passed on', () => {
    assert.deepEqual(priceChange(eur(5490), eur(4990)), { oldPriceCents: 5490, newPriceCents: 4990, currency: 'EUR' });
    assert.deepEqual(priceChange(eur(5490), eur(5990), 'supplier price'), {
      oldPriceCents: 5490,
      newPriceCents: 5990,
      currency: 'EUR',
      reason: 'supplier price',
    });
  });
  test('the same price again is no change, whatever the reason', () => {
    assert.equal(priceChange(eur(5490), eur(5490)), undefined);
    assert.equal(priceChange(eur(5490), eur(5490), 'sale'), undefined);
  });
});
