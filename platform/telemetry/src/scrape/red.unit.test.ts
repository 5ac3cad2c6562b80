// RED samples from two scrapes of prom-client registries set up like the chassis', and the quantile maths.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DURATION_BUCKETS } from '@souk/chassis';
import { parsePrometheusText } from './prometheus-text.ts';
import { diffRed, extractRed, quantileFromBuckets, type RedSample, type RedSnapshot } from './red.ts';
import { instanceMetrics } from './test/instance-metrics.ts';

/** One instance's metrics, scraped as the scraper reads them. */
function instance(service: string) {
  const metrics = instanceMetrics(service);
  return {
    ...metrics,
    async scrape(): Promise<RedSnapshot> {
      return extractRed(service, parsePrometheusText(await metrics.registry.metrics()));
    },
  };
}

/** Where a duration falls among DURATION_BUCKETS and +Inf. */
function bucketsOf(...seconds: number[]): number[] {
  const counts = new Array<number>(DURATION_BUCKETS.length + 1).fill(0);
  for (const s of seconds) {
    const i = DURATION_BUCKETS.findIndex((bound) => s <= bound);
    counts[i === -1 ? DURATION_BUCKETS.length : i]!++;
  }
  return counts;
}

const byTarget = (samples: RedSample[]) => new Map(samples.map((s) => [`${s.kind} ${s.source} ${s.target}`, s]));

function assertClose(actual: number | null | undefined, expected: number) {
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-9, `${actual} is not ${expected}`);
}

describe('extractRed and diffRed', () => {
  test('turn two scrapes of a server into one sample per route, statuses merged', async () => {
    const cart = instance('cart');
    cart.serve('GET', '/carts/:id', 200, 0.003);
    cart.serve('POST', '/carts', 201, 0.04);
    const first = await cart.scrape();
    cart.serve('GET', '/carts/:id', 200, 0.02);
    cart.serve('GET', '/carts/:id', 200, 0.2);
    cart.serve('GET', '/carts/:id', 404, 0.001);
    cart.serve('GET', '/carts/:id', 503, 1.5);
    cart.serve('GET', '/carts/:id', 500, 30);
    cart.serve('DELETE', '/carts/:id/items/:sku', 204, 0.007);
    const second = await cart.scrape();

    assert.deepEqual(diffRed(undefined, first, 15), [], 'no window on the first scrape');
    const samples = byTarget(diffRed(first, second, 15));
    // POST /carts did not move: left out.
    assert.deepEqual([...samples.keys()].sort(), ['route server DELETE /carts/:id/items/:sku', 'route server GET /carts/:id']);
    const get = samples.get('route server GET /carts/:id')!;
    assert.deepEqual(
      { ...get, durationSum: null },
      {
        kind: 'route',
        source: 'server',
        service: 'cart',
        target: 'GET /carts/:id',
        intervalSeconds: 15,
        requests: 5,
        errors: 2,
        durationSum: null,
        bounds: DURATION_BUCKETS,
        buckets: bucketsOf(0.02, 0.2, 0.001, 1.5, 30),
      },
    );
    assertClose(get.durationSum, 0.02 + 0.2 + 0.001 + 1.5 + 30);
    // A series new since the previous scrape counts from zero.
    const del = samples.get('route server DELETE /carts/:id/items/:sku')!;
    assert.equal(del.requests, 1);
    assert.deepEqual(del.buckets, bucketsOf(0.007));
  });

  test('count a restarted instance from its current values', async () => {
    const before = instance('cart');
    for (let i = 0; i < 10; i++) before.serve('GET', '/carts/:id', 200, 0.03);
    const old = await before.scrape();
    // A new process: its counters start again, below the old ones.
    const after = instance('cart');
    after.serve('GET', '/carts/:id', 200, 0.3);
    after.serve('GET', '/carts/:id', 500, 3);
    const [sample, ...rest] = diffRed(old, await after.scrape(), 15);
    assert.deepEqual(rest, []);
    assert.equal(sample?.requests, 2);
    assert.equal(sample?.errors, 1);
    assertClose(sample?.durationSum, 3.3);
    assert.deepEqual(sample?.buckets, bucketsOf(0.3, 3));
  });

  test('tell a restart by the process start time when counters grew past their old values', () => {
    const scrape = (start: number, count: number) =>
      extractRed(
        'cart',
        parsePrometheusText(
          [
            '# TYPE process_start_time_seconds gauge',
            `process_start_time_seconds ${start}`,
            '# TYPE http_server_request_duration_seconds histogram',
            `http_server_request_duration_seconds_bucket{http_request_method="GET",http_route="/x",http_response_status_code="200",le="0.1"} ${count}`,
            `http_server_request_duration_seconds_bucket{http_request_method="GET",http_route="/x",http_response_status_code="200",le="+Inf"} ${count}`,
            `http_server_request_duration_seconds_sum{http_request_method="GET",http_route="/x",http_response_status_code="200"} ${count / 20}`,
            `http_server_request_duration_seconds_count{http_request_method="GET",http_route="/x",http_response_status_code="200"} ${count}`,
          ].join('\n'),
        ),
      );
    assert.equal(diffRed(scrape(1000, 5), scrape(1000, 8), 10)[0]?.requests, 3);
    assert.equal(diffRed(scrape(1000, 5), scrape(2000, 8), 10)[0]?.requests, 8);
    assert.deepEqual(diffRed(scrape(1000, 5), scrape(2000, 8), 10)[0]?.bounds, [0.1]);
    assert.deepEqual(diffRed(scrape(1000, 5), scrape(2000, 8), 10)[0]?.buckets, [8, 0]);
  });

  test('read edges from the client histogram: the callee is its own service label, 4xx are not errors', async () => {
    const cart = instance('cart');
    cart.call('catalog', 200, 0.01);
    const first = await cart.scrape();
    cart.call('catalog', 200, 0.02);
    cart.call('catalog', 404, 0.003);
    cart.call('catalog', 503, 0.04);
    cart.call('catalog', undefined, 2, 'SOUK_UPSTREAM_TIMEOUT');
    cart.call('catalog', 200, 0.05, 'malformed JSON');
    cart.call('inventory', undefined, 0.001, 'SOUK_CONNECT_ERROR');
    const samples = byTarget(diffRed(first, await cart.scrape(), 15));
    const catalog = samples.get('edge client catalog')!;
    assert.equal(catalog.service, 'cart');
    assert.equal(catalog.requests, 5);
    assert.equal(catalog.errors, 3, '503, timeout, unreadable 200');
    assertClose(catalog.durationSum, 2.113);
    assert.deepEqual(catalog.buckets, bucketsOf(0.02, 0.003, 0.04, 2, 0.05));
    assert.deepEqual([samples.get('edge client inventory')?.requests, samples.get('edge client inventory')?.errors], [1, 1]);
    assert.equal(samples.size, 2);
  });

  test("read edges from the gateway's upstream counter, without durations", async () => {
    const gateway = instance('gateway');
    gateway.proxy('cart', 'ok', 4);
    const first = await gateway.scrape();
    gateway.proxy('cart', 'ok', 3);
    gateway.proxy('cart', 'status_5xx');
    gateway.proxy('cart', 'circuit_open', 2);
    gateway.proxy('orders', 'timeout');
    // The gateway's own chassis client to catalog: the same edge kind, another source.
    gateway.call('catalog', 200, 0.004);
    const samples = byTarget(diffRed(first, await gateway.scrape(), 30));
    assert.deepEqual(samples.get('edge gateway cart'), {
      kind: 'edge',
      source: 'gateway',
      service: 'gateway',
      target: 'cart',
      intervalSeconds: 30,
      requests: 6,
      errors: 3,
      durationSum: null,
      bounds: null,
      buckets: null,
    });
    assert.deepEqual([samples.get('edge gateway orders')?.requests, samples.get('edge gateway orders')?.errors], [1, 1]);
    assert.equal(samples.get('edge client catalog')?.requests, 1);
    assert.equal(samples.size, 3);
  });

  test('snapshot what the scrape held: the series and the process start time', async () => {
    const cart = instance('cart');
    cart.serve('GET', '/carts/:id', 200, 0.003);
    cart.serve('GET', '/carts/:id', 500, 0.003);
    cart.call('catalog', 200, 0.01);
    const snapshot = await cart.scrape();
    assert.equal(snapshot.service, 'cart');
    assert.equal(snapshot.series, 3);
    assert.equal(snapshot.counters.size, 3);
    assert.ok(snapshot.startTimeSeconds !== null && snapshot.startTimeSeconds > 1_600_000_000);
  });
});

