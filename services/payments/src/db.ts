// Row types of the payments service's own tables (the read model), for a
// typed Kysely over ctx.db. The event store's and jobs' tables (the
// cancellations ShipmentFailed asked for are jobs) belong to the chassis.

import type { ServiceDb } from '@souk/chassis';

export interface PaymentRow {
  id: string;
  order_id: string | null;
  user_id: string | null;
  status: string;
  amount_cents: number | null;
  currency: string | null;
  captured_cents: number;
  refunded_cents: number;
  authorization_id: string | null;
  capture_id: string | null;
  refund_id: string | null;
  failure_code: string | null;
  unknown_outcomes: number;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface PaymentsDb {
  payments: PaymentRow;
}

/** The service's database as its code sees it: these tables and the chassis' own. */
export type PaymentsDatabase = ServiceDb<PaymentsDb>;
