// The shipping service: a simulated warehouse step of the choreography.
// StockCommitted and PaymentCaptured in (both, any order) → a shipment →
// OrderShipped or ShipmentFailed out; OrderCancelled in → it never ships.

import { defineService } from '@souk/chassis';
import { StockCommitted } from '@souk/inventory/contract';
import { OrderCancelled, OrderConfirmed } from '@souk/orders/contract';
import { PaymentCaptured } from '@souk/payments/contract';
import { OrderShipped, ShipmentFailed } from '../contract.ts';
import { migrations } from '../migrations/index.ts';
import { registerBehaviourRoutes } from './behaviour/behaviour-routes.ts';
import { createBehaviourStore } from './behaviour/behaviour-store.ts';
import type { ShippingDb } from './db.ts';
import {
  ownerOnOrderConfirmed,
  shipmentOnOrderCancelled,
  shipmentOnPaymentCaptured,
  shipmentOnStockCommitted,
} from './shipments/shipment-handlers.ts';
import { registerShipmentRoutes } from './shipments/shipment-routes.ts';
import { startShipmentWorker } from './shipments/shipment-worker.ts';
import { ShippingConfig } from './config.ts';

export const shippingService = defineService<ShippingDb>()({
  name: 'shipping',
  version: '0.1.0',
  config: ShippingConfig,
  migrations,
  events: { publishes: [OrderShipped, ShipmentFailed] },
  setup(ctx) {
    const { db } = ctx;
    const { clock, config, log } = ctx;
    const behaviour = createBehaviourStore(db, { failureRate: config.SHIPPING_FAILURE_RATE, delayMs: config.SHIPPING_DELAY_MS });

    // The join: a shipment goes once its stock is committed AND its payment captured; a cancelled order's never does.
    ctx.events.subscribe(StockCommitted, shipmentOnStockCommitted({ clock, behaviour }));
    ctx.events.subscribe(PaymentCaptured, shipmentOnPaymentCaptured({ clock }));
    ctx.events.subscribe(OrderCancelled, shipmentOnOrderCancelled({ clock }));
    ctx.events.subscribe(OrderConfirmed, ownerOnOrderConfirmed({ clock }));
    registerShipmentRoutes(ctx, db);
    registerBehaviourRoutes(ctx, behaviour);

    const worker = startShipmentWorker({
      db,
      clock,
      events: ctx.events,
      behaviour,
      log,
      schedule: { intervalMs: config.SHIPPING_POLL_MS, metrics: ctx.metrics },
    });
    ctx.onClose(() => worker.stop());
  },
});
