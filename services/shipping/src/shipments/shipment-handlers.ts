// Shipping's subscriptions (choreography: nobody calls shipping to ship).
// A shipment may go only when two facts about its order are known, whichever
// arrives first: inventory's StockCommitted (the units are set aside for it)
// and payments' PaymentCaptured (the money is taken). The stock is committed
// right after the order is confirmed, but the orders saga captures the payment
// later; if the capture fails, the saga cancels the order, and shipping on the
// commit alone would have sent the goods for free. orders' OrderCancelled
// stops a shipment that has not left (and, arriving first, one not recorded
// yet). orders' OrderConfirmed records whose order it is, so that customer may
// read its shipment. All run in the event's inbox transaction; the join's
// handlers lock the order's facts first (shipment-store.ts says why):
// StockCommitted's in the statement that records the shipment.

import type { EventHandler } from '@souk/chassis';
import type { StockCommitted } from '@souk/inventory/contract';
import type { OrderCancelled, OrderConfirmed } from '@souk/orders/contract';
import type { PaymentCaptured } from '@souk/payments/contract';
import type { ShippingDb } from '../db.ts';
import type { BehaviourStore } from '../behaviour/behaviour-store.ts';
import { shipAfter } from './shipment-rules.ts';
import { lockOrderFacts, recordCancellation, recordOwner, recordPayment, recordShipment } from './shipment-store.ts';

interface Clock {
  now(): number;
}

export function shipmentOnStockCommitted(deps: {
  clock: Clock;
  behaviour: BehaviourStore;
}): EventHandler<StockCommitted, ShippingDb> {
  return async (event, { db, log }) => {
    const { orderId, reservationId, items } = event.data;
    const now = new Date(deps.clock.now());
    const { delayMs } = await deps.behaviour.get(db);
    // The facts are locked and read in the statement that records the shipment (recordShipment).
    const status = await recordShipment(db, { orderId, reservationId, items, shipAfter: shipAfter(now, delayMs), now });
    if (status) log.info({ orderId, status, delayMs }, 'shipment recorded');
    else log.info({ orderId }, 'order already has a shipment; nothing added');
  };
}

export function shipmentOnPaymentCaptured(deps: { clock: Clock }): EventHandler<PaymentCaptured, ShippingDb> {
  return async (event, { db, log }) => {
    const { orderId, paymentId, capturedAt } = event.data;
    const now = new Date(deps.clock.now());
    const facts = await lockOrderFacts(db, orderId, now);
    const outcome = await recordPayment(db, facts, { paymentId, paidAt: new Date(capturedAt) }, now);
    if (outcome.kind === 'released')
      log.info({ orderId, shipAfter: outcome.shipAfter.toISOString() }, 'payment captured; shipment may ship');
    else if (outcome.kind === 'remembered') log.info({ orderId }, 'payment captured before the stock was committed; remembered');
    else if (outcome.status === 'CANCELLED')
      log.warn({ orderId, paymentId }, 'payment captured for a cancelled shipment; it stays cancelled');
    else log.info({ orderId, status: outcome.status }, 'payment capture already known; nothing to do');
  };
}

export function shipmentOnOrderCancelled(deps: { clock: Clock }): EventHandler<OrderCancelled, ShippingDb> {
  return async (event, { db, log }) => {
    const { orderId, reasonCode, reason, cancelledAt } = event.data;
    const now = new Date(deps.clock.now());
    const facts = await lockOrderFacts(db, orderId, now);
    const outcome = await recordCancellation(db, facts, { reasonCode, reason, cancelledAt: new Date(cancelledAt) }, now);
    if (outcome.kind === 'cancelled') log.info({ orderId, reasonCode }, 'order cancelled; shipment cancelled');
    else if (outcome.kind === 'remembered')
      log.info({ orderId, reasonCode }, 'order cancelled before its stock was committed; remembered');
    else if (outcome.status === 'SHIPPED')
      log.warn({ orderId, reasonCode }, 'order cancelled after its shipment left; nothing to undo here');
    else log.info({ orderId, status: outcome.status, reasonCode }, 'order cancelled; shipment already settled');
  };
}

export function ownerOnOrderConfirmed(deps: { clock: Clock }): EventHandler<OrderConfirmed, ShippingDb> {
  return async (event, { db }) => {
    await recordOwner(db, event.data.orderId, event.data.userId, new Date(deps.clock.now()));
  };
}
