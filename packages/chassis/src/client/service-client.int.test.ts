// The service client against real local HTTP servers: retries across
// instances, retry rules, problem+json, timeout, breakers, bulkhead, fallback,
// propagation and metrics.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { cachedServiceToken } from '../auth/service-token.ts';
import { runWithRequestContext } from '../context.ts';
import { staticDiscovery } from '../discovery/static-discovery.ts';
import { createBreakers } from './breakers.ts';
import { createClientRegistry } from './client-registry.ts';
import { createServiceClient, FALLBACK_HEADER } from './service-client.ts';
import type { ClientOptions } from './types.ts';
import { waitFor } from '../testing/wait-for.ts';

// This test file runs in its own process, so installing the globals here touches no other test.
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const log = pino({ level: 'silent' });
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface TestServer {
  url: string;
  hits: number;
  /** Connections open right now. */
  sockets: number;
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>;
}

async function startServer(handler: Handler): Promise<TestServer> {
  const state: TestServer = { url: '', hits: 0, sockets: 0, requests: [] };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      state.hits++;
      state.requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.on('connection', (socket) => {
    state.sockets++;
    socket.on('close', () => state.sockets--);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return state;
}

/** A URL nothing listens on: a port that was just free. */
async function refusingUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function json(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type });
  res.end(JSON.stringify(body));
}

const problem = (code: string, status: number, extra: Record<string, unknown> = {}) => ({
  type: `urn:souk:problem:${code}`,
  title: 'Remote problem',
  status,
  detail: `detail of ${code}`,
  code,
  ...extra,
});

/** A fake clock that never moves, so open breakers stay open for the whole test. */
const frozenClock = { now: () => 1_700_000_000_000 };

function client(urls: string[], options: ClientOptions = {}, extra: { threshold?: number; metrics?: Registry } = {}) {
  const breakers = createBreakers({ log, clock: frozenClock, failureThreshold: extra.threshold ?? 100 });
  const c = createServiceClient({
    service: 'catalog',
    discovery: staticDiscovery({ catalog: urls }),
    breakers,
    log,
    ...(extra.metrics ? { metrics: extra.metrics } : {}),
    options: { attempts: 3, backoffBaseMs: 1, backoffCapMs: 1, random: () => 0, ...options },
  });
  cleanups.push(() => c.close());
  return { c, breakers };
}

/** Polls with a generous deadline (CI machines are busy); never a fixed sleep. */
async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(() => check() || undefined, { what, timeoutMs, intervalMs: 1 });
}

