// The home page's parts fetched through the chassis client (discovery,
// per-instance breakers shared with the proxy, bulkhead, retries): catalog's
// newest products, the caller's cart, recommendations and bestsellers.

import type { ServiceClient } from '@souk/chassis';
import type { CartSummary, HomeProduct, RecommendedProduct } from '../../contract.ts';
import type { HomeSources, HomeTimeouts } from './home-page.ts';

/** More ids than this make a long URL and say little more about the cart. */
export const MAX_CART_PRODUCT_IDS = 20;

export interface HomeSourcesDeps {
  client(service: string): ServiceClient;
  timeouts: HomeTimeouts;
  featuredCount: number;
  recommendationsLimit: number;
}

/** An answer that does not have the agreed shape: the part fails (and degrades), it does not break the page. */
export class UnexpectedAnswer extends Error {
  constructor(service: string, what: string) {
    super(`${service} answered without ${what}`);
    this.name = 'UnexpectedAnswer';
  }
}

export function createHomeSources(deps: HomeSourcesDeps): HomeSources {
  const { timeouts } = deps;
  return {
    async featured(signal) {
      const res = await deps.client('catalog').request<unknown>({
        method: 'GET',
        path: '/api/v1/catalog/products',
        query: { sort: 'newest', pageSize: deps.featuredCount },
        timeoutMs: timeouts.featuredMs,
        signal,
      });
      return toProducts(res.body);
    },

    async cart(authorization, signal) {
      // The caller's own token: cart serves the cart of the token's subject.
      const res = await deps.client('cart').request<unknown>({
        method: 'GET',
        path: '/api/v1/cart',
        headers: { authorization },
        timeoutMs: timeouts.cartMs,
        signal,
      });
      return toCartSummary(res.body);
    },

    async recommendationsFor(productIds, signal) {
      const res = await deps.client('recommendations').request<unknown>({
        method: 'GET',
        path: '/api/v1/recommendations',
        query: { productIds: productIds.slice(0, MAX_CART_PRODUCT_IDS).join(','), limit: deps.recommendationsLimit },
        timeoutMs: timeouts.recommendationsMs,
        signal,
      });
      return toRecommended(res.body, 'recommendations');
    },

    async bestsellers(signal) {
      const res = await deps.client('recommendations').request<unknown>({
        method: 'GET',
        path: '/api/v1/recommendations/bestsellers',
        query: { limit: deps.recommendationsLimit },
        timeoutMs: timeouts.recommendationsMs,
        signal,
      });
      return toRecommended(res.body, 'bestsellers');
    },
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number | null => (Number.isInteger(v) ? (v as number) : null);

/** catalog's ProductPage → the page's product cards. */
export function toProducts(body: unknown): HomeProduct[] {
  if (!isObject(body) || !Array.isArray(body.items)) throw new UnexpectedAnswer('catalog', 'a list of products');
  return body.items.filter(isObject).flatMap((p) => {
    const id = str(p.id);
    const name = str(p.name);
    const priceCents = int(p.priceCents);
    if (!id || !name || priceCents === null) return [];
    return [
      { id, slug: str(p.slug) ?? id, name, priceCents, currency: str(p.currency) ?? 'EUR', imageUrl: str(p.imageUrl) ?? '' },
    ];
  });
}

/** cart's Cart → the summary the page shows (counts, total, and the products for recommendations). */
export function toCartSummary(body: unknown): CartSummary {
  if (!isObject(body) || !Array.isArray(body.items)) throw new UnexpectedAnswer('cart', 'a cart');
  const lines = body.items.filter(isObject);
  const productIds = lines.map((l) => str(l.productId)).filter((id): id is string => id !== null);
  const itemCount = int(body.itemCount) ?? lines.reduce((n, l) => n + (int(l.quantity) ?? 0), 0);
  return {
    itemCount,
    totalCents: int(body.totalCents) ?? 0,
    currency: str(body.currency) ?? 'EUR',
    stale: body.stale === true,
    productIds,
  };
}

/**
 * recommendations' answers → the page's items. Names and prices are passed on
 * when the answer has them (flat, or under `product`), null otherwise.
 */
export function toRecommended(body: unknown, what: string): RecommendedProduct[] {
  const items = isObject(body) ? body.items : undefined;
  if (!Array.isArray(items)) throw new UnexpectedAnswer('recommendations', `a list of ${what}`);
  return items.filter(isObject).flatMap((item) => {
    const product = isObject(item.product) ? item.product : {};
    const productId = str(item.productId) ?? str(product.id);
    if (!productId) return [];
    return [
      {
        productId,
        name: str(item.name) ?? str(product.name),
        priceCents: int(item.priceCents) ?? int(product.priceCents),
        currency: str(item.currency) ?? str(product.currency),
        imageUrl: str(item.imageUrl) ?? str(product.imageUrl),
        count: int(item.count) ?? int(item.units) ?? int(item.score),
      },
    ];
  });
}
