// Prometheus metrics of the registry: instances per service and held watches
// (read from the store at scrape time, so they cannot drift) and evictions.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { RegistryStore } from './registry-store.ts';

export interface RegistryMetrics {
  /** Notes a service so its gauge series exists even if its instances leave before the next scrape. */
  registered(service: string): void;
  /** Counts one instance evicted for missing heartbeats. */
  evicted(service: string): void;
}

export function createRegistryMetrics(registry: Registry, store: RegistryStore): RegistryMetrics {
  // Services seen once keep a series at 0 after their last instance goes, so
  // "no instance of catalog" is an alertable value rather than a missing series.
  const seen = new Set<string>();
  new Gauge({
    name: 'souk_registry_instances',
    help: 'Registered instances per service.',
    labelNames: ['service'],
    registers: [registry],
    collect() {
      const counts = store.counts();
      for (const service of counts.keys()) seen.add(service);
      for (const service of seen) this.set({ service }, counts.get(service) ?? 0);
    },
  });
  new Gauge({
    name: 'souk_registry_watches',
    help: 'Watch requests currently held open (long-polls waiting for a change).',
    registers: [registry],
    collect() {
      this.set(store.waiting());
    },
  });
  const evictions = new Counter({
    name: 'souk_registry_evictions_total',
    help: 'Instances evicted because their heartbeats stopped.',
    labelNames: ['service'],
    registers: [registry],
  });
  return {
    registered: (service) => void seen.add(service),
    evicted(service) {
      seen.add(service);
      evictions.inc({ service });
    },
  };
}
