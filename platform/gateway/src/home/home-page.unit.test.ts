// The home page composition with injected sources: which part is asked for
// what, and how each failure degrades only its own section.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chassisErrors } from '@souk/chassis';
import type { CartSummary, HomeProduct, RecommendedProduct } from '../../contract.ts';
import { BestsellersCache } from './bestsellers-cache.ts';
import { CANCEL_GRACE_MS } from './deadline.ts';
import { createHomePage, type HomeSources } from './home-page.ts';

const product = (n: number): HomeProduct => ({
  id: `p-${n}`,
  slug: `product-${n}`,
  name: `Product ${n}`,
  priceCents: 100 * n,
  currency: 'EUR',
  imageUrl: `/img/${n}.jpg`,
});
const rec = (id: string, count: number): RecommendedProduct => ({
  productId: id,
  name: null,
  priceCents: null,
  currency: null,
  imageUrl: null,
  count,
});
const cartWith = (...productIds: string[]): CartSummary => ({
  itemCount: productIds.length,
  totalCents: 500,
  currency: 'EUR',
  stale: false,
  productIds,
});

const FEATURED = [1, 2, 3, 4].map(product);
const BESTSELLERS = [rec('b-1', 9), rec('b-2', 5)];
const TOGETHER = [rec('t-1', 3)];
const USER = { authorization: 'Bearer user-token' };
const down = () => Promise.reject(chassisErrors.circuitOpen('every instance is failing'));
const never = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(chassisErrors.cancelled('gave up'))));

interface Calls {
  featured: number;
  cart: string[];
  together: string[][];
  bestsellers: number;
}

function sources(overrides: Partial<HomeSources> = {}): { sources: HomeSources; calls: Calls } {
  const calls: Calls = { featured: 0, cart: [], together: [], bestsellers: 0 };
  return {
    calls,
    sources: {
      featured: async (signal) => (calls.featured++, overrides.featured ? overrides.featured(signal) : FEATURED),
      cart: async (authorization, signal) => (
        calls.cart.push(authorization),
        overrides.cart ? overrides.cart(authorization, signal) : cartWith()
      ),
      recommendationsFor: async (ids, signal) => (
        calls.together.push([...ids]),
        overrides.recommendationsFor ? overrides.recommendationsFor(ids, signal) : TOGETHER
      ),
      bestsellers: async (signal) => (calls.bestsellers++, overrides.bestsellers ? overrides.bestsellers(signal) : BESTSELLERS),
    },
  };
}

let now = Date.parse('2025-05-01T12:00:00.000Z');
const clock = { now: () => now };
const timeouts = { featuredMs: 500, cartMs: 500, recommendationsMs: 40 };

function home(s: HomeSources, extra: { cache?: BestsellersCache } = {}) {
  return createHomePage({ sources: s, timeouts, clock, fallbackLimit: 3, ...extra });
}

test('anonymous: newest products and bestsellers, no cart asked for, nothing degraded', async () => {
  const { sources: s, calls } = sources();
  const { page } = await home(s).build({});
  assert.deepEqual(page.featured, { items: FEATURED });
  assert.equal(page.cart, null);
  assert.deepEqual(page.recommendations, { source: 'bestsellers', degraded: false, items: BESTSELLERS });
  assert.deepEqual(page.degraded, []);
  assert.deepEqual(calls.cart, []);
  assert.deepEqual(calls.together, []);
});

test('a user with a cart: its summary, and products bought together with what is in it', async () => {
  const { sources: s, calls } = sources({ cart: async () => cartWith('p-1', 'p-2') });
  const { page } = await home(s).build(USER);
  assert.deepEqual(page.cart, cartWith('p-1', 'p-2'));
  assert.deepEqual(calls.cart, ['Bearer user-token']);
  assert.deepEqual(calls.together, [['p-1', 'p-2']]);
  assert.equal(calls.bestsellers, 0);
  assert.deepEqual(page.recommendations, { source: 'recommendations', degraded: false, items: TOGETHER });
  assert.deepEqual(page.degraded, []);
});

test('an empty cart gets bestsellers; so does a cart whose products nobody bought together yet', async () => {
  const empty = sources();
  assert.equal((await home(empty.sources).build(USER)).page.recommendations?.source, 'bestsellers');
  assert.deepEqual(empty.calls.together, []);

  const lonely = sources({ cart: async () => cartWith('p-9'), recommendationsFor: async () => [] });
  const { page } = await home(lonely.sources).build(USER);
  assert.equal(page.recommendations?.source, 'bestsellers');
  assert.equal(page.recommendations?.degraded, false);
  assert.match(page.recommendations?.reason ?? '', /bought together/);
  assert.deepEqual(page.degraded, []);
});

