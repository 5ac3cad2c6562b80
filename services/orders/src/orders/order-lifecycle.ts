// The order's state changes that other services hear about: each one updates
// the order and writes its event to the outbox in the same transaction, and
// only when it really changed the order (a repeat publishes nothing).

import type { Clock, Events } from '@souk/chassis';
import { OrderCancelled, OrderConfirmed, type Order, type OrderLine, type OrderStatus } from '../../contract.ts';
import type { OrdersDatabase } from '../db.ts';
import type { CancelReason, OrderStore, Transition } from './order-store.ts';

export interface OrderLifecycle {
  /** PENDING → CONFIRMED + OrderConfirmed. */
  /** `ids.items`: the order's lines as they were inserted (the saga's state), so confirming reads none. */
  confirm(
    trx: OrdersDatabase,
    orderId: string,
    ids: { reservationId: string; paymentId: string; items?: readonly OrderLine[] },
  ): Promise<Transition>;
  /** `from` → CANCELLED + OrderCancelled (with the reason). */
  cancel(trx: OrdersDatabase, orderId: string, reason: CancelReason, from: readonly OrderStatus[]): Promise<Transition>;
}

export function createOrderLifecycle(deps: { store: OrderStore; events: Pick<Events, 'publish'>; clock: Clock }): OrderLifecycle {
  const { store, events } = deps;
  const lines = (order: Order) =>
    order.items.map(({ productId, name, quantity, unitPriceCents, currency }) => ({
      productId,
      name,
      quantity,
      unitPriceCents,
      currency,
    }));
  return {
    async confirm(trx, orderId, ids) {
      const at = new Date(deps.clock.now());
      const result = await store.confirm(trx, orderId, at, ids.items);
      if (result.changed) {
        const { order } = result;
        await events.publish(
          trx,
          OrderConfirmed,
          {
            orderId,
            userId: order.userId,
            items: lines(order),
            totalCents: order.totalCents,
            currency: order.currency,
            reservationId: ids.reservationId,
            paymentId: ids.paymentId,
            confirmedAt: at.toISOString(),
          },
          { subject: orderId },
        );
      }
      return result;
    },
    async cancel(trx, orderId, reason, from) {
      const at = new Date(deps.clock.now());
      const result = await store.cancel(trx, orderId, reason, at, from);
      if (result.changed) {
        await events.publish(
          trx,
          OrderCancelled,
          {
            orderId,
            userId: result.order.userId,
            reasonCode: reason.reasonCode,
            reason: reason.reason,
            cancelledAt: at.toISOString(),
          },
          { subject: orderId },
        );
      }
      return result;
    },
  };
}
