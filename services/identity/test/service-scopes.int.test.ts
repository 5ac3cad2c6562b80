// Least privilege at the token endpoint: a service's client_credentials token
// carries only the capabilities its client is granted in clients.json; asking
// for one more is refused (invalid_scope), never silently dropped or added.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { request, startIdentity, TOKEN, type Identity } from './harness.ts';

const ORDERS = {
  clientId: 'svc-orders',
  clientSecret: 'orders-secret-0123456789abcdef',
  scopes: ['payments:authorize', 'payments:capture', 'events:read:catalog'],
};
const PROVIDER = { clientId: 'svc-payment-provider', clientSecret: 'provider-secret-0123456789abcdef', scopes: [] };

describe('client_credentials scopes', () => {
  let id: Identity;
  before(async () => {
    id = await startIdentity({ clients: [ORDERS, PROVIDER] });
  });
  after(async () => {
    await id?.stop();
  });

  const token = (client: { clientId: string; clientSecret: string }, scope?: string) =>
    request(id.url, 'POST', TOKEN, {
      form: {
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        ...(scope !== undefined ? { scope } : {}),
      },
    });
  const scopesIn = (accessToken: string) => decodeJwt<{ scope?: string }>(accessToken).scope;

  it('without a scope parameter: exactly the granted ones', async () => {
    const res = await token(ORDERS);
    assert.equal(res.status, 200);
    assert.equal(res.body.scope, ORDERS.scopes.join(' '));
    assert.equal(scopesIn(res.body.access_token), ORDERS.scopes.join(' '));
  });

  it('a subset asked for: only that subset', async () => {
    const res = await token(ORDERS, 'payments:capture');
    assert.equal(res.status, 200);
    assert.equal(scopesIn(res.body.access_token), 'payments:capture');
  });

  it('a scope not granted, alone or among granted ones: 400 invalid_scope, no token', async () => {
    for (const scope of ['payments:refund', 'payments:authorize payments:refund', 'events:read:identity', 'internal']) {
      const res = await token(ORDERS, scope);
      assert.equal(res.status, 400, `${scope}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, 'invalid_scope');
      assert.equal(res.body.access_token, undefined);
    }
  });

  it('a client granted nothing (the payment provider) gets a token with no capability, and nothing when it asks', async () => {
    const res = await token(PROVIDER);
    assert.equal(res.status, 200);
    assert.equal(scopesIn(res.body.access_token), '');
    const asked = await token(PROVIDER, 'payments:refund');
    assert.deepEqual([asked.status, asked.body.error], [400, 'invalid_scope']);
  });
});
