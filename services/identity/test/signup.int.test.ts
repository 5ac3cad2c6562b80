// Sign-up and the user's own record against a real PostgreSQL: success,
// duplicates (answered like a new email), weak passwords, and bad input that
// must stay a 4xx.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  GOOD_PASSWORD,
  passwordGrant,
  request,
  signedUp,
  signup,
  SIGNUP,
  startIdentity,
  TOKEN,
  uniqueEmail,
  type Identity,
  type RequestOptions,
  internalToken,
} from './harness.ts';

const PROBLEM = /^application\/problem\+json/;

describe('identity sign-up', () => {
  let id: Identity;
  before(async () => {
    id = await startIdentity();
  });
  after(async () => {
    await id?.stop();
  });

  it('creates a customer with a normalised email, and answers 202 without the record', async () => {
    const email = uniqueEmail('ann');
    const res = await signup(id.url, `  ${email.toUpperCase()} `, GOOD_PASSWORD, 'Ann Example');
    assert.equal(res.status, 202);
    assert.deepEqual(Object.keys(res.body).sort(), ['email', 'message']);
    assert.equal(res.body.email, email);
    const token = await passwordGrant(id.url, email);
    assert.equal(token.status, 200);
    const me = await request(id.url, 'GET', '/api/v1/identity/me', {
      token: await internalToken(id.url, token.body.access_token),
    });
    assert.match(me.body.id, /^[0-9a-f-]{36}$/);
    assert.equal(me.body.email, email);
    assert.equal(me.body.name, 'Ann Example');
    assert.deepEqual(me.body.roles, ['customer']);
    assert.ok(!Number.isNaN(Date.parse(me.body.createdAt)));
    assert.equal(me.body.password, undefined);
    assert.equal(me.body.passwordHash, undefined);
  });

  it('answers a taken email (whatever its case) exactly like a new one, and leaves its password alone', async () => {
    const email = uniqueEmail('dup');
    const first = await signup(id.url, email);
    const again = await signup(id.url, email.toUpperCase(), 'Another-Secret-77');
    const fresh = uniqueEmail('fresh');
    const other = await signup(id.url, fresh.toUpperCase());
    for (const res of [first, again, other]) {
      assert.equal(res.status, 202);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    }
    // Same body but for the address each one names.
    assert.deepEqual(again.body, first.body);
    assert.deepEqual({ ...other.body, email }, first.body);
    assert.equal((await passwordGrant(id.url, email)).status, 200);
    assert.equal((await passwordGrant(id.url, email, 'Another-Secret-77')).status, 400);
  });

  it('refuses a weak password with every reason', async () => {
    const res = await request(id.url, 'POST', SIGNUP, { json: { email: 'bob.builder@example.com', password: 'bob.builder' } });
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type') ?? '', PROBLEM);
    assert.equal(res.body.code, 'SOUK_IDENTITY_WEAK_PASSWORD');
    assert.deepEqual(
      res.body.reasons.map((r: { rule: string }) => r.rule),
      ['contains_email', 'too_few_character_classes'],
    );
    assert.ok(res.body.reasons.every((r: { message: string }) => r.message.length > 0));
  });

  it('refuses an invalid email', async () => {
    const res = await request(id.url, 'POST', SIGNUP, { json: { email: 'not-an-email', password: GOOD_PASSWORD } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'SOUK_IDENTITY_EMAIL_INVALID');
  });

  it('answers malformed JSON and wrong types with 400 problem+json, never 5xx', async () => {
    const cases: RequestOptions[] = [
      { raw: '{"email": "a@b.co", "password": ' },
      { raw: 'null' },
      { raw: '[]' },
      { json: { email: { x: 1 }, password: GOOD_PASSWORD } },
      { json: { email: uniqueEmail(), password: ['a', 'b'] } },
      { json: { email: uniqueEmail() } },
      { json: { email: uniqueEmail(), password: GOOD_PASSWORD, name: '' } },
      { json: { email: uniqueEmail(), password: 'x'.repeat(2000) } },
    ];
    for (const body of cases) {
      const res = await request(id.url, 'POST', SIGNUP, body);
      assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80));
      assert.match(res.headers.get('content-type') ?? '', PROBLEM);
      assert.match(res.body.code, /^SOUK_/);
    }
  });

  it('answers bad token requests with 4xx and OAuth error members, never 5xx', async () => {
    const cases: RequestOptions[] = [
      { raw: '{"grant_type": ' },
      { raw: '[]' },
      { raw: 'grant_type=password', contentType: 'text/plain' },
      { json: { grant_type: { x: 1 } } },
      { json: { grant_type: 'password', client_id: 'storefront', username: ['a'], password: 'x' } },
      { form: { client_id: 'storefront' } },
      { form: {} },
    ];
    for (const body of cases) {
      const res = await request(id.url, 'POST', TOKEN, body);
      assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(body)} → ${res.status}`);
      assert.match(res.body.code, /^SOUK_/);
      assert.equal(res.body.error, 'invalid_request');
    }
    const missing = await request(id.url, 'POST', TOKEN, { form: { client_id: 'storefront' } });
    assert.equal(missing.body.error, 'invalid_request');
    assert.equal(missing.body.error_description, 'The grant_type parameter is required.');
  });

  it('shows the signed-in user at /me and /userinfo, and needs a token', async () => {
    const email = uniqueEmail('me');
    const created = { body: await signedUp(id.url, email, GOOD_PASSWORD, 'Me Myself') };
    const { body: tokens } = await passwordGrant(id.url, email);
    // Identity's routes, like every service's, take internal tokens: the user's own is refused here.
    const direct = await request(id.url, 'GET', '/api/v1/identity/me', { token: tokens.access_token });
    assert.deepEqual([direct.status, direct.body.code], [401, 'SOUK_AUTH_TOKEN_INVALID']);
    const internal = await internalToken(id.url, tokens.access_token);
    const me = await request(id.url, 'GET', '/api/v1/identity/me', { token: internal });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, created.body);
    assert.equal(me.body.email, email);
    const info = await request(id.url, 'GET', '/api/v1/identity/userinfo', { token: internal });
    assert.deepEqual(info.body, { sub: created.body.id, email, email_verified: false, name: 'Me Myself', roles: ['customer'] });
    const narrow = await passwordGrant(id.url, email, GOOD_PASSWORD, { scope: 'openid' });
    const bare = await request(id.url, 'POST', '/api/v1/identity/userinfo', {
      token: await internalToken(id.url, narrow.body.access_token),
    });
    assert.deepEqual(bare.body, { sub: created.body.id, roles: ['customer'] });
    const anonymous = await request(id.url, 'GET', '/api/v1/identity/me');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.code, 'SOUK_AUTH_TOKEN_MISSING');
    const forged = await request(id.url, 'GET', '/api/v1/identity/me', { token: `${internal.slice(0, -4)}AAAA` });
    assert.equal(forged.status, 401);
    assert.equal(forged.body.code, 'SOUK_AUTH_TOKEN_INVALID');
  });
});
