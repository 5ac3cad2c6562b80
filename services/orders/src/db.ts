// Row types of the orders service's tables, for a typed Kysely over ctx.db.

import type { ServiceDb } from '@souk/chassis';
import type { OrderStatus } from '../contract.ts';

export interface OrderTable {
  id: string;
  user_id: string;
  status: OrderStatus;
  reason_code: string | null;
  reason: string | null;
  total_cents: number;
  currency: string;
  payment_method: string;
  reservation_id: string;
  payment_id: string;
  created_at: Date;
  updated_at: Date;
  confirmed_at: Date | null;
  cancelled_at: Date | null;
}

export interface OrderLineTable {
  order_id: string;
  line_no: number;
  product_id: string;
  name: string;
  quantity: number;
  unit_price_cents: number;
  currency: string;
}

export interface IdempotencyKeyTable {
  user_id: string;
  key: string;
  fingerprint: string;
  order_id: string;
  created_at: Date;
}

export interface ProductPriceTable {
  product_id: string;
  name: string | null;
  price_cents: number | null;
  currency: string | null;
  active: boolean;
  as_of: Date;
}

export interface ProductPricesBackfillTable {
  singleton: boolean;
  completed_at: Date;
  products: number;
}

export interface OrdersDb {
  orders: OrderTable;
  order_lines: OrderLineTable;
  order_idempotency_keys: IdempotencyKeyTable;
  product_prices: ProductPriceTable;
  product_prices_backfill: ProductPricesBackfillTable;
}

/** The service's database as its code sees it: these tables and the chassis' own. */
export type OrdersDatabase = ServiceDb<OrdersDb>;
