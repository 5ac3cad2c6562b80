// The gateway in front of real node:http upstreams: what arrives upstream
// (path, query, body, headers, request id, trace context) and what comes back.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { RunningService } from '@souk/chassis';
import { waitFor } from '@souk/chassis/testing';
import { echo, problemOf, rawRequest, startGateway, startUpstream, type Upstream } from './harness.ts';

let catalog: Upstream;
/** Upstream requests that are still open, so a test can see the gateway give one up. */
const pending = new Map<string, ServerResponse>();
let identity: Upstream;
let gateway: RunningService;

before(async () => {
  catalog = await startUpstream();
  identity = await startUpstream((req, res) => {
    if (req.url.startsWith('/api/v1/identity/hang')) {
      pending.set(req.url, res);
      return;
    }
    if (req.url === '/api/v1/identity/slow-stream') {
      // Streams in two parts, the second after the client saw the first: proves the answer is not buffered.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first;');
      setImmediate(() => res.end('second'));
      return;
    }
    echo(req, res);
  });
  gateway = await startGateway({ services: { catalog: [catalog.url], identity: [identity.url] } });
});

after(async () => {
  await gateway.stop();
  await catalog.close();
  await identity.close();
});

function last(upstream: Upstream) {
  const r = upstream.received.at(-1);
  assert.ok(r, 'the upstream received nothing');
  return r;
}

test('a GET reaches the service with path and query unchanged, and its answer comes back', async () => {
  const res = await fetch(`${gateway.url}/api/v1/catalog/products/p%201?q=mint+tea&tags=a&tags=b`, {
    headers: { accept: 'application/json', 'x-custom': 'kept' },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-upstream'), 'yes');
  assert.deepEqual(await res.json(), { method: 'GET', url: '/api/v1/catalog/products/p%201?q=mint+tea&tags=a&tags=b', body: '' });
  const seen = last(catalog);
  assert.equal(seen.url, '/api/v1/catalog/products/p%201?q=mint+tea&tags=a&tags=b');
  assert.equal(seen.headers['x-custom'], 'kept');
  assert.equal(seen.headers.accept, 'application/json');
  assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen.headers['x-forwarded-proto'], 'http');
  assert.equal(seen.headers['x-forwarded-host'], new URL(gateway.url).host);
});

test('a POST body arrives byte for byte, with its content type', async () => {
  const body = JSON.stringify({ email: 'ada@example.com', password: 'x'.repeat(5000), note: 'ünïcode ✓' });
  const res = await fetch(`${gateway.url}/api/v1/identity/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  assert.equal(res.status, 200);
  const seen = last(identity);
  assert.equal(seen.method, 'POST');
  assert.equal(seen.body.toString(), body);
  assert.equal(seen.headers['content-type'], 'application/json');
  assert.equal(seen.headers['content-length'], String(Buffer.byteLength(body)));
});

test('hop-by-hop headers stay on their hop; Authorization goes on', async () => {
  const res = await rawRequest(gateway.url, {
    path: '/api/v1/identity/me',
    headers: {
      connection: 'keep-alive, x-hop-secret',
      'x-hop-secret': 'no',
      'keep-alive': 'timeout=5',
      authorization: 'Basic dXNlcjpwYXNz',
    },
  });
  assert.equal(res.status, 200);
  const seen = last(identity);
  assert.equal(seen.headers['x-hop-secret'], undefined);
  assert.equal(seen.headers['keep-alive'], undefined);
  // Client credentials are identity's to check (a Bearer token would be checked and exchanged first).
  assert.equal(seen.headers.authorization, 'Basic dXNlcjpwYXNz');
});

test('a request id is generated when missing and is the same upstream and in the answer', async () => {
  const res = await fetch(`${gateway.url}/api/v1/catalog/products`);
  const id = res.headers.get('x-request-id');
  assert.match(id ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(last(catalog).headers['x-request-id'], id);
});

test('a sane incoming request id is kept, a strange one replaced', async () => {
  const kept = await fetch(`${gateway.url}/api/v1/catalog/products`, { headers: { 'x-request-id': 'client-req-42' } });
  assert.equal(kept.headers.get('x-request-id'), 'client-req-42');
  assert.equal(last(catalog).headers['x-request-id'], 'client-req-42');

  const replaced = await fetch(`${gateway.url}/api/v1/catalog/products`, { headers: { 'x-request-id': 'bad id with spaces' } });
  assert.notEqual(replaced.headers.get('x-request-id'), 'bad id with spaces');
  assert.equal(last(catalog).headers['x-request-id'], replaced.headers.get('x-request-id'));
});

test("the upstream call continues the caller's trace", async () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  await fetch(`${gateway.url}/api/v1/catalog/products`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
  const traceparent = String(last(catalog).headers.traceparent);
  assert.match(traceparent, new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  assert.notEqual(traceparent.split('-')[2], '00f067aa0ba902b7', "the upstream's parent is the gateway's span, not the caller's");
});

test('well-known documents are served by identity', async () => {
  const res = await fetch(`${gateway.url}/.well-known/openid-configuration`);
  assert.equal(res.status, 200);
  assert.equal(last(identity).url, '/.well-known/openid-configuration');
});

test('responses are streamed through', async () => {
  const res = await fetch(`${gateway.url}/api/v1/identity/slow-stream`);
  assert.equal(await res.text(), 'first;second');
});

test('HEAD requests are answered with the headers only', async () => {
  const res = await fetch(`${gateway.url}/api/v1/catalog/products`, { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '');
  assert.equal(last(catalog).method, 'HEAD');
});

test('when the client goes away, the upstream request is abandoned too', async () => {
  const { hostname, port } = new URL(gateway.url);
  const client = request({ hostname, port, path: '/api/v1/identity/hang?id=1', agent: false });
  client.on('error', () => {});
  client.end();
  const upstreamRes = await waitFor(() => pending.get('/api/v1/identity/hang?id=1'), {
    what: 'the request to reach the upstream',
  });
  client.destroy();
  await waitFor(() => upstreamRes.destroyed || undefined, { what: 'the gateway to drop the upstream request' });
});

test('an unknown service is a 404 problem', async () => {
  const res = await fetch(`${gateway.url}/api/v1/nothing/here?x=1`);
  assert.equal(res.status, 404);
  const problem = await problemOf(res);
  assert.equal(problem.code, 'SOUK_ROUTE_NOT_FOUND');
  assert.equal(problem.instance, '/api/v1/nothing/here');
  assert.ok(res.headers.get('x-request-id'));
});

test('a path with dot segments is refused before it reaches a service', async () => {
  const before = catalog.received.length;
  // Sent through node:http: fetch would resolve the dots itself.
  for (const path of ['/api/v1/catalog/../identity/admin', '/api/v1/catalog/%2e%2E/identity/admin']) {
    const res = await rawRequest(gateway.url, { path });
    assert.equal(res.status, 400, path);
    assert.equal(JSON.parse(res.body).code, 'SOUK_REQUEST_INVALID');
  }
  assert.equal(catalog.received.length, before);
});

test('a body over 1 MiB is refused with 413 and never reaches the service', async () => {
  const before = catalog.received.length + identity.received.length;
  const res = await fetch(`${gateway.url}/api/v1/identity/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(1024 * 1024 + 1, 1),
  });
  assert.equal(res.status, 413);
  assert.equal((await problemOf(res)).code, 'SOUK_REQUEST_TOO_LARGE');
  assert.equal(catalog.received.length + identity.received.length, before);
});

