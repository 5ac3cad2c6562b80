// Payments schema. The ledger itself is the chassis event store (souk_event,
// souk_event_stream, souk_event_snapshot); this is its read model: one row
// per payment, kept from the log in the transaction of each append, and
// rebuildable from the log at any time (POST /_admin/payments/rebuild).

import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('payments')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    // Null for a tombstone: a void of a payment this service never saw.
    .addColumn('order_id', 'uuid')
    .addColumn('user_id', 'uuid')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('amount_cents', 'integer')
    .addColumn('currency', 'text')
    .addColumn('captured_cents', 'integer', (c) => c.notNull())
    .addColumn('refunded_cents', 'integer', (c) => c.notNull())
    .addColumn('authorization_id', 'text')
    .addColumn('capture_id', 'text')
    .addColumn('refund_id', 'text')
    .addColumn('failure_code', 'text')
    .addColumn('unknown_outcomes', 'integer', (c) => c.notNull())
    // The stream version the row reflects: a row is only ever replaced by a newer one.
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  // ShipmentFailed and the order's list find payments by order.
  await db.schema.createIndex('payments_order_id').on('payments').column('order_id').execute();
}
