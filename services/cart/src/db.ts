// Row types of the cart service's tables, for a typed Kysely over ctx.db.

import type { ColumnType, Generated } from 'kysely';
import type { ServiceDb } from '@souk/chassis';

export interface CartTable {
  user_id: string;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
  /** Every write moves it to now + CART_TTL_SECONDS; past it the cart reads as empty. */
  expires_at: Date;
}

export interface CartItemTable {
  user_id: string;
  product_id: string;
  quantity: number;
  added_at: ColumnType<Date, Date, never>;
  /** Insertion order of lines. */
  seq: Generated<string>;
}

export interface PriceCacheTable {
  product_id: string;
  name: string;
  price_cents: number;
  currency: string;
  /** When catalog last told us this price (a read, or the time of a PriceChanged event). */
  fetched_at: Date;
}

export interface CartDb {
  carts: CartTable;
  cart_items: CartItemTable;
  price_cache: PriceCacheTable;
}

/** The service's database as its code sees it: these tables and the chassis' own. */
export type CartDatabase = ServiceDb<CartDb>;
