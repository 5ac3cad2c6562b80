// Payment cancellations asked for by ShipmentFailed: the handler only records
// one row per order in the inbox transaction; the cancellation worker gives
// the money back afterwards, outside any transaction (src/cancellation).

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('payment_cancellations')
    // One per order: a redelivered (or repeated) ShipmentFailed finds it there.
    .addColumn('order_id', 'uuid', (c) => c.primaryKey())
    // The ShipmentFailed that asked: the causation id of the ledger events it leads to.
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('PENDING', 'DONE', 'PARKED')`))
    // Attempts since the row was recorded (or an operator retried it); counted when claimed.
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    // The instance that claimed it last, the claim's token and its lease: a claim whose lease
    // has expired (its instance died) is taken over; only the token's holder records the result.
    .addColumn('claimed_by', 'text')
    .addColumn('claim_id', 'uuid')
    .addColumn('claimed_until', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  // The worker's question: which pending cancellations are due?
  await db.schema
    .createIndex('payment_cancellations_due')
    .on('payment_cancellations')
    .column('next_attempt_at')
    .where(sql.ref('status'), '=', 'PENDING')
    .execute();
  // The operators' question: which ones are parked (or pending, or done)?
  await db.schema
    .createIndex('payment_cancellations_status')
    .on('payment_cancellations')
    .columns(['status', 'created_at'])
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('payment_cancellations').ifExists().execute();
}
