// Row types of the payment provider's tables, for a typed Kysely over ctx.db.

import type { ColumnType } from 'kysely';
import type { ServiceDb } from '@souk/chassis';
import type { AuthorizationStatus } from '../contract.ts';

type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface AuthorizationTable {
  id: string;
  status: AuthorizationStatus;
  amount: number;
  currency: string;
  reference: string;
  payment_method: string;
  decline_code: string | null;
  amount_captured: Defaulted<number>;
  amount_refunded: Defaulted<number>;
  created_at: ColumnType<Date, Date, never>;
  updated_at: Date;
}

export interface CaptureTable {
  id: string;
  authorization_id: string;
  amount: number;
  created_at: ColumnType<Date, Date, never>;
}

export interface RefundTable {
  id: string;
  capture_id: string;
  amount: number;
  reason: string | null;
  created_at: ColumnType<Date, Date, never>;
}

export interface IdempotencyKeyTable {
  key: string;
  fingerprint: string;
  state: 'in_flight' | 'done';
  locked_until: Date;
  response_status: number | null;
  response_body: string | null;
  created_at: ColumnType<Date, Date, never>;
  completed_at: Date | null;
}

export interface ProviderDb {
  authorizations: AuthorizationTable;
  captures: CaptureTable;
  refunds: RefundTable;
  idempotency_keys: IdempotencyKeyTable;
}

/** The service's database as its code sees it: these tables and the chassis' own. */
export type ProviderDatabase = ServiceDb<ProviderDb>;
