// identity through a real OIDC client library (openid-client v6): discovery,
// the storefront's password and refresh grants, the edge's token exchange
// (RFC 8693), UserInfo, revocation, and a service's client_credentials grant
// with either authentication method.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { EDGE_CLIENT, GOOD_PASSWORD, signedUp, startIdentity, uniqueEmail, type Identity } from './harness.ts';

const SERVICE = { clientId: 'catalog-service', clientSecret: 'catalog-secret-0123456789abcdef', scopes: ['inventory:read'] };

describe('identity with openid-client', () => {
  let id: Identity;
  before(async () => {
    id = await startIdentity({ clients: [SERVICE] });
  });
  after(async () => {
    await id?.stop();
  });

  // Plain http is only for the test; openid-client refuses it unless told.
  const discover = (clientId: string, secret?: string, auth?: oidc.ClientAuth) =>
    oidc.discovery(new URL(id.issuer), clientId, secret, auth, { execute: [oidc.allowInsecureRequests] });

  it('discovers the issuer and its endpoints', async () => {
    const config = await discover('storefront', undefined, oidc.None());
    const meta = config.serverMetadata();
    assert.equal(meta.issuer, id.issuer);
    assert.equal(meta.token_endpoint, `${id.issuer}/api/v1/identity/oauth/token`);
    assert.equal(meta.jwks_uri, `${id.issuer}/.well-known/jwks.json`);
    assert.equal(meta.userinfo_endpoint, `${id.issuer}/api/v1/identity/userinfo`);
    assert.equal(meta.revocation_endpoint, `${id.issuer}/api/v1/identity/oauth/revoke`);
    assert.deepEqual(meta.grant_types_supported, [
      'password',
      'refresh_token',
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
    assert.deepEqual(meta.id_token_signing_alg_values_supported, ['ES256']);
  });

  it("signs a storefront user in, has the edge exchange the user's token, reads UserInfo with it, refreshes and revokes", async () => {
    const email = uniqueEmail('oidc');
    const created = { body: await signedUp(id.url, email, GOOD_PASSWORD, 'Olga') };
    const config = await discover('storefront', undefined, oidc.None());

    const tokens = await oidc.genericGrantRequest(config, 'password', {
      username: email,
      password: GOOD_PASSWORD,
      scope: 'openid email profile',
    });
    assert.equal(tokens.token_type, 'bearer');
    assert.ok(tokens.refresh_token);
    // The server's value: expiresIn() counts down from when the response arrived, so it reads 899 a millisecond later.
    assert.equal(tokens.expires_in, 900);

    const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
    const { payload } = await jwtVerify(tokens.access_token, jwks, {
      issuer: id.issuer,
      audience: 'souk',
      currentDate: new Date(id.clock.now()),
    });
    assert.equal(payload.sub, created.body.id);

    // UserInfo, like every route of identity's, takes internal tokens: the edge (the gateway) exchanges the
    // user's token first, here through the same library.
    const edge = await discover(EDGE_CLIENT.clientId, undefined, oidc.ClientSecretBasic(EDGE_CLIENT.clientSecret));
    const exchanged = await oidc.genericGrantRequest(edge, 'urn:ietf:params:oauth:grant-type:token-exchange', {
      subject_token: tokens.access_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'souk-internal',
    });
    assert.equal(exchanged.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
    const internal = await jwtVerify(exchanged.access_token, jwks, {
      issuer: id.issuer,
      audience: 'souk-internal',
      currentDate: new Date(id.clock.now()),
    });
    assert.equal(internal.payload.sub, created.body.id);
    assert.deepEqual(internal.payload.act, { sub: EDGE_CLIENT.clientId });
    await assert.rejects(oidc.fetchUserInfo(config, tokens.access_token, created.body.id));
    const info = await oidc.fetchUserInfo(config, exchanged.access_token, created.body.id);
    assert.equal(info.email, email);
    assert.equal(info.name, 'Olga');

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);

    await oidc.tokenRevocation(config, refreshed.refresh_token!);
    await assert.rejects(oidc.refreshTokenGrant(config, refreshed.refresh_token!), (err: unknown) => {
      assert.ok(err instanceof oidc.ResponseBodyError);
      assert.equal(err.error, 'invalid_grant');
      return true;
    });
  });

  it('reports a wrong password as invalid_grant', async () => {
    const config = await discover('storefront', undefined, oidc.None());
    await assert.rejects(
      oidc.genericGrantRequest(config, 'password', { username: uniqueEmail('x'), password: 'Wrong-Passw0rd' }),
      (err: unknown) => {
        assert.ok(err instanceof oidc.ResponseBodyError);
        assert.equal(err.error, 'invalid_grant');
        assert.equal(err.status, 400);
        assert.equal(err.cause.code, 'SOUK_IDENTITY_INVALID_CREDENTIALS');
        return true;
      },
    );
  });

  it('issues service tokens for client_credentials with client_secret_basic and client_secret_post', async () => {
    for (const auth of [oidc.ClientSecretBasic(SERVICE.clientSecret), oidc.ClientSecretPost(SERVICE.clientSecret)]) {
      const config = await discover(SERVICE.clientId, undefined, auth);
      const tokens = await oidc.clientCredentialsGrant(config, { scope: 'inventory:read' });
      assert.equal(tokens.scope, 'inventory:read');
      assert.equal(tokens.refresh_token, undefined);
      const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
      // A service's own token is internal: only ever presented to other services.
      const { payload } = await jwtVerify(tokens.access_token, jwks, {
        issuer: id.issuer,
        audience: 'souk-internal',
        currentDate: new Date(id.clock.now()),
      });
      assert.equal(payload.sub, SERVICE.clientId);
    }
  });

  it('reports a wrong client secret with a Basic challenge', async () => {
    const config = await discover(SERVICE.clientId, undefined, oidc.ClientSecretBasic('not-the-secret'));
    await assert.rejects(oidc.clientCredentialsGrant(config), (err: unknown) => {
      assert.ok(err instanceof oidc.WWWAuthenticateChallengeError);
      assert.equal(err.status, 401);
      assert.equal(err.cause[0]?.scheme, 'basic');
      return true;
    });
  });
});
