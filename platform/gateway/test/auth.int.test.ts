// Token checks at the gateway: protected routes need a valid token signed by a
// key from identity's JWKS (fetched through discovery); public routes pass any
// Authorization header on for the service to judge.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningService } from '@souk/chassis';
import { createTestIssuer, type TestIssuer } from '@souk/chassis/testing';
import { echo, problemOf, startGateway, startUpstream, type Upstream } from './harness.ts';

let issuer: TestIssuer;
let catalog: Upstream;
let identity: Upstream;
let gateway: RunningService;

before(async () => {
  issuer = await createTestIssuer();
  catalog = await startUpstream();
  identity = await startUpstream((req, res) => {
    if (req.url === '/.well-known/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(issuer.jwks));
      return;
    }
    echo(req, res);
  });
  gateway = await startGateway({ services: { catalog: [catalog.url], identity: [identity.url] } });
});

after(async () => {
  await gateway.stop();
  await catalog.close();
  await identity.close();
});

function createProduct(headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gateway.url}/api/v1/catalog/products`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ name: 'Mint tea' }),
  });
}

test('a protected route without a token: 401 SOUK_AUTH_TOKEN_MISSING with WWW-Authenticate, nothing forwarded', async () => {
  const before = catalog.received.length;
  const res = await createProduct();
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('www-authenticate'), 'Bearer');
  assert.equal((await problemOf(res)).code, 'SOUK_AUTH_TOKEN_MISSING');
  assert.equal(catalog.received.length, before);
});

test('a protected route with a bad token: 401 SOUK_AUTH_TOKEN_INVALID', async () => {
  const other = await createTestIssuer();
  const cases = {
    garbage: 'Bearer not-a-jwt',
    'not bearer': 'Basic dXNlcjpwYXNz',
    'unknown key': `Bearer ${await other.token()}`,
    expired: `Bearer ${await issuer.token({ expiresInSeconds: -60 })}`,
  };
  for (const [name, authorization] of Object.entries(cases)) {
    const res = await createProduct({ authorization });
    assert.equal(res.status, 401, name);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/, name);
    assert.equal((await problemOf(res)).code, 'SOUK_AUTH_TOKEN_INVALID', name);
  }
});

test('a protected route with a valid token is forwarded with its Authorization header', async () => {
  const token = await issuer.token({ roles: ['admin'] });
  const res = await createProduct({ authorization: `Bearer ${token}` });
  assert.equal(res.status, 200);
  const seen = catalog.received.at(-1);
  assert.equal(seen?.method, 'POST');
  assert.equal(seen?.headers.authorization, `Bearer ${token}`);
  assert.equal(seen?.body.toString(), JSON.stringify({ name: 'Mint tea' }));
});

test('public routes need no token, and pass a present one on unchecked', async () => {
  assert.equal((await fetch(`${gateway.url}/api/v1/catalog/products`)).status, 200);
  const res = await fetch(`${gateway.url}/api/v1/catalog/products`, { headers: { authorization: 'Bearer not-a-jwt' } });
  assert.equal(res.status, 200);
  assert.equal(catalog.received.at(-1)?.headers.authorization, 'Bearer not-a-jwt');
});

test('the token endpoint stays public', async () => {
  const res = await fetch(`${gateway.url}/api/v1/identity/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=password&username=ada&password=x',
  });
  assert.equal(res.status, 200);
  assert.equal(identity.received.at(-1)?.url, '/api/v1/identity/token');
});
