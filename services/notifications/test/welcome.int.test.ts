// Welcome messages end to end: a real identity publishes UserRegistered on
// sign-up, a real notifications service reads identity's feed and records the
// welcome; redelivery adds nothing, and each user sees only their own. A
// sign-up with a taken email (SignUpAttempted) warns the account's owner.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@souk/chassis/testing';
import { signedUp, signup, startIdentity, uniqueEmail, type Identity } from '@souk/identity/testing';
import { sql } from 'kysely';
import type { NotificationsDatabase } from '../src/db.ts';
import { API, assertProblem, call, NOTIFICATIONS_FEEDS, startNotifications, type Harness } from './harness.ts';

let identity: Identity;
let h: Harness;
let secrets: string;

before(async () => {
  // notifications reads identity's feed with its own client_credentials token, issued by identity
  // for the client the devhost would give it (granted events:read:identity among its feeds).
  const client = {
    clientId: 'svc-notifications',
    clientSecret: randomBytes(24).toString('base64url'),
    scopes: NOTIFICATIONS_FEEDS,
  };
  secrets = await mkdtemp(join(tmpdir(), 'souk-notifications-'));
  await writeFile(join(secrets, 'client-secret'), client.clientSecret, { mode: 0o600 });
  identity = await startIdentity({ clients: [client] });
  // Short held polls: a poll left behind by a restarted instance ends soon
  // rather than when identity shuts down.
  h = await startNotifications('notifications_welcome', {
    STATIC_SERVICES: `identity=${identity.url}`,
    EVENTS_FEED_WAIT_MS: '1000',
    SERVICE_CLIENT_ID: client.clientId,
    SERVICE_CLIENT_SECRET_FILE: join(secrets, 'client-secret'),
  });
});
after(async () => {
  // Identity first: it answers the consumer's held poll as it drains.
  await identity?.stop();
  await h?.close();
  if (secrets) await rm(secrets, { recursive: true, force: true });
});

interface Member {
  userId: string;
  email: string;
  token: string;
}

async function register(name?: string): Promise<Member> {
  const email = uniqueEmail('welcome');
  const user = await signedUp(identity.url, email, undefined, name);
  return { userId: user.id, email, token: await h.tokenFor(user.id) };
}

const list = (token: string) => call(h.svc.url, 'GET', API, { token });

async function welcomeOf(member: Member) {
  return waitFor(
    async () => {
      const res = await list(member.token);
      return res.status === 200 && res.json.items.length > 0 ? res.json.items : undefined;
    },
    { what: `the welcome message of ${member.email}` },
  );
}

const count = async (db: NotificationsDatabase, table: string) =>
  Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0]!.n);

/** Waits until notifications has read identity's whole feed. */
async function caughtUp(): Promise<void> {
  // The feed numbers its events 1, 2, ...: the last one's number is the count of the outbox.
  const { rows } = await sql<{ head: string | null }>`select count(*) as head from souk_outbox`.execute(identity.service.ctx.db);
  const head = Number(rows[0]?.head ?? 0);
  await waitFor(
    async () => {
      const cursor = await sql<{ position: string }>`select position from souk_feed_cursor where producer = 'identity'`.execute(
        h.svc.ctx.db,
      );
      return Number(cursor.rows[0]?.position ?? -1) >= head;
    },
    { what: `the feed cursor to reach ${head}` },
  );
}

