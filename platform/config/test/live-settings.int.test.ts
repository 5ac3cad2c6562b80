// The chassis's live settings against a real config server: a service with CONFIG_SERVICE publishes its
// schema, takes an admin's change without a restart (log level, a flag, a setting of its own), keeps its
// last good settings while the config server is down, starts from its cached copy then, and catches up
// once the config server is back. LOG_LEVEL in the environment pins the log level.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Type } from 'typebox';
import { configPath, defineService, startService, type RunningService } from '@souk/chassis';
import {
  call,
  createTestDatabase,
  createTestIssuer,
  freePort,
  waitFor,
  type TestDatabase,
  type TestIssuer,
} from '@souk/chassis/testing';
import { configService } from '../src/service.ts';

const shop = defineService({
  name: 'shop',
  version: '1.0.0',
  settings: Type.Object({ greeting: Type.Optional(Type.String({ maxLength: 40 })) }),
  setup(ctx) {
    // One call to the `flaky` upstream, with the client's own attempts and timeout: how it ended.
    ctx.app.get('/call/:path', async (req) => {
      try {
        await ctx.client('flaky').request({ method: 'GET', path: `/${(req.params as { path: string }).path}` });
        return { outcome: 'ok' };
      } catch (err) {
        return { outcome: (err as { code?: string }).code ?? 'error' };
      }
    });
    ctx.app.get('/api/v1/greeting', async () => ({ greeting: 'hello' }));
    ctx.app.get('/hello', async () => ({
      greeting: (ctx.settings.current() as { greeting?: string }).greeting ?? 'hello',
      beta: ctx.settings.flag('beta'),
    }));
  },
});

let dir: string;
let database: TestDatabase;
let issuer: TestIssuer;
let configPort: number;
let config: RunningService | undefined;
const started: RunningService[] = [];

const startConfig = async () => {
  config = await startService(configService, {
    env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent', PORT: String(configPort) },
  });
  config.ctx.auth.setKeySource(issuer.keySource);
};
const startShop = async (env: Record<string, string> = {}) => {
  const svc = await startService(shop, {
    env: {
      STATIC_SERVICES: `config=http://127.0.0.1:${configPort}`,
      CONFIG_SERVICE: 'config',
      CONFIG_CACHE_FILE: path.join(dir, 'shop-settings.json'),
      CONFIG_WAIT_MS: '500',
      CONFIG_WATCH_MS: '2000',
      ...env,
    },
  });
  started.push(svc);
  return svc;
};
const change = async (settings: Record<string, unknown>, reason: string) => {
  const res = await call(`http://127.0.0.1:${configPort}`, 'PUT', configPath('shop'), {
    token: await issuer.token({ roles: ['admin'], email: 'ops@souk.local' }),
    body: { settings, reason },
  });
  assert.equal(res.status, 200, res.text);
  return res.json.version as number;
};
const adminView = async (svc: RunningService) => (await call(svc.adminUrl, 'GET', '/_admin/config')).json;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'souk-live-settings-'));
  database = await createTestDatabase('config_live');
  issuer = await createTestIssuer();
  configPort = await freePort();
  await startConfig();
});

