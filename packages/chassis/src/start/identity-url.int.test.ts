// IDENTITY_URL: identity's key set is fetched where configuration says, never where discovery lists
// identity, and a registry without IDENTITY_URL is a configuration error at start.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { ConfigError } from '../config.ts';
import { defineService, startService, type RunningService } from '../service.ts';
import { createTestIssuer, type TestIssuer } from '../testing/issuer.ts';
import { startTokenServer, type TokenServer } from '../testing/token-server.ts';

const ISSUER = 'http://souk.test';
let real: TestIssuer;
let forger: TestIssuer;
let configured: TokenServer;
let listed: { url: string; requests: () => number; close: () => Promise<void> };
let running: RunningService;

const probe = defineService({
  name: 'probe',
  version: '0.0.1',
  setup(ctx) {
    ctx.app.get('/mine', { onRequest: ctx.auth.required() }, async () => ({ ok: true }));
  },
});

before(async () => {
  real = await createTestIssuer({ issuer: ISSUER });
  forger = await createTestIssuer({ issuer: ISSUER });
  configured = await startTokenServer(real, []);
  // What a discovery list names as identity: it serves the forger's keys, and counts who asks.
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(forger.jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  listed = {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  running = await startService(probe, {
    env: {
      LOG_LEVEL: 'silent',
      AUTH_ISSUER: ISSUER,
      STATIC_SERVICES: `identity=${listed.url}`,
      IDENTITY_URL: configured.url,
    },
  });
});

after(async () => {
  await running?.stop();
  await configured?.close();
  await listed?.close();
});

const get = async (token: string) => {
  const res = await fetch(`${running.url}/mine`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
};

test("tokens are checked against the configured identity's keys; the listed identity is never asked", async () => {
  assert.equal(await get(await real.token({ sub: 'u1' })), 200);
  assert.equal(await get(await forger.token({ sub: 'attacker', roles: ['admin'] })), 401);
  assert.deepEqual(
    running.ctx.discovery.instances('identity').map((i) => i.url),
    [configured.url],
  );
  assert.equal(listed.requests(), 0);
});

test('REGISTRY_URL without IDENTITY_URL stops the start with a message naming IDENTITY_URL', async () => {
  await assert.rejects(
    startService(probe, { env: { LOG_LEVEL: 'silent', REGISTRY_URL: 'http://127.0.0.1:9' } }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, String(err));
      assert.match(err.message, /IDENTITY_URL: required with REGISTRY_URL/);
      return true;
    },
  );
});
