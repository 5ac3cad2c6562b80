// Signing keys and the admin account against a real PostgreSQL: admin
// bootstrap, forced and scheduled rotation with the old key kept in the JWKS
// until its tokens expire, and instances starting together sharing one key.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import pg from 'pg';
import { startService } from '@souk/chassis';
import { identityService } from '../src/service.ts';
import {
  fakeClock,
  passwordGrant,
  prepareEnv,
  request,
  signup,
  startIdentity,
  uniqueEmail,
  type Identity,
  internalToken,
} from './harness.ts';

const ADMIN = { email: 'root@souk.example', password: 'Admin-Passw0rd-from-file' };
const ROTATE = '/api/v1/identity/keys/rotate';
const MINUTE = 60_000;

const kidsOf = async (id: Identity) =>
  ((await request(id.url, 'GET', '/.well-known/jwks.json')).body.keys as { kid: string }[]).map((k) => k.kid);

describe('identity signing keys and admin', () => {
  let id: Identity;
  before(async () => {
    id = await startIdentity({ admin: { ...ADMIN, email: ` ${ADMIN.email.toUpperCase()}` } });
  });
  after(async () => {
    await id?.stop();
  });

  it('creates the admin account from the password file', async () => {
    const res = await passwordGrant(id.url, ADMIN.email, ADMIN.password);
    assert.equal(res.status, 200);
    const me = await request(id.url, 'GET', '/api/v1/identity/me', { token: await internalToken(id.url, res.body.access_token) });
    assert.deepEqual(me.body.roles, ['admin']);
    assert.equal(me.body.email, ADMIN.email);
  });

  it('leaves the admin account alone when another instance starts', async () => {
    const adminRow = async () => {
      const client = new pg.Client({ connectionString: id.database.url });
      await client.connect();
      try {
        return (await client.query('select id, password_hash, roles, updated_at from users where email = $1', [ADMIN.email]))
          .rows;
      } finally {
        await client.end();
      }
    };
    const before = await adminRow();
    assert.equal(before.length, 1);
    const second = await id.startAnother();
    const res = await passwordGrant(second.url, ADMIN.email, ADMIN.password);
    assert.equal(res.status, 200);
    // Not re-created, not re-hashed: a password the admin changed since would survive a start.
    assert.deepEqual(await adminRow(), before);
  });

  it('lets only admins force a rotation, and keeps the old key until its tokens expire', async () => {
    const customerEmail = uniqueEmail('cust');
    await signup(id.url, customerEmail);
    const customer = (await passwordGrant(id.url, customerEmail)).body.access_token as string;
    const admin = (await passwordGrant(id.url, ADMIN.email, ADMIN.password)).body.access_token as string;
    const oldKid = decodeProtectedHeader(admin).kid!;

    assert.equal((await request(id.url, 'POST', ROTATE)).status, 401);
    const forbidden = await request(id.url, 'POST', ROTATE, { token: await internalToken(id.url, customer) });
    assert.deepEqual([forbidden.status, forbidden.body.code], [403, 'SOUK_AUTH_FORBIDDEN']);

    const rotated = await request(id.url, 'POST', ROTATE, { token: await internalToken(id.url, admin) });
    assert.equal(rotated.status, 201);
    const newKid = rotated.body.kid as string;
    assert.notEqual(newKid, oldKid);
    assert.deepEqual((await kidsOf(id)).sort(), [newKid, oldKid].sort());

    // New tokens use the new key; tokens of the old key still work (they are still exchanged).
    const fresh = (await passwordGrant(id.url, customerEmail)).body.access_token as string;
    assert.equal(decodeProtectedHeader(fresh).kid, newKid);
    const me = async (token: string) =>
      (await request(id.url, 'GET', '/api/v1/identity/me', { token: await internalToken(id.url, token) })).status;
    assert.equal(await me(fresh), 200);
    assert.equal(await me(customer), 200);

    // Once every token of the old key has expired (15 min) plus the grace (5 min), it leaves the JWKS.
    id.clock.advance(19 * MINUTE);
    assert.ok((await kidsOf(id)).includes(oldKid));
    id.clock.advance(2 * MINUTE);
    assert.deepEqual(await kidsOf(id), [newKid]);
  });

  it('rotates by itself once the current key is older than IDENTITY_KEY_ROTATION_HOURS', async () => {
    const before = await kidsOf(id);
    assert.equal(before.length, 1);
    id.clock.advance(24 * 60 * MINUTE);
    const email = uniqueEmail('later');
    await signup(id.url, email);
    const token = (await passwordGrant(id.url, email)).body.access_token as string;
    const kid = decodeProtectedHeader(token).kid!;
    assert.notEqual(kid, before[0]);
    assert.deepEqual((await kidsOf(id)).sort(), [kid, before[0]!].sort());
    assert.equal(
      (await request(id.url, 'GET', '/api/v1/identity/me', { token: await internalToken(id.url, token) })).status,
      200,
    );
  });

  it('stores private keys encrypted', async () => {
    const client = new pg.Client({ connectionString: id.database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ private_jwk_sealed: string; public_jwk: Record<string, unknown> }>(
        'select private_jwk_sealed, public_jwk from signing_keys',
      );
      assert.ok(rows.length > 0);
      for (const row of rows) {
        assert.match(row.private_jwk_sealed, /^v1\./);
        assert.ok(!row.private_jwk_sealed.includes('"d"'));
        assert.equal(row.public_jwk.d, undefined);
      }
    } finally {
      await client.end();
    }
  });
});

describe('identity instances starting together', () => {
  it('share one signing key and one admin account', async () => {
    const prepared = await prepareEnv({ admin: ADMIN });
    const clock = fakeClock();
    const env = { ...prepared.env, PORT: '0' };
    const instances = await Promise.all([1, 2, 3].map(() => startService(identityService, { env, clock })));
    try {
      const jwks = await Promise.all(
        instances.map(async (s) => (await request(s.url, 'GET', '/.well-known/jwks.json')).body.keys.length),
      );
      assert.deepEqual(jwks, [1, 1, 1]);
      // A token from one instance is accepted by another.
      const token = (await passwordGrant(instances[0]!.url, ADMIN.email, ADMIN.password)).body.access_token;
      const me = await request(instances[2]!.url, 'GET', '/api/v1/identity/me', {
        token: await internalToken(instances[1]!.url, token),
      });
      assert.equal(me.status, 200);
    } finally {
      for (const s of instances) await s.stop();
      await prepared.cleanup();
    }
  });

  it('refuses to start without a valid key-encryption key, naming the variable', async () => {
    const prepared = await prepareEnv();
    try {
      const { IDENTITY_KEY_ENCRYPTION_KEY_FILE: _unset, ...withoutKek } = prepared.env;
      await assert.rejects(startService(identityService, { env: withoutKek }), /IDENTITY_KEY_ENCRYPTION_KEY_FILE/);
      await assert.rejects(
        startService(identityService, { env: { ...prepared.env, IDENTITY_KEY_ENCRYPTION_KEY_FILE: '/nonexistent/kek' } }),
        /IDENTITY_KEY_ENCRYPTION_KEY_FILE: cannot read/,
      );
    } finally {
      await prepared.cleanup();
    }
  });
});
