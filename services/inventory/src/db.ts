// Row types of the inventory service's tables, for a typed Kysely over ctx.db.

import type { ColumnType } from 'kysely';
import type { ServiceDb } from '@souk/chassis';
import type { ReservationStatus, StockLine } from '../contract.ts';

export interface StockLevelTable {
  product_id: string;
  on_hand: number;
  reserved: ColumnType<number, number | undefined, number>;
  low_stock_threshold: number;
  updated_at: Date;
}

export interface ReservationTable {
  id: string;
  order_id: string | null;
  status: ReservationStatus;
  items: ColumnType<StockLine[], string, string>;
  fingerprint: string | null;
  expires_at: Date | null;
  reason: string | null;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export interface SeedRunTable {
  name: string;
  applied_at: Date;
  product_count: number;
}

export interface InventoryDb {
  stock_levels: StockLevelTable;
  reservations: ReservationTable;
  seed_runs: SeedRunTable;
}

/** The service's database as its code sees it: these tables and the chassis' own. */
export type InventoryDatabase = ServiceDb<InventoryDb>;
