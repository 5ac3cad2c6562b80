// The walking skeleton as a newcomer meets it: `npm start`'s devhost with two
// catalog instances, driven only through the gateway. Covers issue 2's
// "Verified by": sign-up, login, products, admin-only writes, bad input as
// problem+json, losing a catalog instance without losing a request, and the
// gateway's 503 while catalog is down until the devhost restarts it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { connect } from 'node:net';
import * as oidc from 'openid-client';
import { Agent, request } from 'undici';
import { waitFor } from '@souk/chassis/testing';
import { startDevhost, type Devhost } from './devhost-harness.ts';

let devhost: Devhost;
const PASSWORD = 'Correct-Horse-Battery-9';

before(async () => {
  devhost = await startDevhost(['--scale', 'catalog=2']);
});
after(async () => {
  await devhost?.stop();
});

async function call(
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  } else if (options.raw !== undefined) headers['content-type'] ??= 'application/json';
  const res = await request(`${devhost.gateway}${path}`, { method: method as 'GET', headers, body });
  const text = await res.body.text();
  const json = /json/.test(String(res.headers['content-type'])) && text ? JSON.parse(text) : undefined;
  return { status: res.statusCode, headers: res.headers, json, text };
}

function assertProblem(res: Awaited<ReturnType<typeof call>>, status: number, code?: string) {
  assert.equal(res.status, status, res.text);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  if (code) assert.equal(res.json.code, code);
}

