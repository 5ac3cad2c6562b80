// The order-history service: the query side of CQRS. A denormalised read
// model of each user's orders, built only from the events of orders,
// payments, inventory and shipping (it never calls them), rebuildable from
// scratch by replaying those events.

import { defineService } from '@souk/chassis';
import { migrations } from '../migrations/index.ts';
import type { OrderHistoryDb } from './db.ts';
import { registerHistoryRoutes } from './history/history-routes.ts';
import { subscribeProjection } from './projection/projection-handlers.ts';
import { registerRebuildRoutes } from './rebuild/rebuild-routes.ts';

export const orderHistoryService = defineService<OrderHistoryDb>()({
  name: 'order-history',
  version: '0.1.0',
  migrations,
  setup(ctx) {
    const { db } = ctx;
    subscribeProjection(ctx);
    registerHistoryRoutes(ctx, db);
    registerRebuildRoutes(ctx, db);
  },
});
