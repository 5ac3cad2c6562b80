// The last price catalog told us for each product in a cart: written on every
// successful lookup and by PriceChanged events, read when catalog does not
// answer. A newer price is never overwritten by an older one.

import { sql } from 'kysely';
import type { CartDatabase } from '../db.ts';

export interface CachedProduct {
  productId: string;
  name: string;
  priceCents: number;
  currency: string;
  fetchedAt: Date;
}

export interface PriceCache {
  get(productIds: readonly string[]): Promise<Map<string, CachedProduct>>;
  put(products: readonly CachedProduct[]): Promise<void>;
}

export function createPriceCache(db: CartDatabase): PriceCache {
  return {
    async get(productIds) {
      if (productIds.length === 0) return new Map();
      const rows = await db
        .selectFrom('price_cache')
        .selectAll()
        .where('product_id', 'in', [...productIds])
        .execute();
      return new Map(
        rows.map((r) => [
          r.product_id,
          {
            productId: r.product_id,
            name: r.name,
            priceCents: r.price_cents,
            currency: r.currency,
            fetchedAt: r.fetched_at,
          },
        ]),
      );
    },

    async put(products) {
      if (products.length === 0) return;
      await db
        .insertInto('price_cache')
        .values(
          products.map((p) => ({
            product_id: p.productId,
            name: p.name,
            price_cents: p.priceCents,
            currency: p.currency,
            fetched_at: p.fetchedAt,
          })),
        )
        .onConflict((oc) =>
          oc
            .column('product_id')
            .doUpdateSet({
              name: (eb) => eb.ref('excluded.name'),
              price_cents: (eb) => eb.ref('excluded.price_cents'),
              currency: (eb) => eb.ref('excluded.currency'),
              fetched_at: (eb) => eb.ref('excluded.fetched_at'),
            })
            .where(sql<boolean>`price_cache.fetched_at <= excluded.fetched_at`),
        )
        .execute();
    },
  };
}

/**
 * A PriceChanged event, through the handler's transaction. Only products some
 * cart has seen are cached (the event carries no name to start a row with).
 */
export async function applyPriceChange(
  db: CartDatabase,
  change: { productId: string; priceCents: number; currency: string; at: Date },
): Promise<boolean> {
  const result = await db
    .updateTable('price_cache')
    .set({ price_cents: change.priceCents, currency: change.currency, fetched_at: change.at })
    .where('product_id', '=', change.productId.toLowerCase())
    .where('fetched_at', '<=', change.at)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
