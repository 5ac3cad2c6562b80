// The telemetry backend against a real PostgreSQL: the OpenTelemetry SDK's own OTLP/HTTP exporters (JSON
// and protobuf) send spans of two services in one trace, found by service, route, duration, error and id,
// parented as sent; shipped log lines are found by trace id, text and level; a real chassis instance is
// scraped into RED series; admins only may read; malformed exports are refused with a reason; retention
// deletes by age and by row cap.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { sql } from 'kysely';
import { defineService, startService, type Discovery, type RunningService, type ServiceInstance } from '@souk/chassis';
import {
  assertProblem,
  call,
  createTestDatabase,
  createTestIssuer,
  waitFor,
  type TestDatabase,
  type TestIssuer,
} from '@souk/chassis/testing';
import { applyRetention } from '../src/retention.ts';
import { telemetryService } from '../src/service.ts';

let database: TestDatabase;
let issuer: TestIssuer;
let telemetry: RunningService;
let scraped: RunningService;
let admin: string;
const T = '/api/v1/telemetry';

/** A service the scraper finds in discovery: one route that succeeds, one that fails. */
const scrapedService = defineService({
  name: 'shop-test',
  version: '1.0.0',
  setup(ctx) {
    ctx.app.get('/api/v1/shop/ok', async () => ({ ok: true }));
    ctx.app.get('/api/v1/shop/broken', async (_request, reply) => reply.code(503).send({ broken: true }));
  },
});

function discoveryOf(instances: () => ServiceInstance[]): Discovery {
  return {
    instances: (service) => instances().filter((i) => i.service === service),
    services: () => [...new Set(instances().map((i) => i.service))].sort(),
    onChange: () => () => undefined,
    ready: async () => undefined,
    close: async () => undefined,
  };
}

