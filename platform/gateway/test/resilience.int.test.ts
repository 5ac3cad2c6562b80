// How the gateway copes with missing, refusing, slow and failing instances:
// retries on another instance, timeouts, breakers and their 503s.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Discovery, ServiceInstance } from '@souk/chassis';
import { closedPortUrl, echo, problemOf, startGateway, startUpstream, type Upstream } from './harness.ts';

/** An upstream that accepts requests and never answers them. */
function silent(): Promise<Upstream> {
  return startUpstream(() => {});
}

/** An upstream that answers every request with `status`. */
function failing(status: number): Promise<Upstream> {
  return startUpstream((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(`status ${status}`);
  });
}

test('no registered instance: 503 SOUK_GATEWAY_NO_INSTANCE with Retry-After', async (t) => {
  const identity = await startUpstream();
  const gateway = await startGateway({ services: { identity: [identity.url] } });
  t.after(async () => {
    await gateway.stop();
    await identity.close();
  });
  const res = await fetch(`${gateway.url}/api/v1/catalog/products`);
  assert.equal(res.status, 503);
  assert.equal(res.headers.get('retry-after'), '5');
  const problem = await problemOf(res);
  assert.equal(problem.code, 'SOUK_GATEWAY_NO_INSTANCE');
  assert.equal(problem.service, 'catalog');
});

