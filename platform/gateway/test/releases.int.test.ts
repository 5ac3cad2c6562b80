// Canary and blue/green at the gateway, against a real config server: the canary takes its share of users
// (each stays on one side), a canary failing 30 % is rolled back by the gateway's analysis while every user
// still gets an answer (its failed attempts are retried on the stable side), and the rollback is in the
// config server's audit under the gateway's name; a healthy canary is stepped up and promoted; blue/green
// is one setting, switched and switched back (by the config server's rollback) without a restart. The
// common `clients` setting tunes the attempts and timeout of proxied calls the same way, and the `routes`
// setting adds a route to a new service.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { configPath, type RunningService } from '@souk/chassis';
import { call, waitFor, type TestIssuer } from '@souk/chassis/testing';
import {
  createUserIssuer,
  releaseAnswer,
  startConfigServer,
  startGateway,
  startUpstream,
  type ConfigServer,
  type Upstream,
} from './harness.ts';

let users: TestIssuer;
let config: ConfigServer;
let gateway: RunningService;
let stable: Upstream;
let canary: Upstream;
let green: Upstream;
let reviews: Upstream;
/** Three recommendations instances that fail every request, or hang on /slow. */
const failing: Upstream[] = [];
let canaryFails = true;
let canaryCalls = 0;
const userTokens: string[] = [];

before(async () => {
  config = await startConfigServer('gateway_releases');
  users = await createUserIssuer();
  stable = await startUpstream(releaseAnswer('stable'));
  green = await startUpstream(releaseAnswer('green'));
  reviews = await startUpstream(releaseAnswer('reviews'));
  // Three of every ten requests fail while `canaryFails`: a release with a bug.
  canary = await startUpstream((req, res) => {
    if (canaryFails && canaryCalls++ % 10 < 3) {
      res.writeHead(503, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ title: 'broken build', status: 503, code: 'SOUK_FAULT_INJECTED' }));
      return;
    }
    releaseAnswer('canary')(req, res);
  });
  for (let i = 0; i < 3; i++)
    failing.push(
      await startUpstream((req, res) => {
        if (req.url.includes('slow')) return; // never answers
        res.writeHead(503, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ title: 'down', status: 503 }));
      }),
    );
  gateway = await startGateway({
    issuer: users,
    services: {
      catalog: [stable.url, canary.url, green.url],
      recommendations: failing.map((u) => u.url),
      reviews: [reviews.url],
      config: [config.url],
    },
    releases: { [canary.url]: 'canary', [green.url]: 'green' },
    serviceToken: config.issuer.serviceToken('gateway', ['config:releases:write']),
    // In an environment: the admin sets the base document, the analysis writes its decisions to staging's.
    env: { CONFIG_SERVICE: 'config', CONFIG_WATCH_MS: '5000', CONFIG_ENVIRONMENT: 'staging' },
  });
  for (let i = 0; i < 40; i++) userTokens.push(await users.token({ sub: `shopper-${i}`, roles: ['customer'] }));
});
after(async () => {
  await gateway?.stop();
  await config?.close();
  await Promise.all([stable?.close(), canary?.close(), green?.close(), reviews?.close(), ...failing.map((u) => u.close())]);
});

const admin = () => config.admin();
/** The base document, which the admin changes. */
const gatewaySettings = async () => (await call(config.url, 'GET', configPath('gateway'))).json;
/** What the gateway gets in staging: the base with staging's document over it. */
const stagingSettings = async () => (await call(config.url, 'GET', `${configPath('gateway')}?environment=staging`)).json;
const applied = (version: number) =>
  waitFor(async () => (await call(gateway.adminUrl, 'GET', '/_admin/config')).json.version === version, {
    what: `the gateway applying version ${version}`,
  });

/** Sets the base document's releases; returns its version and the version the gateway sees in staging. */
async function setReleases(releases: unknown, reason: string): Promise<{ base: number; seen: number }> {
  const now = await gatewaySettings();
  const res = await call(config.url, 'PUT', configPath('gateway'), {
    token: await admin(),
    body: { settings: { ...now.settings, releases }, reason, basedOn: now.version },
  });
  assert.equal(res.status, 200, res.text);
  // The gateway sees the base through staging: its version there counts both documents.
  const seen = (await stagingSettings()).version as number;
  await applied(seen);
  return { base: res.json.version as number, seen };
}

