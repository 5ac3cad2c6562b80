// The inventory service: stock levels and reservations with expiry. Wires the
// configuration, routes, the choreography's subscriptions, the expiry sweeper
// and the one-time demo stock onto the chassis.

import { defineService } from '@souk/chassis';
import { ProductCreated } from '@souk/catalog/contract';
import { OrderConfirmed } from '@souk/orders/contract';
import { ShipmentFailed } from '@souk/shipping/contract';
import { StockCommitted, StockLow, StockReleased, StockReserved, StockReturned } from '../contract.ts';
import { migrations } from '../migrations/index.ts';
import type { InventoryDb } from './db.ts';
import { commitOnOrderConfirmed, levelOnProductCreated, returnOnShipmentFailed } from './events/inventory-handlers.ts';
import { createInventoryMetrics } from './metrics.ts';
import { startExpirySweeper } from './reservations/expiry-sweeper.ts';
import { createReservationCommands } from './reservations/reservation-commands.ts';
import { registerReservationRoutes } from './reservations/reservation-routes.ts';
import { startSeedTask } from './seed/seed-loader.ts';
import { createLevelStore } from './stock/level-store.ts';
import { registerLevelRoutes } from './stock/level-routes.ts';
import { InventoryConfig } from './config.ts';

export const inventoryService = defineService<InventoryDb>()({
  name: 'inventory',
  version: '0.1.0',
  config: InventoryConfig,
  migrations,
  events: { publishes: [StockReserved, StockReleased, StockCommitted, StockReturned, StockLow] },
  setup(ctx) {
    const { db } = ctx;
    const { config, clock, events, log } = ctx;
    const metrics = createInventoryMetrics(ctx.metrics);
    const threshold = config.INVENTORY_LOW_STOCK_THRESHOLD;

    ctx.events.subscribe(OrderConfirmed, commitOnOrderConfirmed({ clock, events, metrics }));
    ctx.events.subscribe(ShipmentFailed, returnOnShipmentFailed({ clock, events, metrics }));
    ctx.events.subscribe(
      ProductCreated,
      levelOnProductCreated({ clock, newProductStock: config.INVENTORY_NEW_PRODUCT_STOCK, threshold }),
    );

    registerLevelRoutes(ctx, createLevelStore(db, { clock, events, defaultThreshold: threshold }));
    registerReservationRoutes(
      ctx,
      createReservationCommands(db, {
        clock,
        events,
        metrics,
        defaultTtlSeconds: config.INVENTORY_RESERVATION_TTL_SECONDS,
      }),
    );

    const sweeper = startExpirySweeper({
      db,
      clock,
      events,
      metrics,
      log,
      schedule: { intervalMs: config.INVENTORY_EXPIRY_SWEEP_MS, metrics: ctx.metrics },
    });
    ctx.onClose(() => sweeper.stop());
    if (config.INVENTORY_SEED_STOCK > 0) {
      const seed = startSeedTask({
        db,
        catalog: ctx.client('catalog'),
        log,
        clock,
        stock: config.INVENTORY_SEED_STOCK,
        threshold,
      });
      ctx.onClose(() => seed.stop());
    }
  },
});
