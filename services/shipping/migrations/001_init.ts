// Shipping schema: one shipment per order, the orders' owners (so a customer
// may read their own shipment) and the simulation's run-time settings.

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('shipments')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    // One shipment per order: a StockCommitted handled twice cannot ship twice.
    .addColumn('order_id', 'uuid', (c) => c.notNull().unique())
    .addColumn('reservation_id', 'uuid', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('PENDING', 'SHIPPED', 'FAILED')`))
    .addColumn('items', 'jsonb', (c) => c.notNull())
    .addColumn('ship_after', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('carrier', 'text')
    .addColumn('tracking_number', 'text', (c) => c.unique())
    .addColumn('reason_code', 'text')
    .addColumn('reason', 'text')
    .addColumn('shipped_at', sql`timestamptz(3)`)
    .addColumn('failed_at', sql`timestamptz(3)`)
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull())
    .execute();
  // The worker's question: which pending shipments are due?
  await db.schema
    .createIndex('shipments_pending_due_idx')
    .on('shipments')
    .column('ship_after')
    .where(sql.ref('status'), '=', 'PENDING')
    .execute();

  // From orders' OrderConfirmed: StockCommitted does not say whose order it is.
  await db.schema
    .createTable('order_owners')
    .addColumn('order_id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('recorded_at', sql`timestamptz(3)`, (c) => c.notNull())
    .execute();

  // One row at most: the admin's overrides of SHIPPING_FAILURE_RATE and SHIPPING_DELAY_MS, shared by every instance.
  await db.schema
    .createTable('shipping_behaviour')
    .addColumn('id', 'smallint', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('failure_rate', 'double precision', (c) => c.check(sql`failure_rate between 0 and 1`))
    .addColumn('delay_ms', 'integer', (c) => c.check(sql`delay_ms >= 0`))
    .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull())
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('shipping_behaviour').ifExists().execute();
  await db.schema.dropTable('order_owners').ifExists().execute();
  await db.schema.dropTable('shipments').ifExists().execute();
}
