// Token checks at the gateway: a user's token (audience `souk`) must be signed
// by a key from identity's JWKS (fetched through discovery); it is exchanged at
// identity for an internal token (RFC 8693), which is what the service gets.
// Protected routes need one; public routes check one only when it is sent.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { DEFAULT_AUDIENCE } from '@souk/chassis';
import type { TestIssuer } from '@souk/chassis/testing';
import { createTestIssuer } from '@souk/chassis/testing';
import { createUserIssuer, problemOf, startGateway, startUpstream, type IdentityStandIn, type Upstream } from './harness.ts';

let issuer: TestIssuer;
let catalog: Upstream;
let identity: IdentityStandIn;
let gateway: Awaited<ReturnType<typeof startGateway>>;

before(async () => {
  issuer = await createUserIssuer();
  catalog = await startUpstream();
  gateway = await startGateway({ services: { catalog: [catalog.url] }, issuer });
  identity = gateway.identity!;
});

after(async () => {
  await gateway.stop();
  await catalog.close();
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

test('a protected route with a bad token: 401 SOUK_AUTH_TOKEN_INVALID, nothing exchanged or forwarded', async () => {
  const other = await createUserIssuer();
  const cases = {
    garbage: 'Bearer not-a-jwt',
    'not bearer': 'Basic dXNlcjpwYXNz',
    'unknown key': `Bearer ${await other.token()}`,
    expired: `Bearer ${await issuer.token({ expiresInSeconds: -60 })}`,
    // An internal token leaked outside is no key to the front door: the edge takes users' tokens only.
    internal: `Bearer ${await issuer.token({ audience: DEFAULT_AUDIENCE })}`,
    'another audience': `Bearer ${await (await createTestIssuer({ audience: 'elsewhere' })).token()}`,
  };
  const [forwarded, exchanged] = [catalog.received.length, identity.exchanged.length];
  for (const [name, authorization] of Object.entries(cases)) {
    const res = await createProduct({ authorization });
    assert.equal(res.status, 401, name);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/, name);
    assert.equal((await problemOf(res)).code, 'SOUK_AUTH_TOKEN_INVALID', name);
  }
  assert.equal(catalog.received.length, forwarded);
  assert.equal(identity.exchanged.length, exchanged);
});

test("a valid user's token is exchanged once; the service gets the internal token, never the user's", async () => {
  const token = await issuer.token({ roles: ['admin'] });
  const before = identity.exchanged.length;
  for (let i = 0; i < 3; i++) {
    const res = await createProduct({ authorization: `Bearer ${token}` });
    assert.equal(res.status, 200);
    const seen = catalog.received.at(-1)!;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.body.toString(), JSON.stringify({ name: 'Mint tea' }));
    const forwarded = String(seen.headers.authorization).replace(/^Bearer /, '');
    assert.notEqual(forwarded, token);
    const claims = decodeJwt(forwarded);
    assert.equal(claims.aud, DEFAULT_AUDIENCE);
    assert.equal(claims.sub, decodeJwt(token).sub);
    assert.deepEqual(claims.roles, ['admin']);
  }
  // The exchange is remembered: one trip to identity for three requests, on behalf of the user's address.
  assert.deepEqual(identity.exchanged.slice(before), [token]);
  assert.match(String(identity.exchangedFor.at(-1)), /127\.0\.0\.1$/);
});

test('public routes need no token; a Bearer token sent there is checked and exchanged too, Basic credentials pass', async () => {
  assert.equal((await fetch(`${gateway.url}/api/v1/catalog/products`)).status, 200);
  assert.equal(catalog.received.at(-1)?.headers.authorization, undefined);

  const bad = await fetch(`${gateway.url}/api/v1/catalog/products`, { headers: { authorization: 'Bearer not-a-jwt' } });
  assert.equal(bad.status, 401);

  const token = await issuer.token();
  const good = await fetch(`${gateway.url}/api/v1/catalog/products`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(good.status, 200);
  assert.equal(decodeJwt(String(catalog.received.at(-1)?.headers.authorization).slice(7)).aud, DEFAULT_AUDIENCE);

  // Client credentials for identity's token endpoint are identity's to check.
  const basic = 'Basic c3ZjLWNhcnQ6c2VjcmV0';
  const res = await fetch(`${gateway.url}/api/v1/identity/oauth/revoke`, { method: 'POST', headers: { authorization: basic } });
  assert.equal(res.status, 200);
  assert.equal(identity.received.at(-1)?.headers.authorization, basic);
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

test('identity unreachable for the exchange: a retryable 503, not a 401', async () => {
  const lonely = await startGateway({ services: { catalog: [catalog.url], identity: ['http://127.0.0.1:1'] } });
  try {
    lonely.ctx.auth.setKeySource(issuer.keySource);
    const res = await fetch(`${lonely.url}/api/v1/catalog/products`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await issuer.token()}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 503);
    assert.ok(res.headers.get('retry-after'));
  } finally {
    await lonely.stop();
  }
});
