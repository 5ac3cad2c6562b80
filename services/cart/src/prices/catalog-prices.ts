// Product names and prices from catalog, with the cached price as the
// fallback. Each lookup has one time budget (CART_CATALOG_TIMEOUT_MS) for all
// its calls and their retries; the chassis client adds the breaker, so with
// catalog down the calls fail fast and the cart still reads, marked stale.

import { isSoukError, type Clock, type Logger, type ServiceClient } from '@souk/chassis';
import type { Product, ProductPage } from '@souk/catalog/contract';
import { errors } from '../errors.ts';
import type { PriceInfo } from '../cart/cart-rules.ts';
import { mapBounded } from './bounded.ts';
import type { CachedProduct, PriceCache } from './price-cache.ts';

/** Catalog calls of one cart read in flight at once. */
export const CATALOG_CONCURRENCY = 4;
/** Products per catalog list call (catalog's largest page). */
export const CATALOG_BATCH = 100;

export interface PriceLookup {
  prices: Map<string, PriceInfo>;
  /** Products catalog says do not exist (deleted since they were added). */
  gone: string[];
}

export interface CatalogPrices {
  /** The product for an add: catalog's answer, or the cached one when catalog does not answer. */
  product(productId: string): Promise<CachedProduct>;
  /** Current prices of a cart's products, cached ones where catalog does not answer in time. */
  prices(productIds: readonly string[]): Promise<PriceLookup>;
}

export interface CatalogPricesDeps {
  client: ServiceClient;
  cache: PriceCache;
  timeoutMs: number;
  clock: Clock;
  log: Logger;
}

export function createCatalogPrices(deps: CatalogPricesDeps): CatalogPrices {
  const { client, cache, timeoutMs, log } = deps;

  /** The products among `ids` that catalog knows, by lowercase id; the others are gone. */
  async function fetchProducts(ids: readonly string[], signal: AbortSignal): Promise<Map<string, Product>> {
    const res = await client.request<ProductPage>({
      method: 'GET',
      path: '/api/v1/catalog/products',
      query: { ids: ids.join(','), pageSize: ids.length },
      timeoutMs,
      signal,
    });
    return new Map(res.body.items.map((p) => [p.id.toLowerCase(), p]));
  }

  // Through the list, not the product page: the page also asks inventory for stock, which a price check does not need.
  async function fetchProduct(productId: string, signal: AbortSignal): Promise<Product | 'gone'> {
    return (await fetchProducts([productId], signal)).get(productId.toLowerCase()) ?? 'gone';
  }

  const fromCatalog = (p: Product, at: Date): CachedProduct => ({
    productId: p.id.toLowerCase(),
    name: p.name,
    priceCents: p.priceCents,
    currency: p.currency,
    fetchedAt: at,
  });

  return {
    async product(productId) {
      let found: Product | 'gone';
      try {
        found = await fetchProduct(productId, AbortSignal.timeout(timeoutMs));
      } catch (err) {
        const cached = (await cache.get([productId])).get(productId);
        const code = isSoukError(err) ? err.code : undefined;
        if (cached) {
          log.warn({ productId, code }, 'catalog did not answer; adding with the cached product');
          return cached;
        }
        throw errors.catalogUnavailable({
          detail: 'The catalog did not answer in time, so the product cannot be checked; try again shortly.',
          cause: err,
        });
      }
      if (found === 'gone')
        throw errors.productNotFound({ detail: `The catalog has no product ${productId}.`, extensions: { productId } });
      const product = fromCatalog(found, new Date(deps.clock.now()));
      await cache.put([product]);
      return product;
    },

    async prices(productIds) {
      if (productIds.length === 0) return { prices: new Map(), gone: [] };
      const signal = AbortSignal.timeout(timeoutMs);
      // One list call per hundred products (catalog's ids filter) rather than one call per line.
      const batches: string[][] = [];
      for (let i = 0; i < productIds.length; i += CATALOG_BATCH) batches.push(productIds.slice(i, i + CATALOG_BATCH));
      const answers = (
        await mapBounded(batches, CATALOG_CONCURRENCY, async (ids) => {
          try {
            const found = await fetchProducts(ids, signal);
            return ids.map((id) => ({ id, found: found.get(id) ?? ('gone' as const) }));
          } catch (err) {
            return ids.map((id) => ({ id, error: err, found: undefined }));
          }
        })
      ).flat();
      const at = new Date(deps.clock.now());
      const fresh = answers.flatMap((a) => (a.found && a.found !== 'gone' ? [fromCatalog(a.found, at)] : []));
      const gone = answers.flatMap((a) => (a.found === 'gone' ? [a.id] : []));
      const failed = answers.filter((a) => 'error' in a);
      await cache.put(fresh);
      const prices = new Map<string, PriceInfo>(fresh.map((p) => [p.productId, { ...p, asOf: at, stale: false }]));
      if (failed.length > 0) {
        const cached = await cache.get(failed.map((a) => a.id));
        const first = failed[0]!.error;
        log.warn(
          { failed: failed.length, code: isSoukError(first) ? first.code : undefined },
          'catalog did not answer; cached prices shown as stale',
        );
        for (const a of failed) {
          const c = cached.get(a.id);
          // Every line got a cache row when it was added; a line without one cannot be priced at all.
          if (!c)
            throw errors.catalogUnavailable({
              detail: 'The catalog did not answer and a product in the cart has no known price.',
              cause: a.error,
            });
          prices.set(a.id, { name: c.name, priceCents: c.priceCents, currency: c.currency, asOf: c.fetchedAt, stale: true });
        }
      }
      return { prices, gone };
    },
  };
}
