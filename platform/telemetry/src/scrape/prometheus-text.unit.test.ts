// The exposition parser and linter, against prom-client's real output and against lines written by hand.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Gauge, type Registry } from 'prom-client';
import { DURATION_BUCKETS } from '@souk/chassis';
import { checkExposition, isPrometheusParseError, parsePrometheusText, type MetricFamily } from './prometheus-text.ts';
import { instanceMetrics } from './test/instance-metrics.ts';

/** An instance's real metrics, observed a little, and one gauge whose help text needs every escape. */
function instanceRegistry(): Registry {
  const metrics = instanceMetrics('cart');
  metrics.inFlight('GET', 2);
  metrics.serve('GET', '/carts/:id', 200, 0.004);
  metrics.serve('GET', '/carts/:id', 200, 12);
  metrics.call('cat"a\\log\nx', undefined, 3, 'timeout');
  metrics.proxy('catalog', 'ok', 3);
  new Gauge({
    name: 'souk_escapes',
    help: 'A help text with "quotes", a back\\slash\nand a newline.',
    registers: [metrics.registry],
  }).set(1);
  return metrics.registry;
}

const family = (families: MetricFamily[], name: string): MetricFamily => {
  const found = families.find((f) => f.name === name);
  assert.ok(found, `no family ${name}`);
  return found;
};

