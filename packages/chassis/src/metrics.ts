// Prometheus metrics for one service instance, named after the OpenTelemetry
// HTTP semantic conventions so dashboards work across services.

import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export { Registry } from 'prom-client';

/** Latency buckets in seconds, from a cache hit to a slow checkout. */
export const DURATION_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface HttpServerMetrics {
  duration: Histogram<'http_request_method' | 'http_route' | 'http_response_status_code'>;
  active: Gauge<'http_request_method'>;
}

/**
 * How often the event-loop delay monitor samples (ms). prom-client's default, 10 ms, is a timer firing
 * 100 times a second in every process: measured alone, 9.6 ms of CPU per second against 3.1 at 100 ms
 * (2.2 with no monitor), so about 90 ms/s across the devhost's fourteen processes doing nothing. At
 * 100 ms the lag histogram still catches every stall that matters to a request.
 */
export const EVENT_LOOP_MONITORING_PRECISION_MS = 100;

export function createMetricsRegistry(labels: { service: string; instance: string }): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS });
  return registry;
}

export function createHttpServerMetrics(registry: Registry): HttpServerMetrics {
  return {
    duration: new Histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of HTTP server requests.',
      labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    active: new Gauge({
      name: 'http_server_active_requests',
      help: 'Number of HTTP server requests in flight.',
      labelNames: ['http_request_method'],
      registers: [registry],
    }),
  };
}
