// Row types of the notifications service's tables, for a typed Kysely over ctx.db.

import type { ColumnType } from 'kysely';
import type { ServiceDb } from '@souk/chassis';

export interface NotificationTable {
  id: string;
  user_id: string;
  kind: string;
  title: string;
  body: string;
  /** The CloudEvents source and id of the event the notification was made from. */
  event_source: string;
  event_id: string;
  created_at: ColumnType<Date, Date, never>;
  read_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The order the message is about (order messages only). */
  order_id: ColumnType<string | null, string | null | undefined, never>;
}

/** Which user an order belongs to, as orders' events told us. */
export interface OrderRecipientTable {
  order_id: string;
  user_id: string;
  created_at: ColumnType<Date, Date, never>;
}

/** A message made from an event before its order's user was known. */
export interface PendingNotificationTable {
  order_id: string;
  kind: string;
  title: string;
  body: string;
  event_source: string;
  event_id: string;
  received_at: ColumnType<Date, Date, never>;
}

export interface NotificationsDb {
  notifications: NotificationTable;
  order_recipients: OrderRecipientTable;
  pending_notifications: PendingNotificationTable;
}

/** The service's database as its code sees it: these tables and the chassis' own. */
export type NotificationsDatabase = ServiceDb<NotificationsDb>;