describe('welcome messages', () => {
  let ann: Member;
  let bob: Member;

  test('signing up at identity makes a welcome message the new user can read', async () => {
    ann = await register('Ann Example');
    const items = await welcomeOf(ann);
    assert.equal(items.length, 1);
    const [welcome] = items;
    assert.equal(welcome.kind, 'welcome');
    assert.equal(welcome.title, 'Welcome to souk, Ann Example!');
    assert.match(welcome.body, new RegExp(ann.email.replace(/[.]/g, '\\.')));
    assert.equal(welcome.readAt, null);
    assert.ok(!Number.isNaN(Date.parse(welcome.createdAt)));
  });

  test("another user sees only their own welcome, and cannot touch anyone else's", async () => {
    bob = await register();
    const [bobs] = await welcomeOf(bob);
    assert.equal(bobs.title, 'Welcome to souk!');
    const anns = (await list(ann.token)).json.items;
    assert.equal(anns.length, 1);
    assert.notEqual(anns[0].id, bobs.id);
    assertProblem(
      await call(h.svc.url, 'POST', `${API}/${anns[0].id}/read`, { token: bob.token }),
      404,
      'SOUK_NOTIFICATIONS_NOT_FOUND',
    );
    assert.equal((await list(ann.token)).json.items[0].readAt, null, "bob marked ann's message read");
    const stranger = await h.tokenFor('7d3f1f9e-2b7a-4c1e-9d1b-0a6f2c3e4d5f');
    assert.deepEqual((await list(stranger)).json, { items: [], nextBefore: null });
  });

  test('marking read sets readAt once; marking again keeps the first time', async () => {
    const [welcome] = (await list(ann.token)).json.items;
    const first = await call(h.svc.url, 'POST', `${API}/${welcome.id}/read`, { token: ann.token });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.json.id, welcome.id);
    assert.ok(!Number.isNaN(Date.parse(first.json.readAt)));
    const again = await call(h.svc.url, 'POST', `${API}/${welcome.id}/read`, { token: ann.token });
    assert.equal(again.json.readAt, first.json.readAt);
    assert.deepEqual((await list(ann.token)).json.items[0], first.json);
  });

  test('the feed read again from the start adds nothing (the inbox skips every event)', async () => {
    await caughtUp();
    const rows = await count(h.svc.ctx.db, 'notifications');
    const handled = await count(h.svc.ctx.db, 'souk_inbox');
    assert.equal(rows, 2);
    await h.restart(() => rewind(false));
    await caughtUp();
    assert.equal(await count(h.svc.ctx.db, 'notifications'), rows);
    assert.equal(await count(h.svc.ctx.db, 'souk_inbox'), handled);
  });

  test('even with the inbox forgotten, handling every event again keeps one welcome per user', async () => {
    await caughtUp();
    const before = (await list(ann.token)).json.items;
    await h.restart(() => rewind(true));
    await caughtUp();
    // The handler ran again for each event (the inbox is refilled in its transaction)...
    assert.equal(await count(h.svc.ctx.db, 'souk_inbox'), 2);
    assert.equal(await count(h.svc.ctx.db, 'souk_dead_letter'), 0);
    // ...and the unique keys kept the messages as they were.
    assert.equal(await count(h.svc.ctx.db, 'notifications'), 2);
    assert.deepEqual((await list(ann.token)).json.items, before);
  });

  test("a sign-up with ann's email (any case) warns ann, and creates nothing for anyone else", async () => {
    const res = await signup(identity.url, ann.email.toUpperCase(), 'Someone-Elses-Pass-9');
    assert.equal(res.status, 202);
    const items = await waitFor(
      async () => {
        const list = (await call(h.svc.url, 'GET', API, { token: ann.token })).json.items as Array<{ kind: string }>;
        return list.some((i) => i.kind === 'sign-up-attempt') ? list : undefined;
      },
      { what: `the sign-up warning of ${ann.email}` },
    );
    const [warning] = items;
    assert.equal(warning!.kind, 'sign-up-attempt');
    assert.equal((warning as { title?: string }).title, 'Someone tried to sign up with your email');
    assert.match((warning as { body?: string }).body ?? '', new RegExp(ann.email.replace(/[.]/g, '\\.')));
    await caughtUp();
    assert.equal(await count(h.svc.ctx.db, 'notifications'), 3);
    assert.equal((await list(bob.token)).json.items.length, 1);
  });
});

/**
 * Moves the notifications service's identity cursor back to the start (and,
 * if asked, forgets the inbox). Done while the instance is down: a running
 * consumer would move the cursor forward again when its held poll returns.
 */
async function rewind(forgetInbox: boolean): Promise<void> {
  await h.query(`update souk_feed_cursor set position = 0, lease_owner = null, lease_until = null where producer = 'identity'`);
  if (forgetInbox) await h.query('delete from souk_inbox');
}