/** Staging's document (the analysis's decisions so far, which win over the base) steps aside: staging follows the base. */
async function clearStaging(): Promise<void> {
  const cleared = await call(config.url, 'PUT', `${configPath('gateway')}?environment=staging`, {
    token: await admin(),
    body: { settings: {}, reason: 'staging follows the base' },
  });
  assert.equal(cleared.status, 200, cleared.text);
}

/** One read of the catalogue per user: which release answered each. */
async function readAsEveryUser(): Promise<string[]> {
  return Promise.all(
    userTokens.map(async (token) => {
      const res = await call(gateway.url, 'GET', '/api/v1/catalog/products', { token });
      assert.equal(res.status, 200, `every user gets an answer: ${res.text}`);
      return String(res.headers.get('x-release'));
    }),
  );
}

test('a canary takes its share of users, each always on the same side', async () => {
  canaryFails = false;
  await setReleases({ catalog: { canary: { weight: 50 } } }, 'canary at 50%, no analysis');
  assert.deepEqual((await call(gateway.adminUrl, 'GET', '/_admin/releases')).json.services, [
    { service: 'catalog', plan: { active: 'stable', canary: { release: 'canary', weight: 50 } } },
  ]);
  const first = await readAsEveryUser();
  const onCanary = first.filter((r) => r === 'canary').length;
  assert.ok(onCanary > 8 && onCanary < 32, `${onCanary} of 40 users on the canary`);
  assert.deepEqual(await readAsEveryUser(), first, 'sticky per user');
  assert.ok(!first.includes('green'), 'a release no setting names takes no users');
});

