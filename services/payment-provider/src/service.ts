// The payment provider: a stand-in for an external card processor (think
// Stripe), with its own API style, API keys and idempotency keys, and
// behaviour that can be made slow, flaky, declining or down at run time.

import { defineService } from '@souk/chassis';
import { migrations } from '../migrations/index.ts';
import { apiKeyHooks, type KeyHook } from './auth/api-keys.ts';
import { createBehaviourSettings, createPauses } from './behaviour/behaviour.ts';
import { registerBehaviourRoutes } from './behaviour/behaviour-routes.ts';
import { initialBehaviour, ProviderConfig, readApiKeys } from './config.ts';
import type { ProviderDb } from './db.ts';
import { errors } from './errors.ts';
import { createIdempotencyStore } from './idempotency/idempotency-store.ts';
import { registerPaymentRoutes } from './payments/payment-routes.ts';

export const paymentProviderService = defineService<ProviderDb>()({
  name: 'payment-provider',
  version: '0.1.0',
  config: ProviderConfig,
  migrations,
  async setup(ctx) {
    const { db } = ctx;
    const keys = await readApiKeys(ctx.config, ctx.secrets);
    const behaviour = createBehaviourSettings(initialBehaviour(ctx.config));
    const pauses = createPauses();
    // Shutdown must not wait out a simulated latency: held answers go out as the server drains.
    ctx.app.addHook('preClose', async () => pauses.endAll());
    const hooks = apiKeyHooks(keys);
    const available: KeyHook = async () => {
      if (behaviour.current().outage) {
        throw errors.unavailable({
          detail: 'The payment provider is down (simulated outage); nothing was done.',
          headers: { 'retry-after': '5' },
        });
      }
    };
    if (Object.values(behaviour.current()).some((v) => v !== 0 && v !== false)) {
      ctx.log.warn({ behaviour: behaviour.current() }, 'starting with injected faults');
    }
    registerBehaviourRoutes(ctx, behaviour, hooks.admin);
    registerPaymentRoutes(ctx, {
      db,
      keys: createIdempotencyStore(db, ctx.clock),
      behaviour,
      pauses,
      random: Math.random,
      available,
      merchant: hooks.merchant,
    });
  },
});
