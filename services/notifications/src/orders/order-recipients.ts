// Who an order belongs to, and the messages that wait for that answer.
// shipping's OrderShipped names no user: the user comes from orders' events,
// which travel on another feed and may be handled later.

import { sql } from 'kysely';
import type { NotificationKind } from '../../contract.ts';
import type { NotificationsDatabase } from '../db.ts';
import { recordNotification } from '../notifications/notification-store.ts';

/** First key of the order locks (ASCII "noti"), so they cannot collide with other advisory locks. */
const ORDER_LOCK_CLASS = 0x6e6f7469;

/**
 * Serialises the handlers of one order across feeds until the transaction
 * ends. Without it, OrderShipped could find no user and park its message while
 * a concurrent OrderConfirmed finds nothing parked yet: both commit, and the
 * message would wait forever.
 */
export async function lockOrder(db: NotificationsDatabase, orderId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${ORDER_LOCK_CLASS}::int4, hashtext(${orderId.toLowerCase()}))`.execute(db);
}

/**
 * Takes the order's lock (lockOrder) and remembers its user, in one statement: the insert reads nothing, and its
 * conflict check sees what committed while it waited for the lock; statements after it see that too.
 */
export async function lockAndRememberRecipient(
  db: NotificationsDatabase,
  orderId: string,
  userId: string,
  at: Date,
): Promise<void> {
  // An order's user never changes: the first event that names it wins.
  await sql`with l as (select pg_advisory_xact_lock(${ORDER_LOCK_CLASS}::int4, hashtext(${orderId.toLowerCase()})))
    insert into order_recipients (order_id, user_id, created_at) select ${orderId}::uuid, ${userId}::uuid, ${at}::timestamptz from l
    on conflict (order_id) do nothing`.execute(db);
}

export async function recipientOf(db: NotificationsDatabase, orderId: string): Promise<string | undefined> {
  const row = await db.selectFrom('order_recipients').select('user_id').where('order_id', '=', orderId).executeTakeFirst();
  return row?.user_id;
}

export interface PendingMessage {
  orderId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  event: { source: string; id: string };
  receivedAt: Date;
}

/** Parks a message until its order's user is known (idempotent per event and kind). */
export async function holdPending(db: NotificationsDatabase, m: PendingMessage): Promise<void> {
  await db
    .insertInto('pending_notifications')
    .values({
      order_id: m.orderId,
      kind: m.kind,
      title: m.title,
      body: m.body,
      event_source: m.event.source,
      event_id: m.event.id,
      received_at: m.receivedAt,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Turns the order's parked messages into the user's notifications, dated `at`; returns how many. */
export async function releasePending(db: NotificationsDatabase, orderId: string, userId: string, at: Date): Promise<number> {
  const parked = await db.deleteFrom('pending_notifications').where('order_id', '=', orderId).returningAll().execute();
  for (const p of parked) {
    await recordNotification(db, {
      userId,
      orderId,
      kind: p.kind as NotificationKind,
      title: p.title,
      body: p.body,
      event: { source: p.event_source, id: p.event_id },
      createdAt: at,
    });
  }
  return parked.length;
}