describe('parsePrometheusText', () => {
  test('reads prom-client output: types, help, label escapes and histogram parts', async () => {
    const families = parsePrometheusText(await instanceRegistry().metrics());
    const server = family(families, 'http_server_request_duration_seconds');
    assert.equal(server.type, 'histogram');
    assert.equal(server.help, 'Duration of HTTP server requests.');
    assert.equal(server.samples.length, DURATION_BUCKETS.length + 1 + 2);
    const inf = server.samples.find((s) => s.labels.le === '+Inf');
    assert.deepEqual(inf?.labels, {
      le: '+Inf',
      service: 'cart',
      instance: 'cart-1',
      http_request_method: 'GET',
      http_route: '/carts/:id',
      http_response_status_code: '200',
    });
    assert.equal(inf?.value, 2);
    assert.equal(server.samples.find((s) => s.name.endsWith('_sum'))?.value, 12.004);
    assert.equal(family(families, 'souk_escapes').help, 'A help text with "quotes", a back\\slash\nand a newline.');
    const client = family(families, 'http_client_request_duration_seconds');
    assert.equal(client.samples[0]?.labels.service, 'cat"a\\log\nx');
    const upstream = family(families, 'souk_gateway_upstream_requests_total');
    assert.equal(upstream.type, 'counter');
    assert.deepEqual(upstream.samples[0]?.labels, { service: 'catalog', outcome: 'ok', instance: 'cart-1' });
    assert.equal(family(families, 'process_start_time_seconds').type, 'gauge');
    // Declared by prom-client but not observed: a family without samples.
    assert.equal(family(families, 'nodejs_gc_duration_seconds').samples.length, 0);
  });

  test('reads special values, timestamps, comments, blank lines and loose label sets', () => {
    const families = parsePrometheusText(
      [
        '# A comment that is neither HELP nor TYPE',
        '',
        '   ',
        '# HELP odd_values A \\\\ backslash',
        '# TYPE odd_values gauge',
        'odd_values{kind="pos"} +Inf',
        'odd_values{kind="neg"} -Inf',
        'odd_values{kind="nan"} NaN',
        'odd_values{kind="prom-client nan"} Nan',
        'odd_values{kind="exp"} 1.5e-3 1700000000000',
        '  odd_values { kind = "spaced" , } \t 7  ',
        'odd_values{kind="trailing",} -2',
        'odd_values{} 0',
        'bare_total 3',
        '#TYPE',
      ].join('\n'),
    );
    const odd = family(families, 'odd_values');
    assert.equal(odd.help, 'A \\ backslash');
    assert.deepEqual(
      odd.samples.map((s) => [s.labels.kind, s.value, s.timestampMs, s.line]),
      [
        ['pos', Infinity, null, 6],
        ['neg', -Infinity, null, 7],
        ['nan', NaN, null, 8],
        ['prom-client nan', NaN, null, 9],
        ['exp', 0.0015, 1700000000000, 10],
        ['spaced', 7, null, 11],
        ['trailing', -2, null, 12],
        [undefined, 0, null, 13],
      ],
    );
    assert.deepEqual(family(families, 'bare_total'), {
      name: 'bare_total',
      type: 'untyped',
      help: null,
      samples: [{ name: 'bare_total', labels: {}, value: 3, timestampMs: null, line: 14 }],
    });
  });

  test('keeps a label named __proto__ as a label', () => {
    const [only] = parsePrometheusText('odd{__proto__="x"} 1\n');
    assert.equal(Object.getPrototypeOf(only?.samples[0]?.labels), Object.prototype);
    assert.deepEqual(Object.entries(only?.samples[0]?.labels ?? {}), [['__proto__', 'x']]);
  });

  const malformed: [string, string, number, RegExp][] = [
    ['a missing value', 'ok 1\nhits_total{a="b"}', 2, /missing value/],
    ['a value that is not a number', 'hits_total 12abc', 1, /invalid value "12abc"/],
    ['a hex value', 'hits_total 0x10', 1, /invalid value/],
    ['an invalid metric name', 'http-requests_total 1', 1, /unexpected '-' after metric name http/],
    ['a name starting with a digit', '1hits 1', 1, /invalid metric name "1hits"/],
    ['an invalid label name', 'hits_total{1a="x"} 1', 1, /invalid label name "1a"/],
    ['a label name with a colon', 'hits_total{a:b="x"} 1', 1, /invalid label name "a:b"/],
    ['a duplicate label', 'hits_total{a="x",a="y"} 1', 1, /duplicate label name "a"/],
    ['the reserved __name__ label', 'hits_total{__name__="x"} 1', 1, /reserved/],
    ['an unquoted label value', 'hits_total{a=x} 1', 1, /expected '"'/],
    ['an unterminated label value', 'hits_total{a="x} 1', 1, /unterminated value of label a/],
    ['an unknown escape', 'hits_total{a="\\t"} 1', 1, /invalid escape sequence '\\t'/],
    ['an unclosed label set', 'hits_total{a="x" 1', 1, /expected '}'/],
    ['an empty label in a set', 'hits_total{a="x",,} 1', 1, /expected a label name/],
    ['a fractional timestamp', 'hits_total 1 17.5', 1, /invalid timestamp "17.5"/],
    ['text after the timestamp', 'hits_total 1 17 more', 1, /after the timestamp/],
    ['an unknown type', '# TYPE hits_total countr', 1, /unknown metric type "countr"/],
    ['a second TYPE', '# TYPE x gauge\n# TYPE x gauge', 2, /second TYPE line for x/],
    ['a TYPE after samples', 'x 1\n# TYPE x gauge', 2, /TYPE after its samples/],
    ['a second HELP', '# HELP x one\n# HELP x two', 2, /second HELP line for x/],
    ['a bad escape in HELP', '# HELP x a \\q', 1, /invalid escape sequence '\\q' in HELP/],
    ['a bucket without le', '# TYPE h histogram\nh_bucket{a="b"} 1', 2, /h_bucket has no "le" label/],
    ['a bucket with a bad le', '# TYPE h histogram\nh_bucket{le="big"} 1', 2, /invalid "le" value "big"/],
    ['a histogram sample without suffix', '# TYPE h histogram\nh 1', 2, /must be h_bucket, _sum or _count/],
    ['a summary quantile without quantile', '# TYPE s summary\ns 1', 2, /s has no "quantile" label/],
    ['a carriage return', 'hits_total 1\r\n', 1, /invalid value "1\r"/],
  ];
  for (const [what, text, line, message] of malformed) {
    test(`rejects ${what} with its line number`, () => {
      assert.throws(
        () => parsePrometheusText(text),
        (err: unknown) => {
          assert.ok(isPrometheusParseError(err), String(err));
          assert.equal(err.line, line);
          assert.match(err.message, message);
          assert.match(err.message, new RegExp(`^line ${line}: `));
          return true;
        },
      );
    });
  }
});

