// The notifications API on its own (messages recorded directly, no identity):
// who may call it, paging newest first, and bad input answered with 4xx problems.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { recordNotification } from '../src/notifications/notification-store.ts';
import { API, assertProblem, call, startNotifications, type Harness } from './harness.ts';

let h: Harness;
const user = randomUUID();
let token: string;

before(async () => {
  h = await startNotifications('notifications_api');
  token = await h.tokenFor(user);
});
after(async () => {
  await h?.close();
});

// null: no Authorization header at all.
const get = (path: string, t: string | null = token) => call(h.svc.url, 'GET', path, t ? { token: t } : {});
const read = (id: string, t: string | null = token) => call(h.svc.url, 'POST', `${API}/${id}/read`, t ? { token: t } : {});

async function record(userId: string, createdAt: Date, title = 'Welcome to souk!') {
  const ok = await recordNotification(h.svc.ctx.db, {
    userId,
    kind: 'welcome',
    title,
    body: 'Your account is ready.',
    event: { source: 'urn:test', id: randomUUID() },
    createdAt,
  });
  assert.equal(ok, true);
}

describe('who may call', () => {
  test('no token or a bad one: 401, before the input is looked at', async () => {
    assertProblem(await get(API, null), 401, 'SOUK_AUTH_TOKEN_MISSING');
    assertProblem(await get(`${API}?limit=0`, null), 401, 'SOUK_AUTH_TOKEN_MISSING');
    assertProblem(await read(randomUUID(), null), 401, 'SOUK_AUTH_TOKEN_MISSING');
    assertProblem(await read('not-a-uuid', null), 401, 'SOUK_AUTH_TOKEN_MISSING');
    assertProblem(await get(API, 'not.a.jwt'), 401, 'SOUK_AUTH_TOKEN_INVALID');
  });

  test('a service token (its subject is a client id): 403', async () => {
    const service = await h.issuer.token({ sub: 'svc-orders', roles: [] });
    assertProblem(await get(API, service), 403, 'SOUK_AUTH_FORBIDDEN');
  });

  test('an unknown id: 404', async () => {
    assertProblem(await read(randomUUID()), 404, 'SOUK_NOTIFICATIONS_NOT_FOUND');
  });
});

describe('one welcome per user, whatever the events say', () => {
  test('a second welcome for the same user (another event id) is not recorded', async () => {
    const someone = randomUUID();
    await record(someone, new Date());
    const again = await recordNotification(h.svc.ctx.db, {
      userId: someone,
      kind: 'welcome',
      title: 'Again',
      body: '',
      event: { source: 'urn:test', id: randomUUID() },
      createdAt: new Date(),
    });
    assert.equal(again, false);
    assert.equal((await get(API, await h.tokenFor(someone))).json.items.length, 1);
  });
});

describe('paging', () => {
  before(async () => {
    // Paging is about many notifications of one user, but welcome is the only
    // kind so far and a user gets one; this throwaway database lifts that rule.
    await h.query('drop index notifications_one_welcome_per_user');
    const base = Date.parse('2025-06-01T12:00:00.000Z');
    for (let i = 0; i < 5; i++) await record(user, new Date(base + i * 60_000), `n${i}`);
    // Two at the same instant: the cursor must neither repeat nor skip one of them.
    await record(user, new Date(base + 2 * 60_000), 'n2b');
  });

  test('newest first, default page size, nothing of other users', async () => {
    const res = await get(API);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.items.length, 6);
    assert.equal(res.json.nextBefore, null);
    const times = res.json.items.map((n: { createdAt: string }) => Date.parse(n.createdAt));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    assert.equal(res.json.items[0].title, 'n4');
  });

  test('the before cursor walks every notification once', async () => {
    const seen: string[] = [];
    let before: string | null = null;
    let pages = 0;
    do {
      const res = await get(`${API}?limit=2${before ? `&before=${before}` : ''}`);
      assert.equal(res.status, 200, res.text);
      assert.ok(res.json.items.length <= 2);
      seen.push(...res.json.items.map((n: { title: string }) => n.title));
      before = res.json.nextBefore;
      pages++;
    } while (before && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual([...seen].sort(), ['n0', 'n1', 'n2', 'n2b', 'n3', 'n4']);
    assert.equal(new Set(seen).size, 6);
  });
});

describe('bad input is a 400 problem, never 5xx', () => {
  test('limit out of range or not a number', async () => {
    for (const limit of ['0', '101', 'ten', '2.5', '-1']) {
      assertProblem(await get(`${API}?limit=${limit}`), 400, 'SOUK_REQUEST_INVALID');
    }
  });

  test('a cursor this service did not make', async () => {
    for (const before of ['garbage', Buffer.from('2025-01-01T00:00:00.000Z|nope').toString('base64url'), '%00']) {
      assertProblem(await get(`${API}?before=${before}`), 400, 'SOUK_NOTIFICATIONS_CURSOR_INVALID');
    }
    assertProblem(await get(`${API}?before=${'x'.repeat(201)}`), 400, 'SOUK_REQUEST_INVALID');
  });

  test('an id that is not a UUID', async () => {
    for (const id of ['not-a-uuid', '123', `${randomUUID()}x`]) {
      assertProblem(await read(id), 400, 'SOUK_REQUEST_INVALID');
    }
  });
});