/** A tracer of `service` whose spans go straight out through `exporter` (one export per span). */
function tracerOf(service: string, exporter: SpanExporter) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'service.instance.id': `${service}-1` }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  return {
    tracer: provider.getTracer('telemetry-test'),
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

before(async () => {
  database = await createTestDatabase('telemetry');
  issuer = await createTestIssuer();
  admin = await issuer.token({ roles: ['admin'], email: 'admin@souk.local' });
  scraped = await startService(scrapedService, { env: { LOG_LEVEL: 'silent', INSTANCE_ID: 'shop-test-1' } });
  const instance: ServiceInstance = {
    instanceId: 'shop-test-1',
    service: 'shop-test',
    url: scraped.url,
    version: '1.0.0',
    zone: 'local',
    weight: 100,
    metadata: { adminUrl: scraped.adminUrl },
  };
  telemetry = await startService(telemetryService, {
    env: {
      DATABASE_URL: database.url,
      LOG_LEVEL: 'silent',
      INSTANCE_ID: 'telemetry-1',
      TELEMETRY_SCRAPE_INTERVAL_MS: '100',
    },
    discovery: discoveryOf(() => [instance]),
  });
  telemetry.ctx.auth.setKeySource(issuer.keySource);
});

after(async () => {
  await telemetry?.stop();
  await scraped?.stop();
  await database?.drop();
});

describe('traces from the OpenTelemetry SDK’s exporters', () => {
  let traceId: string;

  before(async () => {
    // The gateway-like caller exports JSON, the callee protobuf: one trace across both encodings.
    const front = tracerOf('front', new JsonExporter({ url: `${telemetry.url}/v1/traces` }));
    const orders = tracerOf('orders', new ProtobufExporter({ url: `${telemetry.url}/v1/traces` }));
    const root = front.tracer.startSpan('GET /api/v1/orders', {
      kind: SpanKind.SERVER,
      attributes: { 'http.route': '/api/v1/orders' },
    });
    const rootContext = trace.setSpan(context.active(), root);
    const client = front.tracer.startSpan('GET orders', { kind: SpanKind.CLIENT }, rootContext);
    const server = orders.tracer.startSpan(
      'GET /api/v1/orders/:id',
      { kind: SpanKind.SERVER, attributes: { 'http.route': '/api/v1/orders/:id', 'http.response.status_code': 500 } },
      trace.setSpan(rootContext, client),
    );
    server.recordException(new Error('database gone'));
    server.setStatus({ code: SpanStatusCode.ERROR, message: 'SOUK_DB_UNAVAILABLE' });
    server.end();
    client.end();
    root.end();
    await Promise.all([front.flush(), orders.flush()]);
    await Promise.all([front.shutdown(), orders.shutdown()]);
    traceId = root.spanContext().traceId;
  });

  it('finds the trace by service, route, error and duration, with both services in it', async () => {
    for (const query of ['service=orders', 'service=front', 'route=/api/v1/orders/:id', 'error=true', 'minDurationMs=0']) {
      const found = await call(telemetry.url, 'GET', `${T}/traces?${query}`, { token: admin });
      assert.equal(found.status, 200, found.text);
      const listed = found.json.traces.find((t: { traceId: string }) => t.traceId === traceId);
      assert.ok(listed, `${query}: ${found.text}`);
      assert.deepEqual(listed.services, ['front', 'orders']);
      assert.deepEqual(listed.routes, ['/api/v1/orders', '/api/v1/orders/:id']);
      assert.equal(listed.rootService, 'front');
      assert.equal(listed.spanCount, 3);
      assert.equal(listed.errorCount, 1);
    }
    const none = await call(telemetry.url, 'GET', `${T}/traces?service=cart`, { token: admin });
    assert.deepEqual(none.json.traces, []);
    const tooSlow = await call(telemetry.url, 'GET', `${T}/traces?minDurationMs=60000`, { token: admin });
    assert.deepEqual(tooSlow.json.traces, []);
  });

  it('gives every span of the trace, parented as sent, with status and the exception event', async () => {
    const got = await call(telemetry.url, 'GET', `${T}/traces/${traceId}`, { token: admin });
    assert.equal(got.status, 200, got.text);
    const spans = got.json.spans as {
      spanId: string;
      parentSpanId: string | null;
      service: string;
      name: string;
      kind: number;
      statusCode: number;
      statusMessage: string | null;
      events: { name: string }[];
      attributes: Record<string, unknown>;
      instance: string;
    }[];
    const byName = new Map(spans.map((s) => [s.name, s]));
    const root = byName.get('GET /api/v1/orders')!;
    const client = byName.get('GET orders')!;
    const server = byName.get('GET /api/v1/orders/:id')!;
    assert.equal(root.parentSpanId, null);
    assert.equal(client.parentSpanId, root.spanId);
    assert.equal(server.parentSpanId, client.spanId);
    assert.deepEqual([root.kind, client.kind, server.kind], [2, 3, 2]);
    assert.equal(server.service, 'orders');
    assert.equal(server.instance, 'orders-1');
    assert.equal(server.statusCode, 2);
    assert.equal(server.statusMessage, 'SOUK_DB_UNAVAILABLE');
    assert.equal(server.attributes['http.response.status_code'], 500);
    assert.deepEqual(
      server.events.map((e) => e.name),
      ['exception'],
    );
  });

  it('draws the map edge front → orders from the trace', async () => {
    const map = await call(telemetry.url, 'GET', `${T}/map?minutes=60`, { token: admin });
    assert.equal(map.status, 200, map.text);
    const edge = map.json.edges.find((e: { caller: string; callee: string }) => e.caller === 'front' && e.callee === 'orders');
    assert.ok(edge, map.text);
    assert.deepEqual(edge.via, ['http']);
    assert.equal(edge.tracedSpans, 1);
  });

  it('keeps a span sent twice once (an exporter retry)', async () => {
    const spans = (await call(telemetry.url, 'GET', `${T}/traces/${traceId}`, { token: admin })).json.spans;
    const again = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'front' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId,
                  spanId: spans[0].spanId,
                  name: 'GET /api/v1/orders',
                  kind: 2,
                  startTimeUnixNano: String(spans[0].startUs * 1000),
                  endTimeUnixNano: String(spans[0].startUs * 1000 + 1000),
                },
              ],
            },
          ],
        },
      ],
    };
    assert.equal((await call(telemetry.url, 'POST', '/v1/traces', { body: again })).status, 200);
    const listed = (await call(telemetry.url, 'GET', `${T}/traces?service=front`, { token: admin })).json.traces.find(
      (t: { traceId: string }) => t.traceId === traceId,
    );
    assert.equal(listed.spanCount, 3);
  });

  it('refuses a malformed export with the reason, and keeps nothing of it', async () => {
    const json = await call(telemetry.url, 'POST', '/v1/traces', {
      body: { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'nope' }] }] }] },
    });
    assertProblem(json, 400, 'SOUK_TELEMETRY_OTLP_MALFORMED');
    assert.match(json.json.detail, /traceId/);
    const protobuf = await fetch(`${telemetry.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([0x0a, 0xff, 0xff, 0xff]),
    });
    assert.equal(protobuf.status, 400);
    assert.equal(((await protobuf.json()) as { code: string }).code, 'SOUK_TELEMETRY_OTLP_MALFORMED');
  });

  it('answers only admins', async () => {
    assertProblem(await call(telemetry.url, 'GET', `${T}/traces`), 401, 'SOUK_AUTH_TOKEN_MISSING');
    const customer = await issuer.token({ roles: ['customer'] });
    assertProblem(await call(telemetry.url, 'GET', `${T}/traces`, { token: customer }), 403, 'SOUK_AUTH_FORBIDDEN');
    assertProblem(
      await call(telemetry.url, 'GET', `${T}/traces/${'0'.repeat(31)}1`, { token: admin }),
      404,
      'SOUK_TELEMETRY_TRACE_NOT_FOUND',
    );
    assertProblem(
      await call(telemetry.url, 'GET', `${T}/traces?before=bogus!`, { token: admin }),
      400,
      'SOUK_TELEMETRY_CURSOR_INVALID',
    );
  });
});

describe('shipped log lines', () => {
  const traceId = 'ab'.repeat(16);
  before(async () => {
    const line = (level: number, msg: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ level, time: Date.now(), service: 'orders', instance: 'orders-1', msg, ...extra });
    const shipped = await call(telemetry.url, 'POST', `${T}/logs`, {
      body: {
        streams: [
          {
            service: 'orders',
            instance: 'orders-1',
            lines: [
              line(30, 'order placed', { trace_id: traceId, span_id: 'cd'.repeat(8), orderId: 'o-42' }),
              line(50, 'payment step failed', { trace_id: traceId }),
              'Error: a stack trace Node printed',
            ],
          },
          { service: 'cart', instance: 'cart-1', lines: [line(30, 'cart cleared')] },
        ],
      },
    });
    assert.equal(shipped.status, 202, shipped.text);
    assert.equal(shipped.json.accepted, 4);
  });

  it('finds every line of a request by its trace id, newest first', async () => {
    const found = await call(telemetry.url, 'GET', `${T}/logs?traceId=${traceId}`, { token: admin });
    assert.equal(found.status, 200, found.text);
    assert.deepEqual(found.json.logs.map((l: { msg: string }) => l.msg).sort(), ['order placed', 'payment step failed']);
    const bySpan = await call(telemetry.url, 'GET', `${T}/logs?spanId=${'cd'.repeat(8)}`, { token: admin });
    assert.deepEqual(
      bySpan.json.logs.map((l: { msg: string }) => l.msg),
      ['order placed'],
    );
  });

  it('searches by text anywhere in the line, by service and by least level; pages with next', async () => {
    const text = await call(telemetry.url, 'GET', `${T}/logs?q=O-42`, { token: admin });
    assert.deepEqual(
      text.json.logs.map((l: { msg: string }) => l.msg),
      ['order placed'],
    );
    const raw = await call(telemetry.url, 'GET', `${T}/logs?q=stack%20trace`, { token: admin });
    assert.equal(raw.json.logs[0].level, 30);
    assert.equal(raw.json.logs[0].msg, 'Error: a stack trace Node printed');
    const errors = await call(telemetry.url, 'GET', `${T}/logs?level=error`, { token: admin });
    assert.deepEqual(
      errors.json.logs.map((l: { msg: string }) => l.msg),
      ['payment step failed'],
    );
    const cart = await call(telemetry.url, 'GET', `${T}/logs?service=cart`, { token: admin });
    assert.deepEqual(
      cart.json.logs.map((l: { instance: string }) => l.instance),
      ['cart-1'],
    );
    const first = await call(telemetry.url, 'GET', `${T}/logs?service=orders&limit=2`, { token: admin });
    assert.equal(first.json.logs.length, 2);
    const second = await call(telemetry.url, 'GET', `${T}/logs?service=orders&limit=2&before=${first.json.next}`, {
      token: admin,
    });
    assert.equal(second.json.logs.length, 1);
    const all = [...first.json.logs, ...second.json.logs].map((l: { id: string }) => l.id);
    assert.equal(new Set(all).size, 3);
  });
});

describe('metrics scraped from an instance', () => {
  it('turns requests between scrapes into RED series per route, errors counted', async () => {
    // The first scrape only sets the baseline; what happens after it shows up in the next.
    await waitFor(async () => {
      const status = await call(telemetry.url, 'GET', `${T}/status`, { token: admin });
      return status.json.scrapes.some((s: { instance: string; ok: boolean }) => s.instance === 'shop-test-1' && s.ok);
    });
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${scraped.url}/api/v1/shop/ok`)).status, 200);
    assert.equal((await fetch(`${scraped.url}/api/v1/shop/broken`)).status, 503);
    const series = async () => {
      const red = await call(telemetry.url, 'GET', `${T}/red?service=shop-test&minutes=5&stepSeconds=3600`, { token: admin });
      assert.equal(red.status, 200, red.text);
      return red.json.series as { target: string; points: { requests: number; errors: number; p99Ms: number | null }[] }[];
    };
    const total = (list: Awaited<ReturnType<typeof series>>, target: string) =>
      list
        .filter((s) => s.target === target)
        .flatMap((s) => s.points)
        .reduce((a, p) => ({ requests: a.requests + p.requests, errors: a.errors + p.errors }), { requests: 0, errors: 0 });
    await waitFor(
      async () =>
        total(await series(), 'GET /api/v1/shop/broken').requests >= 1 &&
        total(await series(), 'GET /api/v1/shop/ok').requests >= 3,
    );
    const list = await series();
    assert.deepEqual(total(list, 'GET /api/v1/shop/ok'), { requests: 3, errors: 0 });
    assert.deepEqual(total(list, 'GET /api/v1/shop/broken'), { requests: 1, errors: 1 });
    const ok = list.find((s) => s.target === 'GET /api/v1/shop/ok')!;
    assert.ok(ok.points.some((p) => p.p99Ms !== null && p.p99Ms > 0));
  });
});

