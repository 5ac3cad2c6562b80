// Two gateways judging one canary: each sees its own share of the canary's failures. The first to judge
// rolls it back at the config server; the other either hears that version before its own tick, or decides
// too and, finding the setting changed (or losing the write with a 409), drops its decision. Either way:
// one rollback in the audit, and both gateways route every user to the stable side.

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
const gateways: RunningService[] = [];
let stable: Upstream;
let canary: Upstream;
const tokens: string[] = [];

before(async () => {
  config = await startConfigServer('gateway_releases_shared');
  users = await createUserIssuer();
  stable = await startUpstream(releaseAnswer('stable'));
  // Every canary answer fails: both gateways reach their verdict on the first tick with enough requests.
  canary = await startUpstream((_req, res) => {
    res.writeHead(503, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ title: 'broken build', status: 503 }));
  });
  for (let i = 0; i < 2; i++)
    gateways.push(
      await startGateway({
        issuer: users,
        services: { catalog: [stable.url, canary.url], config: [config.url] },
        releases: { [canary.url]: 'canary' },
        serviceToken: config.issuer.serviceToken('gateway', ['config:releases:write']),
        env: { CONFIG_SERVICE: 'config', CONFIG_WATCH_MS: '5000' },
      }),
    );
  for (let i = 0; i < 30; i++) tokens.push(await users.token({ sub: `shopper-${i}`, roles: ['customer'] }));
});
after(async () => {
  for (const gateway of gateways) await gateway.stop();
  await config?.close();
  await Promise.all([stable?.close(), canary?.close()]);
});

test('two gateways judge one canary: one rollback is written, and both follow it', async () => {
  const admin = await config.admin();
  const set = await call(config.url, 'PUT', configPath('gateway'), {
    token: admin,
    body: {
      settings: { releases: { catalog: { canary: { weight: 50, analysis: { windowSeconds: 60, minRequests: 5 } } } } },
      reason: 'canary at 50%',
    },
  });
  assert.equal(set.status, 200, set.text);
  for (const gateway of gateways)
    await waitFor(async () => (await call(gateway.adminUrl, 'GET', '/_admin/config')).json.version === set.json.version);
  // Both gateways see failures: every user reads through each, before either has judged (a tick is a second).
  await Promise.all(
    gateways.flatMap((gateway) =>
      tokens.map(async (token) => {
        const res = await call(gateway.url, 'GET', '/api/v1/catalog/products', { token });
        assert.equal(res.status, 200, 'a failed canary attempt is retried on the stable side');
      }),
    ),
  );
  const history = async () =>
    (await call(config.url, 'GET', `${configPath('gateway')}/history`, { token: admin })).json.versions as {
      author: string;
      settings: { releases: { catalog: { canary: { weight: number } } } };
    }[];
  await waitFor(async () => (await history()).some((v) => v.author === 'gateway'), { what: 'the rollback written' });
  // The loser's write either met a 409 and found the setting changed, or read it changed: never a second version.
  for (const gateway of gateways)
    await waitFor(
      async () => (await call(gateway.adminUrl, 'GET', '/_admin/releases')).json.services[0].pendingChange === undefined,
      {
        what: 'each gateway on the config server’s version',
      },
    );
  const byGateway = (await history()).filter((v) => v.author === 'gateway');
  assert.equal(byGateway.length, 1, JSON.stringify(byGateway));
  assert.equal(byGateway[0]!.settings.releases.catalog.canary.weight, 0);
  const calls = canary.received.length;
  for (const gateway of gateways)
    for (const token of tokens.slice(0, 10))
      assert.equal((await call(gateway.url, 'GET', '/api/v1/catalog/products', { token })).headers.get('x-release'), 'stable');
  assert.equal(canary.received.length, calls);
});
