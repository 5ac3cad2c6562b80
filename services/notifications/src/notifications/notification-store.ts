// Notifications in PostgreSQL: recording one made from an event (idempotent),
// a user's list newest first with cursor paging, and marking one read.

import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Notification, NotificationKind, NotificationList } from '../../contract.ts';
import type { NotificationsDatabase } from '../db.ts';
import { encodeCursor, type Position } from './cursor.ts';

export interface NewNotification {
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  /** The event it is made from: handling that event again adds nothing. */
  event: { source: string; id: string };
  createdAt: Date;
  /** The order an order message is about. */
  orderId?: string;
}

const columns = ['id', 'kind', 'title', 'body', 'created_at', 'read_at', 'order_id'] as const;

interface Row {
  id: string;
  kind: string;
  title: string;
  body: string;
  created_at: Date;
  read_at: Date | null;
  order_id: string | null;
}

export function toNotification(row: Row): Notification {
  return {
    id: row.id,
    kind: row.kind as NotificationKind,
    title: row.title,
    body: row.body,
    ...(row.order_id ? { orderId: row.order_id } : {}),
    createdAt: row.created_at.toISOString(),
    readAt: row.read_at?.toISOString() ?? null,
  };
}

/**
 * Records a notification through `db` (an event handler's transaction).
 * Returns false when one for the same event, a second welcome for the same
 * user, or a second message of the same kind about the same order is already there.
 */
export async function recordNotification(db: NotificationsDatabase, n: NewNotification): Promise<boolean> {
  const inserted = await db
    .insertInto('notifications')
    .values({
      id: randomUUID(),
      user_id: n.userId,
      kind: n.kind,
      title: n.title,
      body: n.body,
      event_source: n.event.source,
      event_id: n.event.id,
      created_at: n.createdAt,
      order_id: n.orderId ?? null,
    })
    // No conflict target: any unique key (event, one welcome per user, one kind per order) makes it a no-op.
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export interface NotificationStore {
  list(userId: string, page: { limit: number; before?: Position }): Promise<NotificationList>;
  /** Marks read (the first time counts) and returns it; undefined when the user has no such notification. */
  markRead(userId: string, id: string, at: Date): Promise<Notification | undefined>;
}

export function createNotificationStore(db: NotificationsDatabase): NotificationStore {
  return {
    async list(userId, { limit, before }) {
      let query = db.selectFrom('notifications').select(columns).where('user_id', '=', userId);
      if (before) query = query.where(sql<boolean>`(created_at, id) < (${before.createdAt}::timestamptz, ${before.id}::uuid)`);
      // One row more than asked tells whether another page follows.
      const rows = await query
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute();
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(toNotification),
        nextBefore: rows.length > limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
      };
    },

    async markRead(userId, id, at) {
      const row = await db
        .updateTable('notifications')
        .set({ read_at: sql<Date>`coalesce(read_at, ${at}::timestamptz)` })
        .where('id', '=', id.toLowerCase())
        .where('user_id', '=', userId)
        .returning(columns)
        .executeTakeFirst();
      return row && toNotification(row);
    },
  };
}
