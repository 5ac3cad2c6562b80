import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { JSONWebKeySet } from 'jose';
import { createTestIssuer } from '../testing/issuer.ts';
import { createJwtVerifier } from './jwt-verifier.ts';
import { bearerToken } from './auth-hooks.ts';
import { DEFAULT_AUDIENCE } from '../config.ts';

const ISSUER = 'http://localhost:8080';

test('verifies a token and maps its claims to an identity', async () => {
  const issuer = await createTestIssuer();
  const verifier = createJwtVerifier({ keySource: issuer.keySource, issuer: ISSUER, audience: DEFAULT_AUDIENCE });
  const identity = await verifier.verify(await issuer.token({ sub: 'u1', roles: ['admin'], scopes: ['a', 'b'], email: 'x@y.z' }));
  assert.deepEqual(identity, { subject: 'u1', roles: ['admin'], scopes: ['a', 'b'], email: 'x@y.z' });
});

test('clientId marks a service acting for itself (client_credentials), not a user signed in through a client', async () => {
  const issuer = await createTestIssuer();
  const verifier = createJwtVerifier({ keySource: issuer.keySource, issuer: ISSUER, audience: DEFAULT_AUDIENCE });
  const service = await verifier.verify(await issuer.token({ sub: 'svc-orders', clientId: 'svc-orders', roles: [] }));
  assert.equal(service.clientId, 'svc-orders');
  const user = await verifier.verify(await issuer.token({ sub: '6f1c1a4e-8a4c-4a8e-9a7e-0d3c1b2a9f10', clientId: 'storefront' }));
  assert.equal(user.clientId, undefined);
});

test('refetches the key set when a token names an unknown key (rotation), at most once per cooldown', async () => {
  const first = await createTestIssuer();
  const second = await createTestIssuer();
  let published: JSONWebKeySet = first.jwks;
  let fetches = 0;
  let now = Date.now();
  const verifier = createJwtVerifier({
    keySource: async () => {
      fetches++;
      return published;
    },
    issuer: ISSUER,
    audience: DEFAULT_AUDIENCE,
    now: () => now,
    cooldownMs: 5_000,
  });
  await verifier.verify(await first.token());
  assert.equal(fetches, 1);

  published = { keys: [...first.jwks.keys, ...second.jwks.keys] };
  // A token signed with the new key is accepted at once, however fresh the cache is.
  assert.deepEqual((await verifier.verify(await second.token())).roles, ['customer']);
  assert.equal(fetches, 2);

  // Within the cooldown another unknown key is refused without hammering identity.
  const third = await createTestIssuer();
  published = { keys: [...published.keys, ...third.jwks.keys] };
  const isInvalid = (err: { code?: string }) => err.code === 'SOUK_AUTH_TOKEN_INVALID';
  await assert.rejects(verifier.verify(await third.token()), isInvalid);
  assert.equal(fetches, 2);
  now += 5_000;
  assert.deepEqual((await verifier.verify(await third.token())).roles, ['customer']);
  assert.equal(fetches, 3);
});

test('rejects wrong audience, expired tokens and garbage with SOUK_AUTH_TOKEN_INVALID', async () => {
  const issuer = await createTestIssuer();
  const other = await createTestIssuer({ audience: 'elsewhere' });
  const verifier = createJwtVerifier({
    keySource: async () => ({ keys: [...issuer.jwks.keys, ...other.jwks.keys] }),
    issuer: ISSUER,
    audience: DEFAULT_AUDIENCE,
  });
  const isInvalid = (err: { code?: string }) => err.code === 'SOUK_AUTH_TOKEN_INVALID';
  await assert.rejects(verifier.verify(await other.token()), isInvalid);
  await assert.rejects(verifier.verify(await issuer.token({ expiresInSeconds: -60 })), isInvalid);
  await assert.rejects(verifier.verify('not.a.jwt'), isInvalid);
});

test('reads bearer tokens and refuses other schemes', () => {
  assert.equal(bearerToken(undefined), undefined);
  assert.equal(bearerToken('Bearer abc.def.ghi'), 'abc.def.ghi');
  assert.equal(bearerToken('bearer abc'), 'abc');
  assert.throws(() => bearerToken('Basic dXNlcjpwYXNz'), /not a Bearer token/);
});

test('identity unreachable is a 503 to retry, not a 401 that sends the user back to log in', async () => {
  const issuer = await createTestIssuer();
  const verifier = createJwtVerifier({
    keySource: async () => {
      throw new Error('connect ECONNREFUSED');
    },
    issuer: ISSUER,
    audience: DEFAULT_AUDIENCE,
  });
  await assert.rejects(
    verifier.verify(await issuer.token()),
    (err: { code?: string; status?: number; headers?: Record<string, string> }) => {
      assert.equal(err.code, 'SOUK_AUTH_KEYS_UNAVAILABLE');
      assert.equal(err.status, 503);
      assert.equal(err.headers?.['retry-after'], '1');
      return true;
    },
  );
});

