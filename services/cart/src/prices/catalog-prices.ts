// Product names and prices from catalog, with the cached price as the
// fallback. Each lookup has one time budget (CART_CATALOG_TIMEOUT_MS) for all
// its calls and their retries; the chassis client adds the breaker, so with
// catalog down the calls fail fast and the cart still reads, marked stale.
// What catalog answered is also remembered in this process for
// CART_PRODUCT_FRESH_MS: writes check and price their products from there
// (no call per write); a read of the cart always asks catalog.

import { isSoukError, type Clock, type Logger, type ServiceClient } from '@souk/chassis';
import { Type, type Static } from 'typebox';
import { errors } from '../errors.ts';
import type { PriceInfo } from '../cart/cart-rules.ts';
import { mapBounded } from './bounded.ts';
import type { CachedProduct, PriceCache } from './price-cache.ts';

/** Catalog calls of one cart read in flight at once. */
/**
 * cart's side of its contract with catalog's v1: what it reads of each product it asks for by id. catalog's
 * contract test checks real answers against it (services/catalog/test/api-versions.int.test.ts), so v1 cannot
 * drop one of these while cart reads it.
 */
export const CART_READS_FROM_CATALOG = Type.Object({
  id: Type.String({ minLength: 1 }),
  name: Type.String({ minLength: 1 }),
  priceCents: Type.Integer({ minimum: 1 }),
  currency: Type.String({ minLength: 3, maxLength: 3 }),
});
type CatalogProduct = Static<typeof CART_READS_FROM_CATALOG>;

export const CATALOG_CONCURRENCY = 4;
/** Products per catalog list call (catalog's largest page). */
export const CATALOG_BATCH = 100;

export interface PriceLookup {
  prices: Map<string, PriceInfo>;
  /** Products catalog says do not exist (deleted since they were added). */
  gone: string[];
}

/** Products remembered at most, in each process (the oldest go first). */
export const MEMO_SIZE = 10_000;

export interface CatalogPrices {
  /** The product for an add: remembered if catalog answered for it lately, else catalog's answer, else the cached one. */
  product(productId: string): Promise<CachedProduct>;
  /** Current prices of a cart's products (catalog asked), cached ones where catalog does not answer in time. */
  prices(productIds: readonly string[]): Promise<PriceLookup>;
  /** Prices for the answer to a write: the remembered ones, and catalog's (as `prices`) for the rest. */
  known(productIds: readonly string[]): Promise<PriceLookup>;
  /** A PriceChanged handled here: this process forgets what it remembered of the product. */
  forget(productId: string): void;
}

export interface CatalogPricesDeps {
  client: ServiceClient;
  cache: PriceCache;
  timeoutMs: number;
  /** How long an answer of catalog is taken as current for writes (0: never). */
  freshMs: number;
  clock: Clock;
  log: Logger;
}

export function createCatalogPrices(deps: CatalogPricesDeps): CatalogPrices {
  const { client, cache, timeoutMs, log } = deps;
  /** Catalog's answers of the last freshMs, by product id. */
  const memo = new Map<string, CachedProduct>();
  const remember = (products: readonly CachedProduct[]) => {
    if (deps.freshMs <= 0) return;
    for (const p of products) {
      memo.delete(p.productId);
      memo.set(p.productId, p);
    }
    for (const oldest of memo.keys()) {
      if (memo.size <= MEMO_SIZE) break;
      memo.delete(oldest);
    }
  };
  const remembered = (productId: string): CachedProduct | undefined => {
    const p = memo.get(productId);
    if (p && deps.clock.now() - p.fetchedAt.getTime() < deps.freshMs) return p;
    if (p) memo.delete(productId);
    return undefined;
  };

  /** The products among `ids` that catalog knows, by lowercase id; the others are gone. */
  async function fetchProducts(ids: readonly string[], signal: AbortSignal): Promise<Map<string, CatalogProduct>> {
    const res = await client.request<{ items: CatalogProduct[] }>({
      method: 'GET',
      path: '/api/v1/catalog/products',
      query: { ids: ids.join(','), pageSize: ids.length },
      timeoutMs,
      signal,
    });
    return new Map(res.body.items.map((p) => [p.id.toLowerCase(), p]));
  }

  // Through the list, not the product page: the page also asks inventory for stock, which a price check does not need.
  async function fetchProduct(productId: string, signal: AbortSignal): Promise<CatalogProduct | 'gone'> {
    return (await fetchProducts([productId], signal)).get(productId.toLowerCase()) ?? 'gone';
  }

  const fromCatalog = (p: CatalogProduct, at: Date): CachedProduct => ({
    productId: p.id.toLowerCase(),
    name: p.name,
    priceCents: p.priceCents,
    currency: p.currency,
    fetchedAt: at,
  });

  async function prices(productIds: readonly string[]): Promise<PriceLookup> {
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
    remember(fresh);
    for (const id of gone) memo.delete(id);
    const found = new Map<string, PriceInfo>(fresh.map((p) => [p.productId, { ...p, asOf: at, stale: false }]));
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
        found.set(a.id, { name: c.name, priceCents: c.priceCents, currency: c.currency, asOf: c.fetchedAt, stale: true });
      }
    }
    return { prices: found, gone };
  }

  return {
    async product(productId) {
      const known = remembered(productId);
      if (known) return known;
      let found: CatalogProduct | 'gone';
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
      if (found === 'gone') {
        memo.delete(productId);
        throw errors.productNotFound({ detail: `The catalog has no product ${productId}.`, extensions: { productId } });
      }
      const product = fromCatalog(found, new Date(deps.clock.now()));
      await cache.put([product]);
      remember([product]);
      return product;
    },

    prices,

    async known(productIds) {
      const result = new Map<string, PriceInfo>();
      const ask: string[] = [];
      for (const id of productIds) {
        const p = remembered(id);
        if (p) result.set(id, { name: p.name, priceCents: p.priceCents, currency: p.currency, asOf: p.fetchedAt, stale: false });
        else ask.push(id);
      }
      if (ask.length === 0) return { prices: result, gone: [] };
      const asked = await prices(ask);
      for (const [id, info] of asked.prices) result.set(id, info);
      return { prices: result, gone: asked.gone };
    },

    forget(productId) {
      memo.delete(productId.toLowerCase());
    },
  };
}