describe('checkExposition', () => {
  test("accepts prom-client's real output", async () => {
    assert.deepEqual(checkExposition(await instanceRegistry().metrics()), []);
  });

  const histogram = (lines: string[]) =>
    ['# HELP h_seconds Latency.', '# TYPE h_seconds histogram', ...lines, 'h_seconds_sum{a="x"} 1'].join('\n');
  const broken: [string, string, RegExp][] = [
    [
      'buckets that are not cumulative',
      histogram([
        'h_seconds_bucket{a="x",le="0.1"} 3',
        'h_seconds_bucket{a="x",le="1"} 2',
        'h_seconds_bucket{a="x",le="+Inf"} 3',
        'h_seconds_count{a="x"} 3',
      ]),
      /^h_seconds\{a="x"\}: bucket le="1" \(2\) is below le="0.1" \(3\): buckets must be cumulative$/,
    ],
    [
      'a histogram without +Inf',
      histogram(['h_seconds_bucket{a="x",le="0.1"} 1', 'h_seconds_count{a="x"} 1']),
      /^h_seconds\{a="x"\}: has no le="\+Inf" bucket$/,
    ],
    [
      'a +Inf bucket that is not _count',
      histogram(['h_seconds_bucket{a="x",le="0.1"} 1', 'h_seconds_bucket{a="x",le="+Inf"} 2', 'h_seconds_count{a="x"} 3']),
      /^h_seconds\{a="x"\}: le="\+Inf" bucket \(2\) differs from _count \(3\)$/,
    ],
    [
      'a histogram without _count',
      histogram(['h_seconds_bucket{a="x",le="+Inf"} 2']),
      /^h_seconds\{a="x"\}: has no h_seconds_count$/,
    ],
    [
      'a counter without _total',
      '# HELP hits Hits.\n# TYPE hits counter\nhits 1',
      /^hits: counter metrics should have "_total" suffix$/,
    ],
    ['a family without HELP', '# TYPE hits_total counter\nhits_total 1', /^hits_total: no help text$/],
    [
      'a duplicate series',
      '# HELP up Up.\n# TYPE up gauge\nup{a="1",b="2"} 1\nup{b="2",a="1"} 0',
      /^up: duplicate series up\{a="1",b="2"\} \(lines 3 and 4\)$/,
    ],
    ['an invalid metric name', '# HELP ok Ok.\nok 1\nbad-name 1', /^line 3: unexpected '-' after metric name bad$/],
    ['an invalid label name', '# HELP ok Ok.\nok{0x="1"} 1', /^line 2: invalid label name "0x"$/],
    ['a reserved metric name', '# HELP __up Up.\n__up 1', /^__up: metric names starting with "__" are reserved$/],
    ['a reserved label name', '# HELP up Up.\nup{__a="1"} 1', /^up: label names starting with "__" are reserved \("__a"\)$/],
    ['a camelCase name', '# HELP upCount Up.\nupCount 1', /^upCount: metric names should be written in 'snake_case'/],
    ['a colon in a name', '# HELP job:up Up.\njob:up 1', /^job:up: metric names should not contain ':'/],
    [
      'an le label on a gauge',
      '# HELP up Up.\n# TYPE up gauge\nup{le="1"} 1',
      /^up: non-histogram metrics should not have "le" label$/,
    ],
    [
      'a gauge named like a histogram part',
      '# HELP x_bucket X.\n# TYPE x_bucket gauge\nx_bucket 1',
      /^x_bucket: non-histogram metrics should not have "_bucket" suffix$/,
    ],
  ];
  for (const [what, text, problem] of broken) {
    test(`flags ${what}`, () => {
      const problems = checkExposition(text);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.match(problems[0]!, problem);
    });
  }

  test('accepts a correct handwritten histogram with buckets out of order', () => {
    const text = histogram([
      'h_seconds_bucket{a="x",le="+Inf"} 3',
      'h_seconds_bucket{a="x",le="1"} 2',
      'h_seconds_bucket{a="x",le="0.1"} 1',
      'h_seconds_count{a="x"} 3',
    ]);
    assert.deepEqual(checkExposition(text), []);
  });
});
