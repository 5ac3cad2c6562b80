// The catalog service: configuration, migrations, the one-time seed and the
// routes, wired onto the chassis.

import { defineService } from '@souk/chassis';
import { PriceChanged, ProductCreated, ProductDeleted, ProductRenamed } from '../contract.ts';
import { migrations } from '../migrations/index.ts';
import { registerCategoryRoutes } from './categories/category-routes.ts';
import { createCategoryStore } from './categories/category-store.ts';
import type { CatalogDb } from './db.ts';
import { registerProductRoutes } from './products/product-routes.ts';
import { createProductStore } from './products/product-store.ts';
import { createStockLookup } from './products/stock-lookup.ts';
import { seedCatalogOnce } from './seed/load-seed.ts';
import { CatalogConfig } from './config.ts';

export const catalogService = defineService<CatalogDb>()({
  name: 'catalog',
  version: '0.1.0',
  config: CatalogConfig,
  migrations,
  events: { publishes: [ProductCreated, PriceChanged, ProductRenamed, ProductDeleted] },
  async setup(ctx) {
    const { db } = ctx;
    // The seed is a data import, not a business event: it publishes nothing.
    if (ctx.config.CATALOG_SEED) {
      const result = await seedCatalogOnce(db);
      if (result.seeded) ctx.log.info(result, 'seed catalogue loaded');
    }
    registerProductRoutes(
      ctx,
      createProductStore(db, { clock: ctx.clock, events: ctx.events }),
      createStockLookup(ctx, { timeoutMs: ctx.config.CATALOG_STOCK_TIMEOUT_MS }),
    );
    registerCategoryRoutes(ctx, createCategoryStore(db));
  },
});
