// The eviction loop: every interval, instances whose heartbeats stopped for a
// TTL leave the registry, and watchers learn about it through the index.

import { startPeriodic, type Logger, type PeriodicSchedule } from '@souk/chassis';
import type { RegistryStore } from './registry-store.ts';
import type { RegistryMetrics } from './registry-metrics.ts';

export interface SweeperOptions {
  store: RegistryStore;
  /** Every REGISTRY_SWEEP_INTERVAL_MS; runs counted as souk_periodic_runs_total{task="registry-eviction"}. */
  schedule: PeriodicSchedule;
  log: Pick<Logger, 'info' | 'error'>;
  metrics: RegistryMetrics;
}

export interface Sweeper {
  /** Runs one sweep now; the tick calls this, and so can a test. */
  sweep(): void;
  stop(): Promise<void>;
}

export function startSweeper(options: SweeperOptions): Sweeper {
  const { store, log, metrics } = options;
  function sweep(): void {
    for (const e of store.evictExpired()) {
      metrics.evicted(e.service);
      log.info(
        { instanceId: e.instanceId, service: e.service, silentMs: e.silentMs },
        `evicted ${e.instanceId} after ${formatSeconds(e.silentMs)} s without heartbeat`,
      );
    }
  }
  const tick = startPeriodic({ ...options.schedule, name: 'registry-eviction', run: sweep, log });
  return { sweep, stop: () => tick.stop() };
}

/** "10 s" for a whole number of seconds, else one decimal ("10.4 s"), as the sweep rarely lands on the TTL exactly. */
function formatSeconds(ms: number): string {
  const seconds = Math.round(ms / 100) / 10;
  return Number.isInteger(seconds) ? String(seconds) : seconds.toFixed(1);
}