test('a canary failing 30 % is rolled back by the analysis, in the audit, while every user gets an answer', async () => {
  canaryFails = true;
  const { base } = await setReleases(
    { catalog: { canary: { weight: 50, analysis: { windowSeconds: 60, minRequests: 20 } } } },
    'canary at 50% with analysis',
  );
  // Reads until the analysis acts: each failed canary attempt is retried on the stable side (readAsEveryUser checks 200).
  const rolledBack = await waitFor(
    async () => {
      await readAsEveryUser();
      const history = (
        await call(config.url, 'GET', `${configPath('gateway')}/history?environment=staging`, { token: await admin() })
      ).json;
      return history.versions.find((v: { author: string; createdAt: string }) => v.author === 'gateway');
    },
    { timeoutMs: 30_000, what: 'the gateway writing the rollback' },
  );
  assert.match(rolledBack.reason, /catalog canary rolled back \(weight 50 → 0\): error rate \d+(\.\d)?% against 0%/);
  // What an operator sees on the gateway's admin listener: the plan now in force, no window open.
  const view = (await call(gateway.adminUrl, 'GET', '/_admin/releases')).json.services;
  assert.equal(view[0].service, 'catalog');
  assert.equal(view[0].plan.canary.weight, 0);
  assert.equal(view[0].window, undefined);
  // Written to staging's document, as a merge patch over the base's setting.
  assert.deepEqual(rolledBack.changes, [{ path: '/releases', after: { catalog: { canary: { weight: 0 } } } }]);
  const effective = await stagingSettings();
  assert.equal(effective.settings.releases.catalog.canary.weight, 0);
  assert.equal(effective.layers.base, base, 'the base is as the admin left it');
  assert.equal((await gatewaySettings()).settings.releases.catalog.canary.weight, 50);
  const metrics = await (await fetch(`${gateway.adminUrl}/metrics`)).text();
  assert.match(metrics, /souk_gateway_canary_decisions_total\{service="catalog",decision="rollback",instance="[^"]+"\} 1/);
  await applied(effective.version);
  const calls = canary.received.length;
  assert.ok((await readAsEveryUser()).every((r) => r === 'stable'));
  assert.equal(canary.received.length, calls, 'nothing reaches the canary after the rollback');
});

test('a healthy canary is stepped up and promoted to the active release', async () => {
  await clearStaging();
  canaryFails = false;
  const { seen } = await setReleases(
    { catalog: { canary: { weight: 50, analysis: { windowSeconds: 5, minRequests: 10, stepWeight: 50 } } } },
    'a fixed canary at 50%, promoted after a healthy window',
  );
  await waitFor(
    async () => {
      await readAsEveryUser();
      const now = await stagingSettings();
      return now.version > seen && now.settings.releases?.catalog?.active === 'canary';
    },
    { timeoutMs: 30_000, what: 'the canary promoted' },
  );
  const promoted = await stagingSettings();
  assert.deepEqual(promoted.settings.releases.catalog, { active: 'canary' });
  assert.equal(promoted.author, 'gateway');
  assert.match(promoted.reason, /promoted/);
  await applied(promoted.version);
  assert.ok((await readAsEveryUser()).every((r) => r === 'canary'));
});

test('blue/green: every user switches to green at once, and the config rollback switches them back', async () => {
  await clearStaging();
  const { base: before } = await setReleases({ catalog: {} }, 'stable is live');
  assert.ok((await readAsEveryUser()).every((r) => r === 'stable'));
  const switchedAt = Date.now();
  await setReleases({ catalog: { active: 'green' } }, 'switch to green');
  const took = Date.now() - switchedAt;
  assert.ok((await readAsEveryUser()).every((r) => r === 'green'));
  const back = await call(config.url, 'POST', `${configPath('gateway')}/rollback`, {
    token: await admin(),
    body: { version: before, reason: 'green misbehaves: back to stable' },
  });
  assert.equal(back.status, 200, back.text);
  await applied((await stagingSettings()).version);
  assert.ok((await readAsEveryUser()).every((r) => r === 'stable'));
  console.log(`blue/green switch applied by the gateway ${took} ms after the change was made`);
});

test('the clients setting tunes the attempts and timeout of proxied calls, live', async () => {
  const sent = () => failing.reduce((n, u) => n + u.received.length, 0);
  const attemptsOf = async () => {
    const before = sent();
    const res = await call(gateway.url, 'GET', '/api/v1/recommendations/bestsellers');
    assert.equal(res.status, 503, res.text);
    return sent() - before;
  };
  assert.equal(await attemptsOf(), 3, 'GATEWAY_ATTEMPTS: 3 by default, each on another instance');
  const now = await gatewaySettings();
  const res = await call(config.url, 'PUT', configPath('gateway'), {
    token: await admin(),
    body: {
      settings: { ...now.settings, clients: { services: { recommendations: { attempts: 1, timeoutMs: 300 } } } },
      reason: 'recommendations: one attempt, 300 ms',
      basedOn: now.version,
    },
  });
  assert.equal(res.status, 200, res.text);
  await applied((await stagingSettings()).version);
  assert.equal(await attemptsOf(), 1);
  const started = performance.now();
  const slow = await call(gateway.url, 'GET', '/api/v1/recommendations/slow');
  assert.equal(slow.status, 504, slow.text);
  assert.match(slow.json.detail, /did not answer within 300 ms \(1 attempt\)/);
  assert.ok(performance.now() - started < 5_000, 'well under the 10 s default');
});

test('the routes setting adds a route to a new service, live; a route that would expose an internal service is left out', async () => {
  const path = '/api/v1/reviews/p-1';
  assert.equal((await call(gateway.url, 'GET', path)).status, 404);
  const now = await gatewaySettings();
  const res = await call(config.url, 'PUT', configPath('gateway'), {
    token: await admin(),
    body: {
      settings: {
        ...now.settings,
        routes: [
          { prefix: '/api/v1/reviews', service: 'reviews', access: { publicMethods: ['GET'] }, rateClass: 'read' },
          { prefix: '/api/v1/payments', service: 'payments', access: 'public' },
        ],
      },
      reason: 'reviews go live',
      basedOn: now.version,
    },
  });
  assert.equal(res.status, 200, res.text);
  await applied((await stagingSettings()).version);
  const read = await call(gateway.url, 'GET', path);
  assert.equal(read.status, 200, read.text);
  assert.equal(read.headers.get('x-release'), 'reviews');
  // Writes on it need a token, as the route says.
  assert.equal((await call(gateway.url, 'POST', path, { body: {} })).status, 401);
  assert.equal((await call(gateway.url, 'GET', '/api/v1/payments')).status, 404, 'payments stays unreachable');
});
