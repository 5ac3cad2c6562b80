// The registry service: an in-memory registry of live instances, rebuilt from
// heartbeats after a restart (clients whose heartbeat gets 404 re-register).

import { defineService } from '@souk/chassis';
import { Type } from 'typebox';
import { createRegistryMetrics } from './registry-metrics.ts';
import { createRegistryStore, DEFAULT_TTL_MS } from './registry-store.ts';
import { registerRoutes } from './routes.ts';
import { startSweeper } from './sweeper.ts';

export const DEFAULT_HEARTBEAT_SECONDS = 3;
export const DEFAULT_SWEEP_INTERVAL_MS = 1000;

export const registryService = defineService({
  name: 'registry',
  version: '0.1.0',
  config: Type.Object({
    REGISTRY_TTL_SECONDS: Type.Number({
      default: DEFAULT_TTL_MS / 1000,
      exclusiveMinimum: 0,
      description: 'An instance is evicted this long after its last heartbeat.',
    }),
    REGISTRY_HEARTBEAT_SECONDS: Type.Number({
      default: DEFAULT_HEARTBEAT_SECONDS,
      exclusiveMinimum: 0,
      description: 'How often clients are told to heartbeat; keep it well below the TTL.',
    }),
    REGISTRY_SWEEP_INTERVAL_MS: Type.Integer({
      default: DEFAULT_SWEEP_INTERVAL_MS,
      minimum: 1,
      description: 'How often expired instances are looked for.',
    }),
  }),
  async setup(ctx) {
    const { REGISTRY_TTL_SECONDS: ttlSeconds, REGISTRY_HEARTBEAT_SECONDS: heartbeatSeconds } = ctx.config;
    if (heartbeatSeconds >= ttlSeconds) {
      // A client heartbeating slower than the TTL would flap in and out of the registry.
      throw new Error(`REGISTRY_HEARTBEAT_SECONDS (${heartbeatSeconds}) must be below REGISTRY_TTL_SECONDS (${ttlSeconds})`);
    }
    const store = createRegistryStore({ clock: ctx.clock, ttlMs: ttlSeconds * 1000 });
    const metrics = createRegistryMetrics(ctx.metrics, store);
    const sweeper = startSweeper({
      store,
      schedule: { intervalMs: ctx.config.REGISTRY_SWEEP_INTERVAL_MS, metrics: ctx.metrics },
      log: ctx.log,
      metrics,
    });
    // Held watches answer as soon as shutdown begins (preClose runs before the
    // server stops accepting and drains), so draining never waits out a long-poll.
    const shutdown = new AbortController();
    ctx.app.addHook('preClose', async () => {
      shutdown.abort();
      await sweeper.stop();
    });
    registerRoutes(ctx, { store, metrics, heartbeatIntervalSeconds: heartbeatSeconds, shutdown: shutdown.signal });
  },
});
