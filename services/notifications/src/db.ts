// Row types of the notifications service's tables, for a typed Kysely over ctx.db.

import type { ColumnType, Kysely } from 'kysely';

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
}

export interface NotificationsDb {
  notifications: NotificationTable;
}

export type NotificationsDatabase = Kysely<NotificationsDb>;
