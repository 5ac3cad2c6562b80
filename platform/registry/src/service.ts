// The registry service: an in-memory registry of live instances, rebuilt from
// heartbeats after a restart (clients whose heartbeat gets 404 re-register).

import { defineService } from '@souk/chassis';
import { createRegistryMetrics } from './registry-metrics.ts';
import { RegistryConfig } from './config.ts';
import { createWatcherGate } from './limits.ts';
import { createRegistryStore } from './registry-store.ts';
import { registerRoutes } from './registry-routes.ts';
import { startSweeper } from './sweeper.ts';

export const registryService = defineService({
  name: 'registry',
  version: '0.1.0',
  config: RegistryConfig,
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
    const limits = {
      maxInstancesPerService: ctx.config.REGISTRY_MAX_INSTANCES_PER_SERVICE,
      maxInstances: ctx.config.REGISTRY_MAX_INSTANCES,
      maxMetadataKeys: ctx.config.REGISTRY_MAX_METADATA_KEYS,
      maxMetadataBytes: ctx.config.REGISTRY_MAX_METADATA_BYTES,
      maxWatchers: ctx.config.REGISTRY_MAX_WATCHERS,
      maxWatchersPerAddress: ctx.config.REGISTRY_MAX_WATCHERS_PER_ADDRESS,
    };
    // With mutual TLS the caller's certificate says which instance it is; without, nothing does.
    const bound = ctx.tls !== undefined;
    if (!bound) {
      ctx.log.warn(
        'no TLS certificate (TLS_CERT_FILE…): registrations are not bound to any identity, so any caller may register, renew or remove any instance',
      );
    }
    registerRoutes(ctx, {
      bound,
      store,
      metrics,
      heartbeatIntervalSeconds: heartbeatSeconds,
      shutdown: shutdown.signal,
      limits,
      watchers: createWatcherGate(limits),
    });
  },
});
