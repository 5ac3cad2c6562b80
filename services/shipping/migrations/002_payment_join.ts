// The join of the two facts a shipment needs: its stock is committed
// (inventory's StockCommitted) AND its payment is captured (payments'
// PaymentCaptured); and orders' OrderCancelled stops a shipment that has not
// left. The facts arrive from different producers in any order, so each is
// remembered per order in `order_facts`, which is also the row every one of
// those handlers locks first (the join's meeting point, see shipment-store.ts).

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('order_facts')
    .addColumn('order_id', 'uuid', (c) => c.primaryKey())
    // From PaymentCaptured: the payment and when payments captured it.
    .addColumn('payment_id', 'uuid')
    .addColumn('paid_at', sql`timestamptz(3)`)
    // From OrderCancelled: remembered, so a StockCommitted or PaymentCaptured arriving later ships nothing.
    .addColumn('cancelled_at', sql`timestamptz(3)`)
    .addColumn('cancel_reason_code', 'text')
    .addColumn('cancel_reason', 'text')
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull())
    .execute();

  // AWAITING_PAYMENT: stock committed, capture not known yet. CANCELLED: the order was cancelled before it left.
  await sql`alter table shipments drop constraint shipments_status_check`.execute(db);
  await sql`alter table shipments add constraint shipments_status_check
    check (status in ('AWAITING_PAYMENT', 'PENDING', 'SHIPPED', 'FAILED', 'CANCELLED'))`.execute(db);
  await db.schema
    .alterTable('shipments')
    .addColumn('payment_id', 'uuid')
    .addColumn('paid_at', sql`timestamptz(3)`)
    .addColumn('cancelled_at', sql`timestamptz(3)`)
    .execute();

  // Shipments recorded before this migration waited for StockCommitted alone. Now they wait for
  // the capture too: shipping's new subscription reads payments' feed from its start, so the
  // PaymentCaptured of an order paid earlier still arrives and releases its shipment.
  await sql`update shipments set status = 'AWAITING_PAYMENT' where status = 'PENDING'`.execute(db);

  // The worker ships PENDING shipments only; the database refuses one that is PENDING unpaid.
  await sql`alter table shipments add constraint shipments_pending_is_paid
    check (status <> 'PENDING' or (paid_at is not null and payment_id is not null))`.execute(db);
}

export async function down(db: MigrationDb): Promise<void> {
  await sql`alter table shipments drop constraint shipments_pending_is_paid`.execute(db);
  // The old schema has neither status: waiting shipments go back to the old rule, cancelled ones
  // become FAILED (never shipped; reason_code keeps the order's cancellation code).
  await sql`update shipments set status = 'PENDING' where status = 'AWAITING_PAYMENT'`.execute(db);
  await sql`update shipments set status = 'FAILED', failed_at = coalesce(failed_at, cancelled_at) where status = 'CANCELLED'`.execute(
    db,
  );
  await sql`alter table shipments drop constraint shipments_status_check`.execute(db);
  await sql`alter table shipments add constraint shipments_status_check check (status in ('PENDING', 'SHIPPED', 'FAILED'))`.execute(
    db,
  );
  await db.schema.alterTable('shipments').dropColumn('cancelled_at').dropColumn('paid_at').dropColumn('payment_id').execute();
  await db.schema.dropTable('order_facts').ifExists().execute();
}
