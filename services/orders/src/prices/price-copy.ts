// Orders' copy of catalog's products (name, price, currency, still sold), in
// its own database. Every write is conditional on catalog's time of the news
// (`as_of`): an older state never overwrites a newer one, so events, the
// backfill and checkout's lookups may land in any order.

import { sql } from 'kysely';
import type { OrdersDatabase } from '../db.ts';

/** What the copy holds for one product; name or price is null until known. */
export interface CopiedProduct {
  productId: string;
  name: string | null;
  priceCents: number | null;
  currency: string | null;
  active: boolean;
  asOf: Date;
}

/** A product's whole sale state, as catalog's API or ProductCreated gives it. */
export interface ProductState {
  productId: string;
  name: string;
  priceCents: number;
  currency: string;
  asOf: Date;
}

const newer = sql<boolean>`product_prices.as_of <= excluded.as_of`;

export interface PriceCopy {
  /** The rows for these (lowercase) ids. */
  get(productIds: readonly string[]): Promise<Map<string, CopiedProduct>>;
  /** Whole states (backfill, a checkout's lookup, ProductCreated): the product is sold. */
  putStates(db: OrdersDatabase, products: readonly ProductState[]): Promise<void>;
  priceChanged(db: OrdersDatabase, change: { productId: string; priceCents: number; currency: string; at: Date }): Promise<void>;
  renamed(db: OrdersDatabase, change: { productId: string; name: string; at: Date }): Promise<void>;
  deleted(db: OrdersDatabase, change: { productId: string; at: Date }): Promise<void>;
}

export function createPriceCopy(db: OrdersDatabase): PriceCopy {
  return {
    async get(productIds) {
      if (productIds.length === 0) return new Map();
      const rows = await db
        .selectFrom('product_prices')
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
            active: r.active,
            asOf: r.as_of,
          },
        ]),
      );
    },

    async putStates(trx, products) {
      if (products.length === 0) return;
      await trx
        .insertInto('product_prices')
        .values(
          products.map((p) => ({
            product_id: p.productId.toLowerCase(),
            name: p.name,
            price_cents: p.priceCents,
            currency: p.currency,
            active: true,
            as_of: p.asOf,
          })),
        )
        .onConflict((oc) =>
          oc
            .column('product_id')
            .doUpdateSet({
              name: (eb) => eb.ref('excluded.name'),
              price_cents: (eb) => eb.ref('excluded.price_cents'),
              currency: (eb) => eb.ref('excluded.currency'),
              active: (eb) => eb.ref('excluded.active'),
              as_of: (eb) => eb.ref('excluded.as_of'),
            })
            .where(newer),
        )
        .execute();
    },

    async priceChanged(trx, change) {
      await trx
        .insertInto('product_prices')
        .values({
          product_id: change.productId.toLowerCase(),
          name: null,
          price_cents: change.priceCents,
          currency: change.currency,
          active: true,
          as_of: change.at,
        })
        .onConflict((oc) =>
          oc
            .column('product_id')
            .doUpdateSet({
              price_cents: (eb) => eb.ref('excluded.price_cents'),
              currency: (eb) => eb.ref('excluded.currency'),
              as_of: (eb) => eb.ref('excluded.as_of'),
            })
            .where(newer),
        )
        .execute();
    },

    async renamed(trx, change) {
      await trx
        .insertInto('product_prices')
        .values({
          product_id: change.productId.toLowerCase(),
          name: change.name,
          price_cents: null,
          currency: null,
          active: true,
          as_of: change.at,
        })
        .onConflict((oc) =>
          oc
            .column('product_id')
            .doUpdateSet({ name: (eb) => eb.ref('excluded.name'), as_of: (eb) => eb.ref('excluded.as_of') })
            .where(newer),
        )
        .execute();
    },

    async deleted(trx, change) {
      await trx
        .insertInto('product_prices')
        .values({
          product_id: change.productId.toLowerCase(),
          name: null,
          price_cents: null,
          currency: null,
          active: false,
          as_of: change.at,
        })
        .onConflict((oc) =>
          oc
            .column('product_id')
            .doUpdateSet({ active: false, as_of: (eb) => eb.ref('excluded.as_of') })
            .where(newer),
        )
        .execute();
    },
  };
}
