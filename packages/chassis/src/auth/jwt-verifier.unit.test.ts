import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JSONWebKeySet } from 'jose';
import { createTestIssuer } from '../testing/issuer.ts';
import { createJwtVerifier } from './jwt-verifier.ts';
import { bearerToken } from './auth-hooks.ts';

const ISSUER = 'http://localhost:8080';

test('verifies a token and maps its claims to an identity', async () => {
  const issuer = await createTestIssuer();
  const verifier = createJwtVerifier({ keySource: issuer.keySource, issuer: ISSUER, audience: 'souk' });
  const identity = await verifier.verify(await issuer.token({ sub: 'u1', roles: ['admin'], scopes: ['a', 'b'], email: 'x@y.z' }));
  assert.deepEqual(identity, { subject: 'u1', roles: ['admin'], scopes: ['a', 'b'], email: 'x@y.z' });
});

test('clientId marks a service acting for itself (client_credentials), not a user signed in through a client', async () => {
  const issuer = await createTestIssuer();
  const verifier = createJwtVerifier({ keySource: issuer.keySource, issuer: ISSUER, audience: 'souk' });
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
    audience: 'souk',
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
    audience: 'souk',
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
    audience: 'souk',
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
    audience: 'souk',
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
