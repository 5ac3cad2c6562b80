// Reading the upstreams' answers into the home page's shapes: what is taken,
// what is tolerated, and what fails the part instead of the page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceClient, ServiceRequest } from '@souk/chassis';
import {
  createHomeSources,
  MAX_CART_PRODUCT_IDS,
  toCartSummary,
  toProducts,
  toRecommended,
  UnexpectedAnswer,
} from './home-sources.ts';

test('catalog products become cards; entries without id, name or price are skipped', () => {
  const products = toProducts({
    items: [
      {
        id: 'p-1',
        slug: 'mint-tea',
        name: 'Mint tea',
        priceCents: 450,
        currency: 'EUR',
        imageUrl: '/img/tea.jpg',
        tags: ['tea'],
      },
      { id: 'p-2', name: 'No price' },
      'junk',
    ],
  });
  assert.deepEqual(products, [
    { id: 'p-1', slug: 'mint-tea', name: 'Mint tea', priceCents: 450, currency: 'EUR', imageUrl: '/img/tea.jpg' },
  ]);
  assert.throws(() => toProducts({ products: [] }), UnexpectedAnswer);
});

test("a cart becomes its summary with the products' ids", () => {
  const summary = toCartSummary({
    items: [
      { productId: 'a', quantity: 2 },
      { productId: 'b', quantity: 1 },
    ],
    itemCount: 3,
    totalCents: 1250,
    currency: 'EUR',
    stale: true,
    expiresAt: null,
  });
  assert.deepEqual(summary, { itemCount: 3, totalCents: 1250, currency: 'EUR', stale: true, productIds: ['a', 'b'] });
  assert.deepEqual(toCartSummary({ items: [] }), { itemCount: 0, totalCents: 0, currency: 'EUR', stale: false, productIds: [] });
  assert.throws(() => toCartSummary('nope'), UnexpectedAnswer);
});

test('recommendations: flat or nested product data, counts under any of their names; entries without an id skipped', () => {
  const items = toRecommended(
    {
      items: [
        { productId: 'a', count: 4 },
        { productId: 'b', name: 'Teapot', priceCents: 2500, currency: 'EUR', imageUrl: '/img/pot.jpg', units: 9 },
        { product: { id: 'c', name: 'Cup', priceCents: 300, currency: 'EUR' }, score: 2 },
        { name: 'no id' },
      ],
    },
    'bestsellers',
  );
  assert.deepEqual(items, [
    { productId: 'a', name: null, priceCents: null, currency: null, imageUrl: null, count: 4 },
    { productId: 'b', name: 'Teapot', priceCents: 2500, currency: 'EUR', imageUrl: '/img/pot.jpg', count: 9 },
    { productId: 'c', name: 'Cup', priceCents: 300, currency: 'EUR', imageUrl: null, count: 2 },
  ]);
  assert.throws(() => toRecommended([], 'bestsellers'), UnexpectedAnswer);
});

test("the calls: paths, queries, the caller's token for cart, budgets and cancellation passed on", async () => {
  const seen: { service: string; req: ServiceRequest<unknown> }[] = [];
  const answers: Record<string, unknown> = {
    catalog: { items: [] },
    cart: { items: [] },
    recommendations: { items: [] },
  };
  const client = (service: string): ServiceClient => ({
    async request<T>(req: ServiceRequest<T>) {
      seen.push({ service, req: req });
      return { status: 200, headers: {}, body: answers[service] as T };
    },
  });
  const sources = createHomeSources({
    client,
    timeouts: { featuredMs: 1000, cartMs: 1500, recommendationsMs: 300 },
    featuredCount: 8,
    recommendationsLimit: 6,
  });
  const signal = new AbortController().signal;
  const ids = Array.from({ length: MAX_CART_PRODUCT_IDS + 5 }, (_, i) => `id-${i}`);
  await sources.featured(signal);
  await sources.cart('Bearer t', signal);
  await sources.recommendationsFor(ids, signal);
  await sources.bestsellers(signal);
  const [featured, cart, together, best] = seen;
  assert.deepEqual(
    [featured!.service, featured!.req.path, featured!.req.query],
    ['catalog', '/api/v1/catalog/products', { sort: 'newest', pageSize: 8 }],
  );
  assert.equal(featured!.req.timeoutMs, 1000);
  assert.deepEqual([cart!.service, cart!.req.path, cart!.req.headers], ['cart', '/api/v1/cart', { authorization: 'Bearer t' }]);
  assert.equal(cart!.req.timeoutMs, 1500);
  assert.equal(together!.req.path, '/api/v1/recommendations');
  assert.equal(together!.req.query?.productIds, ids.slice(0, MAX_CART_PRODUCT_IDS).join(','));
  assert.equal(together!.req.query?.limit, 6);
  assert.equal(together!.req.timeoutMs, 300);
  assert.deepEqual([best!.req.path, best!.req.query], ['/api/v1/recommendations/bestsellers', { limit: 6 }]);
  for (const s of seen) assert.equal(s.req.signal, signal);
});
