// Choreography: shipping's ShipmentFailed cancels the CONFIRMED order
// (reasonCode SHIPMENT_FAILED) and announces it with OrderCancelled, in the
// inbox transaction. Inventory returns the units and payments refunds on the
// same event, each by itself.

import type { EventHandler } from '@souk/chassis';
import type { ShipmentFailed } from '@souk/shipping/contract';
import type { OrdersDb } from '../db.ts';
import type { OrderLifecycle } from '../orders/order-lifecycle.ts';
import type { OrderStore } from '../orders/order-store.ts';

export const SHIPMENT_FAILED = 'SHIPMENT_FAILED';

export function cancelOnShipmentFailed(deps: {
  store: OrderStore;
  lifecycle: OrderLifecycle;
}): EventHandler<ShipmentFailed, OrdersDb> {
  return async (event, { db, log }) => {
    const { orderId, reasonCode, reason } = event.data;
    const order = await deps.store.get(orderId, db);
    if (!order) {
      log.warn({ order_id: orderId }, 'ShipmentFailed for an order this service does not have; ignored');
      return;
    }
    const result = await deps.lifecycle.cancel(
      db,
      orderId,
      { reasonCode: SHIPMENT_FAILED, reason: `The shipment failed (${reasonCode}): ${reason}`.slice(0, 500) },
      ['CONFIRMED'],
    );
    if (result.changed) log.info({ order_id: orderId, shipment_reason: reasonCode }, 'order cancelled: its shipment failed');
    else
      log.info(
        { order_id: orderId, status: result.order.status },
        'ShipmentFailed for an order that is not CONFIRMED; nothing to cancel',
      );
  };
}
