// The cart service: one cart per user with Redis-like expiry, priced from
// catalog with a breaker and a cached-price fallback, emptied of what was
// ordered when orders confirms (choreography).

import { defineService } from '@souk/chassis';
import { PriceChanged } from '@souk/catalog/contract';
import { OrderConfirmed } from '@souk/orders/contract';
import { migrations } from '../migrations/index.ts';
import { registerCartRoutes } from './cart/cart-routes.ts';
import { createCartStore } from './cart/cart-store.ts';
import { startCartSweeper } from './cart/cart-sweeper.ts';
import { createCartReader } from './cart/cart-view.ts';
import { CartConfig } from './config.ts';
import type { CartDb } from './db.ts';
import { refreshCachedPrice, removeOrderedItems } from './events/cart-handlers.ts';
import { createCatalogPrices } from './prices/catalog-prices.ts';
import { createPriceCache } from './prices/price-cache.ts';
import { createAvailability } from './stock/availability.ts';

export const cartService = defineService<CartDb>()({
  name: 'cart',
  version: '0.1.0',
  config: CartConfig,
  migrations,
  setup(ctx) {
    const { db } = ctx;
    const { config, clock, log } = ctx;
    const store = createCartStore(db, { clock, ttlSeconds: config.CART_TTL_SECONDS });
    const catalog = createCatalogPrices({
      client: ctx.client('catalog'),
      cache: createPriceCache(db),
      timeoutMs: config.CART_CATALOG_TIMEOUT_MS,
      freshMs: config.CART_PRODUCT_FRESH_MS,
      clock,
      log,
    });
    const availability = createAvailability({
      client: ctx.client('inventory'),
      timeoutMs: config.CART_INVENTORY_TIMEOUT_MS,
      log,
    });
    const reader = createCartReader({ store, prices: catalog, availability, log });
    registerCartRoutes(ctx, { store, reader, catalog });

    ctx.events.subscribe(OrderConfirmed, removeOrderedItems(store));
    ctx.events.subscribe(PriceChanged, refreshCachedPrice(catalog));

    const sweeper = startCartSweeper({
      store,
      schedule: { intervalMs: config.CART_SWEEP_INTERVAL_MS, metrics: ctx.metrics },
      log,
    });
    ctx.onClose(() => sweeper.stop());
  },
});