function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function passwordLogin(username: string, password: string): Promise<string> {
  const config = await oidc.discovery(new URL(devhost.gateway), 'storefront', undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  const tokens = await oidc.genericGrantRequest(config, 'password', { username, password });
  return tokens.access_token;
}

describe('a newcomer runs npm start', () => {
  test('the whole system is ready, with the URLs printed and published', async (t) => {
    t.diagnostic(`devhost ready in ${devhost.readySeconds.toFixed(1)} s`);
    assert.match(devhost.gateway, /^http:\/\/localhost:\d+$/);
    const printed = await waitFor(
      async () => {
        const text = await devhost.output();
        return text.includes('souk is ready') ? text : undefined;
      },
      { what: 'the ready banner' },
    );
    assert.match(printed, new RegExp(`gateway\\s+${devhost.gateway}`), printed);
    assert.ok(printed.includes(`${devhost.gateway}/.well-known/openid-configuration`));
    assert.match(printed, /admin\s+admin@souk\.local, password in .*secrets\/admin-password/);
  });

  test('HTTPS at the gateway: TLS terminated there with a certificate for localhost from the dev CA', async () => {
    assert.match(devhost.gatewayTls ?? '', /^https:\/\/localhost:\d+$/);
    assert.match(await devhost.output(), new RegExp(`${devhost.gatewayTls!}.*HTTPS; trust .*pki/ca\\.pem`));
    const ca = await readFile(path.join(devhost.dataDir, 'pki', 'ca.pem'));
    const trusting = new Agent({ connect: { ca } });
    try {
      // Node's own name check: the certificate must be valid for localhost, and no client certificate is asked for.
      const res = await request(`${devhost.gatewayTls!}/api/v1/catalog/products?pageSize=1`, { dispatcher: trusting });
      assert.equal(res.statusCode, 200);
      assert.equal(((await res.body.json()) as { items: unknown[] }).items.length, 1);
    } finally {
      await trusting.close();
    }
    // Without the dev CA the certificate is not trusted.
    await assert.rejects(request(`${devhost.gatewayTls!}/api/v1/catalog/products`), /certificate/);
  });

  test('OIDC discovery and JWKS are served through the gateway', async () => {
    const discovery = await call('GET', '/.well-known/openid-configuration');
    assert.equal(discovery.status, 200);
    assert.equal(discovery.json.issuer, devhost.gateway);
    const jwks = await call('GET', new URL(discovery.json.jwks_uri).pathname);
    assert.ok(jwks.json.keys.length >= 1);
  });
});

describe('shopping flows through the gateway', () => {
  let customerToken: string;
  let adminToken: string;

  test('sign up, then log in with the password grant', async () => {
    const email = `amira-${randomUUID().slice(0, 8)}@example.com`;
    const signup = await call('POST', '/api/v1/identity/signup', { body: { email, password: PASSWORD, name: 'Amira' } });
    assert.equal(signup.status, 202, signup.text);
    assert.equal(signup.json.email, email);
    // A taken email is answered like a new one (tests/security/identity.ts says more).
    const again = await call('POST', '/api/v1/identity/signup', { body: { email, password: PASSWORD } });
    assert.equal(again.status, 202, again.text);
    assert.deepEqual(again.json, signup.json);
    customerToken = await passwordLogin(email, PASSWORD);
    const me = await call('GET', '/api/v1/identity/me', { token: customerToken });
    assert.equal(me.json.email, email);
    assert.deepEqual(me.json.roles, ['customer']);
  });

  test('list, filter and search the seeded catalogue', async () => {
    const all = await call('GET', '/api/v1/catalog/products?pageSize=5');
    assert.equal(all.status, 200);
    assert.ok(all.json.total >= 150, `only ${all.json.total} products`);
    assert.equal(all.json.items.length, 5);
    const categories = await call('GET', '/api/v1/catalog/categories');
    const category = categories.json.items?.[0] ?? categories.json[0];
    const filtered = await call('GET', `/api/v1/catalog/products?category=${category.slug}&sort=-price`);
    assert.ok(filtered.json.total > 0);
    const prices = filtered.json.items.map((p: { priceCents: number }) => p.priceCents);
    assert.deepEqual(
      prices,
      [...prices].sort((a, b) => b - a),
    );
    const first = all.json.items[0];
    const search = await call('GET', `/api/v1/catalog/products?q=${encodeURIComponent(first.name)}`);
    assert.equal(search.json.items[0].id, first.id);
    const one = await call('GET', `/api/v1/catalog/products/${first.id}`);
    assert.equal(one.json.name, first.name);
  });

  test('an admin creates a product; a customer is refused with 403', async () => {
    adminToken = await passwordLogin('admin@souk.local', await devhost.secret('admin-password'));
    const categories = await call('GET', '/api/v1/catalog/categories');
    const category = categories.json.items?.[0] ?? categories.json[0];
    const suffix = randomUUID().slice(0, 8);
    const product = {
      sku: `SYS-${suffix}`.toUpperCase(),
      name: `System Test Teapot ${suffix}`,
      description: 'A cast-iron teapot made by the system test.',
      categoryId: category.id,
      priceCents: 3450,
      currency: 'EUR',
    };
    const refused = await call('POST', '/api/v1/catalog/products', { body: product, token: customerToken });
    assertProblem(refused, 403, 'SOUK_AUTH_FORBIDDEN');
    const anonymous = await call('POST', '/api/v1/catalog/products', { body: product });
    assertProblem(anonymous, 401, 'SOUK_AUTH_TOKEN_MISSING');
    const created = await call('POST', '/api/v1/catalog/products', { body: product, token: adminToken });
    assert.equal(created.status, 201, created.text);
    const found = await call('GET', `/api/v1/catalog/products?q=${encodeURIComponent(product.name)}`);
    assert.equal(found.json.items[0].sku, product.sku);
  });
});

describe('bad input is a 4xx problem, never a 5xx', () => {
  test('malformed JSON', async () => {
    assertProblem(await call('POST', '/api/v1/identity/signup', { raw: '{"email":' }), 400, 'SOUK_REQUEST_MALFORMED_JSON');
  });
  test('wrong types', async () => {
    assertProblem(
      await call('POST', '/api/v1/identity/signup', { body: { email: 42, password: true } }),
      400,
      'SOUK_REQUEST_INVALID',
    );
    assertProblem(await call('GET', '/api/v1/catalog/products?page=zero'), 400, 'SOUK_REQUEST_INVALID');
  });
  test('unknown routes, inside and outside a service', async () => {
    assertProblem(await call('GET', '/api/v1/nowhere/things'), 404);
    assertProblem(await call('GET', '/api/v1/catalog/nothing-here'), 404, 'SOUK_ROUTE_NOT_FOUND');
    assertProblem(await call('GET', '/definitely/not/here'), 404);
  });
  test('oversized bodies', async () => {
    const big = JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(2 * 1024 * 1024) });
    assertProblem(await call('POST', '/api/v1/identity/signup', { raw: big }), 413);
  });
});

