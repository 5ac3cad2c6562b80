// Recommendations schema: counts made from confirmed orders. Co-purchases in
// both directions (a row per product and product bought with it), sales per
// product all time and per day (for a rolling window), the newest name seen,
// and the orders already counted (so an order is counted once, whatever ids
// its events arrive with).

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('counted_orders')
    .addColumn('order_id', 'uuid', (c) => c.primaryKey())
    .addColumn('confirmed_at', sql`timestamptz(3)`, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('co_purchases')
    .addColumn('product_id', 'uuid', (c) => c.notNull())
    .addColumn('other_id', 'uuid', (c) => c.notNull())
    .addColumn('orders', 'integer', (c) => c.notNull())
    .addColumn('last_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addPrimaryKeyConstraint('co_purchases_pkey', ['product_id', 'other_id'])
    .execute();
  // Serves "bought with X": X's partners, most often first.
  await db.schema
    .createIndex('co_purchases_top_idx')
    .on('co_purchases')
    .expression(sql`product_id, orders desc, other_id`)
    .execute();

  await db.schema
    .createTable('product_sales')
    .addColumn('product_id', 'uuid', (c) => c.primaryKey())
    .addColumn('units', 'bigint', (c) => c.notNull())
    .addColumn('orders', 'integer', (c) => c.notNull())
    .addColumn('last_sold_at', sql`timestamptz(3)`, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('product_sales_top_idx')
    .on('product_sales')
    .expression(sql`units desc, product_id`)
    .execute();

  await db.schema
    .createTable('daily_sales')
    .addColumn('product_id', 'uuid', (c) => c.notNull())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('units', 'bigint', (c) => c.notNull())
    .addColumn('orders', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('daily_sales_pkey', ['day', 'product_id'])
    .execute();

  await db.schema
    .createTable('product_names')
    .addColumn('product_id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    // The confirmation the name came from: an older order's name never replaces a newer one's.
    .addColumn('seen_at', sql`timestamptz(3)`, (c) => c.notNull())
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  for (const table of ['product_names', 'daily_sales', 'product_sales', 'co_purchases', 'counted_orders']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
