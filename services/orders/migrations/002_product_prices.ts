// Orders' own copy of what catalog sells: name, price, currency and whether it
// is still sold, fed by catalog's events and, once, by a backfill from its API
// (the seed publishes no events). Checkout prices order lines from here.

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await sql`
    create table product_prices (
      product_id uuid primary key,
      -- Null until known: an event that carries only the price (or only the name) of a product
      -- the copy has not seen yet. A row missing either is asked of catalog at checkout.
      name text,
      price_cents integer check (price_cents > 0),
      currency text,
      -- False once catalog deleted the product (a tombstone, so a late backfill cannot bring it back).
      active boolean not null,
      -- Catalog's time of the state held (the product's updatedAt, or the event's time): older news never
      -- overwrites newer, whichever arrives first.
      as_of timestamptz(3) not null
    )`.execute(db);
  // One row once the first backfill from catalog's list completed.
  await sql`
    create table product_prices_backfill (
      singleton boolean primary key default true check (singleton),
      completed_at timestamptz(3) not null,
      products integer not null
    )`.execute(db);
}

export async function down(db: MigrationDb): Promise<void> {
  await sql`drop table if exists product_prices_backfill, product_prices`.execute(db);
}
