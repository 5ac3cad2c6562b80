// The recommendations service: counts made from orders' OrderConfirmed
// (products bought together, bestsellers) served to anyone. Slow or failing on
// purpose through the chassis's `faults` setting, like any service.

import { defineService } from '@souk/chassis';
import { OrderConfirmed } from '@souk/orders/contract';

import { migrations } from '../migrations/index.ts';
import { countConfirmedOrder } from './counting/counting-handlers.ts';
import type { RecommendationsDb } from './db.ts';
import { registerRecommendationRoutes } from './reading/recommendation-routes.ts';
import { createRecommendationStore } from './reading/recommendation-store.ts';

export const recommendationsService = defineService<RecommendationsDb>()({
  name: 'recommendations',
  version: '0.1.0',
  migrations,
  setup(ctx) {
    const { db } = ctx;
    ctx.events.subscribe(OrderConfirmed, countConfirmedOrder());
    registerRecommendationRoutes(ctx, createRecommendationStore(db));
  },
});
