// One instance's metrics as the chassis makes them (its registry, server histogram and client histogram,
// the real definitions, so a renamed metric or label breaks the scraper's tests), plus the gateway's
// upstream counter, which lives in the gateway and is declared here as it declares it.

import { Counter } from 'prom-client';
import { clientDurationHistogram, createHttpServerMetrics, createMetricsRegistry } from '@souk/chassis';

export function instanceMetrics(service: string) {
  const registry = createMetricsRegistry({ service, instance: `${service}-1` });
  const server = createHttpServerMetrics(registry);
  const client = clientDurationHistogram(registry);
  const upstream = new Counter({
    name: 'souk_gateway_upstream_requests_total',
    help: 'Requests the gateway sent upstream (one per attempt) or refused without an attempt, by service and outcome.',
    labelNames: ['service', 'outcome'],
    registers: [registry],
  });
  return {
    registry,
    serve(method: string, route: string, status: number, seconds: number) {
      server.duration.observe(server.durationLabels(method, route, status), seconds);
    },
    inFlight(method: string, count: number) {
      server.inFlight(method).count = count;
    },
    /** As sendAttempt records it: error_type is the status on any status >= 400, the failure's code without one. */
    call(callee: string, status: number | undefined, seconds: number, failure?: string) {
      const errorType =
        status === undefined ? (failure ?? 'SOUK_UPSTREAM_TIMEOUT') : status >= 400 || failure ? String(status) : '';
      client.observe(
        {
          service: callee,
          http_request_method: 'GET',
          http_response_status_code: status === undefined ? '' : String(status),
          error_type: errorType,
        },
        seconds,
      );
    },
    proxy(callee: string, outcome: string, times = 1) {
      upstream.inc({ service: callee, outcome }, times);
    },
  };
}
