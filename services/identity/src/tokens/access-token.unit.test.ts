// Access token claims for users and services, and the OAuth error document shape.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair, jwtVerify } from 'jose';
import { buildAccessTokenClaims, signAccessToken } from './access-token.ts';
import { acceptsProblemJson, oauthError } from '../oauth/oauth-errors.ts';
import { openIdConfiguration } from '../oauth/discovery-routes.ts';

const settings = { issuer: 'http://localhost:8080', audience: 'souk', ttlSeconds: 900 };
const NOW = Date.UTC(2025, 0, 1, 12, 0, 0, 500);

describe('access token claims', () => {
  it('describe a user signed in through the storefront', () => {
    const claims = buildAccessTokenClaims(
      { subject: 'u-1', clientId: 'storefront', roles: ['customer'], email: 'ann@example.com' },
      ['openid', 'email'],
      settings,
      NOW,
      'jti-1',
    );
    assert.deepEqual(claims, {
      iss: 'http://localhost:8080',
      sub: 'u-1',
      aud: 'souk',
      iat: 1735732800,
      exp: 1735732800 + 900,
      jti: 'jti-1',
      scope: 'openid email',
      roles: ['customer'],
      client_id: 'storefront',
      email: 'ann@example.com',
    });
  });

  it('describe a service acting as itself, without email', () => {
    const claims = buildAccessTokenClaims(
      { subject: 'orders', clientId: 'orders', roles: [] },
      ['inventory:reserve'],
      settings,
      NOW,
      'j',
    );
    assert.equal(claims.sub, 'orders');
    assert.equal('email' in claims, false);
    assert.deepEqual(claims.roles, []);
  });

  it('are signed ES256 with kid and typ at+jwt', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const claims = buildAccessTokenClaims({ subject: 's', clientId: 'c', roles: [] }, [], settings, Date.now(), 'j');
    const token = await signAccessToken(claims, { kid: 'k1', privateKey });
    const { protectedHeader, payload } = await jwtVerify(token, publicKey, { issuer: settings.issuer, audience: 'souk' });
    assert.deepEqual(protectedHeader, { alg: 'ES256', kid: 'k1', typ: 'at+jwt' });
    assert.equal(payload.scope, '');
  });
});

describe('OAuth errors and discovery', () => {
  it('carry error and error_description, and a Basic challenge for invalid_client', () => {
    const err = oauthError('invalid_client', 'Wrong secret.');
    assert.equal(err.status, 401);
    assert.equal(err.code, 'SOUK_IDENTITY_INVALID_CLIENT');
    assert.deepEqual(err.extensions, { error: 'invalid_client', error_description: 'Wrong secret.' });
    assert.match(err.headers['www-authenticate'] ?? '', /^Basic realm="souk"/);
    assert.equal(oauthError('invalid_scope', 'x').status, 400);
  });

  it('are served as problem+json only to callers that ask for it', () => {
    assert.equal(acceptsProblemJson('application/json'), false);
    assert.equal(acceptsProblemJson(undefined), false);
    assert.equal(acceptsProblemJson('application/json, application/problem+json;q=0.9'), true);
  });

  it('publish endpoints under the issuer', () => {
    const doc = openIdConfiguration('https://shop.example');
    assert.equal(doc.token_endpoint, 'https://shop.example/api/v1/identity/oauth/token');
    assert.equal(doc.jwks_uri, 'https://shop.example/.well-known/jwks.json');
    assert.deepEqual(doc.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
  });
});
