// UserRegistered against a real PostgreSQL: written to the outbox with the
// user it announces (both or neither), shaped as the contract says, served on
// the feed; also for the admin account created at start.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FEED_PATH, type FeedPage } from '@souk/chassis';
import { waitFor } from '@souk/chassis/testing';
import { sql } from 'kysely';
import { SignUpAttempted, UserRegistered } from '../contract.ts';
import { createUserStore } from '../src/users/user-store.ts';
import {
  GOOD_PASSWORD,
  internalToken,
  request,
  signedUp,
  signup,
  startIdentity,
  TOKEN,
  uniqueEmail,
  type Identity,
} from './harness.ts';

/** A consumer of identity's feed, as the devhost grants notifications. */
const READER = { clientId: 'svc-reader', clientSecret: 'reader-secret-0123456789abcdef', scopes: ['events:read:identity'] };

const TYPE = 'souk.identity.UserRegistered';

interface OutboxRow {
  id: string;
  type: string;
  envelope: { id: string; source: string; type: string; subject?: string; time: string; data: Record<string, unknown> };
}

async function outbox(id: Identity): Promise<OutboxRow[]> {
  const { rows } = await sql<OutboxRow>`select id, type, envelope from souk_outbox order by seq`.execute(id.service.ctx.db);
  return rows;
}

const forEmail = (rows: OutboxRow[], email: string) => rows.filter((r) => r.envelope.data.email === email);

describe('UserRegistered', () => {
  let id: Identity;
  before(async () => {
    id = await startIdentity({ clients: [READER] });
  });
  after(async () => {
    await id?.stop();
  });

  it('sign-up writes one UserRegistered that matches the contract and the created user', async () => {
    const email = uniqueEmail('event');
    const res = { body: await signedUp(id.url, email, GOOD_PASSWORD, 'Eve Event') };
    const rows = forEmail(await outbox(id), email);
    assert.equal(rows.length, 1);
    const { envelope } = rows[0]!;
    assert.equal(envelope.type, TYPE);
    assert.equal(envelope.source, 'urn:souk:service:identity');
    assert.equal(envelope.subject, res.body.id);
    assert.equal(envelope.time, res.body.createdAt);
    assert.deepEqual(envelope.data, {
      userId: res.body.id,
      email,
      name: 'Eve Event',
      roles: ['customer'],
      registeredAt: res.body.createdAt,
    });
    assert.equal(UserRegistered.check(envelope.data).ok, true);
  });

  it('a sign-up without a name announces name: null', async () => {
    const email = uniqueEmail('anon');
    assert.equal((await signup(id.url, email)).status, 202);
    const [row] = forEmail(await outbox(id), email);
    assert.equal(row?.envelope.data.name, null);
    assert.equal(UserRegistered.check(row?.envelope.data).ok, true);
  });

  it('a sign-up with a taken email writes SignUpAttempted for the owner, and no user', async () => {
    const email = uniqueEmail('twice');
    const owner = await signedUp(id.url, email);
    const before = (await outbox(id)).length;
    const duplicate = await signup(id.url, email.toUpperCase());
    assert.equal(duplicate.status, 202);
    const rows = forEmail(await outbox(id), email);
    assert.deepEqual(
      rows.map((r) => r.envelope.type),
      [TYPE, 'souk.identity.SignUpAttempted'],
    );
    const attempt = rows[1]!.envelope;
    assert.equal(attempt.subject, owner.id);
    assert.deepEqual(Object.keys(attempt.data).sort(), ['attemptedAt', 'email', 'userId']);
    assert.equal(attempt.data.userId, owner.id);
    assert.equal(SignUpAttempted.check(attempt.data).ok, true);
    assert.equal((await outbox(id)).length, before + 1);
  });

  it('a refused sign-up writes no event', async () => {
    const before = (await outbox(id)).length;
    const weak = await request(id.url, 'POST', '/api/v1/identity/signup', { json: { email: uniqueEmail(), password: 'short' } });
    assert.equal(weak.status, 400);
    assert.equal((await outbox(id)).length, before);
  });

  it('the user insert rolls back when the event cannot be written', async () => {
    const { db } = id.service.ctx;
    const failing = createUserStore(db, {
      events: {
        publish: async () => {
          throw new Error('outbox unavailable');
        },
      },
    });
    const email = uniqueEmail('rollback');
    await assert.rejects(
      failing.create({ email, name: null, passwordHash: 'x', roles: ['customer'] }, new Date()),
      /outbox unavailable/,
    );
    assert.equal(await failing.findByEmail(email), undefined);
  });

  it('the event is served on the feed after commit, to a service token with events:read:identity only', async () => {
    const email = uniqueEmail('feed');
    const res = { body: await signedUp(id.url, email) };
    const granted = await request(id.url, 'POST', TOKEN, {
      form: { grant_type: 'client_credentials', client_id: READER.clientId, client_secret: READER.clientSecret },
    });
    assert.equal(granted.body.scope, 'events:read:identity');
    const path = `${FEED_PATH}?after=0&types=${TYPE}&limit=1000`;
    // The feed carries emails and names: nobody else reads it, a signed-in user neither.
    assert.equal((await request(id.url, 'GET', path)).status, 401);
    const user = await request(id.url, 'POST', TOKEN, {
      form: { grant_type: 'password', client_id: 'storefront', username: email, password: GOOD_PASSWORD },
    });
    // A user's own token is refused outright (401: services take internal tokens only); exchanged, it still lacks the scope.
    const outside = await request(id.url, 'GET', path, { token: user.body.access_token });
    assert.equal(outside.status, 401);
    const refused = await request(id.url, 'GET', path, { token: await internalToken(id.url, user.body.access_token) });
    assert.deepEqual([refused.status, refused.body.code], [403, 'SOUK_AUTH_FORBIDDEN']);
    const event = await waitFor(
      async () => {
        const feed = await request(id.url, 'GET', path, { token: granted.body.access_token });
        return (feed.body as FeedPage).events.find((e) => e.subject === res.body.id);
      },
      { what: 'the UserRegistered event on the feed' },
    );
    assert.equal(event.type, TYPE);
    assert.ok(Number(event.sequence) > 0);
  });
});

describe('UserRegistered for the admin account', () => {
  it('the admin created at start is announced once, with role admin', async () => {
    const admin = { email: uniqueEmail('admin'), password: 'Admin-Password-1234' };
    const id = await startIdentity({ admin });
    try {
      const rows = await outbox(id);
      assert.equal(rows.length, 1);
      const data = rows[0]!.envelope.data;
      assert.equal(data.email, admin.email);
      assert.deepEqual(data.roles, ['admin']);
      assert.equal(UserRegistered.check(data).ok, true);
      // A second instance finds the account and announces nothing.
      await id.startAnother();
      assert.equal((await outbox(id)).length, 1);
    } finally {
      await id.stop();
    }
  });
});