describe('live settings from the config server (issue 12)', () => {
  const catalogSettings = '/api/v1/config/services/catalog';
  let adminToken: string;
  /** What each catalog instance says it applied, from its admin listener. */
  const applied = async () => {
    const catalogs = (await devhost.instances()).filter((i) => i.service === 'catalog' && i.state === 'ready');
    assert.equal(catalogs.length, 2);
    return Promise.all(
      catalogs.map(async (i) => (await (await devhost.fetch(`${i.adminUrl}/_admin/config`)).json()) as Record<string, any>),
    );
  };
  const everyCatalogAt = (version: number) =>
    waitFor(async () => (await applied()).every((s) => s.version === version), {
      timeoutMs: 10_000,
      what: `every catalog instance on settings version ${version}`,
    });
  const gatewayAt = (version: number) =>
    waitFor(
      async () => {
        const gateways = (await devhost.instances()).filter((i) => i.service === 'gateway' && i.state === 'ready');
        const settings = await Promise.all(
          gateways.map(async (i) => (await devhost.fetch(`${i.adminUrl}/_admin/config`)).json()),
        );
        return settings.length > 0 && settings.every((s) => (s as { version: number }).version === version);
      },
      { timeoutMs: 10_000, what: `every gateway instance on settings version ${version}` },
    );

  test('an admin changes the log level of both catalog instances through the gateway, without a restart', async () => {
    adminToken = await passwordLogin('admin@souk.local', await devhost.secret('admin-password'));
    const before = await call('GET', catalogSettings, { token: adminToken });
    assert.equal(before.status, 200, before.text);
    const pidsBefore = (await devhost.instances()).filter((i) => i.service === 'catalog').map((i) => i.pid);
    const changed = await call('PUT', catalogSettings, {
      token: adminToken,
      body: {
        settings: { logLevel: 'debug', flags: { newSearch: true } },
        reason: 'chasing a slow search',
        basedOn: before.json.version,
      },
    });
    assert.equal(changed.status, 200, changed.text);
    await everyCatalogAt(changed.json.version);
    for (const s of await applied()) assert.deepEqual(s.settings, { logLevel: 'debug', flags: { newSearch: true } });
    // The debug lines (one per request) now reach the log.
    const marker = `/api/v1/catalog/products?pageSize=1&marker=${randomUUID()}`;
    await waitFor(
      async () => {
        await call('GET', marker);
        return /"level":"debug"/.test(
          await readFile(path.join(devhost.dataDir, 'logs', 'catalog-1.log'), 'utf8').catch(() => ''),
        );
      },
      { timeoutMs: 10_000, what: 'debug lines in catalog-1.log' },
    );
    const pidsAfter = (await devhost.instances()).filter((i) => i.service === 'catalog').map((i) => i.pid);
    assert.deepEqual(pidsAfter, pidsBefore, 'no instance restarted');
  });

  test('an invalid change is refused with the reasons; a customer may not change anything', async () => {
    const invalid = await call('PUT', catalogSettings, {
      token: adminToken,
      body: { settings: { logLevel: 'loud' }, reason: 'typo' },
    });
    assertProblem(invalid, 422, 'SOUK_CONFIG_SETTINGS_INVALID');
    assert.equal(invalid.json.errors[0].path, '/logLevel');
    const email = `mina-${randomUUID().slice(0, 8)}@example.com`;
    assert.equal((await call('POST', '/api/v1/identity/signup', { body: { email, password: PASSWORD } })).status, 202);
    const customer = await passwordLogin(email, PASSWORD);
    assertProblem(
      await call('PUT', catalogSettings, { token: customer, body: { settings: {}, reason: 'x' } }),
      403,
      'SOUK_AUTH_FORBIDDEN',
    );
    assertProblem(await call('GET', catalogSettings), 401);
  });

  test("an admin lowers the gateway's write limit and allows an origin: writes over it get 429 with the limit's headers; back to before, they pass", async () => {
    const gatewaySettings = '/api/v1/config/services/gateway';
    const before = await call('GET', gatewaySettings, { token: adminToken });
    assert.equal(before.status, 200, before.text);
    const lowered = await call('PUT', gatewaySettings, {
      token: adminToken,
      body: {
        settings: {
          ...before.json.settings,
          rateLimits: { write: { perSecond: 0.01, burst: 2 } },
          cors: { origins: ['http://localhost:5173'] },
        },
        reason: 'a script is hammering the carts',
        basedOn: before.json.version,
      },
    });
    assert.equal(lowered.status, 200, lowered.text);
    await gatewayAt(lowered.json.version);
    // A new customer: a bucket of their own, full.
    const email = `rita-${randomUUID().slice(0, 8)}@example.com`;
    assert.equal((await call('POST', '/api/v1/identity/signup', { body: { email, password: PASSWORD } })).status, 202);
    const customer = await passwordLogin(email, PASSWORD);
    const empty = () => call('DELETE', '/api/v1/cart', { token: customer });
    for (let i = 0; i < 2; i++) assert.ok((await empty()).status < 300);
    const refused = await empty();
    assertProblem(refused, 429, 'SOUK_GATEWAY_RATE_LIMITED');
    assert.match(String(refused.headers['retry-after']), /^[1-9]\d*$/);
    assert.equal(refused.headers['ratelimit-policy'], '"write";q=2;w=200');
    // Reads are another class: not limited by it.
    assert.equal((await call('GET', '/api/v1/cart', { token: customer })).status, 200);
    // The same version let a storefront on another origin in: its preflight is answered, without a token.
    const preflight = () =>
      call('OPTIONS', '/api/v1/cart/items', {
        headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' },
      });
    const allowed = await preflight();
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers['access-control-allow-origin'], 'http://localhost:5173');

    const restored = await call('PUT', gatewaySettings, {
      token: adminToken,
      body: { settings: before.json.settings, reason: 'script stopped', basedOn: lowered.json.version },
    });
    assert.equal(restored.status, 200, restored.text);
    await gatewayAt(restored.json.version);
    // The customer's bucket is not refilled by the change: it fills again at the restored rate (20/s), so
    // the next write passes within a token's time, not necessarily at once.
    await waitFor(async () => (await empty()).status < 300, { timeoutMs: 10_000, what: 'a write passing again' });
    assertProblem(await preflight(), 403, 'SOUK_GATEWAY_CORS_ORIGIN_REFUSED');
  });

  test('the history names who changed what and why; a rollback restores the earlier settings everywhere', async () => {
    const history = await call('GET', `${catalogSettings}/history`, { token: adminToken });
    const latest = history.json.versions[0];
    assert.equal(latest.author, 'admin@souk.local');
    assert.equal(latest.reason, 'chasing a slow search');
    assert.deepEqual(latest.changes, [
      { path: '/flags', after: { newSearch: true } },
      { path: '/logLevel', after: 'debug' },
    ]);
    const before = latest.version - 1;
    const rolledBack =
      before > 0
        ? await call('POST', `${catalogSettings}/rollback`, { token: adminToken, body: { version: before, reason: 'done' } })
        : await call('PUT', catalogSettings, { token: adminToken, body: { settings: {}, reason: 'done' } });
    assert.equal(rolledBack.status, 200, rolledBack.text);
    await everyCatalogAt(rolledBack.json.version);
    for (const s of await applied()) assert.equal(s.settings.logLevel, undefined);
  });
});

