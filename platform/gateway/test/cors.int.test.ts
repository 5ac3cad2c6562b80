// CORS at the gateway: a preflight from an allowed origin is answered without a token or an upstream,
// another origin's is a 403 problem, and answers to an allowed origin (problems too) let its scripts read them.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningService } from '@souk/chassis';
import { problemOf, startGateway, startUpstream, type Upstream } from './harness.ts';

const SHOP = 'http://localhost:5173';
let catalog: Upstream;
let gateway: RunningService;

before(async () => {
  catalog = await startUpstream();
  gateway = await startGateway({
    services: { catalog: [catalog.url], cart: [catalog.url] },
    env: { GATEWAY_CORS_ORIGINS: `${SHOP}, https://console.example:8443` },
  });
});
after(async () => {
  await gateway.stop();
  await catalog.close();
});

const preflight = (origin: string, path = '/api/v1/cart/items') =>
  fetch(`${gateway.url}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });

test('a preflight from an allowed origin is answered at the gateway, with no token and nothing sent upstream', async () => {
  const seen = catalog.received.length;
  const res = await preflight(SHOP);
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), SHOP);
  assert.match(res.headers.get('access-control-allow-methods') ?? '', /\bPOST\b/);
  assert.match(
    res.headers.get('access-control-allow-headers') ?? '',
    /\bauthorization\b.*\bcontent-type\b|\bcontent-type\b.*\bauthorization\b/,
  );
  assert.equal(res.headers.get('access-control-max-age'), '600');
  assert.match(res.headers.get('vary') ?? '', /Origin/);
  assert.equal(catalog.received.length, seen);
});

test("another origin's preflight is a 403 problem without the CORS headers", async () => {
  const res = await preflight('https://evil.example');
  assert.equal(res.status, 403);
  assert.equal(res.headers.get('access-control-allow-origin'), null);
  assert.equal((await problemOf(res)).code, 'SOUK_GATEWAY_CORS_ORIGIN_REFUSED');
});

test("an allowed origin's requests and problems can be read by its scripts; another origin's get no CORS headers", async () => {
  const ok = await fetch(`${gateway.url}/api/v1/catalog/products`, { headers: { origin: SHOP } });
  await ok.arrayBuffer();
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('access-control-allow-origin'), SHOP);
  assert.match(ok.headers.get('access-control-expose-headers') ?? '', /\bretry-after\b.*\bratelimit\b/);
  assert.equal(ok.headers.get('vary'), 'Origin');

  // A 401 problem (no token) still carries them: the script can tell why.
  const refused = await fetch(`${gateway.url}/api/v1/cart`, { headers: { origin: SHOP } });
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get('access-control-allow-origin'), SHOP);
  assert.equal((await problemOf(refused)).code, 'SOUK_AUTH_TOKEN_MISSING');

  const other = await fetch(`${gateway.url}/api/v1/catalog/products`, { headers: { origin: 'https://evil.example' } });
  await other.arrayBuffer();
  assert.equal(other.status, 200);
  assert.equal(other.headers.get('access-control-allow-origin'), null);
});
