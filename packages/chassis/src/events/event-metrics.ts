// Prometheus metrics of the event layer: outbox backlog and publish latency on
// the producing side; lag, handled / failed / dead-lettered counts and
// durations on the consuming side.

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DURATION_BUCKETS } from '../metrics.ts';

export interface EventMetrics {
  publishDuration: Histogram<'type'>;
  handled: Counter<'type'>;
  duplicates: Counter<'type'>;
  failed: Counter<'type'>;
  deadLettered: Counter<'type'>;
  handleDuration: Histogram<'type'>;
  deliveryLatency: Histogram<'type'>;
  consumerLag: Gauge<'producer'>;
}

export function createEventMetrics(registry: Registry, sources: { outboxBacklog(): Promise<number> }): EventMetrics {
  new Gauge({
    name: 'souk_outbox_backlog',
    help: 'Outbox events committed but not delivered yet (not sequenced into the feed, or not accepted by the broker).',
    registers: [registry],
    async collect() {
      try {
        this.set(await sources.outboxBacklog());
      } catch {
        // The database is away: no value rather than a failed scrape.
      }
    },
  });
  return {
    publishDuration: new Histogram({
      name: 'souk_event_publish_duration_seconds',
      help: 'From the commit that wrote an event to its delivery (into the feed, or accepted by the broker).',
      labelNames: ['type'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    handled: new Counter({
      name: 'souk_events_handled_total',
      help: 'Events whose handler committed.',
      labelNames: ['type'],
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'souk_events_duplicates_total',
      help: 'Redelivered events the inbox already had: skipped, no second effect.',
      labelNames: ['type'],
      registers: [registry],
    }),
    failed: new Counter({
      name: 'souk_events_failed_total',
      help: 'Handler attempts that failed (each redelivery counts).',
      labelNames: ['type'],
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: 'souk_events_dead_lettered_total',
      help: 'Events parked in the dead-letter list.',
      labelNames: ['type'],
      registers: [registry],
    }),
    handleDuration: new Histogram({
      name: 'souk_event_handle_duration_seconds',
      help: 'Time in the handler and its transaction.',
      labelNames: ['type'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    deliveryLatency: new Histogram({
      name: 'souk_event_delivery_latency_seconds',
      help: 'From the event time (the producing request) to its handler committing.',
      labelNames: ['type'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'souk_event_consumer_lag',
      help: 'Events of a producer not handled by this service yet.',
      labelNames: ['producer'],
      registers: [registry],
    }),
  };
}
