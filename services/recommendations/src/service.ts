// The recommendations service: counts made from orders' OrderConfirmed
// (products bought together, bestsellers) served to anyone, plus a behaviour
// hook that makes it slow or failing on purpose.

import { defineService } from '@souk/chassis';
import { OrderConfirmed } from '@souk/orders/contract';

import { migrations } from '../migrations/index.ts';
import { createBehaviourHook } from './behaviour/behaviour.ts';
import { registerBehaviourRoutes } from './behaviour/behaviour-routes.ts';
import { countConfirmedOrder } from './counting/counting-handlers.ts';
import type { RecommendationsDb } from './db.ts';
import { registerRecommendationRoutes } from './reading/recommendation-routes.ts';
import { createRecommendationStore } from './reading/recommendation-store.ts';
import { RecommendationsConfig } from './config.ts';

export const recommendationsService = defineService<RecommendationsDb>()({
  name: 'recommendations',
  version: '0.1.0',
  config: RecommendationsConfig,
  migrations,
  setup(ctx) {
    const { db } = ctx;
    ctx.events.subscribe(OrderConfirmed, countConfirmedOrder());
    const behaviour = createBehaviourHook({ initialDelayMs: ctx.config.RECOMMENDATIONS_DELAY_MS });
    registerRecommendationRoutes(ctx, createRecommendationStore(db), behaviour);
    registerBehaviourRoutes(ctx, behaviour);
  },
});
