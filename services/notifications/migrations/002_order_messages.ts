// Order messages: which user an order belongs to (learnt from orders' events,
// since shipping's OrderShipped names no user), messages waiting for that
// answer, and the order a notification is about.

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  // Filled from OrderConfirmed and OrderCancelled (both carry the user); read by OrderShipped.
  await db.schema
    .createTable('order_recipients')
    .addColumn('order_id', 'uuid', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
    .execute();
  // A message whose order's user is not known yet (OrderShipped handled before the order's
  // OrderConfirmed: the two come from different producers' feeds, in no agreed order).
  await db.schema
    .createTable('pending_notifications')
    .addColumn('order_id', 'uuid', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('event_source', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('received_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addPrimaryKeyConstraint('pending_notifications_pkey', ['event_source', 'event_id', 'kind'])
    .execute();
  await db.schema.createIndex('pending_notifications_order_idx').on('pending_notifications').column('order_id').execute();

  await db.schema.alterTable('notifications').addColumn('order_id', 'uuid').execute();
  // One message of each kind per order, whatever event ids arrive (as one welcome per user).
  await db.schema
    .createIndex('notifications_one_per_order_and_kind')
    .on('notifications')
    .columns(['order_id', 'kind'])
    .unique()
    .where(sql.ref('order_id'), 'is not', null)
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropIndex('notifications_one_per_order_and_kind').ifExists().execute();
  await db.schema.alterTable('notifications').dropColumn('order_id').execute();
  await db.schema.dropTable('pending_notifications').ifExists().execute();
  await db.schema.dropTable('order_recipients').ifExists().execute();
}
