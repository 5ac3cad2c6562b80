// Token exchange (RFC 8693) at identity's token endpoint: the edge trades a
// user's token (audience `souk`) for an internal one (audience
// `souk-internal`, `act` = the edge's client), the only kind services accept.
// Who may exchange, what may be exchanged, and what comes back.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import {
  EDGE_CLIENT,
  exchange,
  passwordGrant,
  request,
  signedUp,
  signup,
  startIdentity,
  TOKEN,
  uniqueEmail,
  type Identity,
} from './harness.ts';

const SERVICE = { clientId: 'svc-orders', clientSecret: 'orders-secret-0123456789abcdef', scopes: ['inventory:reserve'] };
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

describe('identity token exchange', () => {
  let id: Identity;
  let user: { id: string; token: string };
  before(async () => {
    id = await startIdentity({ clients: [SERVICE] });
    const email = uniqueEmail('xchg');
    const created = await signedUp(id.url, email);
    user = { id: created.id as string, token: (await passwordGrant(id.url, email)).body.access_token as string };
  });
  after(async () => {
    await id?.stop();
  });

  async function verifyInternal(token: string) {
    const jwks = await request(id.url, 'GET', '/.well-known/jwks.json');
    return jwtVerify(token, createLocalJWKSet(jwks.body), {
      issuer: id.issuer,
      audience: 'souk-internal',
      algorithms: ['ES256'],
      currentDate: new Date(id.clock.now()),
    });
  }

  it("trades a user's token for a short-lived internal one: same subject, roles and scopes, act = the edge", async () => {
    const res = await exchange(id.url, user.token, { audience: 'souk-internal', requested_token_type: ACCESS_TOKEN });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.body.issued_token_type, ACCESS_TOKEN);
    assert.equal(res.body.token_type, 'Bearer');
    assert.equal(res.body.refresh_token, undefined);
    assert.equal(res.body.expires_in, 300);
    assert.equal(res.body.scope, 'openid profile email');
    const { payload } = await verifyInternal(res.body.access_token);
    const original = decodeJwt(user.token);
    assert.equal(payload.sub, user.id);
    assert.deepEqual(payload.roles, ['customer']);
    assert.equal(payload.email, original.email);
    assert.equal(payload.client_id, 'storefront');
    assert.deepEqual(payload.act, { sub: EDGE_CLIENT.clientId });
    assert.equal(payload.exp! - payload.iat!, 300);
    assert.notEqual(payload.jti, original.jti);
    // The internal token opens identity's own routes; the user's token does not.
    assert.equal((await request(id.url, 'GET', '/api/v1/identity/me', { token: res.body.access_token })).status, 200);
    assert.equal((await request(id.url, 'GET', '/api/v1/identity/me', { token: user.token })).status, 401);
  });

  it('narrows the scope on request, never widens it', async () => {
    const narrow = await exchange(id.url, user.token, { scope: 'openid' });
    assert.equal(narrow.status, 200);
    assert.equal(narrow.body.scope, 'openid');
    const wide = await exchange(id.url, user.token, { scope: 'openid inventory:reserve' });
    assert.deepEqual([wide.status, wide.body.error], [400, 'invalid_scope']);
  });

  it('never outlives the token it replaces', async () => {
    const email = uniqueEmail('late');
    await signup(id.url, email);
    const token = (await passwordGrant(id.url, email)).body.access_token as string;
    id.clock.advance(14 * 60_000); // one minute left of the user's 15
    try {
      const res = await exchange(id.url, token);
      assert.equal(res.status, 200);
      const { payload } = await verifyInternal(res.body.access_token);
      assert.equal(payload.exp, decodeJwt(token).exp);
      assert.ok(res.body.expires_in <= 60, `expires_in ${res.body.expires_in}`);
    } finally {
      id.clock.advance(-14 * 60_000);
    }
  });

  it('only clients granted the exchange may use it', async () => {
    const service = await exchange(id.url, user.token, {}, SERVICE);
    assert.deepEqual([service.status, service.body.error], [400, 'unauthorized_client']);
    const storefront = await request(id.url, 'POST', TOKEN, {
      form: {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        client_id: 'storefront',
        subject_token: user.token,
        subject_token_type: ACCESS_TOKEN,
      },
    });
    assert.deepEqual([storefront.status, storefront.body.error], [400, 'unauthorized_client']);
    const anonymous = await request(id.url, 'POST', TOKEN, {
      form: { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: user.token },
    });
    assert.deepEqual([anonymous.status, anonymous.body.error], [401, 'invalid_client']);
    // Its own client_credentials tokens do not carry the permission as a scope.
    const own = await request(id.url, 'POST', TOKEN, {
      form: { grant_type: 'client_credentials' },
      headers: {
        authorization: `Basic ${Buffer.from(`${EDGE_CLIENT.clientId}:${EDGE_CLIENT.clientSecret}`).toString('base64')}`,
      },
    });
    assert.equal(own.status, 200);
    assert.equal(own.body.scope, '');
  });

  it("refuses to exchange anything but a valid user's token of this issuer", async () => {
    const service = await request(id.url, 'POST', TOKEN, {
      form: { grant_type: 'client_credentials', client_id: SERVICE.clientId, client_secret: SERVICE.clientSecret },
    });
    const internal = (await exchange(id.url, user.token)).body.access_token as string;
    const cases: Record<string, string> = {
      garbage: 'not-a-jwt',
      forged: `${user.token.slice(0, -4)}AAAA`,
      // Internal tokens are not exchanged again, whether a service's own or an exchanged one.
      "a service's token": service.body.access_token as string,
      'an internal token': internal,
    };
    for (const [name, subject] of Object.entries(cases)) {
      const res = await exchange(id.url, subject);
      assert.deepEqual([res.status, res.body.error, res.body.code], [400, 'invalid_grant', 'SOUK_IDENTITY_INVALID_GRANT'], name);
    }
    id.clock.advance(16 * 60_000);
    try {
      const expired = await exchange(id.url, user.token);
      assert.deepEqual([expired.status, expired.body.error], [400, 'invalid_grant']);
    } finally {
      id.clock.advance(-16 * 60_000);
    }
  });

  it('answers malformed requests as RFC 8693 says', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }, 'invalid_request'],
      [{ requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' }, 'invalid_request'],
      [{ actor_token: user.token, actor_token_type: ACCESS_TOKEN }, 'invalid_request'],
      [{ audience: 'payments-provider.example' }, 'invalid_target'],
      [{ resource: 'https://elsewhere.example/api' }, 'invalid_target'],
    ];
    for (const [extra, error] of cases) {
      const res = await exchange(id.url, user.token, extra);
      assert.deepEqual([res.status, res.body.error], [400, error], JSON.stringify(extra));
      assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/json');
    }
    const missing = await request(id.url, 'POST', TOKEN, {
      headers: {
        authorization: `Basic ${Buffer.from(`${EDGE_CLIENT.clientId}:${EDGE_CLIENT.clientSecret}`).toString('base64')}`,
      },
      form: { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token_type: ACCESS_TOKEN },
    });
    assert.deepEqual([missing.status, missing.body.error], [400, 'invalid_request']);
  });

  it("is not budgeted per address like the other grants: the gateway exchanges for every user's session", async () => {
    const tight = await startIdentity({ env: { IDENTITY_TOKEN_PER_IP_BURST: '2', IDENTITY_TOKEN_PER_IP_PER_MINUTE: '1' } });
    try {
      const email = uniqueEmail('budget');
      await signup(tight.url, email);
      const token = (await passwordGrant(tight.url, email)).body.access_token as string;
      for (let i = 0; i < 5; i++) assert.equal((await exchange(tight.url, token)).status, 200, `exchange ${i + 1}`);
      // The address's budget (2, the first spent above) still holds for password grants.
      assert.equal((await passwordGrant(tight.url, email)).status, 200);
      const refused = await passwordGrant(tight.url, email);
      assert.deepEqual([refused.status, refused.body.code], [429, 'SOUK_IDENTITY_RATE_LIMITED']);
    } finally {
      await tight.stop();
    }
  });
});
