// Catalog's public product list, the two ways orders reads it: page by page
// for the first backfill of the price copy, and by ids at checkout for a
// product the copy does not know (yet). No caller token: the list is public.

import type { ServiceClient } from '@souk/chassis';
import type { Product, ProductPage } from '@souk/catalog/contract';
import type { ProductState } from './price-copy.ts';

/** Catalog's largest page, and the most ids one list call takes. */
export const CATALOG_PAGE = 100;

export interface CatalogProducts {
  /** One page of every product (1-based), with the number of pages. */
  page(page: number, signal?: AbortSignal): Promise<{ products: ProductState[]; totalPages: number }>;
  /** The products among `ids` that catalog sells (at most CATALOG_PAGE ids); the others are left out. */
  byIds(ids: readonly string[]): Promise<ProductState[]>;
}

const stateOf = (p: Product): ProductState => ({
  productId: p.id.toLowerCase(),
  name: p.name,
  priceCents: p.priceCents,
  currency: p.currency,
  asOf: new Date(p.updatedAt),
});

export function createCatalogProducts(deps: { client: ServiceClient; timeoutMs: number }): CatalogProducts {
  const list = async (query: Record<string, string | number>, signal: AbortSignal) =>
    (
      await deps.client.request<ProductPage>({
        method: 'GET',
        path: '/api/v1/catalog/products',
        query,
        timeoutMs: deps.timeoutMs,
        signal,
      })
    ).body;
  return {
    async page(page, signal) {
      const timeout = AbortSignal.timeout(deps.timeoutMs);
      const body = await list(
        // A product created or deleted meanwhile shifts the pages: one may be read twice (harmless) or
        // missed; a missed one is asked for by id at its first checkout, a created one comes as ProductCreated.
        { sort: 'newest', page, pageSize: CATALOG_PAGE },
        signal ? AbortSignal.any([signal, timeout]) : timeout,
      );
      return { products: body.items.map(stateOf), totalPages: body.totalPages };
    },
    async byIds(ids) {
      if (ids.length === 0) return [];
      const body = await list({ ids: ids.join(','), pageSize: ids.length }, AbortSignal.timeout(deps.timeoutMs));
      return body.items.map(stateOf);
    },
  };
}
