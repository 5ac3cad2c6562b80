// Row types of the order-history service's tables, for a typed Kysely over ctx.db.

import type { ColumnType } from 'kysely';
import type { ServiceDb } from '@souk/chassis';
import type { OrderFacts } from './projection/order-facts.ts';

type Json<T> = ColumnType<T, string, string>;
type Time = ColumnType<Date, Date | string, Date | string>;

export interface OrderViewTable {
  order_id: string;
  user_id: string | null;
  status: string;
  reason_code: string | null;
  reason: string | null;
  items: Json<unknown[] | null>;
  total_cents: number | null;
  currency: string | null;
  payment: Json<unknown>;
  stock: Json<unknown>;
  shipping: Json<unknown>;
  placed_at: Time;
  confirmed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  cancelled_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  updated_at: Time;
  last_event_at: Time;
  facts: Json<OrderFacts>;
  projected_at: Time;
}

export interface ProgressTable {
  producer: string;
  events_handled: ColumnType<number, number | undefined, number>;
  last_event_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_position: ColumnType<number | null, number | null | undefined, number | null>;
  target: ColumnType<number | null, number | null | undefined, number | null>;
  caught_up_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface RebuildTable {
  id: string;
  requested_by: string | null;
  started_at: Time;
  rows_before: number;
}

export interface OrderHistoryDb {
  order_views: OrderViewTable;
  projection_progress: ProgressTable;
  projection_rebuilds: RebuildTable;
}

/** The service's database as its code sees it: these tables and the chassis' own. */
export type OrderHistoryDatabase = ServiceDb<OrderHistoryDb>;
