// Integration test of the registry over HTTP: the real service started by the
// chassis, with a fake clock so eviction is driven by the test, not by waiting.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startService, type RunningService } from '@souk/chassis';
import { waitFor } from '@souk/chassis/testing';
import { registryService } from '../src/service.ts';

const START = Date.parse('2025-01-01T00:00:00.000Z');
// Long enough that a test that relies on it is a bug; prompt paths finish in milliseconds.
const NEVER_SECONDS = 120;

function fakeClock() {
  let now = START;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

async function start(clock = fakeClock()) {
  const svc = await startService(registryService, {
    clock,
    env: {
      PORT: '0',
      LOG_LEVEL: 'silent',
      INSTANCE_ID: 'registry-test',
      // A fast sweep lets the test see an eviction soon after it moves the fake clock.
      REGISTRY_SWEEP_INTERVAL_MS: '5',
      // A stop that waited out a held watch would hit the test timeout, not a forced close.
      SHUTDOWN_TIMEOUT_MS: '600000',
    },
  });
  return { svc, clock };
}

async function call(svc: RunningService, method: string, path: string, body?: unknown, init: RequestInit = {}) {
  const res = await fetch(svc.url + path, {
    method,
    ...(body === undefined
      ? {}
      : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    ...init,
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : undefined };
}

/** Polls until `check` returns a value, failing after a generous deadline; never a fixed sleep. */
function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  return waitFor(check, { what, timeoutMs, intervalMs: 5 });
}

/** The value of a metric sample whose name matches and whose labels include `labels` (the chassis adds its own). */
async function metric(svc: RunningService, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = await (await fetch(`${svc.adminUrl}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const match = text
    .split('\n')
    .find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && wanted.every((w) => l.includes(w)));
  return match === undefined ? undefined : Number(match.split(' ').at(-1));
}

const heldWatches = (svc: RunningService, n: number) =>
  eventually(`${n} held watch(es)`, async () => ((await metric(svc, 'souk_registry_watches')) === n ? true : undefined));

const catalog = (instanceId: string, extra: Record<string, unknown> = {}) => ({
  service: 'catalog',
  instanceId,
  url: `http://127.0.0.1:4100/${instanceId}`,
  version: '0.1.0',
  ...extra,
});

describe('registry over HTTP', () => {
  let svc: RunningService;
  let clock: ReturnType<typeof fakeClock>;
  before(async () => ({ svc, clock } = await start()));
  after(async () => svc.stop());

  it('registers, lists, wakes a watch on the next registration, heartbeats and deregisters', async () => {
    const registered = await call(svc, 'POST', '/api/v1/instances', catalog('catalog-1', { metadata: { canary: 'true' } }));
    assert.equal(registered.status, 201);
    assert.deepEqual(registered.body, { instanceId: 'catalog-1', ttlSeconds: 10, heartbeatIntervalSeconds: 3 });

    const all = await call(svc, 'GET', '/api/v1/services');
    assert.equal(all.status, 200);
    assert.deepEqual(all.body.services.catalog, [
      {
        ...catalog('catalog-1'),
        zone: 'local',
        weight: 100,
        metadata: { canary: 'true' },
        registeredAt: '2025-01-01T00:00:00.000Z',
        lastHeartbeatAt: '2025-01-01T00:00:00.000Z',
      },
    ]);
    const one = await call(svc, 'GET', '/api/v1/services/catalog');
    assert.equal(one.body.index, all.body.index);
    assert.deepEqual(one.body.instances, all.body.services.catalog);
    assert.deepEqual((await call(svc, 'GET', '/api/v1/services/cart')).body, { index: all.body.index, instances: [] });

    const watch = call(svc, 'GET', `/api/v1/watch?index=${all.body.index}&waitSeconds=${NEVER_SECONDS}`);
    await heldWatches(svc, 1);
    assert.equal((await call(svc, 'POST', '/api/v1/instances', catalog('catalog-2', { zone: 'b', weight: 5 }))).status, 201);
    const woken = await watch;
    assert.equal(woken.status, 200);
    assert.ok(woken.body.index > all.body.index);
    assert.deepEqual(
      woken.body.services.catalog.map((i: { instanceId: string }) => i.instanceId),
      ['catalog-1', 'catalog-2'],
    );

    const quiet = await call(svc, 'GET', `/api/v1/watch?index=${woken.body.index}&waitSeconds=0`);
    assert.equal(quiet.body.index, woken.body.index, 'nothing changed: the same index after the wait');
    const stale = await call(svc, 'GET', `/api/v1/watch?index=0&waitSeconds=${NEVER_SECONDS}`);
    assert.equal(stale.body.index, woken.body.index, 'an old index answers at once');

    clock.advance(2_000);
    assert.equal((await call(svc, 'PUT', '/api/v1/instances/catalog-1/heartbeat')).status, 204);
    const afterBeat = await call(svc, 'GET', '/api/v1/services/catalog');
    assert.equal(afterBeat.body.index, woken.body.index, 'a heartbeat is not a change');
    assert.equal(afterBeat.body.instances[0].lastHeartbeatAt, '2025-01-01T00:00:02.000Z');

    assert.equal((await call(svc, 'DELETE', '/api/v1/instances/catalog-1')).status, 204);
    assert.equal((await call(svc, 'DELETE', '/api/v1/instances/catalog-1')).status, 204, 'deleting twice is fine');
    const left = await call(svc, 'GET', '/api/v1/services/catalog');
    assert.deepEqual(
      left.body.instances.map((i: { instanceId: string }) => i.instanceId),
      ['catalog-2'],
    );
    await call(svc, 'DELETE', '/api/v1/instances/catalog-2');
  });

  it('answers a heartbeat of an unknown instance with 404 problem+json', async () => {
    const res = await call(svc, 'PUT', '/api/v1/instances/nobody-1/heartbeat');
    assert.equal(res.status, 404);
    assert.match(res.type, /^application\/problem\+json/);
    assert.equal(res.body.code, 'SOUK_REGISTRY_INSTANCE_UNKNOWN');
    assert.equal(res.body.type, 'urn:souk:problem:SOUK_REGISTRY_INSTANCE_UNKNOWN');
    assert.equal(res.body.status, 404);
  });

  it('rejects bad input with 400 problem+json, never a 5xx', async () => {
    const bad: Array<[string, string, unknown?]> = [
      ['POST', '/api/v1/instances', catalog('x-1', { service: 'Catalog' })],
      ['POST', '/api/v1/instances', catalog('x-1', { service: 'cat_alog' })],
      ['POST', '/api/v1/instances', catalog('x-1', { url: 'ftp://127.0.0.1/' })],
      ['POST', '/api/v1/instances', catalog('x-1', { url: 'not a url' })],
      ['POST', '/api/v1/instances', catalog('x-1', { url: 'http://[::1' })],
      ['POST', '/api/v1/instances', catalog('x-1', { weight: -1 })],
      ['POST', '/api/v1/instances', catalog('x-1', { weight: 'heavy' })],
      ['POST', '/api/v1/instances', catalog('x-1', { metadata: { n: { nested: 'x' } } })],
      ['POST', '/api/v1/instances', catalog('bad id!')],
      ['POST', '/api/v1/instances', { service: 'catalog' }],
      ['POST', '/api/v1/instances', '{"service": '],
      ['POST', '/api/v1/instances', '[]'],
      ['GET', '/api/v1/services/Not_A_Service'],
      ['GET', '/api/v1/watch?index=-1'],
      ['GET', '/api/v1/watch?index=abc'],
      ['GET', '/api/v1/watch?index=1&waitSeconds=100000'],
      ['PUT', '/api/v1/instances/bad%20id/heartbeat'],
    ];
    for (const [method, path, body] of bad) {
      const res = await call(svc, method, path, body);
      const label = `${method} ${path} ${typeof body === 'string' ? body : (JSON.stringify(body) ?? '')}`;
      assert.equal(res.status, 400, label);
      assert.match(res.type, /^application\/problem\+json/, label);
      assert.match(res.body.code, /^SOUK_REQUEST_/, label);
    }
    assert.deepEqual((await call(svc, 'GET', '/api/v1/services')).body.services, {}, 'nothing was registered');
  });

  it('evicts an instance once the TTL passes without heartbeat, and counts it', async () => {
    await call(svc, 'POST', '/api/v1/instances', catalog('catalog-9'));
    clock.advance(9_999);
    assert.equal((await call(svc, 'GET', '/api/v1/services/catalog')).body.instances.length, 1);
    clock.advance(1);
    await eventually('the eviction', async () =>
      (await call(svc, 'GET', '/api/v1/services/catalog')).body.instances.length === 0 ? true : undefined,
    );
    assert.equal((await call(svc, 'PUT', '/api/v1/instances/catalog-9/heartbeat')).status, 404);
    assert.equal(await metric(svc, 'souk_registry_evictions_total', { service: 'catalog' }), 1);
    assert.equal(await metric(svc, 'souk_registry_instances', { service: 'catalog' }), 0);
    assert.equal((await call(svc, 'POST', '/api/v1/instances', catalog('catalog-9'))).status, 201, 'it registers again');
    assert.equal(await metric(svc, 'souk_registry_instances', { service: 'catalog' }), 1);
    await call(svc, 'DELETE', '/api/v1/instances/catalog-9');
  });

  it('lets go of a watch whose client disconnects', async () => {
    const { index } = (await call(svc, 'GET', '/api/v1/services')).body;
    const controller = new AbortController();
    const watch = fetch(`${svc.url}/api/v1/watch?index=${index}&waitSeconds=${NEVER_SECONDS}`, { signal: controller.signal });
    await heldWatches(svc, 1);
    controller.abort();
    await assert.rejects(watch);
    await heldWatches(svc, 0);
  });
});

describe('registry configuration', () => {
  it('refuses to start when clients would heartbeat no faster than the TTL', async () => {
    await assert.rejects(
      startService(registryService, {
        env: { PORT: '0', LOG_LEVEL: 'silent', REGISTRY_TTL_SECONDS: '3', REGISTRY_HEARTBEAT_SECONDS: '3' },
      }),
      /REGISTRY_HEARTBEAT_SECONDS \(3\) must be below REGISTRY_TTL_SECONDS \(3\)/,
    );
    await assert.rejects(
      startService(registryService, { env: { PORT: '0', LOG_LEVEL: 'silent', REGISTRY_TTL_SECONDS: 'soon' } }),
      /REGISTRY_TTL_SECONDS/,
    );
  });
});

describe('registry shutdown', () => {
  it('answers held watches at once when it stops', { timeout: 30_000 }, async () => {
    const { svc } = await start();
    const { index } = (await call(svc, 'GET', '/api/v1/services')).body;
    const watch = call(svc, 'GET', `/api/v1/watch?index=${index}&waitSeconds=${NEVER_SECONDS}`);
    await heldWatches(svc, 1);
    await svc.stop();
    const res = await watch;
    assert.equal(res.status, 200);
    assert.equal(res.body.index, index);
  });
});
