// Shipping's subscriptions (choreography: nobody calls shipping to ship).
// inventory's StockCommitted records a PENDING shipment; orders' OrderConfirmed
// records whose order it is, so that customer may read its shipment. Both run
// in the event's inbox transaction.

import type { EventHandler } from '@souk/chassis';
import type { StockCommitted } from '@souk/inventory/contract';
import type { OrderConfirmed } from '@souk/orders/contract';
import type { ShippingDatabase } from '../db.ts';
import type { BehaviourStore } from '../behaviour/behaviour-store.ts';
import { shipAfter } from './shipment-rules.ts';
import { recordOwner, recordShipment } from './shipment-store.ts';

export function shipmentOnStockCommitted(deps: { clock: { now(): number }; behaviour: BehaviourStore }): EventHandler<StockCommitted> {
  return async (event, { db, log }) => {
    const trx = db as ShippingDatabase;
    const { orderId, reservationId, items } = event.data;
    const now = new Date(deps.clock.now());
    const { delayMs } = await deps.behaviour.get(trx);
    const recorded = await recordShipment(trx, { orderId, reservationId, items, shipAfter: shipAfter(now, delayMs), now });
    if (recorded) log.info({ orderId, delayMs }, 'shipment recorded');
    else log.info({ orderId }, 'order already has a shipment; nothing added');
  };
}

export function ownerOnOrderConfirmed(deps: { clock: { now(): number } }): EventHandler<OrderConfirmed> {
  return async (event, { db }) => {
    await recordOwner(db as ShippingDatabase, event.data.orderId, event.data.userId, new Date(deps.clock.now()));
  };
}