describe('quantileFromBuckets', () => {
  const bounds = [0.1, 0.5, 1];

  test('interpolates linearly within the bucket that holds the rank', () => {
    assertClose(quantileFromBuckets(bounds, [0, 10, 0, 0], 0.5), 0.3);
    assertClose(quantileFromBuckets(bounds, [0, 10, 0, 0], 0.99), 0.496);
    // 4 up to 0.1, 4 in (0.1, 0.5], 2 in (0.5, 1]: p80 is the top of the second bucket, p90 halfway up the third.
    assertClose(quantileFromBuckets(bounds, [4, 4, 2, 0], 0.8), 0.5);
    assertClose(quantileFromBuckets(bounds, [4, 4, 2, 0], 0.9), 0.75);
    // The first bucket starts at zero.
    assertClose(quantileFromBuckets(bounds, [4, 4, 2, 0], 0.2), 0.05);
  });

  test('gives the highest finite bound for a rank in +Inf, and the first request for q = 0', () => {
    assert.equal(quantileFromBuckets(bounds, [1, 0, 0, 9], 0.5), 1);
    assert.equal(quantileFromBuckets(bounds, [1, 0, 0, 9], 1), 1);
    assert.equal(quantileFromBuckets(bounds, [0, 0, 3, 0], 0), 0.5);
  });

  test('agrees with the durations of a real scrape', async () => {
    const cart = instance('cart');
    const first = await cart.scrape();
    for (let i = 0; i < 90; i++) cart.serve('GET', '/x', 200, 0.03); // (0.025, 0.05]
    for (let i = 0; i < 10; i++) cart.serve('GET', '/x', 200, 0.7); // (0.5, 1]
    cart.serve('GET', '/other', 200, 0.001);
    const [sample] = diffRed(first, await cart.scrape(), 15).filter((s) => s.target === 'GET /x');
    assert.ok(sample?.bounds && sample.buckets);
    assertClose(quantileFromBuckets(sample.bounds, sample.buckets, 0.5), 0.025 + 0.025 * (50 / 90));
    assertClose(quantileFromBuckets(sample.bounds, sample.buckets, 0.99), 0.5 + 0.5 * (9 / 10));
  });

  test('has no answer without requests or with counts that do not match the bounds', () => {
    assert.equal(quantileFromBuckets(bounds, [0, 0, 0, 0], 0.5), null);
    assert.equal(quantileFromBuckets(bounds, [1, 2, 3], 0.5), null);
    assert.equal(quantileFromBuckets([], [5], 0.5), null);
    assert.throws(() => quantileFromBuckets(bounds, [1, 0, 0, 0], 1.5), RangeError);
    assert.throws(() => quantileFromBuckets(bounds, [1, 0, 0, 0], NaN), RangeError);
  });
});
