// Row types of the recommendations service's tables, for a typed Kysely over ctx.db.

import type { ColumnType } from 'kysely';
import type { ServiceDb } from '@souk/chassis';

type Time = ColumnType<Date, Date | string, Date | string>;

export interface RecommendationsDb {
  counted_orders: { order_id: string; confirmed_at: Time };
  co_purchases: { product_id: string; other_id: string; orders: number; last_at: Time };
  product_sales: { product_id: string; units: number; orders: number; last_sold_at: Time };
  daily_sales: { product_id: string; day: ColumnType<string, string, string>; units: number; orders: number };
  product_names: { product_id: string; name: string; seen_at: Time };
}

/** The service's database as its code sees it: these tables and the chassis' own. */
export type RecommendationsDatabase = ServiceDb<RecommendationsDb>;
