// The console backend against real instances: a chassis service with a database (its admin listener serves
// health, resilience, events and dead letters) and one that does not answer, found through discovery; a
// stand-in of the devhost's control listener with a process the registry does not list. Admins only; the
// admin's token reaches the service's own admin routes; a service's problem is passed on as it answered.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { defineService, startService, type Discovery, type RunningService, type ServiceInstance } from '@souk/chassis';
import {
  assertProblem,
  call,
  createTestDatabase,
  createTestIssuer,
  freePort,
  type TestDatabase,
  type TestIssuer,
} from '@souk/chassis/testing';
import { consoleService } from '../src/service.ts';

let database: TestDatabase;
let issuer: TestIssuer;
let shop: RunningService;
let consoleApi: RunningService;
let control: Server;
let admin: string;
let customer: string;
/** What the control stand-in was asked. */
const asked: string[] = [];
const C = '/api/v1/console';

/** A service with a database: the chassis gives it the event layer's admin routes. */
const shopService = defineService({
  name: 'shop-test',
  version: '1.2.3',
  migrations: { '001_init': { up: async () => undefined } },
  setup() {},
});

function discoveryOf(instances: ServiceInstance[]): Discovery {
  return {
    instances: (service) => instances.filter((i) => i.service === service),
    services: () => [...new Set(instances.map((i) => i.service))].sort(),
    onChange: () => () => undefined,
    ready: async () => undefined,
    close: async () => undefined,
  };
}

/** The devhost's control listener as the console sees it: payments-1 runs, ghost-1 was killed. */
function controlStandIn(shopAdminUrl: string): Server {
  return createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/instances')
      return send(200, {
        instances: [
          {
            instanceId: 'shop-test-1',
            service: 'shop-test',
            state: 'ready',
            pid: 10,
            restarts: 0,
            startedAt: null,
            url: '',
            adminUrl: shopAdminUrl,
          },
          {
            instanceId: 'ghost-1',
            service: 'ghost',
            state: 'killed',
            pid: null,
            restarts: 2,
            startedAt: null,
            url: 'http://127.0.0.1:1',
            adminUrl: 'http://127.0.0.1:1',
          },
        ],
      });
    asked.push(`${req.method} ${req.url}`);
    if (req.url === '/instances/ghost-1/pause')
      return send(409, { reason: 'refused', detail: 'ghost-1 is killed: only a running instance can be paused' });
    if (req.url === '/instances/nobody-1/kill')
      return send(404, { reason: 'unknown-instance', detail: 'The devhost runs no instance nobody-1.' });
    return send(200, { instanceId: 'shop-test-1', state: 'killed' });
  });
}

before(async () => {
  database = await createTestDatabase('console');
  issuer = await createTestIssuer();
  admin = await issuer.token({ roles: ['admin'], email: 'admin@souk.local' });
  customer = await issuer.token({ roles: ['customer'] });
  shop = await startService(shopService, {
    env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent', INSTANCE_ID: 'shop-test-1' },
  });
  shop.ctx.auth.setKeySource(issuer.keySource);
  control = controlStandIn(shop.adminUrl);
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  const closed = await freePort(); // nothing listens there: an instance that does not answer
  const instances: ServiceInstance[] = [
    {
      instanceId: 'shop-test-1',
      service: 'shop-test',
      url: shop.url,
      version: '1.2.3',
      zone: 'a',
      weight: 100,
      metadata: { adminUrl: shop.adminUrl, release: 'stable' },
    },
    {
      instanceId: 'gone-1',
      service: 'gone',
      url: `http://127.0.0.1:${closed}`,
      version: '1',
      zone: 'a',
      weight: 100,
      metadata: { adminUrl: `http://127.0.0.1:${closed}` },
    },
  ];
  consoleApi = await startService(consoleService, {
    env: {
      LOG_LEVEL: 'silent',
      INSTANCE_ID: 'console-1',
      DEVHOST_CONTROL_URL: `http://127.0.0.1:${(control.address() as AddressInfo).port}`,
      CONSOLE_ADMIN_TIMEOUT_MS: '1000',
    },
    discovery: discoveryOf(instances),
  });
  consoleApi.ctx.auth.setKeySource(issuer.keySource);
});

after(async () => {
  await consoleApi?.stop();
  await shop?.stop();
  control?.close();
  await database?.drop();
});

