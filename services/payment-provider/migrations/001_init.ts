// Payment provider schema: authorizations (declined attempts too), their
// capture, refunds of captures, and the idempotency keys that make every POST
// safe to retry.

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('authorizations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('authorized', 'declined', 'captured', 'voided')`))
    .addColumn('amount', 'integer', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('payment_method', 'text', (c) => c.notNull())
    .addColumn('decline_code', 'text')
    .addColumn('amount_captured', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('amount_refunded', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull())
    // The money rules hold in the database too, whatever the code does.
    .addCheckConstraint('authorizations_captured_le_amount', sql`amount_captured between 0 and amount`)
    .addCheckConstraint('authorizations_refunded_le_captured', sql`amount_refunded between 0 and amount_captured`)
    .execute();
  // Reconciliation and the charges view look up by the merchant's reference.
  await db.schema.createIndex('authorizations_reference_idx').on('authorizations').columns(['reference', 'created_at']).execute();

  await db.schema
    .createTable('captures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // One capture per authorization (no partial captures in several steps).
    .addColumn('authorization_id', 'text', (c) => c.notNull().unique().references('authorizations.id'))
    .addColumn('amount', 'integer', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('refunds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('capture_id', 'text', (c) => c.notNull().references('captures.id'))
    .addColumn('amount', 'integer', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('reason', 'text')
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('refunds_capture_idx').on('refunds').column('capture_id').execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('key', 'text', (c) => c.primaryKey())
    /** sha256 of method, path and body: a reused key with another request is refused. */
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('in_flight', 'done')`))
    // A request that died mid-work leaves its key in flight; after this it may be taken over.
    .addColumn('locked_until', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('response_status', 'integer')
    // The body exactly as sent (text, not jsonb, which would reorder it).
    .addColumn('response_body', 'text')
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('completed_at', sql`timestamptz(3)`)
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  for (const table of ['idempotency_keys', 'refunds', 'captures', 'authorizations']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
