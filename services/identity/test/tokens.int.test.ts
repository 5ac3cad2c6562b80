// The token endpoint against a real PostgreSQL: password grant with tokens
// verifiable against the JWKS, refresh rotation and reuse detection,
// client_credentials, revocation, OAuth errors and login throttling.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { GOOD_PASSWORD, passwordGrant, request, signedUp, startIdentity, TOKEN, uniqueEmail, type Identity } from './harness.ts';

const SERVICE = {
  clientId: 'orders-service',
  clientSecret: 'orders-secret-0123456789abcdef',
  scopes: ['inventory:reserve', 'payments:charge'],
};
const REVOKE = '/api/v1/identity/oauth/revoke';
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('identity token endpoint', () => {
  let id: Identity;
  before(async () => {
    id = await startIdentity({ clients: [SERVICE] });
  });
  after(async () => {
    await id?.stop();
  });

  async function verify(token: string, audience = 'souk') {
    const jwks = await request(id.url, 'GET', '/.well-known/jwks.json');
    return jwtVerify(token, createLocalJWKSet(jwks.body), {
      issuer: id.issuer,
      audience,
      algorithms: ['ES256'],
      currentDate: new Date(id.clock.now()),
    });
  }

  async function newUser(label = 'u') {
    const email = uniqueEmail(label);
    const created = await signedUp(id.url, email);
    return { email, id: created.id as string };
  }

  it('issues tokens for the password grant that verify against the JWKS', async () => {
    const user = await newUser('pw');
    const res = await passwordGrant(id.url, user.email.toUpperCase());
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.body.token_type, 'Bearer');
    assert.equal(res.body.expires_in, 900);
    assert.equal(res.body.scope, 'openid profile email');
    assert.match(res.body.refresh_token, /^[A-Za-z0-9_-]{43}$/);

    const { payload, protectedHeader } = await verify(res.body.access_token);
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.ok(protectedHeader.kid);
    assert.equal(payload.sub, user.id);
    assert.equal(payload.email, user.email);
    assert.deepEqual(payload.roles, ['customer']);
    assert.equal(payload.client_id, 'storefront');
    assert.equal(payload.scope, 'openid profile email');
    assert.equal(payload.exp! - payload.iat!, 900);
    assert.ok(typeof payload.jti === 'string' && payload.jti.length > 0);

    const jwks = await request(id.url, 'GET', '/.well-known/jwks.json');
    assert.equal(jwks.headers.get('cache-control'), 'public, max-age=300');
    assert.deepEqual(Object.keys(jwks.body.keys[0]).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });

  it('accepts JSON bodies and narrows the scope on request', async () => {
    const user = await newUser('json');
    const res = await request(id.url, 'POST', TOKEN, {
      json: {
        grant_type: 'password',
        client_id: 'storefront',
        username: user.email,
        password: GOOD_PASSWORD,
        scope: 'openid email',
      },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.scope, 'openid email');
    const refused = await passwordGrant(id.url, user.email, GOOD_PASSWORD, { scope: 'openid inventory:reserve' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_scope');
    assert.equal(refused.body.code, 'SOUK_IDENTITY_INVALID_SCOPE');
  });

  it('answers a wrong password with invalid_grant as application/json, problem+json on request', async () => {
    const user = await newUser('wrong');
    const res = await passwordGrant(id.url, user.email, 'Wrong-Password-1');
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(res.body.error, 'invalid_grant');
    assert.equal(res.body.code, 'SOUK_IDENTITY_INVALID_CREDENTIALS');
    assert.equal(res.body.type, 'urn:souk:problem:SOUK_IDENTITY_INVALID_CREDENTIALS');
    const unknown = await passwordGrant(id.url, uniqueEmail('nobody'));
    assert.deepEqual([unknown.status, unknown.body.code], [400, 'SOUK_IDENTITY_INVALID_CREDENTIALS']);
    const asProblem = await request(id.url, 'POST', TOKEN, {
      form: { grant_type: 'password', client_id: 'storefront', username: user.email, password: 'x' },
      headers: { accept: 'application/problem+json, application/json' },
    });
    assert.match(asProblem.headers.get('content-type') ?? '', /^application\/problem\+json/);
  });

  it('rotates refresh tokens and revokes the family when a rotated one comes back', async () => {
    const user = await newUser('refresh');
    const first = (await passwordGrant(id.url, user.email)).body;
    const refresh = (token: string, extra: Record<string, string> = {}) =>
      request(id.url, 'POST', TOKEN, {
        form: { grant_type: 'refresh_token', client_id: 'storefront', refresh_token: token, ...extra },
      });

    const second = await refresh(first.refresh_token);
    assert.equal(second.status, 200);
    assert.notEqual(second.body.refresh_token, first.refresh_token);
    assert.equal((await verify(second.body.access_token)).payload.sub, user.id);

    // Asking for a wider scope is refused and leaves the token usable.
    const wider = await refresh(second.body.refresh_token, { scope: 'openid inventory:reserve' });
    assert.equal(wider.body.error, 'invalid_scope');
    const third = await refresh(second.body.refresh_token, { scope: 'openid' });
    assert.equal(third.status, 200);
    assert.equal(third.body.scope, 'openid');

    // The first token was rotated: presenting it again revokes the whole family.
    const reuse = await refresh(first.refresh_token);
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, 'invalid_grant');
    assert.match(reuse.body.error_description, /already used/);
    const afterReuse = await refresh(third.body.refresh_token);
    assert.equal(afterReuse.status, 400);
    assert.equal(afterReuse.body.error, 'invalid_grant');

    // A new sign-in starts a new family, untouched by the revocation.
    const fresh = (await passwordGrant(id.url, user.email)).body;
    assert.equal((await refresh(fresh.refresh_token)).status, 200);
  });

  it('treats two simultaneous uses of one refresh token as reuse (the documented trade-off)', async () => {
    const user = await newUser('double');
    const { refresh_token } = (await passwordGrant(id.url, user.email)).body;
    const refresh = (token: string) =>
      request(id.url, 'POST', TOKEN, { form: { grant_type: 'refresh_token', client_id: 'storefront', refresh_token: token } });
    const both = await Promise.all([refresh(refresh_token), refresh(refresh_token)]);
    assert.deepEqual(both.map((r) => r.status).sort(), [200, 400]);
    // The winner's new token belongs to the revoked family: the user is signed out.
    const winner = both.find((r) => r.status === 200)!;
    assert.equal((await refresh(winner.body.refresh_token)).body.error, 'invalid_grant');
  });

  it('refuses a refresh token presented by another client or after expiry', async () => {
    const user = await newUser('exp');
    const { refresh_token } = (await passwordGrant(id.url, user.email)).body;
    const stolen = await request(id.url, 'POST', TOKEN, {
      form: { grant_type: 'refresh_token', refresh_token },
      headers: { authorization: basic(SERVICE.clientId, SERVICE.clientSecret) },
    });
    assert.equal(stolen.body.error, 'unauthorized_client');
    const garbage = await request(id.url, 'POST', TOKEN, {
      form: { grant_type: 'refresh_token', client_id: 'storefront', refresh_token: 'nope' },
    });
    assert.deepEqual(
      [garbage.status, garbage.body.error, garbage.body.code],
      [400, 'invalid_grant', 'SOUK_IDENTITY_INVALID_GRANT'],
    );
  });

  it('revokes refresh tokens (RFC 7009) and answers 200 for unknown ones', async () => {
    const user = await newUser('revoke');
    const { refresh_token } = (await passwordGrant(id.url, user.email)).body;
    const revoked = await request(id.url, 'POST', REVOKE, {
      form: { token: refresh_token, token_type_hint: 'refresh_token', client_id: 'storefront' },
    });
    assert.equal(revoked.status, 200);
    const after = await request(id.url, 'POST', TOKEN, {
      form: { grant_type: 'refresh_token', client_id: 'storefront', refresh_token },
    });
    assert.equal(after.body.error, 'invalid_grant');
    const unknown = await request(id.url, 'POST', REVOKE, { form: { token: 'unknown', client_id: 'storefront' } });
    assert.equal(unknown.status, 200);
    const noToken = await request(id.url, 'POST', REVOKE, { form: { client_id: 'storefront' } });
    assert.deepEqual([noToken.status, noToken.body.error], [400, 'invalid_request']);
    const noClient = await request(id.url, 'POST', REVOKE, { form: { token: 'x' } });
    assert.deepEqual([noClient.status, noClient.body.error], [401, 'invalid_client']);
  });

  it('issues service tokens for client_credentials with Basic or body credentials', async () => {
    const viaBasic = await request(id.url, 'POST', TOKEN, {
      form: { grant_type: 'client_credentials', scope: 'inventory:reserve' },
      headers: { authorization: basic(SERVICE.clientId, SERVICE.clientSecret) },
    });
    assert.equal(viaBasic.status, 200);
    assert.equal(viaBasic.body.refresh_token, undefined);
    assert.equal(viaBasic.body.scope, 'inventory:reserve');
    // A service's own token is internal: only ever presented to other services.
    const { payload } = await verify(viaBasic.body.access_token, 'souk-internal');
    assert.equal(payload.sub, SERVICE.clientId);
    assert.equal(payload.client_id, SERVICE.clientId);
    assert.deepEqual(payload.roles, []);
    assert.equal(payload.email, undefined);

    const viaPost = await request(id.url, 'POST', TOKEN, {
      form: { grant_type: 'client_credentials', client_id: SERVICE.clientId, client_secret: SERVICE.clientSecret },
    });
    assert.equal(viaPost.status, 200);
    assert.equal(viaPost.body.scope, 'inventory:reserve payments:charge');

    const me = await request(id.url, 'GET', '/api/v1/identity/me', { token: viaPost.body.access_token });
    assert.deepEqual([me.status, me.body.code], [403, 'SOUK_IDENTITY_USER_TOKEN_REQUIRED']);
  });

  it('answers client and grant errors as RFC 6749 section 5.2 says', async () => {
    const wrongSecret = await request(id.url, 'POST', TOKEN, {
      form: { grant_type: 'client_credentials' },
      headers: { authorization: basic(SERVICE.clientId, 'not-the-secret') },
    });
    assert.equal(wrongSecret.status, 401);
    assert.equal(wrongSecret.body.error, 'invalid_client');
    assert.equal(wrongSecret.body.code, 'SOUK_IDENTITY_INVALID_CLIENT');
    assert.match(wrongSecret.headers.get('www-authenticate') ?? '', /^Basic realm="souk"/);

    const cases: [Record<string, string>, number, string][] = [
      [{ grant_type: 'client_credentials', client_id: 'storefront' }, 400, 'unauthorized_client'],
      [
        {
          grant_type: 'password',
          client_id: SERVICE.clientId,
          client_secret: SERVICE.clientSecret,
          username: 'a@b.co',
          password: 'x',
        },
        400,
        'unauthorized_client',
      ],
      [{ grant_type: 'client_credentials', client_id: SERVICE.clientId }, 401, 'invalid_client'],
      [{ grant_type: 'password', client_id: 'no-such-client', username: 'a@b.co', password: 'x' }, 401, 'invalid_client'],
      [{ grant_type: 'password', username: 'a@b.co', password: 'x' }, 401, 'invalid_client'],
      [{ grant_type: 'authorization_code', client_id: 'storefront', code: 'x' }, 400, 'unsupported_grant_type'],
      [
        { grant_type: 'client_credentials', client_id: SERVICE.clientId, client_secret: SERVICE.clientSecret, scope: 'admin' },
        400,
        'invalid_scope',
      ],
      [{ grant_type: 'password', client_id: 'storefront', password: 'x' }, 400, 'invalid_request'],
    ];
    for (const [form, status, error] of cases) {
      const res = await request(id.url, 'POST', TOKEN, { form });
      assert.deepEqual([res.status, res.body.error], [status, error], JSON.stringify(form));
      assert.equal(typeof res.body.error_description, 'string');
      assert.match(res.body.code, /^SOUK_IDENTITY_/);
    }
  });

  it('delays an account after 3 free failures, even with the right password, but only until the wait passes', async () => {
    const user = await newUser('throttle');
    for (let i = 0; i < 4; i++) {
      const res = await passwordGrant(id.url, user.email, `Wrong-Password-${i}`);
      assert.equal(res.status, 400, `attempt ${i + 1}`);
    }
    const refused = await passwordGrant(id.url, user.email);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.code, 'SOUK_IDENTITY_LOGIN_THROTTLED');
    assert.equal(refused.body.error, 'invalid_grant');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.equal(retryAfter, 1);
    assert.equal(refused.body.retryAfter, retryAfter);

    // Other accounts are not affected.
    const other = await newUser('bystander');
    assert.equal((await passwordGrant(id.url, other.email)).status, 200);

    id.clock.advance(retryAfter * 1000);
    assert.equal((await passwordGrant(id.url, user.email)).status, 200);
    // The success reset the count: three new failures are free again.
    for (let i = 0; i < 3; i++) assert.equal((await passwordGrant(id.url, user.email, 'Wrong-Password-x')).status, 400);
    assert.equal((await passwordGrant(id.url, user.email)).status, 200);
  });

  it('throttles unknown accounts the same way, so throttling reveals nothing', async () => {
    // Six wrong logins each, for an account that exists and one that does not, on the same (unmoved) clock.
    const answers = async (email: string) => {
      const seen = [];
      for (let i = 0; i < 6; i++) {
        const res = await passwordGrant(id.url, email, 'Whatever-123');
        const { traceId: _traceId, ...body } = res.body as Record<string, unknown>;
        seen.push({ status: res.status, retryAfter: res.headers.get('retry-after'), body });
      }
      return seen;
    };
    const known = await answers((await newUser('known')).email);
    const ghost = await answers(uniqueEmail('ghost'));
    assert.deepEqual(
      ghost.map((a) => a.status),
      [400, 400, 400, 400, 429, 429],
    );
    assert.deepEqual(ghost, known, 'an unknown account is answered exactly as a known one');
  });

  it('signs with a key the JWKS lists under the header kid', async () => {
    const user = await newUser('kid');
    const { access_token } = (await passwordGrant(id.url, user.email)).body;
    const jwks = await request(id.url, 'GET', '/.well-known/jwks.json');
    assert.ok(jwks.body.keys.some((k: { kid: string }) => k.kid === decodeProtectedHeader(access_token).kid));
  });
});
