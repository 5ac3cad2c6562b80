// Order messages by choreography: orders' OrderConfirmed and OrderCancelled and
// shipping's OrderShipped each become a message to the order's user. Handlers
// run in the event's inbox transaction, so message and "handled" commit together.

import type { EventHandler } from '@souk/chassis';
import type { OrderCancelled, OrderConfirmed } from '@souk/orders/contract';
import type { OrderShipped } from '@souk/shipping/contract';
import type { NotificationsDb } from '../db.ts';
import { recordNotification } from '../notifications/notification-store.ts';
import { orderCancelledMessage, orderConfirmedMessage, orderShippedMessage } from './order-messages.ts';
import { holdPending, lockOrder, recipientOf, releasePending, lockAndRememberRecipient } from './order-recipients.ts';

export interface OrderMessageHandlers {
  confirmed: EventHandler<OrderConfirmed, NotificationsDb>;
  cancelled: EventHandler<OrderCancelled, NotificationsDb>;
  shipped: EventHandler<OrderShipped, NotificationsDb>;
}

export function orderMessageHandlers(deps: { now(): number }): OrderMessageHandlers {
  /**
   * An orders event names the user: remember it, record the event's message,
   * then release what waited for that user (a shipment handled first). Released
   * messages are dated 1 ms later so they list above the message they follow.
   */
  const fromOrders =
    <T extends { orderId: string; userId: string }>(
      kind: 'order-confirmed' | 'order-cancelled',
      message: (data: T) => { title: string; body: string },
    ): EventHandler<T, NotificationsDb> =>
    async (event, { db, log }) => {
      const { orderId, userId } = event.data;
      const at = new Date(deps.now());
      await lockAndRememberRecipient(db, orderId, userId, at);
      const recorded = await recordNotification(db, {
        userId,
        orderId,
        kind,
        ...message(event.data),
        event: { source: event.source, id: event.id },
        createdAt: at,
      });
      if (!recorded) log.info({ orderId, kind }, 'order message already recorded; nothing added');
      const released = await releasePending(db, orderId, userId, new Date(at.getTime() + 1));
      if (released > 0) log.info({ orderId, released }, 'released order messages that waited for the user');
    };

  return {
    confirmed: fromOrders<OrderConfirmed>('order-confirmed', orderConfirmedMessage),
    cancelled: fromOrders<OrderCancelled>('order-cancelled', orderCancelledMessage),

    async shipped(event, { db, log }) {
      const { orderId } = event.data;
      await lockOrder(db, orderId);
      const message = {
        kind: 'order-shipped' as const,
        ...orderShippedMessage(event.data),
        event: { source: event.source, id: event.id },
      };
      const at = new Date(deps.now());
      const userId = await recipientOf(db, orderId);
      if (userId) {
        const recorded = await recordNotification(db, { userId, orderId, ...message, createdAt: at });
        if (!recorded) log.info({ orderId }, 'shipping message already recorded; nothing added');
        return;
      }
      // Shipping's feed ran ahead of orders' here: keep the message until OrderConfirmed names the user.
      await holdPending(db, { orderId, ...message, receivedAt: at });
      log.info({ orderId }, "order shipped before its confirmation was handled; message kept until the order's user is known");
    },
  };
}
