// The registry's limits over HTTP, each set low: instances per service and in
// all (429 with Retry-After, a known instance may always re-register),
// metadata keys and bytes (422), and held watches in all and per remote
// address (429 with Retry-After; a slot frees when a watcher hangs up).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startService, type RunningService } from '@souk/chassis';
import { waitFor } from '@souk/chassis/testing';
import { registryService } from '../src/service.ts';

const NEVER_SECONDS = 120;

async function start(env: Record<string, string>) {
  return startService(registryService, {
    env: { PORT: '0', LOG_LEVEL: 'silent', INSTANCE_ID: 'registry-limits', SHUTDOWN_TIMEOUT_MS: '600000', ...env },
  });
}

interface Answer {
  status: number;
  headers: Headers;
  body: { code?: string; detail?: string; index?: number } & Record<string, unknown>;
}

async function call(svc: RunningService, method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Answer> {
  const res = await fetch(svc.url + path, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    ...(signal ? { signal } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

const instance = (service: string, instanceId: string, metadata?: Record<string, string>) => ({
  service,
  instanceId,
  url: `http://127.0.0.1:4100/${instanceId}`,
  version: '0.1.0',
  ...(metadata ? { metadata } : {}),
});

function assertRefused(res: Answer, status: number, code: string): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.equal(res.body.code, code);
  assert.equal(typeof res.body.detail, 'string');
}

const heldWatches = async (svc: RunningService, n: number) =>
  waitFor(
    async () => {
      const text = await (await fetch(`${svc.adminUrl}/metrics`)).text();
      return text.split('\n').some((l) => l.startsWith('souk_registry_watches') && l.endsWith(` ${n}`)) ? true : undefined;
    },
    { what: `${n} held watch(es)`, timeoutMs: 15_000, intervalMs: 5 },
  );

describe('instances and metadata', () => {
  let svc: RunningService;
  before(async () => {
    svc = await start({
      REGISTRY_MAX_INSTANCES_PER_SERVICE: '2',
      REGISTRY_MAX_INSTANCES: '3',
      REGISTRY_MAX_METADATA_KEYS: '2',
      REGISTRY_MAX_METADATA_BYTES: '32',
    });
  });
  after(async () => svc.stop());

  it('a third instance of one service is 429 SOUK_REGISTRY_SERVICE_FULL; known instances re-register', async () => {
    assert.equal((await call(svc, 'POST', '/api/v1/instances', instance('catalog', 'catalog-1'))).status, 201);
    assert.equal((await call(svc, 'POST', '/api/v1/instances', instance('catalog', 'catalog-2'))).status, 201);
    const third = await call(svc, 'POST', '/api/v1/instances', instance('catalog', 'catalog-3'));
    assertRefused(third, 429, 'SOUK_REGISTRY_SERVICE_FULL');
    assert.equal(third.headers.get('retry-after'), '10', 'a slot frees at the latest one TTL later');
    assert.equal((await call(svc, 'POST', '/api/v1/instances', instance('catalog', 'catalog-2'))).status, 201);
    const listed = await call(svc, 'GET', '/api/v1/services/catalog');
    assert.deepEqual(
      (listed.body.instances as { instanceId: string }[]).map((i) => i.instanceId),
      ['catalog-1', 'catalog-2'],
    );
    // A deregistration frees the slot.
    assert.equal((await call(svc, 'DELETE', '/api/v1/instances/catalog-2')).status, 204);
    assert.equal((await call(svc, 'POST', '/api/v1/instances', instance('catalog', 'catalog-3'))).status, 201);
  });

  it('beyond the total across services is 429 SOUK_REGISTRY_FULL', async () => {
    assert.equal((await call(svc, 'POST', '/api/v1/instances', instance('cart', 'cart-1'))).status, 201);
    assertRefused(await call(svc, 'POST', '/api/v1/instances', instance('orders', 'orders-1')), 429, 'SOUK_REGISTRY_FULL');
    assert.deepEqual((await call(svc, 'GET', '/api/v1/services/orders')).body.instances, []);
  });

  it('too many metadata keys or bytes is 422 SOUK_REGISTRY_METADATA_TOO_LARGE, and nothing is stored', async () => {
    const keys = await call(svc, 'POST', '/api/v1/instances', instance('cart', 'cart-1', { a: '1', b: '2', c: '3' }));
    assertRefused(keys, 422, 'SOUK_REGISTRY_METADATA_TOO_LARGE');
    assert.match(keys.body.detail!, /3 keys; the limit is 2/);
    const bytes = await call(svc, 'POST', '/api/v1/instances', instance('cart', 'cart-1', { note: 'é'.repeat(15) }));
    assertRefused(bytes, 422, 'SOUK_REGISTRY_METADATA_TOO_LARGE');
    assert.match(bytes.body.detail!, /34 bytes/, 'bytes, not characters: é is two');
    const cart = await call(svc, 'GET', '/api/v1/services/cart');
    assert.deepEqual((cart.body.instances as { metadata: unknown }[])[0]!.metadata, {});
    assert.equal((await call(svc, 'POST', '/api/v1/instances', instance('cart', 'cart-1', { canary: 'true' }))).status, 201);
  });
});

/** Holds a watch until aborted: the current index, waiting "for ever". */
async function holdWatch(svc: RunningService): Promise<{ answer: Promise<Answer>; hangUp(): void }> {
  const { index } = (await call(svc, 'GET', '/api/v1/services')).body;
  const abort = new AbortController();
  const answer = call(svc, 'GET', `/api/v1/watch?index=${index}&waitSeconds=${NEVER_SECONDS}`, undefined, abort.signal);
  answer.catch(() => undefined);
  return { answer, hangUp: () => abort.abort() };
}

describe('held watches', () => {
  let perAddress: RunningService;
  let total: RunningService;
  before(async () => {
    perAddress = await start({ REGISTRY_MAX_WATCHERS: '10', REGISTRY_MAX_WATCHERS_PER_ADDRESS: '2' });
    total = await start({ REGISTRY_MAX_WATCHERS: '1', REGISTRY_MAX_WATCHERS_PER_ADDRESS: '10' });
  });
  after(async () => {
    await perAddress.stop();
    await total.stop();
  });

  it('a third watch from one address is 429 SOUK_REGISTRY_TOO_MANY_WATCHERS with Retry-After; a hang-up frees a slot', async () => {
    const first = await holdWatch(perAddress);
    const second = await holdWatch(perAddress);
    await heldWatches(perAddress, 2);
    const third = await call(perAddress, 'GET', `/api/v1/watch?index=0&waitSeconds=${NEVER_SECONDS}`);
    assertRefused(third, 429, 'SOUK_REGISTRY_TOO_MANY_WATCHERS');
    assert.equal(third.headers.get('retry-after'), '5');
    assert.match(third.body.detail!, /from /);
    first.hangUp();
    await heldWatches(perAddress, 1);
    const again = await holdWatch(perAddress);
    await heldWatches(perAddress, 2);
    // A registration wakes both held watches: they answer normally.
    assert.equal((await call(perAddress, 'POST', '/api/v1/instances', instance('catalog', 'catalog-1'))).status, 201);
    assert.equal((await second.answer).status, 200);
    assert.equal((await again.answer).status, 200);
  });

  it('beyond the total, a watch is refused whatever its address', async () => {
    const held = await holdWatch(total);
    await heldWatches(total, 1);
    assertRefused(
      await call(total, 'GET', `/api/v1/watch?index=0&waitSeconds=${NEVER_SECONDS}`),
      429,
      'SOUK_REGISTRY_TOO_MANY_WATCHERS',
    );
    held.hangUp();
    await heldWatches(total, 0);
    assert.equal((await call(total, 'GET', '/api/v1/watch?index=0&waitSeconds=0')).status, 200);
  });
});
