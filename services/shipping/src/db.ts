// Row types of the shipping service's tables, for a typed Kysely over ctx.db.

import type { ColumnType } from 'kysely';
import type { ServiceDb } from '@souk/chassis';
import type { ShipmentStatus } from '../contract.ts';

export interface ShipmentTable {
  id: string;
  order_id: string;
  reservation_id: string;
  status: ShipmentStatus;
  items: ColumnType<{ productId: string; quantity: number }[], string, string>;
  ship_after: Date;
  carrier: string | null;
  tracking_number: string | null;
  reason_code: string | null;
  reason: string | null;
  payment_id: string | null;
  paid_at: Date | null;
  shipped_at: Date | null;
  failed_at: Date | null;
  cancelled_at: Date | null;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

/** What shipping knows about an order besides its stock: the join's other facts, and the row the join locks. */
export interface OrderFactsTable {
  order_id: string;
  payment_id: string | null;
  paid_at: Date | null;
  cancelled_at: Date | null;
  cancel_reason_code: string | null;
  cancel_reason: string | null;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export interface OrderOwnerTable {
  order_id: string;
  user_id: string;
  recorded_at: Date;
}

export interface ShippingBehaviourTable {
  id: number;
  failure_rate: number | null;
  delay_ms: number | null;
  updated_at: Date;
}

export interface ShippingDb {
  shipments: ShipmentTable;
  order_owners: OrderOwnerTable;
  order_facts: OrderFactsTable;
  shipping_behaviour: ShippingBehaviourTable;
}

/** The service's database as its code sees it: these tables and the chassis' own. */
export type ShippingDatabase = ServiceDb<ShippingDb>;
