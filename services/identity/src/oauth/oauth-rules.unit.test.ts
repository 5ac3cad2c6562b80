// Scope parsing and granting, and how a client identifies itself on the token endpoint.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { grantScopes, parseScope } from './scopes.ts';
import { readClientCredentials } from './client-auth.ts';

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('scopes', () => {
  it('splits on spaces and removes duplicates', () => {
    assert.deepEqual(parseScope('openid  email openid'), { ok: true, scopes: ['openid', 'email'] });
    assert.deepEqual(parseScope(undefined), { ok: true, scopes: [] });
  });

  it('refuses characters outside scope-token', () => {
    assert.equal(parseScope('open"id').ok, false);
    assert.equal(parseScope('a\\b').ok, false);
  });

  it('grants everything allowed when nothing is requested, else exactly what was asked', () => {
    assert.deepEqual(grantScopes([], ['a', 'b']), { ok: true, scopes: ['a', 'b'] });
    assert.deepEqual(grantScopes(['b'], ['a', 'b']), { ok: true, scopes: ['b'] });
    assert.equal(grantScopes(['c'], ['a', 'b']).ok, false);
  });
});

describe('client authentication', () => {
  it('reads HTTP Basic with form-encoded id and secret', () => {
    assert.deepEqual(readClientCredentials(basic('svc:a', 's3cr%t'), {}), {
      ok: true,
      credentials: { clientId: 'svc:a', clientSecret: 's3cr%t', method: 'client_secret_basic' },
    });
  });

  it('reads client_secret_post and public clients', () => {
    assert.deepEqual(readClientCredentials(undefined, { client_id: 'svc', client_secret: 'x' }), {
      ok: true,
      credentials: { clientId: 'svc', clientSecret: 'x', method: 'client_secret_post' },
    });
    assert.deepEqual(readClientCredentials(undefined, { client_id: 'storefront' }), {
      ok: true,
      credentials: { clientId: 'storefront', method: 'none' },
    });
  });

  it('answers undefined when no client is named', () => {
    assert.equal(readClientCredentials(undefined, {}), undefined);
  });

  it('refuses two methods at once and malformed Basic headers', () => {
    assert.equal(readClientCredentials(basic('svc', 'x'), { client_secret: 'x' })?.ok, false);
    assert.deepEqual(readClientCredentials('Basic !!!', {}), {
      ok: false,
      error: 'invalid_client',
      description: 'The Basic authorization header is malformed.',
    });
    assert.equal(readClientCredentials(basic('svc', 'x'), { client_id: 'other' })?.ok, false);
  });
});