describe('instances', () => {
  it('lists the registered instances beside the devhost’s processes, with health, checks and breakers', async () => {
    const answer = await call(consoleApi.url, 'GET', `${C}/instances`, { token: admin });
    assert.equal(answer.status, 200);
    assert.equal(answer.json.control, true);
    const byId = new Map((answer.json.instances as Record<string, any>[]).map((i) => [i.instanceId, i]));
    assert.deepEqual([...byId.keys()], ['ghost-1', 'gone-1', 'shop-test-1'], 'sorted by service');
    const shopRow = byId.get('shop-test-1')!;
    assert.equal(shopRow.health, 'up');
    assert.equal(shopRow.checks.database, 'up');
    assert.equal(shopRow.version, '1.2.3');
    assert.equal(shopRow.release, 'stable');
    assert.deepEqual(shopRow.process, { state: 'ready', pid: 10, restarts: 0, startedAt: null });
    assert.ok(Array.isArray(shopRow.breakers) && Array.isArray(shopRow.bulkheads));
    assert.equal(byId.get('gone-1')!.health, 'unreachable');
    assert.match(byId.get('gone-1')!.error, /ECONNREFUSED/);
    const ghost = byId.get('ghost-1')!;
    assert.equal(ghost.registered, false, 'killed: not in the registry, still the operator’s to restart');
    assert.equal(ghost.process.state, 'killed');
    assert.equal(ghost.error, 'the process is killed', 'a killed process is not asked');
  });

  it('passes an action to the devhost and its refusals on as problems', async () => {
    const killed = await call(consoleApi.url, 'POST', `${C}/instances/shop-test-1/kill`, { token: admin, body: {} });
    assert.deepEqual(killed.json, { instanceId: 'shop-test-1', state: 'killed' });
    assertProblem(
      await call(consoleApi.url, 'POST', `${C}/instances/ghost-1/pause`, { token: admin, body: {} }),
      409,
      'SOUK_CONSOLE_ACTION_REFUSED',
    );
    assertProblem(
      await call(consoleApi.url, 'POST', `${C}/instances/nobody-1/kill`, { token: admin, body: {} }),
      404,
      'SOUK_CONSOLE_INSTANCE_NOT_FOUND',
    );
    assertProblem(
      await call(consoleApi.url, 'POST', `${C}/instances/shop-test-1/explode`, { token: admin, body: {} }),
      400,
      'SOUK_REQUEST_INVALID',
    );
    assert.deepEqual(asked, [
      'POST /instances/shop-test-1/kill',
      'POST /instances/ghost-1/pause',
      'POST /instances/nobody-1/kill',
    ]);
  });
});

describe('the event layer and dead letters', () => {
  it('gathers each service’s event status; the one that does not answer is named', async () => {
    const answer = await call(consoleApi.url, 'GET', `${C}/events`, { token: admin });
    assert.equal(answer.status, 200);
    assert.deepEqual(
      answer.json.services.map((s: { service: string }) => s.service),
      ['shop-test'],
    );
    assert.equal(answer.json.services[0].status.transport, 'feed');
    assert.deepEqual(
      answer.json.unreachable.map((u: { service: string }) => u.service),
      ['gone'],
    );
  });

  it('lists dead letters with the admin’s token, and passes a service’s 404 on as it answered', async () => {
    const list = await call(consoleApi.url, 'GET', `${C}/dead-letters`, { token: admin });
    assert.deepEqual(list.json.deadLetters, []);
    const missing = await call(consoleApi.url, 'GET', `${C}/dead-letters/shop-test/999`, { token: admin });
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.match(missing.json.code, /^SOUK_/);
    assertProblem(
      await call(consoleApi.url, 'GET', `${C}/dead-letters/gone/1`, { token: admin }),
      503,
      'SOUK_CONSOLE_UNREACHABLE',
    );
    assertProblem(
      await call(consoleApi.url, 'GET', `${C}/dead-letters/nothing/1`, { token: admin }),
      404,
      'SOUK_CONSOLE_SERVICE_NOT_FOUND',
    );
  });

  it('a service without sagas is simply not in the sagas list', async () => {
    const answer = await call(consoleApi.url, 'GET', `${C}/sagas?status=PARKED`, { token: admin });
    assert.deepEqual(answer.json, { sagas: [], unreachable: [{ service: 'gone', error: answer.json.unreachable[0].error }] });
  });
});

describe('who may ask', () => {
  it('refuses a customer and a caller without a token', async () => {
    for (const path of ['/instances', '/events', '/dead-letters', '/sagas', '/schemas']) {
      assertProblem(await call(consoleApi.url, 'GET', `${C}${path}`, { token: customer }), 403, 'SOUK_AUTH_FORBIDDEN');
      assert.equal((await call(consoleApi.url, 'GET', `${C}${path}`)).status, 401);
    }
    assertProblem(
      await call(consoleApi.url, 'POST', `${C}/instances/shop-test-1/kill`, { token: customer, body: {} }),
      403,
      'SOUK_AUTH_FORBIDDEN',
    );
  });
});