test('a refused connection is retried on the next instance, whatever the method: no request is lost', async (t) => {
  const up = await startUpstream();
  const down = await closedPortUrl();
  const gateway = await startGateway({ services: { catalog: [down, up.url], identity: [down, up.url] } });
  t.after(async () => {
    await gateway.stop();
    await up.close();
  });
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await fetch(`${gateway.url}/api/v1/catalog/products?n=${i}`)).status);
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${gateway.url}/api/v1/identity/token`, {
      method: 'POST',
      body: `attempt=${i}`,
      headers: { 'content-type': 'text/plain' },
    });
    statuses.push(res.status);
  }
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200]);
  assert.equal(up.received.length, 6);
  assert.deepEqual(
    up.received.slice(4).map((r) => r.body.toString()),
    ['attempt=0', 'attempt=1'],
  );
});

test('every instance refusing: 503 SOUK_GATEWAY_UPSTREAM_UNREACHABLE with Retry-After', async (t) => {
  const gateway = await startGateway({ services: { catalog: [await closedPortUrl(), await closedPortUrl()] } });
  t.after(() => gateway.stop());
  const res = await fetch(`${gateway.url}/api/v1/catalog/products`);
  assert.equal(res.status, 503);
  assert.ok(res.headers.get('retry-after'));
  const problem = await problemOf(res);
  assert.equal(problem.code, 'SOUK_GATEWAY_UPSTREAM_UNREACHABLE');
  assert.equal(problem.attempts, 2);
});

test('an instance that does not answer in time: 504 SOUK_GATEWAY_UPSTREAM_TIMEOUT', async (t) => {
  const slow = await silent();
  const gateway = await startGateway({ services: { catalog: [slow.url] }, env: { GATEWAY_UPSTREAM_TIMEOUT_MS: '100' } });
  t.after(async () => {
    await gateway.stop();
    await slow.close();
  });
  const res = await fetch(`${gateway.url}/api/v1/catalog/products`);
  assert.equal(res.status, 504);
  const problem = await problemOf(res);
  assert.equal(problem.code, 'SOUK_GATEWAY_UPSTREAM_TIMEOUT');
  assert.ok(problem.traceId);
});

test('a timed-out GET or keyed POST is retried elsewhere; a plain timed-out POST is not (it may have been applied)', async (t) => {
  const slow = await silent();
  const fast = await startUpstream();
  const instances = [slow.url, fast.url];
  const gateway = await startGateway({
    services: { catalog: instances, identity: instances, recommendations: instances },
    // Generous: the healthy instance must answer within it even on a busy test machine.
    env: { GATEWAY_UPSTREAM_TIMEOUT_MS: '1000' },
  });
  t.after(async () => {
    await gateway.stop();
    await slow.close();
    await fast.close();
  });
  // Round robin starts on the slow instance for each service's first request.
  const get = await fetch(`${gateway.url}/api/v1/catalog/products`);
  assert.equal(get.status, 200);
  assert.equal(fast.received.length, 1);

  const post = await fetch(`${gateway.url}/api/v1/identity/token`, { method: 'POST', body: 'x' });
  assert.equal(post.status, 504);
  assert.equal(fast.received.length, 1, 'the POST was not sent a second time');

  // A POST with an Idempotency-Key may be repeated: the first request to recommendations starts on the slow instance too.
  const keyed = await fetch(`${gateway.url}/api/v1/recommendations/feedback`, {
    method: 'POST',
    body: 'x',
    headers: { 'idempotency-key': 'k-1' },
  });
  assert.equal(keyed.status, 200);
  assert.deepEqual(
    [slow, fast].map((u) => u.received.filter((r) => r.headers['idempotency-key'] === 'k-1').length),
    [1, 1],
    'the keyed POST timed out on the slow instance and was retried on the fast one',
  );
});

test('a 503 answer to a GET is retried on another instance; to a POST it is passed on', async (t) => {
  const bad = await failing(503);
  const good = await startUpstream();
  const instances = [bad.url, good.url];
  const gateway = await startGateway({ services: { catalog: instances, identity: instances } });
  t.after(async () => {
    await gateway.stop();
    await bad.close();
    await good.close();
  });
  const get = await fetch(`${gateway.url}/api/v1/catalog/products`);
  assert.equal(get.status, 200);
  assert.equal(bad.received.length, 1);

  const post = await fetch(`${gateway.url}/api/v1/identity/token`, { method: 'POST', body: 'x' });
  assert.equal(post.status, 503);
  assert.equal(await post.text(), 'status 503');
});

test('a 500 answer is passed on as is, not retried', async (t) => {
  const broken = await failing(500);
  const good = await startUpstream();
  const gateway = await startGateway({ services: { catalog: [broken.url, good.url] } });
  t.after(async () => {
    await gateway.stop();
    await broken.close();
    await good.close();
  });
  const res = await fetch(`${gateway.url}/api/v1/catalog/products`);
  assert.equal(res.status, 500);
  assert.equal(good.received.length, 0);
});

test('breakers open after repeated failures, then the gateway answers 503 SOUK_GATEWAY_CIRCUIT_OPEN', async (t) => {
  const down = await closedPortUrl();
  const gateway = await startGateway({ services: { catalog: [down] } });
  t.after(() => gateway.stop());

  const codes: string[] = [];
  for (let i = 0; i < 6; i++) codes.push((await problemOf(await fetch(`${gateway.url}/api/v1/catalog/products`))).code);
  assert.deepEqual(codes, [...Array(5).fill('SOUK_GATEWAY_UPSTREAM_UNREACHABLE'), 'SOUK_GATEWAY_CIRCUIT_OPEN']);

  const open = await fetch(`${gateway.url}/api/v1/catalog/products`);
  assert.equal(open.status, 503);
  // The breaker half-opens 10 s after it opened: that is when a retry can succeed.
  const retryAfter = Number(open.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 10, `Retry-After ${retryAfter}`);

  const snapshot = (await (await fetch(`${gateway.adminUrl}/_admin/resilience`)).json()) as {
    breakers: { service: string; instanceId: string; state: string }[];
  };
  assert.deepEqual(
    snapshot.breakers.filter((b) => b.service === 'catalog').map((b) => [b.instanceId, b.state]),
    [[down, 'open']],
  );
});

test('once an open breaker is due, one probe request is let through again', async (t) => {
  let now = 1_000_000;
  const down = await closedPortUrl();
  const gateway = await startGateway({ services: { catalog: [down] }, clock: { now: () => now } });
  t.after(() => gateway.stop());
  for (let i = 0; i < 5; i++) await (await fetch(`${gateway.url}/api/v1/catalog/products`)).arrayBuffer();
  assert.equal((await problemOf(await fetch(`${gateway.url}/api/v1/catalog/products`))).code, 'SOUK_GATEWAY_CIRCUIT_OPEN');
  now += 10_000;
  assert.equal(
    (await problemOf(await fetch(`${gateway.url}/api/v1/catalog/products`))).code,
    'SOUK_GATEWAY_UPSTREAM_UNREACHABLE',
  );
});

test('an open breaker is skipped: traffic goes to the healthy instance without a failed attempt first', async (t) => {
  const down = await closedPortUrl();
  const up = await startUpstream(echo);
  const gateway = await startGateway({ services: { catalog: [down, up.url] } });
  t.after(async () => {
    await gateway.stop();
    await up.close();
  });
  // Each request tries the refusing instance at most once before the healthy one; after five failures its breaker opens.
  for (let i = 0; i < 10; i++) assert.equal((await fetch(`${gateway.url}/api/v1/catalog/products`)).status, 200);
  const metrics = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
  const refused = /souk_gateway_upstream_requests_total\{[^}]*service="catalog",outcome="connect_error"[^}]*\} (\d+)/.exec(
    metrics,
  );
  assert.equal(refused?.[1], '5');
  assert.equal(up.received.length, 10);
});

test('the breaker of an instance that left discovery is dropped, with its metric series', async (t) => {
  const down = await closedPortUrl();
  const up = await startUpstream();
  t.after(() => up.close());
  const toInstance = (url: string): ServiceInstance => ({
    instanceId: url,
    service: 'catalog',
    url,
    version: '1',
    zone: 'local',
    weight: 100,
    metadata: {},
  });
  let listed = [toInstance(down), toInstance(up.url)];
  const listeners = new Set<() => void>();
  const discovery: Discovery = {
    instances: (service) => (service === 'catalog' ? listed : []),
    services: () => ['catalog'],
    onChange: (fn) => (listeners.add(fn), () => listeners.delete(fn)),
    ready: async () => undefined,
    close: async () => undefined,
  };
  const gateway = await startGateway({ discovery });
  t.after(() => gateway.stop());
  for (let i = 0; i < 4; i++) assert.equal((await fetch(`${gateway.url}/api/v1/catalog/products`)).status, 200);
  const breakerIds = async () =>
    ((await (await fetch(`${gateway.adminUrl}/_admin/resilience`)).json()) as { breakers: { instanceId: string }[] }).breakers
      .map((b) => b.instanceId)
      .sort();
  assert.deepEqual(await breakerIds(), [down, up.url].sort());

  listed = [toInstance(up.url)];
  for (const fn of listeners) fn();
  assert.deepEqual(await breakerIds(), [up.url]);
  const metrics = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
  assert.doesNotMatch(metrics, new RegExp(`souk_client_circuit_state\\{[^}]*instance="${down}"`));
});