test('retries land on the other instance when one refuses connections, even for POST', async () => {
  const up = await startServer((_req, res) => json(res, 200, { ok: true }));
  const { c, breakers } = client([await refusingUrl(), up.url]);
  for (let i = 0; i < 4; i++) {
    const res = await c.request({ method: i % 2 ? 'GET' : 'POST', path: '/api/v1/things', body: { i } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { ok: true });
  }
  assert.equal(up.hits, 4);
  const refused = breakers.snapshot().find((b) => b.url !== up.url);
  assert.ok(refused && refused.failures > 0, 'the refusing instance was tried and counted');
});

test('a 503 is retried for GET and keyed POST, never for a plain POST', async () => {
  const down = await startServer((_req, res) =>
    json(res, 503, problem('SOUK_SERVICE_SHUTTING_DOWN', 503), 'application/problem+json'),
  );
  const { c } = client([down.url]);

  await assert.rejects(c.request({ method: 'POST', path: '/orders', body: {} }), {
    code: 'SOUK_SERVICE_SHUTTING_DOWN',
    status: 503,
  });
  assert.equal(down.hits, 1);

  await assert.rejects(c.request({ method: 'GET', path: '/orders/1' }), { code: 'SOUK_SERVICE_SHUTTING_DOWN' });
  assert.equal(down.hits, 4);

  await assert.rejects(c.request({ method: 'POST', path: '/orders', body: {}, idempotencyKey: 'order-7' }), {
    code: 'SOUK_SERVICE_SHUTTING_DOWN',
  });
  assert.equal(down.hits, 7);
  assert.equal(down.requests.at(-1)!.headers['idempotency-key'], 'order-7');
});

test('a problem+json answer is rebuilt with its code, status and extensions; 4xx is not retried', async () => {
  const server = await startServer((_req, res) =>
    json(res, 404, problem('SOUK_CATALOG_PRODUCT_NOT_FOUND', 404, { productId: '42' }), 'application/problem+json'),
  );
  const { c } = client([server.url]);
  await assert.rejects(c.request({ method: 'GET', path: '/api/v1/catalog/products/42' }), (err: any) => {
    assert.equal(err.code, 'SOUK_CATALOG_PRODUCT_NOT_FOUND');
    assert.equal(err.status, 404);
    assert.equal(err.detail, 'detail of SOUK_CATALOG_PRODUCT_NOT_FOUND');
    assert.equal(err.extensions.productId, '42');
    assert.equal(err.extensions.service, 'catalog');
    return true;
  });
  assert.equal(server.hits, 1);
});

test('an error without a problem document gets an upstream code', async () => {
  const server = await startServer((_req, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('boom');
  });
  const { c } = client([server.url]);
  await assert.rejects(c.request({ method: 'GET', path: '/x' }), { code: 'SOUK_UPSTREAM_ERROR', status: 500 });
  assert.equal(server.hits, 1, '500 is not one of the retried statuses');
});

test('an instance that does not answer in time gives SOUK_CLIENT_TIMEOUT and the request is aborted', async () => {
  const slow = await startServer(() => {});
  const { c } = client([slow.url], { attempts: 1, timeoutMs: 50 });
  await assert.rejects(c.request({ method: 'GET', path: '/slow' }), { code: 'SOUK_CLIENT_TIMEOUT', status: 504 });
  // The abort reaches undici, which drops the connection rather than leave it waiting.
  await until(() => slow.sockets === 0, 'the server to see the connection closed');
});

test('a timed-out GET is retried on another instance; a timed-out POST is not', async () => {
  const slow = await startServer(() => {});
  const fast = await startServer((_req, res) => json(res, 200, { from: 'fast' }));
  // Generous enough that the fast instance answers in time even on a loaded machine.
  const { c, breakers } = client([slow.url, fast.url], { timeoutMs: 300 });
  const res = await c.request<{ from: string }>({ method: 'GET', path: '/p' });
  assert.equal(res.body.from, 'fast');
  const failuresOf = (b: typeof breakers, url: string) => b.snapshot().find((s) => s.url === url)?.failures;
  assert.equal(failuresOf(breakers, slow.url), 1, 'the first attempt went to the slow instance and timed out');

  const { c: post, breakers: postBreakers } = client([slow.url], { timeoutMs: 50 });
  await assert.rejects(post.request({ method: 'POST', path: '/p', body: {} }), { code: 'SOUK_CLIENT_TIMEOUT' });
  assert.equal(failuresOf(postBreakers, slow.url), 1, 'one attempt only');
});

test('an open breaker is skipped; when every breaker is open the call fails fast', async () => {
  const up = await startServer((_req, res) => json(res, 200, {}));
  const deadUrl = await refusingUrl();
  const { c, breakers } = client([deadUrl, up.url], {}, { threshold: 1 });
  for (let i = 0; i < 5; i++) await c.request({ method: 'GET', path: '/' });
  assert.equal(breakers.state('catalog', deadUrl), 'open');
  assert.equal(up.hits, 5);

  const { c: allDead, breakers: deadBreakers } = client([deadUrl, await refusingUrl()], {}, { threshold: 1 });
  await assert.rejects(allDead.request({ method: 'GET', path: '/' }), { code: 'SOUK_CLIENT_CONNECTION_FAILED' });
  assert.ok(deadBreakers.snapshot().every((b) => b.state === 'open'));
  await assert.rejects(allDead.request({ method: 'POST', path: '/' }), { code: 'SOUK_CLIENT_CIRCUIT_OPEN', status: 503 });
});

test('a call the caller cancels ends at once with SOUK_CLIENT_CANCELLED, is not retried and does not count against the instance', async () => {
  const slow = await startServer(() => {});
  const { c, breakers } = client([slow.url], { timeoutMs: 60_000 }, { threshold: 1 });
  const cancel = new AbortController();
  const call = c.request({ method: 'GET', path: '/long-poll', signal: cancel.signal });
  await until(() => slow.hits === 1, 'the request to arrive');
  cancel.abort();
  await assert.rejects(call, { code: 'SOUK_CLIENT_CANCELLED', status: 499 });
  assert.equal(slow.hits, 1, 'not retried');
  assert.equal(breakers.state('catalog', slow.url), 'closed');
  assert.equal(breakers.snapshot().find((b) => b.url === slow.url)?.failures ?? 0, 0);
  await assert.rejects(c.request({ method: 'GET', path: '/', signal: cancel.signal }), { code: 'SOUK_CLIENT_CANCELLED' });
  assert.equal(slow.hits, 1, 'an already cancelled call is not sent');
});

test('no known instance gives SOUK_CLIENT_NO_INSTANCE', async () => {
  const { c } = client([]);
  await assert.rejects(c.request({ method: 'GET', path: '/' }), { code: 'SOUK_CLIENT_NO_INSTANCE' });
});

test('sends and reads JSON, encodes the query, and propagates identity, request id and trace context', async () => {
  const echo = await startServer((req, res, body) => json(res, 201, { url: req.url, body: JSON.parse(body || 'null') }));
  const { c } = client([echo.url]);
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const parent = trace.setSpanContext(context.active(), { traceId, spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED });

  const res = await context.with(parent, () =>
    runWithRequestContext({ requestId: 'req-1', authorization: 'Bearer caller' }, () =>
      c.request<{ url: string; body: unknown }>({
        method: 'post',
        path: '/api/v1/items',
        query: { q: 'a b', page: 2, skip: undefined },
        body: { n: 1 },
      }),
    ),
  );
  assert.equal(res.status, 201);
  assert.deepEqual(res.body, { url: '/api/v1/items?q=a+b&page=2', body: { n: 1 } });
  assert.match(res.headers['content-type']!, /application\/json/);
  const sent = echo.requests[0]!.headers;
  assert.equal(sent.authorization, 'Bearer caller');
  assert.equal(sent['x-request-id'], 'req-1');
  assert.equal(sent['content-type'], 'application/json');
  assert.match(String(sent.traceparent), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

  await runWithRequestContext({ requestId: 'req-2', authorization: 'Bearer caller' }, () =>
    c.request({ method: 'GET', path: '/', headers: { Authorization: 'Bearer service' } }),
  );
  assert.equal(echo.requests[1]!.headers.authorization, 'Bearer service', 'a header the caller set wins');
});

test('a fallback replaces a failure that is not the caller’s fault, never a 4xx', async () => {
  const server = await startServer((req, res) =>
    req.url === '/missing'
      ? json(res, 404, problem('SOUK_CATALOG_PRODUCT_NOT_FOUND', 404), 'application/problem+json')
      : json(res, 503, problem('SOUK_SERVICE_NOT_READY', 503), 'application/problem+json'),
  );
  const { c } = client([server.url]);
  const seen: string[] = [];
  const res = await c.request<{ price: number }>({
    method: 'GET',
    path: '/price',
    fallback: (err) => {
      seen.push(err.code);
      return { price: 9.99 };
    },
  });
  assert.deepEqual(res.body, { price: 9.99 });
  assert.equal(res.headers[FALLBACK_HEADER], 'SOUK_SERVICE_NOT_READY');
  assert.deepEqual(seen, ['SOUK_SERVICE_NOT_READY']);
  await assert.rejects(c.request({ method: 'GET', path: '/missing', fallback: () => assert.fail('not for 4xx') }), {
    code: 'SOUK_CATALOG_PRODUCT_NOT_FOUND',
  });
});

test('a full bulkhead refuses calls with SOUK_CLIENT_BULKHEAD_FULL', async () => {
  const held: ServerResponse[] = [];
  const server = await startServer((_req, res) => held.push(res));
  const { c } = client([server.url], { bulkheadLimit: 1, bulkheadQueue: 0 });
  const first = c.request({ method: 'GET', path: '/held' });
  await until(() => held.length === 1, 'the first call to reach the server');
  assert.deepEqual(c.bulkheadSnapshot(), { service: 'catalog', active: 1, queued: 0, limit: 1, queueLimit: 0 });
  await assert.rejects(c.request({ method: 'GET', path: '/other' }), { code: 'SOUK_CLIENT_BULKHEAD_FULL' });
  json(held[0]!, 200, { done: true });
  assert.deepEqual((await first).body, { done: true });
  assert.equal(c.bulkheadSnapshot().active, 0);
});

test('each attempt is measured in http_client_request_duration_seconds', async () => {
  const server = await startServer((req, res) => (req.url === '/bad' ? json(res, 400, {}) : json(res, 200, {})));
  const metrics = new Registry();
  const { c } = client([server.url], {}, { metrics });
  await c.request({ method: 'GET', path: '/' });
  await assert.rejects(c.request({ method: 'GET', path: '/bad' }), { code: 'SOUK_UPSTREAM_REJECTED' });
  const text = await metrics.metrics();
  assert.match(
    text,
    /http_client_request_duration_seconds_count\{service="catalog",http_request_method="GET",http_response_status_code="200",error_type=""\} 1/,
  );
  assert.match(
    text,
    /http_client_request_duration_seconds_count\{service="catalog",http_request_method="GET",http_response_status_code="400",error_type="400"\} 1/,
  );
});

test('the client registry caches one client per service and reports breakers and bulkheads', async () => {
  const server = await startServer((_req, res) => json(res, 200, {}));
  const metrics = new Registry();
  const clients = createClientRegistry({ discovery: staticDiscovery({ catalog: [server.url] }), log, metrics });
  assert.equal(clients.get('catalog'), clients.get('catalog'));
  await clients.get('catalog').request({ method: 'GET', path: '/' });
  const snapshot = clients.resilienceSnapshot();
  assert.deepEqual(snapshot.bulkheads, [{ service: 'catalog', active: 0, queued: 0, limit: 32, queueLimit: 64 }]);
  assert.equal(snapshot.breakers.length, 1);
  assert.equal(snapshot.breakers[0]!.state, 'closed');
  await clients.close();
  assert.throws(() => clients.get('catalog'), /closed/);
});

test('an instance that leaves discovery takes its breaker with it', async () => {
  const up = await startServer((_req, res) => json(res, 200, {}));
  const gone = await refusingUrl();
  const inst = (url: string) => ({
    instanceId: url,
    service: 'catalog',
    url,
    version: '1',
    zone: 'local',
    weight: 100,
    metadata: {},
  });
  let list = [inst(gone), inst(up.url)];
  const listeners = new Set<() => void>();
  const discovery = {
    instances: () => list,
    services: () => ['catalog'],
    onChange: (fn: () => void) => (listeners.add(fn), () => void listeners.delete(fn)),
    ready: async () => {},
    close: async () => {},
  };
  const breakers = createBreakers({ log, clock: frozenClock, failureThreshold: 1 });
  const c = createServiceClient({ service: 'catalog', discovery, breakers, log, options: { backoffBaseMs: 1, random: () => 0 } });
  cleanups.push(() => c.close());
  await c.request({ method: 'GET', path: '/' });
  assert.equal(breakers.state('catalog', gone), 'open');

  list = [inst(up.url)];
  for (const fn of listeners) fn();
  // The one that opened stays in the snapshot a while, marked as gone (breakers.ts: RETIRED_KEEP_MS).
  assert.deepEqual(
    breakers.snapshot().map((b) => [b.instanceId, b.leftAt !== undefined]),
    [
      [up.url, false],
      [gone, true],
    ],
  );
  assert.equal(breakers.state('catalog', gone), 'closed', 'its breaker itself is gone');
});

test("calls refused with the service's old token fetch one new token between them, and are retried with it", async () => {
  let current = 't1';
  const server = await startServer((req, res) => {
    if (req.headers.authorization === `Bearer ${current}`) json(res, 200, { ok: true });
    else json(res, 401, problem('SOUK_AUTH_TOKEN_INVALID', 401), 'application/problem+json');
  });
  let fetches = 0;
  const serviceToken = cachedServiceToken({
    now: frozenClock.now,
    fetchToken: async () => ({ access_token: `t${++fetches}`, expires_in: 300 }),
  });
  const c = createServiceClient({
    service: 'catalog',
    discovery: staticDiscovery({ catalog: [server.url] }),
    breakers: createBreakers({ log, clock: frozenClock, failureThreshold: 100 }),
    log,
    serviceToken,
    options: { attempts: 1 },
  });
  cleanups.push(() => c.close());
  await c.request({ method: 'GET', path: '/', auth: 'service' });
  assert.equal(fetches, 1);

  current = 't2'; // the callee no longer accepts t1 (say, identity's keys rotated)
  const answers = await Promise.all(Array.from({ length: 10 }, () => c.request({ method: 'GET', path: '/', auth: 'service' })));
  assert.ok(answers.every((a) => a.status === 200));
  assert.equal(fetches, 2);
});