after(async () => {
  for (const svc of started) await svc.stop();
  await config?.stop();
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('live settings', () => {
  let first: RunningService;

  it('a service publishes its schema at start and runs on no settings until someone sets them', async () => {
    first = await startShop({ LOG_LEVEL: '' });
    assert.deepEqual((await call(first.url, 'GET', '/hello')).json, { greeting: 'hello', beta: false });
    assert.equal(first.ctx.log.level, 'info');
    const view = await adminView(first);
    assert.equal(view.version, 0);
    assert.equal(view.source, 'config server');
    const schema = await call(`http://127.0.0.1:${configPort}`, 'GET', `${configPath('shop')}/schema`);
    assert.ok(schema.json.schema.properties.greeting, 'its own setting is in the published schema');
  });

  it("an admin's change applies without a restart: log level, a flag, a setting of the service's own", async () => {
    const version = await change({ logLevel: 'debug', flags: { beta: true }, greeting: 'salaam' }, 'try the beta');
    await waitFor(async () => (await adminView(first)).version === version, {
      timeoutMs: 10_000,
      what: 'the new version applied',
    });
    assert.equal(first.ctx.log.level, 'debug');
    assert.deepEqual((await call(first.url, 'GET', '/hello')).json, { greeting: 'salaam', beta: true });
  });

  it('circuit breaker settings apply to the breakers of every call, unless BREAKER_* pins them', async () => {
    const pinned = await startShop({ BREAKER_HALF_OPEN_AFTER_MS: '7000' });
    const version = await change(
      { logLevel: 'debug', flags: { beta: true }, greeting: 'salaam', breaker: { failureThreshold: 2, halfOpenAfterMs: 1500 } },
      'fail fast',
    );
    for (const svc of [first, pinned]) {
      await waitFor(async () => (await adminView(svc)).version === version, { timeoutMs: 10_000, what: 'applied' });
    }
    assert.equal(first.ctx.breakers.halfOpenAfterMs, 1500);
    assert.equal(pinned.ctx.breakers.halfOpenAfterMs, 7000, 'the environment wins');
    assert.deepEqual((await adminView(pinned)).pinnedByEnvironment, ['/breaker/halfOpenAfterMs']);
    await pinned.stop();
    started.splice(started.indexOf(pinned), 1);
    // An invalid breaker setting never reaches an instance.
    const refused = await call(`http://127.0.0.1:${configPort}`, 'PUT', configPath('shop'), {
      token: await issuer.token({ roles: ['admin'] }),
      body: { settings: { breaker: { failureThreshold: 0 } }, reason: 'oops' },
    });
    assert.equal(refused.status, 422, refused.text);
    assert.equal(refused.json.errors[0].path, '/breaker/failureThreshold');
  });

  it('a setting dropped from a version returns to its default (the log level to LOG_LEVEL’s)', async () => {
    const version = await change({ flags: { beta: true }, greeting: 'salaam' }, 'enough debugging');
    await waitFor(async () => (await adminView(first)).version === version, {
      timeoutMs: 10_000,
      what: 'the new version applied',
    });
    assert.equal(first.ctx.log.level, 'info');
    assert.equal(first.ctx.breakers.halfOpenAfterMs, 10_000, 'back to what it started with');
  });

  it('attempts and the default timeout of outgoing calls change live, for all services or one', async () => {
    // Answers 503 to /fail (retryable) and nothing at all to /hang.
    let seen = 0;
    const flaky = createServer((req, res) => {
      seen++;
      if (req.url === '/fail') res.writeHead(503).end();
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const flakyUrl = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`;
    const caller = await startShop({ STATIC_SERVICES: `config=http://127.0.0.1:${configPort};flaky=${flakyUrl}` });
    try {
      const callOnce = async (path: string) => {
        const before = seen;
        const answer = (await call(caller.url, 'GET', `/call/${path}`)).json as { outcome: string };
        return { outcome: answer.outcome, requests: seen - before };
      };
      assert.deepEqual(await callOnce('fail'), { outcome: 'SOUK_UPSTREAM_ERROR', requests: 3 }, 'the default: 3 attempts');
      const version = await change(
        {
          flags: { beta: true },
          greeting: 'salaam',
          clients: { timeoutMs: 5000, services: { flaky: { attempts: 1, timeoutMs: 200 } } },
        },
        'no retries against flaky',
      );
      await waitFor(async () => (await adminView(caller)).version === version, { timeoutMs: 10_000, what: 'applied' });
      assert.deepEqual(await callOnce('fail'), { outcome: 'SOUK_UPSTREAM_ERROR', requests: 1 });
      // 200 ms rather than the usual 5 s: well inside the test's own patience.
      const started = performance.now();
      assert.deepEqual(await callOnce('hang'), { outcome: 'SOUK_CLIENT_TIMEOUT', requests: 1 });
      assert.ok(performance.now() - started < 4_000);
      // Back to the settings the next tests start from.
      const back = await change({ flags: { beta: true }, greeting: 'salaam' }, 'retries again');
      await waitFor(async () => (await adminView(first)).version === back, { timeoutMs: 10_000, what: 'applied' });
    } finally {
      await caller.stop();
      started.splice(started.indexOf(caller), 1);
      flaky.closeAllConnections();
      flaky.close();
    }
  });

  it('faults: API requests of the releases named fail with 503 or wait; health, other paths and other releases do not', async () => {
    const canary = await startShop({ SERVICE_RELEASE: 'canary' });
    try {
      const applied = async (version: number) =>
        Promise.all(
          [first, canary].map((svc) =>
            waitFor(async () => (await adminView(svc)).version === version, { timeoutMs: 10_000, what: 'applied' }),
          ),
        );
      await applied(
        await change(
          { flags: { beta: true }, greeting: 'salaam', faults: { errorRate: 1, releases: ['canary'] } },
          'canary drill',
        ),
      );
      const failed = await call(canary.url, 'GET', '/api/v1/greeting');
      assert.equal(failed.status, 503);
      assert.equal(failed.json.code, 'SOUK_FAULT_INJECTED');
      assert.match(failed.json.detail, /fails 100% of API requests on purpose/);
      assert.equal((await call(first.url, 'GET', '/api/v1/greeting')).status, 200, 'the stable release is spared');
      assert.equal((await call(canary.url, 'GET', '/health/ready')).status, 200, 'health is never faulted');
      assert.equal((await call(canary.url, 'GET', '/hello')).status, 200, 'only /api/ paths');
      const metrics = await (await fetch(`${canary.adminUrl}/metrics`)).text();
      assert.match(metrics, /souk_faults_injected_total\{kind="error",[^}]*\} 1/);

      await applied(
        await change({ flags: { beta: true }, greeting: 'salaam', faults: { delayMs: 300 } }, 'latency on every release'),
      );
      const started = performance.now();
      assert.equal((await call(canary.url, 'GET', '/api/v1/greeting')).status, 200);
      assert.ok(performance.now() - started >= 295, 'delayed by the setting');
      // Back to the settings the next tests start from.
      await applied(await change({ flags: { beta: true }, greeting: 'salaam' }, 'drill over'));
      assert.equal((await call(canary.url, 'GET', '/api/v1/greeting')).status, 200);
    } finally {
      await canary.stop();
      started.splice(started.indexOf(canary), 1);
    }
  });

  it("in an environment a service gets the base with that environment's document over it", async () => {
    const staged = await startShop({ CONFIG_ENVIRONMENT: 'staging', CONFIG_CACHE_FILE: path.join(dir, 'shop-staging.json') });
    try {
      const res = await call(`http://127.0.0.1:${configPort}`, 'PUT', `${configPath('shop')}?environment=staging`, {
        token: await issuer.token({ roles: ['admin'], email: 'ops@souk.local' }),
        body: { settings: { greeting: 'ahlan wa sahlan' }, reason: 'staging says it its way' },
      });
      assert.equal(res.status, 200, res.text);
      await waitFor(async () => (await adminView(staged)).version === res.json.version, { timeoutMs: 10_000, what: 'applied' });
      assert.deepEqual((await call(staged.url, 'GET', '/hello')).json, { greeting: 'ahlan wa sahlan', beta: true });
      assert.equal((await adminView(staged)).environment, 'staging');
      assert.equal((await call(first.url, 'GET', '/hello')).json.greeting, 'salaam', 'the base, outside staging');
    } finally {
      await staged.stop();
      started.splice(started.indexOf(staged), 1);
    }
  });

  it('with the config server down, the last good settings stay, and a new instance starts from the cached copy', async () => {
    await config!.stop();
    config = undefined;
    assert.deepEqual((await call(first.url, 'GET', '/hello')).json, { greeting: 'salaam', beta: true });
    const second = await startShop();
    const view = await adminView(second);
    assert.equal(view.source, 'cache');
    assert.deepEqual(view.settings, { flags: { beta: true }, greeting: 'salaam' });
    assert.deepEqual((await call(second.url, 'GET', '/hello')).json, { greeting: 'salaam', beta: true });

    // Back, with a change made meanwhile: both instances catch up.
    await startConfig();
    const version = await change({ greeting: 'marhaba' }, 'new greeting');
    for (const svc of [first, second]) {
      await waitFor(async () => (await adminView(svc)).version === version, { timeoutMs: 15_000, what: 'caught up' });
      assert.deepEqual((await call(svc.url, 'GET', '/hello')).json, { greeting: 'marhaba', beta: false });
      assert.equal((await adminView(svc)).source, 'config server');
    }
  });

  it('a service whose schema the config server refuses still starts, on no settings', async () => {
    const patterned = defineService({
      name: 'patterned',
      version: '1.0.0',
      settings: Type.Object({ zone: Type.Optional(Type.String({ pattern: '^[a-z]+$' })) }),
      setup() {},
    });
    const svc = await startService(patterned, {
      env: { STATIC_SERVICES: `config=http://127.0.0.1:${configPort}`, CONFIG_SERVICE: 'config', LOG_LEVEL: 'silent' },
    });
    started.push(svc);
    const view = await adminView(svc);
    assert.equal(view.source, 'none');
    assert.equal(view.version, 0);
  });

  it('LOG_LEVEL in the environment pins the log level; the other settings still apply', async () => {
    const pinned = await startShop({ LOG_LEVEL: 'warn' });
    const version = await change({ logLevel: 'trace', greeting: 'ahlan' }, 'trace everything');
    await waitFor(async () => (await adminView(pinned)).version === version, { timeoutMs: 10_000, what: 'applied' });
    assert.equal(pinned.ctx.log.level, 'warn');
    assert.deepEqual((await adminView(pinned)).pinnedByEnvironment, ['/logLevel']);
    assert.equal((await call(pinned.url, 'GET', '/hello')).json.greeting, 'ahlan');
  });
});
