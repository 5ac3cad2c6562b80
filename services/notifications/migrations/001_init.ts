// Notifications schema: one table of messages to users, each tied to the
// event that caused it, so that handling an event twice cannot add a second one.

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .createTable('notifications')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    // Identity's user id; no foreign key: users live in identity's database.
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('event_source', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    // Millisecond precision, as JavaScript dates have: a paging cursor made
    // from a row's created_at then compares equal to the row itself.
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('read_at', sql`timestamptz(3)`)
    // The inbox already skips a redelivered event; this makes the insert itself idempotent too.
    .addUniqueConstraint('notifications_event_kind_key', ['event_source', 'event_id', 'kind'])
    .execute();
  // One welcome per user, whatever event ids reach us.
  await db.schema
    .createIndex('notifications_one_welcome_per_user')
    .on('notifications')
    .column('user_id')
    .unique()
    .where(sql.ref('kind'), '=', 'welcome')
    .execute();
  // Serves the list: a user's notifications, newest first, paged by (created_at, id).
  await db.schema
    .createIndex('notifications_user_created_idx')
    .on('notifications')
    .expression(sql`user_id, created_at desc, id desc`)
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('notifications').ifExists().execute();
}
