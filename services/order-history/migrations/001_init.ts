// Order-history schema: the read model (one denormalised row per order, with
// the facts it was derived from), per-producer progress, and rebuild records.
// Everything here can be thrown away and rebuilt from the producers' events.

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('order_views')
    .addColumn('order_id', 'uuid', (c) => c.primaryKey())
    // Null until an event that names the user arrives; such rows are nobody's to list yet.
    .addColumn('user_id', 'uuid')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason_code', 'text')
    .addColumn('reason', 'text')
    .addColumn('items', 'jsonb')
    .addColumn('total_cents', 'bigint')
    .addColumn('currency', 'text')
    .addColumn('payment', 'jsonb')
    .addColumn('stock', 'jsonb')
    .addColumn('shipping', 'jsonb')
    // Millisecond precision, as JavaScript dates have: a paging cursor compares equal to its row.
    .addColumn('placed_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('confirmed_at', sql`timestamptz(3)`)
    .addColumn('cancelled_at', sql`timestamptz(3)`)
    .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('last_event_at', sql`timestamptz(3)`, (c) => c.notNull())
    // What the row is derived from (order-facts.ts): each event merges into these.
    .addColumn('facts', 'jsonb', (c) => c.notNull())
    // When this read model last wrote the row (wall clock; not part of the order).
    .addColumn('projected_at', sql`timestamptz(3)`, (c) => c.notNull())
    .execute();
  // Serves the list: a user's orders, newest first, paged by (placed_at, order_id).
  await db.schema
    .createIndex('order_views_user_placed_idx')
    .on('order_views')
    .expression(sql`user_id, placed_at desc, order_id desc`)
    .where(sql.ref('user_id'), 'is not', null)
    .execute();

  // Per producer: events handled since the model was (re)built, the newest event time, and,
  // during a rebuild, how many the old model had (target) and when the new one got there.
  await db.schema
    .createTable('projection_progress')
    .addColumn('producer', 'text', (c) => c.primaryKey())
    .addColumn('events_handled', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('last_event_at', sql`timestamptz(3)`)
    .addColumn('last_position', 'bigint')
    .addColumn('target', 'bigint')
    .addColumn('caught_up_at', sql`timestamptz(3)`)
    .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('projection_rebuilds')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('requested_by', 'text')
    .addColumn('started_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('rows_before', 'integer', (c) => c.notNull())
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  for (const table of ['projection_rebuilds', 'projection_progress', 'order_views'])
    await db.schema.dropTable(table).ifExists().execute();
}