describe('retention', () => {
  it('deletes by age and keeps at most the row cap, oldest first, traces with their spans', async () => {
    const db = telemetry.ctx.db;
    await sql`truncate spans, traces`.execute(db);
    const now = Date.now();
    const spans = Array.from({ length: 30 }, (_, i) => ({
      t: i.toString(16).padStart(32, '0'),
      at: new Date(now - i * 60_000 - (i >= 25 ? 3 * 3_600_000 : 0)),
    }));
    for (const s of spans) {
      await sql`insert into spans (trace_id, span_id, service, name, kind, start_time, duration_us, status_code, attributes, events, links)
                values (${s.t}, '0000000000000001', 'x', 'op', 2, ${s.at}, 1, 0, '{}', '[]', '[]')`.execute(db);
      await sql`insert into traces (trace_id, start_time, end_time, services, routes, span_count, error_count)
                values (${s.t}, ${s.at}, ${s.at}, '{x}', '{}', 1, 0)`.execute(db);
    }
    await sql`analyze spans`.execute(db);
    // Five are older than two hours; of the 25 left, the cap keeps the newest 20.
    const deleted = await applyRetention(db, { maxAgeHours: 2, maxSpans: 20, maxLogLines: 1_000_000 }, new Date(now));
    assert.equal(deleted.spans, 10);
    assert.equal(deleted.traces, 10);
    const left = await sql<{ trace_id: string }>`select trace_id from spans order by start_time desc`.execute(db);
    assert.deepEqual(
      left.rows.map((r) => r.trace_id),
      spans.slice(0, 20).map((s) => s.t),
    );
    const again = await applyRetention(db, { maxAgeHours: 2, maxSpans: 20, maxLogLines: 1_000_000 }, new Date(now));
    assert.equal(again.spans, 0);
  });
});