test('when a refresh fails, the keys already fetched keep working and the refresh waits for the cooldown', async () => {
  const issuer = await createTestIssuer();
  let now = Date.now();
  let fetches = 0;
  let identityUp = true;
  const verifier = createJwtVerifier({
    keySource: async () => {
      fetches++;
      if (!identityUp) throw new Error('connect ECONNREFUSED');
      return issuer.jwks;
    },
    issuer: ISSUER,
    audience: DEFAULT_AUDIENCE,
    now: () => now,
    maxAgeMs: 60_000,
    cooldownMs: 5_000,
  });
  await verifier.verify(await issuer.token());
  identityUp = false;
  now += 60_000; // the cached set is due for a refresh, which fails
  await verifier.verify(await issuer.token());
  assert.equal(fetches, 2);
  await verifier.verify(await issuer.token()); // within the cooldown: no new attempt
  assert.equal(fetches, 2);
  now += 5_000;
  identityUp = true;
  await verifier.verify(await issuer.token());
  assert.equal(fetches, 3);
});

// jose checks every signature with WebCrypto: counting its calls tells a verification from a cache hit.
function countSignatureChecks(t: TestContext): () => number {
  const spy = t.mock.method(crypto.subtle, 'verify');
  return () => spy.mock.callCount();
}

const isInvalid = (err: { code?: string }) => err.code === 'SOUK_AUTH_TOKEN_INVALID';

test('a token that verified once is trusted again without a signature check, with the same identity', async (t) => {
  const issuer = await createTestIssuer();
  const verifier = createJwtVerifier({ keySource: issuer.keySource, issuer: ISSUER, audience: DEFAULT_AUDIENCE });
  const checks = countSignatureChecks(t);
  const token = await issuer.token({ sub: 'u1', roles: ['admin'], scopes: ['a'], email: 'x@y.z' });
  const first = await verifier.verify(token);
  assert.equal(checks(), 1);
  const second = await verifier.verify(token);
  assert.equal(checks(), 1);
  assert.deepEqual(second, first);
  assert.deepEqual(second, { subject: 'u1', roles: ['admin'], scopes: ['a'], email: 'x@y.z' });
  // What one request does with its identity is not what the next request gets.
  second.subject = 'someone else';
  assert.equal((await verifier.verify(token)).subject, 'u1');
  // Another token is checked on its own.
  await verifier.verify(await issuer.token({ sub: 'u2' }));
  assert.equal(checks(), 2);
});

test('a cached token is refused once it has expired', async (t) => {
  const issuer = await createTestIssuer();
  let now = Date.now();
  const verifier = createJwtVerifier({ keySource: issuer.keySource, issuer: ISSUER, audience: DEFAULT_AUDIENCE, now: () => now });
  const checks = countSignatureChecks(t);
  const token = await issuer.token({ expiresInSeconds: 60 });
  await verifier.verify(token);
  now += 30_000;
  await verifier.verify(token);
  assert.equal(checks(), 1);
  now += 31_000;
  await assert.rejects(verifier.verify(token), (err: { code?: string; detail?: string }) => {
    assert.equal(err.code, 'SOUK_AUTH_TOKEN_INVALID');
    assert.equal(err.detail, 'The token has expired.');
    return true;
  });
});

test('a token with a bad signature is never remembered, and a valid signature does not vouch for another payload', async (t) => {
  const issuer = await createTestIssuer();
  const verifier = createJwtVerifier({ keySource: issuer.keySource, issuer: ISSUER, audience: DEFAULT_AUDIENCE });
  const checks = countSignatureChecks(t);
  const token = await issuer.token({ sub: 'u1', roles: ['customer'] });
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
  await assert.rejects(verifier.verify(forged), isInvalid);
  await assert.rejects(verifier.verify(forged), isInvalid);
  assert.equal(checks(), 2);

  await verifier.verify(token);
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const elevated = Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url');
  await assert.rejects(verifier.verify(`${header}.${elevated}.${signature}`), isInvalid);
  assert.equal(checks(), 4);
});

