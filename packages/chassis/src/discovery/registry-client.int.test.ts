// The registry client against a fake registry (node:http) that speaks the
// registry API: registration and heartbeats, re-registration after a 404,
// the long-poll watch, outages and shutdown.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from './registry-client.ts';
import type { SelfRegistration } from './registration.ts';
import { waitFor } from '../testing/wait-for.ts';

interface Listed extends SelfRegistration {
  registeredAt: string;
  lastHeartbeatAt: string;
}

/** Just enough of platform/registry: instances in a map, a change index, long-polls that wake on change. */
class FakeRegistry {
  readonly instances = new Map<string, Listed>();
  index = 1000;
  registrations = 0;
  heartbeats = 0;
  deletes = 0;
  openWatches = 0;
  readonly watchIndexes: number[] = [];
  private waiters = new Set<() => void>();
  private server: http.Server | undefined;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Goes away like a crashed process: connections cut, port closed, state lost. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const wake of this.waiters) wake();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.instances.clear();
  }

  add(service: string, instanceId: string, url: string): void {
    const now = new Date().toISOString();
    this.instances.set(instanceId, {
      service,
      instanceId,
      url,
      version: '1.0.0',
      zone: 'local',
      weight: 100,
      metadata: {},
      registeredAt: now,
      lastHeartbeatAt: now,
    });
    this.bump();
  }

  /** Eviction after a missed TTL, as the real registry does. */
  evict(instanceId: string): void {
    this.instances.delete(instanceId);
    this.bump();
  }

  bump(): void {
    this.index++;
    for (const wake of [...this.waiters]) wake();
  }

  private body(): unknown {
    const services: Record<string, Listed[]> = {};
    for (const i of this.instances.values()) (services[i.service] ??= []).push(i);
    return { index: this.index, services };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      const send = (status: number, body?: unknown) => {
        res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
        res.end(body === undefined ? undefined : JSON.stringify(body));
      };
      const beat = url.pathname.match(/^\/api\/v1\/instances\/([^/]+)\/heartbeat$/);
      const one = url.pathname.match(/^\/api\/v1\/instances\/([^/]+)$/);
      if (req.method === 'POST' && url.pathname === '/api/v1/instances') {
        const reg = JSON.parse(raw) as SelfRegistration;
        this.registrations++;
        this.add(reg.service, reg.instanceId, reg.url);
        Object.assign(this.instances.get(reg.instanceId)!, reg);
        return send(201, { instanceId: reg.instanceId, ttlSeconds: 10, heartbeatIntervalSeconds: 3 });
      }
      if (req.method === 'PUT' && beat) {
        if (!this.instances.has(decodeURIComponent(beat[1]!)))
          return send(404, { code: 'SOUK_REGISTRY_INSTANCE_UNKNOWN', status: 404 });
        this.heartbeats++;
        return send(204);
      }
      if (req.method === 'DELETE' && one) {
        this.deletes++;
        if (this.instances.delete(decodeURIComponent(one[1]!))) this.bump();
        return send(204);
      }
      if (req.method === 'GET' && url.pathname === '/api/v1/services') return send(200, this.body());
      if (req.method === 'GET' && url.pathname === '/api/v1/watch') {
        const since = Number(url.searchParams.get('index'));
        this.watchIndexes.push(since);
        if (this.index > since) return send(200, this.body());
        this.openWatches++;
        const done = () => {
          if (!this.waiters.delete(done)) return;
          clearTimeout(timer);
          this.openWatches--;
          if (!res.destroyed) send(200, this.body());
        };
        const timer = setTimeout(done, Number(url.searchParams.get('waitSeconds')) * 1000);
        this.waiters.add(done);
        res.on('close', done);
        return;
      }
      send(404);
    });
  }
}

type Line = { level: number; msg: string };
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

async function setup(options: Partial<RegistryClientOptions> = {}) {
  const registry = new FakeRegistry();
  await registry.start();
  cleanups.push(() => registry.stop());
  const lines: Line[] = [];
  const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  const client = createRegistryClient({
    registryUrl: registry.url,
    log,
    heartbeatIntervalMs: 10,
    retry: { baseMs: 5, capMs: 20 },
    ...options,
  });
  cleanups.push(() => client.close());
  return { registry, client, lines };
}

const self: SelfRegistration = {
  service: 'cart',
  instanceId: 'cart-1',
  url: 'http://127.0.0.1:4100',
  version: '0.1.0',
  zone: 'local',
  weight: 100,
  metadata: { canary: 'no' },
};

/** Polls with a deadline (generous: CI machines are busy); never a fixed sleep. */
async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(() => check() || undefined, { what, timeoutMs, intervalMs: 2 });
}

test('register sends the instance, then heartbeats keep it alive', async () => {
  const { registry, client } = await setup();
  await client.register(self);
  // register() resolves after the first attempt, which a loaded machine may time out; the loop keeps going.
  await until(() => client.isRegistered(), 'the registration to be accepted');
  const listed = registry.instances.get('cart-1');
  assert.ok(listed);
  assert.deepEqual(
    {
      service: listed.service,
      url: listed.url,
      version: listed.version,
      zone: listed.zone,
      weight: listed.weight,
      metadata: listed.metadata,
    },
    { service: 'cart', url: self.url, version: '0.1.0', zone: 'local', weight: 100, metadata: { canary: 'no' } },
  );
  await until(() => registry.heartbeats >= 3, 'three heartbeats');
});

