// Cart schema: one cart per user with Redis-like expiry (expires_at, pushed
// forward by every write), its lines, and the last price catalog told us for
// each product in a cart (the fallback when catalog does not answer).

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('carts')
    // Identity's user id; no foreign key: users live in identity's database.
    .addColumn('user_id', 'uuid', (c) => c.primaryKey())
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('expires_at', sql`timestamptz(3)`, (c) => c.notNull())
    .execute();
  // The sweeper deletes by expiry.
  await db.schema.createIndex('carts_expires_at_idx').on('carts').column('expires_at').execute();

  await db.schema
    .createTable('cart_items')
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('carts.user_id').onDelete('cascade'))
    // Catalog's product id; checked with catalog when added, no foreign key across services.
    .addColumn('product_id', 'uuid', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull().check(sql`quantity between 1 and 99`))
    .addColumn('added_at', sql`timestamptz(3)`, (c) => c.notNull())
    // Lines are shown in the order they were added; times can tie (same millisecond, a test's clock).
    .addColumn('seq', 'bigint', (c) => c.notNull().generatedAlwaysAsIdentity())
    .addPrimaryKeyConstraint('cart_items_pkey', ['user_id', 'product_id'])
    .execute();

  await db.schema
    .createTable('price_cache')
    .addColumn('product_id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('price_cents', 'integer', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('fetched_at', sql`timestamptz(3)`, (c) => c.notNull())
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  for (const table of ['cart_items', 'carts', 'price_cache']) await db.schema.dropTable(table).ifExists().execute();
}