describe('failures', () => {
  // A query of its own each time: the gateway's response cache would answer a repeated one itself, and
  // these requests are about reaching catalog's instances.
  let n = 0;
  const product = () => call('GET', `/api/v1/catalog/products?pageSize=1&attempt=${n++}`);
  /** Attempts the gateway sent to a catalog instance that refused or dropped the connection, from its /metrics. */
  const failedCatalogAttempts = async () => {
    const gateway = (await devhost.instances()).find((i) => i.service === 'gateway')!;
    // The admin listener takes the devhost's client certificate (mTLS) only.
    const metrics = await (await devhost.fetch(`${gateway.adminUrl}/metrics`)).text();
    let sum = 0;
    for (const m of metrics.matchAll(
      /^souk_gateway_upstream_requests_total\{[^}]*service="catalog",outcome="(?:connect_error|reset)"[^}]*\} (\d+)$/gm,
    ))
      sum += Number(m[1]);
    return sum;
  };

  test('kill -9 of one of two catalog instances loses no request', async () => {
    const catalogs = (await devhost.instances()).filter((i) => i.service === 'catalog');
    assert.equal(catalogs.length, 2);
    const victim = catalogs[0]!;
    const results: number[] = [];
    const failedAttemptsBefore = await failedCatalogAttempts();
    // Requests keep flowing before, during and after the kill.
    for (let i = 0; i < 200; i++) {
      results.push((await product()).status);
      if (i === 50) process.kill(victim.pid, 'SIGKILL');
    }
    // Without this the test would pass just as well had no request met the dead instance.
    assert.ok(
      (await failedCatalogAttempts()) > failedAttemptsBefore,
      'the gateway met the killed instance (refused or reset attempts) and retried elsewhere',
    );
    assert.deepEqual(
      results.filter((s) => s !== 200),
      [],
      'every request succeeded',
    );
    await waitFor(
      async () => {
        const again = (await devhost.instances()).find((i) => i.instanceId === victim.instanceId);
        return again && again.restarts >= 1 && again.state === 'ready' && again.pid !== victim.pid;
      },
      { timeoutMs: 60_000, what: 'the devhost to restart the killed instance' },
    );
  });

  test('with catalog down the gateway answers 503 problem+json; after the devhost restarts it, requests succeed', async () => {
    // Freeze the supervisor so the outage lasts until we have observed it (no race with the restart).
    process.kill(devhost.process.pid!, 'SIGSTOP');
    try {
      const catalogs = (await devhost.instances()).filter((i) => i.service === 'catalog');
      for (const instance of catalogs) process.kill(instance.pid, 'SIGKILL');
      // A signal is delivered asynchronously: wait until no catalog port accepts connections.
      for (const instance of catalogs) {
        await waitFor(() => refusesConnections(instance.url), { timeoutMs: 10_000, what: `${instance.instanceId} to be gone` });
      }
      const down = await product();
      assertProblem(down, 503);
      assert.ok(down.headers['retry-after'], 'Retry-After is set');
      assert.match(down.json.code, /^SOUK_GATEWAY_/);
    } finally {
      process.kill(devhost.process.pid!, 'SIGCONT');
    }
    await waitFor(async () => (await product()).status === 200, { timeoutMs: 90_000, what: 'catalog to answer again' });
  });
});
