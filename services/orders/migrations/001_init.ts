// Orders schema: orders and their lines, and the idempotency keys of
// POST /api/v1/orders (one order per user and key, with the request's fingerprint).

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await sql`
    create table orders (
      id uuid primary key,
      -- Identity's user id; no foreign key: users live in identity's database.
      user_id uuid not null,
      status text not null check (status in ('PENDING', 'CONFIRMED', 'CANCELLED')),
      reason_code text,
      reason text,
      total_cents bigint not null check (total_cents >= 0),
      currency text not null,
      payment_method text not null,
      -- Derived from the order id (see src/saga/saga-ids.ts); kept for operators and events.
      reservation_id uuid not null,
      payment_id uuid not null,
      -- Millisecond precision, as JavaScript dates have: a paging cursor compares equal to its row.
      created_at timestamptz(3) not null,
      updated_at timestamptz(3) not null,
      confirmed_at timestamptz(3),
      cancelled_at timestamptz(3),
      check ((status = 'CANCELLED') = (reason_code is not null))
    )`.execute(db);
  // Serves "my orders", newest first, paged by (created_at, id).
  await sql`create index orders_user_created on orders (user_id, created_at desc, id desc)`.execute(db);

  await sql`
    create table order_lines (
      order_id uuid not null references orders (id) on delete cascade,
      line_no integer not null,
      product_id uuid not null,
      name text not null,
      quantity integer not null check (quantity > 0),
      unit_price_cents bigint not null check (unit_price_cents >= 0),
      currency text not null,
      primary key (order_id, line_no)
    )`.execute(db);

  await sql`
    create table order_idempotency_keys (
      user_id uuid not null,
      key text not null,
      -- sha256 of the normalised request body: the same key with another body is refused.
      fingerprint text not null,
      order_id uuid not null references orders (id) on delete cascade,
      created_at timestamptz(3) not null,
      primary key (user_id, key)
    )`.execute(db);
}

export async function down(db: MigrationDb): Promise<void> {
  await sql`drop table if exists order_idempotency_keys, order_lines, orders`.execute(db);
}