test('a chunked body that grows past the buffer size is refused with 413 too', async () => {
  const chunk = Buffer.alloc(256 * 1024, 2);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 5; i++) controller.enqueue(chunk);
      controller.close();
    },
  });
  const res = await fetch(`${gateway.url}/api/v1/identity/token`, { method: 'POST', body: stream, duplex: 'half' });
  assert.equal(res.status, 413);
  assert.equal((await problemOf(res)).code, 'SOUK_GATEWAY_CHUNKED_BODY_TOO_LARGE');
  // The connection stays usable: the gateway read and dropped the rest.
  assert.equal((await fetch(`${gateway.url}/api/v1/identity/after-413`)).status, 200);
});

test('proxied requests are measured by route and by upstream outcome', async () => {
  await fetch(`${gateway.url}/api/v1/catalog/products`);
  const text = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
  assert.match(
    text,
    /http_server_request_duration_seconds_count\{[^}]*http_route="\/api\/v1\/catalog"[^}]*http_response_status_code="200"/,
  );
  assert.match(text, /souk_gateway_upstream_requests_total\{[^}]*service="catalog",outcome="ok"/);
});

test('local routes (health) are still served by the chassis', async () => {
  const res = await fetch(`${gateway.url}/health/live`);
  assert.equal(res.status, 200);
});

test('the gateway itself refuses unknown non-API paths as problems', async () => {
  const res = await fetch(`${gateway.url}/nope`);
  assert.equal(res.status, 404);
  assert.equal((await problemOf(res)).code, 'SOUK_ROUTE_NOT_FOUND');
});