test('a 404 heartbeat (evicted) makes the instance register again', async () => {
  const { registry, client, lines } = await setup();
  await client.register(self);
  await until(() => client.isRegistered(), 'the registration to be accepted');
  const before = registry.registrations;
  registry.evict('cart-1');
  await until(() => registry.registrations > before && registry.instances.has('cart-1'), 're-registration');
  assert.ok(lines.some((l) => l.level === 40 && /no longer knows this instance/.test(l.msg)));
});

test('ready() after the first list; the long-poll watch delivers changes to onChange', async () => {
  const { registry, client } = await setup();
  registry.add('catalog', 'catalog-1', 'http://127.0.0.1:4201/');
  await client.ready();
  assert.deepEqual(
    client.instances('catalog').map((i) => [i.instanceId, i.url]),
    [['catalog-1', 'http://127.0.0.1:4201']],
  );
  assert.deepEqual(client.instances('nobody'), []);

  let changes = 0;
  client.onChange(() => changes++);
  registry.add('catalog', 'catalog-2', 'http://127.0.0.1:4202');
  await until(() => client.instances('catalog').length === 2, 'the second instance to appear');
  assert.equal(changes, 1);
  assert.ok(registry.watchIndexes.length > 0, 'updates came through /api/v1/watch');

  // An index bump without a visible change (a re-sent registration) wakes no listener.
  const before = registry.watchIndexes.length;
  registry.bump();
  await until(
    () => registry.watchIndexes.length > before && registry.watchIndexes.at(-1) === registry.index,
    'the client to poll again',
  );
  assert.equal(changes, 1);
});

test('while the registry is down the last list is kept, warned about once, and refreshed when it returns', async () => {
  const { registry, client, lines } = await setup();
  registry.add('catalog', 'catalog-1', 'http://127.0.0.1:4201');
  await client.register(self);
  await client.ready();
  await until(() => client.isRegistered(), 'the registration to be accepted');
  const port = registry.port;

  await registry.stop();
  const count = (level: number, pattern: RegExp) => lines.filter((l) => l.level === level && pattern.test(l.msg)).length;
  const loops = [/heartbeats/, /service watch/];
  await until(
    () => loops.every((loop) => count(20, new RegExp(`still unreachable.*${loop.source}`)) >= 3),
    'several failed retries in both loops',
  );
  assert.deepEqual(
    client.instances('catalog').map((i) => i.instanceId),
    ['catalog-1'],
    'last known list kept',
  );
  assert.equal(client.isRegistered(), false);
  for (const loop of loops) {
    assert.equal(
      count(40, new RegExp(`registry unreachable: .*${loop.source}`)),
      1,
      `one warning for this outage (${loop.source})`,
    );
  }

  // It comes back empty, as a restarted registry does: the instance registers again.
  await registry.start(port);
  registry.add('catalog', 'catalog-9', 'http://127.0.0.1:4209');
  await until(() => client.instances('catalog').some((i) => i.instanceId === 'catalog-9'), 'the new list');
  await until(() => registry.instances.has('cart-1') && client.isRegistered(), 're-registration after the outage');
  assert.deepEqual(
    client.instances('catalog').map((i) => i.instanceId),
    ['catalog-9'],
  );
  assert.equal(lines.filter((l) => /reachable again/.test(l.msg)).length >= 1, true);
});

test('deregister removes the instance and stops heartbeats', async () => {
  const { registry, client } = await setup();
  await client.register(self);
  await until(() => client.isRegistered(), 'the registration to be accepted');
  await client.deregister();
  assert.equal(registry.deletes, 1);
  assert.equal(registry.instances.has('cart-1'), false);
  assert.equal(client.isRegistered(), false);
  const beats = registry.heartbeats;
  // The loop is stopped once deregister() resolved; a further round trip shows no new heartbeat.
  await fetch(`${registry.url}/api/v1/services`);
  assert.equal(registry.heartbeats, beats);
});

test('close() aborts the long-poll in flight and deregisters', async () => {
  const { registry, client } = await setup({ watchWaitSeconds: 30 });
  await client.register(self);
  await client.ready();
  await until(() => client.isRegistered(), 'the registration to be accepted');
  await until(() => registry.openWatches === 1, 'a long-poll to be waiting');
  const closing = client.close();
  const deadline = new Promise((_, reject) =>
    setTimeout(() => reject(new Error('close() took longer than 10 s (the long-poll was not aborted)')), 10_000).unref(),
  );
  await Promise.race([closing, deadline]);
  await until(() => registry.openWatches === 0, 'the registry to see the long-poll go');
  assert.equal(registry.deletes, 1);
});

test('ready() rejects with a clear error when no registry answers', async () => {
  const registry = new FakeRegistry();
  await registry.start();
  const url = registry.url;
  await registry.stop();
  const client: RegistryClient = createRegistryClient({
    registryUrl: url,
    log: pino({ level: 'silent' }),
    readyTimeoutMs: 50,
    retry: { baseMs: 5, capMs: 20 },
  });
  cleanups.push(() => client.close());
  await assert.rejects(client.ready(), new RegExp(`no service list from the registry at ${url} within 50 ms`));
  assert.deepEqual(client.instances('catalog'), []);
});
