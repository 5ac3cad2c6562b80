// Turns the validated query string of GET /products into a search: defaults,
// the effective sort order and the page window. Pure, so every rule is unit-tested.

import { DEFAULT_PAGE_SIZE, type ProductListQuery, type ProductSort } from '../../contract.ts';
import { errors } from '../errors.ts';

export interface ProductSearch {
  /** Trimmed full-text query; absent when the caller gave none (or only blanks). */
  text?: string;
  categorySlug?: string;
  /** Only these product ids (lowercase). */
  ids?: string[];
  minPrice?: number;
  maxPrice?: number;
  /** Never 'relevance' without text: there is nothing to rank by then. */
  sort: ProductSort;
  page: number;
  pageSize: number;
  offset: number;
}

export function parseProductQuery(query: ProductListQuery): ProductSearch {
  const text = query.q?.replace(/\s+/g, ' ').trim() || undefined;
  if (query.minPrice !== undefined && query.maxPrice !== undefined && query.minPrice > query.maxPrice) {
    throw errors.priceRangeInvalid({
      detail: `minPrice (${query.minPrice}) is greater than maxPrice (${query.maxPrice}).`,
      extensions: { minPrice: query.minPrice, maxPrice: query.maxPrice },
    });
  }
  const page = query.page ?? 1;
  const pageSize = query.pageSize ?? DEFAULT_PAGE_SIZE;
  return {
    ...(text ? { text } : {}),
    ...(query.category ? { categorySlug: query.category } : {}),
    ...(query.ids ? { ids: [...new Set(query.ids.toLowerCase().split(','))] } : {}),
    ...(query.minPrice !== undefined ? { minPrice: query.minPrice } : {}),
    ...(query.maxPrice !== undefined ? { maxPrice: query.maxPrice } : {}),
    sort: effectiveSort(query.sort, text !== undefined),
    page,
    pageSize,
    offset: (page - 1) * pageSize,
  };
}

/**
 * Relevance is the natural order of a search and meaningless without one, so
 * an explicit `sort=relevance` on a plain listing falls back to name order
 * rather than failing: storefronts keep the parameter when the box is cleared.
 */
export function effectiveSort(requested: ProductSort | undefined, hasText: boolean): ProductSort {
  if (requested === undefined) return hasText ? 'relevance' : 'name';
  if (requested === 'relevance' && !hasText) return 'name';
  return requested;
}

export function totalPages(total: number, pageSize: number): number {
  return Math.ceil(total / pageSize);
}

export type OrderTerm = { by: 'rank' | 'price_cents' | 'name' | 'created_at' | 'id'; direction: 'asc' | 'desc' };

/**
 * Column order for each sort. Every order ends with the id so that pages never
 * overlap or skip rows when several products share a price or a name.
 */
export function orderTerms(sort: ProductSort): OrderTerm[] {
  switch (sort) {
    case 'relevance':
      return [
        { by: 'rank', direction: 'desc' },
        { by: 'name', direction: 'asc' },
        { by: 'id', direction: 'asc' },
      ];
    case 'price':
      return [
        { by: 'price_cents', direction: 'asc' },
        { by: 'name', direction: 'asc' },
        { by: 'id', direction: 'asc' },
      ];
    case '-price':
      return [
        { by: 'price_cents', direction: 'desc' },
        { by: 'name', direction: 'asc' },
        { by: 'id', direction: 'asc' },
      ];
    case 'name':
      return [
        { by: 'name', direction: 'asc' },
        { by: 'id', direction: 'asc' },
      ];
    case '-name':
      return [
        { by: 'name', direction: 'desc' },
        { by: 'id', direction: 'desc' },
      ];
    case 'newest':
      return [
        { by: 'created_at', direction: 'desc' },
        { by: 'id', direction: 'desc' },
      ];
  }
}
