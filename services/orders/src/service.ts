// The orders service: orders, the checkout saga that reserves stock, takes
// the payment and confirms (or undoes all of it), and the routes, wired onto
// the chassis.

import { defineService, useSagas } from '@souk/chassis';
import { PriceChanged, ProductCreated, ProductDeleted, ProductRenamed } from '@souk/catalog/contract';
import { ShipmentFailed } from '@souk/shipping/contract';
import { OrderCancelled, OrderConfirmed, OrderPlaced } from '../contract.ts';
import { migrations } from '../migrations/index.ts';
import { registerPlaceOrderRoute } from './checkout/place-order.ts';
import { OrdersConfig } from './config.ts';
import type { OrdersDb } from './db.ts';
import { createOrderLifecycle } from './orders/order-lifecycle.ts';
import { registerOrderRoutes } from './orders/order-routes.ts';
import { createOrderStore } from './orders/order-store.ts';
import { checkoutSaga } from './saga/checkout-saga.ts';
import { createCatalogProducts } from './prices/catalog-products.ts';
import { startPriceBackfill } from './prices/price-backfill.ts';
import { createPriceCopy } from './prices/price-copy.ts';
import { priceHandlers } from './prices/price-handlers.ts';
import { createParticipants } from './saga/participants.ts';
import { createSagaHooks, registerSagaHookRoutes } from './saga/saga-hooks.ts';
import { cancelOnShipmentFailed } from './shipping/shipment-handlers.ts';

export const ordersService = defineService<OrdersDb>()({
  name: 'orders',
  version: '0.1.0',
  config: OrdersConfig,
  migrations,
  events: { publishes: [OrderPlaced, OrderConfirmed, OrderCancelled] },
  setup(ctx) {
    const { db } = ctx;
    const config = ctx.config;
    const store = createOrderStore(db);
    const lifecycle = createOrderLifecycle({ store, events: ctx.events, clock: ctx.clock });
    const saga = checkoutSaga({
      participants: createParticipants(ctx, { reservationTtlSeconds: config.ORDERS_RESERVATION_TTL_SECONDS }),
      lifecycle,
      store,
      settings: {
        stepTimeoutMs: config.ORDERS_STEP_TIMEOUT_MS,
        captureTimeoutMs: config.ORDERS_CAPTURE_TIMEOUT_MS,
        attemptTimeoutMs: config.ORDERS_STEP_ATTEMPT_TIMEOUT_MS,
        retry: { baseMs: config.ORDERS_STEP_RETRY_BASE_MS, capMs: config.ORDERS_STEP_RETRY_CAP_MS },
        compensationRetry: { baseMs: config.ORDERS_COMPENSATION_RETRY_BASE_MS, capMs: config.ORDERS_COMPENSATION_RETRY_CAP_MS },
      },
    });
    const hooks = config.ORDERS_TEST_HOOKS ? createSagaHooks(() => ctx.clock.now()) : undefined;
    const sagas = useSagas(ctx, {
      sagas: [saga],
      leaseMs: config.ORDERS_SAGA_LEASE_MS,
      pollIntervalMs: config.ORDERS_SAGA_POLL_MS,
      compensationParkAfter: config.SAGA_COMPENSATION_PARK_AFTER,
      ...(hooks ? { beforeStep: hooks.beforeStep } : {}),
    });
    if (hooks) {
      ctx.log.warn('ORDERS_TEST_HOOKS is on: PUT /_admin/saga-hooks can pause the checkout saga');
      registerSagaHookRoutes(
        ctx,
        hooks,
        saga.steps.map((s) => s.name),
      );
    }

    const prices = createPriceCopy(db);
    const catalog = createCatalogProducts({ client: ctx.client('catalog'), timeoutMs: config.ORDERS_CATALOG_TIMEOUT_MS });
    const onPrice = priceHandlers(prices);
    ctx.events.subscribe(ProductCreated, onPrice.created);
    ctx.events.subscribe(PriceChanged, onPrice.priceChanged);
    ctx.events.subscribe(ProductRenamed, onPrice.renamed);
    ctx.events.subscribe(ProductDeleted, onPrice.deleted);
    const backfill = startPriceBackfill({ db, copy: prices, catalog, clock: ctx.clock, log: ctx.log });
    ctx.onClose(() => backfill.stop());

    registerPlaceOrderRoute(ctx, {
      db,
      store,
      sagas,
      events: ctx.events,
      clock: ctx.clock,
      prices,
      catalog,
      cartTimeoutMs: config.ORDERS_CART_TIMEOUT_MS,
      pricesRetryAfterSeconds: config.ORDERS_PRICES_RETRY_AFTER_SECONDS,
    });
    registerOrderRoutes(ctx, store, sagas);
    ctx.events.subscribe(ShipmentFailed, cancelOnShipmentFailed({ store, lifecycle }));
  },
});