test('the cache keeps at most tokenCacheSize tokens, the least recently used leaving first', async (t) => {
  const issuer = await createTestIssuer();
  const verifier = createJwtVerifier({
    keySource: issuer.keySource,
    issuer: ISSUER,
    audience: DEFAULT_AUDIENCE,
    tokenCacheSize: 2,
  });
  const checks = countSignatureChecks(t);
  const [a, b, c] = await Promise.all([issuer.token(), issuer.token(), issuer.token()]);
  await verifier.verify(a);
  await verifier.verify(b);
  await verifier.verify(a); // a is now the most recently used
  assert.equal(checks(), 2);
  await verifier.verify(c); // full: b goes
  await verifier.verify(a);
  assert.equal(checks(), 3);
  await verifier.verify(b);
  assert.equal(checks(), 4);
});

test('tokenCacheSize 0 checks every signature', async (t) => {
  const issuer = await createTestIssuer();
  const verifier = createJwtVerifier({
    keySource: issuer.keySource,
    issuer: ISSUER,
    audience: DEFAULT_AUDIENCE,
    tokenCacheSize: 0,
  });
  const checks = countSignatureChecks(t);
  const token = await issuer.token();
  await verifier.verify(token);
  await verifier.verify(token);
  assert.equal(checks(), 2);
});

test("a key set fetched without a token's key ends the trust in that token (rotation via an unknown key)", async (t) => {
  const retired = await createTestIssuer();
  const current = await createTestIssuer();
  let published: JSONWebKeySet = retired.jwks;
  let now = Date.now();
  const verifier = createJwtVerifier({
    keySource: async () => published,
    issuer: ISSUER,
    audience: DEFAULT_AUDIENCE,
    now: () => now,
    cooldownMs: 5_000,
  });
  const checks = countSignatureChecks(t);
  const old = await retired.token();
  await verifier.verify(old);
  await verifier.verify(old);
  assert.equal(checks(), 1);

  // The old key leaves the set as the new one arrives; a token of the new key makes the verifier fetch it.
  published = current.jwks;
  await verifier.verify(await current.token());
  assert.equal(checks(), 2);
  await assert.rejects(verifier.verify(old), isInvalid);
  now += 5_000; // past the cooldown: the refetch finds the old key still gone
  await assert.rejects(verifier.verify(old), isInvalid);
});

test('the periodic key set refresh drops the tokens of keys that left it; keys still published keep theirs', async (t) => {
  const retired = await createTestIssuer();
  const kept = await createTestIssuer();
  let published: JSONWebKeySet = { keys: [...retired.jwks.keys, ...kept.jwks.keys] };
  let now = Date.now();
  const verifier = createJwtVerifier({
    keySource: async () => published,
    issuer: ISSUER,
    audience: DEFAULT_AUDIENCE,
    now: () => now,
    maxAgeMs: 60_000,
    cooldownMs: 5_000,
  });
  const checks = countSignatureChecks(t);
  const old = await retired.token({ expiresInSeconds: 600 });
  const current = await kept.token({ expiresInSeconds: 600 });
  await verifier.verify(old);
  await verifier.verify(current);
  assert.equal(checks(), 2);

  published = kept.jwks;
  now += 60_000;
  await assert.rejects(verifier.verify(old), isInvalid);
  await verifier.verify(current);
  assert.equal(checks(), 2, 'the token of the key still published stays trusted without a new check');
});

test('invalidate() forgets the verified tokens with the key set', async (t) => {
  const issuer = await createTestIssuer();
  let fetches = 0;
  const verifier = createJwtVerifier({
    keySource: async () => {
      fetches++;
      return issuer.jwks;
    },
    issuer: ISSUER,
    audience: DEFAULT_AUDIENCE,
  });
  const checks = countSignatureChecks(t);
  const token = await issuer.token();
  await verifier.verify(token);
  verifier.invalidate();
  await verifier.verify(token);
  assert.equal(fetches, 2);
  assert.equal(checks(), 2);
});

test('verifyCached answers for a token verified before, only while the key set is fresh', async () => {
  const issuer = await createTestIssuer();
  let now = Date.now();
  const verifier = createJwtVerifier({
    keySource: issuer.keySource,
    issuer: ISSUER,
    audience: DEFAULT_AUDIENCE,
    now: () => now,
    maxAgeMs: 60_000,
  });
  const token = await issuer.token({ sub: 'u1' });
  assert.equal(verifier.verifyCached(token), undefined, 'never verified');
  const identity = await verifier.verify(token);
  assert.deepEqual(verifier.verifyCached(token), identity);
  assert.equal(verifier.verifyCached(await issuer.token({ sub: 'u2' })), undefined, 'another token');
  now += 60_000;
  assert.equal(verifier.verifyCached(token), undefined, 'key set due for a refresh: only verify can tell');
  await verifier.verify(token);
  assert.deepEqual(verifier.verifyCached(token), identity);
  verifier.invalidate();
  assert.equal(verifier.verifyCached(token), undefined, 'after invalidate');
});