test('recommendations down: the last good bestsellers, marked degraded and dated', async () => {
  const healthy = sources();
  const failing = sources({ bestsellers: down, recommendationsFor: down });
  const cache = new BestsellersCache();
  now = Date.parse('2025-05-01T12:00:00.000Z');
  await home(healthy.sources, { cache }).build({});
  now += 60_000;
  const { page, failures } = await home(failing.sources, { cache }).build({});
  assert.equal(page.recommendations?.source, 'bestsellers-cache');
  assert.equal(page.recommendations?.degraded, true);
  assert.equal(page.recommendations?.asOf, '2025-05-01T12:00:00.000Z');
  assert.deepEqual(page.recommendations?.items, BESTSELLERS);
  assert.match(page.recommendations?.reason ?? '', /SOUK_CLIENT_CIRCUIT_OPEN/);
  assert.deepEqual(page.degraded, ['recommendations']);
  assert.ok(failures.recommendations);
  // The rest of the page is whole.
  assert.deepEqual(page.featured, { items: FEATURED });
});

test('recommendations down and nothing kept: catalogue products stand in, as many as the limit', async () => {
  const { sources: s } = sources({ bestsellers: down });
  const { page } = await home(s).build({});
  assert.equal(page.recommendations?.source, 'catalog');
  assert.equal(page.recommendations?.degraded, true);
  assert.deepEqual(
    page.recommendations?.items.map((i) => i.productId),
    ['p-1', 'p-2', 'p-3'],
  );
  assert.deepEqual(page.recommendations?.items[0], {
    productId: 'p-1',
    name: 'Product 1',
    priceCents: 100,
    currency: 'EUR',
    imageUrl: '/img/1.jpg',
    count: null,
  });
  assert.deepEqual(page.degraded, ['recommendations']);
});

test('recommendations too slow: the fallback comes at the deadline, and the call is cancelled soon after', async () => {
  let signal: AbortSignal | undefined;
  const { sources: s } = sources({ bestsellers: (sig) => ((signal = sig), never(sig)) });
  const started = performance.now();
  const { page } = await home(s).build({});
  const took = performance.now() - started;
  assert.equal(page.recommendations?.source, 'catalog');
  assert.match(page.recommendations?.reason ?? '', /did not answer within 40 ms/);
  // Not before the budget; well before anything a user would notice (a loaded machine runs timers late).
  assert.ok(took >= timeouts.recommendationsMs - 1 && took < 1_000, `took ${took} ms`);
  assert.equal(signal?.aborted, false, 'cancelled before the grace: the breaker would not count the slow attempt');
  await new Promise<void>((resolve) => signal!.addEventListener('abort', () => resolve()));
  assert.ok(performance.now() - started >= timeouts.recommendationsMs + CANCEL_GRACE_MS - 1);
});

test('catalog down: no featured section, recommendations unaffected; with recommendations down too, that section is null', async () => {
  const { sources: s } = sources({ featured: down });
  const { page } = await home(s).build({});
  assert.equal(page.featured, null);
  assert.equal(page.recommendations?.source, 'bestsellers');
  assert.deepEqual(page.degraded, ['featured']);

  const both = sources({ featured: down, bestsellers: down });
  const worst = await home(both.sources).build({});
  assert.equal(worst.page.featured, null);
  assert.equal(worst.page.recommendations, null);
  assert.deepEqual(worst.page.degraded, ['featured', 'recommendations']);
});

test('cart down: no cart section, bestsellers instead of picks for it, the page still served', async () => {
  const { sources: s, calls } = sources({ cart: down });
  const { page, failures } = await home(s).build(USER);
  assert.equal(page.cart, null);
  assert.deepEqual(page.degraded, ['cart']);
  assert.match(failures.cart ?? '', /cart failed \(SOUK_CLIENT_CIRCUIT_OPEN\)/);
  assert.equal(page.recommendations?.source, 'bestsellers');
  assert.equal(page.recommendations?.degraded, false);
  assert.match(page.recommendations?.reason ?? '', /cart could not be read/);
  assert.equal(calls.bestsellers, 1);
});

test('a token that could not be checked: the cart is left out and said so', async () => {
  const { sources: s, calls } = sources();
  const { page } = await home(s).build({ unverified: true });
  assert.equal(page.cart, null);
  assert.deepEqual(page.degraded, ['cart']);
  assert.deepEqual(calls.cart, []);
});

test('a shop without sales: no bestsellers yet, catalogue products fill the section without claiming a failure', async () => {
  const cache = new BestsellersCache();
  const { sources: s } = sources({ bestsellers: async () => [] });
  const { page } = await home(s, { cache }).build({});
  assert.equal(page.recommendations?.source, 'catalog');
  assert.equal(page.recommendations?.degraded, false);
  assert.deepEqual(page.degraded, []);
  assert.equal(cache.last(), undefined, 'an empty answer must not replace a useful one');
});
