// The request metrics' caches: one label set per method/route/status, one
// in-flight cell per method, and what a scrape shows of them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createHttpServerMetrics, createMetricsRegistry } from './metrics.ts';

test('a label set is built once per method, route and status, and never shared between them', () => {
  const metrics = createHttpServerMetrics(new Registry());
  const ok = metrics.durationLabels('GET', '/api/v1/cart', 200);
  assert.deepEqual(ok, { http_request_method: 'GET', http_route: '/api/v1/cart', http_response_status_code: '200' });
  assert.equal(metrics.durationLabels('GET', '/api/v1/cart', 200), ok, 'the same object the second time');
  assert.ok(Object.isFrozen(ok), 'no caller can change what the next request gets');
  const others = [
    metrics.durationLabels('POST', '/api/v1/cart', 200),
    metrics.durationLabels('GET', '/api/v1/orders', 200),
    metrics.durationLabels('GET', '/api/v1/cart', 404),
  ];
  for (const other of others) assert.notEqual(other, ok);
  assert.equal(others[2]!.http_response_status_code, '404');
});

test('the histogram and the in-flight gauge read as before when scraped', async () => {
  const registry = new Registry();
  const metrics = createHttpServerMetrics(registry);
  const get = metrics.inFlight('GET');
  assert.equal(metrics.inFlight('GET'), get, 'one cell per method');
  get.count++;
  get.count++;
  metrics.inFlight('POST').count++;
  metrics.duration.observe(metrics.durationLabels('GET', '/x', 200), 0.003);
  metrics.duration.observe(metrics.durationLabels('GET', '/x', 200), 0.02);
  let text = await registry.metrics();
  assert.match(text, /^http_server_active_requests\{http_request_method="GET"\} 2$/m);
  assert.match(text, /^http_server_active_requests\{http_request_method="POST"\} 1$/m);
  assert.match(
    text,
    /^http_server_request_duration_seconds_count\{http_request_method="GET",http_route="\/x",http_response_status_code="200"\} 2$/m,
  );
  assert.match(
    text,
    /^http_server_request_duration_seconds_bucket\{le="0.005",http_request_method="GET",http_route="\/x",http_response_status_code="200"\} 1$/m,
  );
  get.count -= 2;
  text = await registry.metrics();
  assert.match(text, /^http_server_active_requests\{http_request_method="GET"\} 0$/m);
});

test('no metric but a counter is named …_total (promtool check metrics refuses prom-client’s three default gauges)', async () => {
  const registry = createMetricsRegistry({ service: 'unit', instance: 'unit-1' });
  createHttpServerMetrics(registry);
  const metrics = await registry.getMetricsAsJSON();
  assert.ok(
    metrics.some((m) => m.name === 'nodejs_active_handles'),
    'the same figure, by type',
  );
  const misnamed = metrics.filter((m) => m.name.endsWith('_total') && String(m.type) !== 'counter').map((m) => m.name);
  assert.deepEqual(misnamed, []);
});
