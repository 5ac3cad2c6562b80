// Inventory schema: a stock level per product and reservations against them.
// The CHECK constraints are the last line of defence: whatever the code does,
// the database refuses negative stock and more reserved units than there are.

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('stock_levels')
    // Catalog's product id; no foreign key: products live in catalog's database.
    .addColumn('product_id', 'uuid', (c) => c.primaryKey())
    .addColumn('on_hand', 'integer', (c) => c.notNull())
    .addColumn('reserved', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('low_stock_threshold', 'integer', (c) => c.notNull())
    .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addCheckConstraint('stock_levels_on_hand_not_negative', sql`on_hand >= 0`)
    .addCheckConstraint('stock_levels_reserved_not_negative', sql`reserved >= 0`)
    .addCheckConstraint('stock_levels_reserved_within_on_hand', sql`reserved <= on_hand`)
    .addCheckConstraint('stock_levels_threshold_not_negative', sql`low_stock_threshold >= 0`)
    .execute();

  await db.schema
    .createTable('reservations')
    // Chosen by the caller (orders): the idempotency key of the reservation.
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    // Null only for a tombstone (a release that came before any reserve).
    .addColumn('order_id', 'uuid')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('HELD', 'RELEASED', 'COMMITTED', 'RETURNED', 'EXPIRED')`),
    )
    // [{ productId, quantity }], sorted by product id, one line per product.
    .addColumn('items', 'jsonb', (c) => c.notNull())
    // Hash of the reserve request: a repeat with another body is a conflict, not a replay.
    .addColumn('fingerprint', 'text')
    .addColumn('expires_at', sql`timestamptz(3)`)
    .addColumn('reason', 'text')
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addCheckConstraint('reservations_tombstone_shape', sql`order_id is not null or status = 'RELEASED'`)
    .execute();
  // The sweeper's question: which held reservations are due?
  await db.schema
    .createIndex('reservations_held_expiry_idx')
    .on('reservations')
    .column('expires_at')
    .where(sql.ref('status'), '=', 'HELD')
    .execute();
  // ShipmentFailed names the order, not the reservation.
  await db.schema.createIndex('reservations_order_idx').on('reservations').column('order_id').execute();

  // Marks that the one-time demo stock was loaded (INVENTORY_SEED_STOCK).
  await db.schema
    .createTable('seed_runs')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('product_count', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('seed_runs').ifExists().execute();
  await db.schema.dropTable('reservations').ifExists().execute();
  await db.schema.dropTable('stock_levels').ifExists().execute();
}
