// The read model end to end: four producers publish one order's events in a
// scrambled order (a capture before the order was placed), order-history reads
// their feeds and converges to the view the reducer computes; who may read it;
// paging newest first; the projection lag; bad input answered with 4xx.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { emptyFacts, evolve } from '../src/projection/order-facts.ts';
import { project } from '../src/projection/order-view.ts';
import { orderStory, type OrderStory } from './order-events.ts';
import { API, assertProblem, call, startHistory, type Harness } from './harness.ts';

let h: Harness;
let story: OrderStory;
let token: string;

before(async () => {
  h = await startHistory('projection');
  story = orderStory();
  token = await h.tokenFor(story.userId);
});
after(async () => {
  await h?.close();
});

const get = (path: string, t: string | null = token) => call(h.svc.url, 'GET', path, t ? { token: t } : {});
/** The view the pure reducer gives for these events, as the API shows it. */
function expected(events: OrderStory['events']) {
  const { userId: _owner, ...view } = project(events.reduce(evolve, emptyFacts(events[0]!.data.orderId)));
  return view;
}

describe('converging from events in any order', () => {
  test('a capture that arrives before the order: kept, not listed until an event names the user', async () => {
    await h.publish(story.events[5]!); // PaymentCaptured (no userId in it)
    await h.caughtUp();
    assert.deepEqual((await get(API)).json.items, []);
    assertProblem(await get(`${API}/${story.orderId}`), 404, 'SOUK_ORDER_HISTORY_NOT_FOUND');
    const asAdmin = await get(`${API}/${story.orderId}`, await h.adminToken());
    assert.equal(asAdmin.status, 200, asAdmin.text);
    assert.equal(asAdmin.json.payment.status, 'CAPTURED');
    assert.equal(asAdmin.json.items, null);
  });

  test('the rest, producer by producer in reverse, ends as the reducer says', async () => {
    // Shipping, then inventory, then payments, then orders: each producer's own events in their order.
    const order = ['shipping', 'inventory', 'payments', 'orders'];
    const producerOf = (type: string) =>
      type.startsWith('Payment')
        ? 'payments'
        : type.startsWith('Stock')
          ? 'inventory'
          : /Ship/.test(type)
            ? 'shipping'
            : 'orders';
    for (const producer of order) {
      for (const e of story.events) if (e !== story.events[5] && producerOf(e.type) === producer) await h.publish(e);
    }
    await h.caughtUp();
    const res = await get(API);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.items.length, 1);
    assert.equal(res.json.items[0].status, 'CANCELLED');
    assert.equal(res.json.items[0].payment.status, 'REFUNDED');
    assert.deepEqual(res.json.items[0], expected(story.events));
    assert.deepEqual(res.json.projection, { lagSeconds: 0, rebuilding: false });
    assert.deepEqual((await get(`${API}/${story.orderId}`)).json, expected(story.events));
  });
});

describe('who may read', () => {
  test('another user sees nothing of it; a service token is refused; no token is a 401', async () => {
    const stranger = await h.tokenFor(randomUUID());
    assert.deepEqual((await get(API, stranger)).json.items, []);
    assertProblem(await get(`${API}/${story.orderId}`, stranger), 404, 'SOUK_ORDER_HISTORY_NOT_FOUND');
    const service = await h.issuer.token({ sub: 'svc-orders', roles: [] });
    assertProblem(await get(API, service), 403, 'SOUK_AUTH_FORBIDDEN');
    assertProblem(await get(API, null), 401, 'SOUK_AUTH_TOKEN_MISSING');
    assertProblem(await get(`${API}?limit=0`, null), 401, 'SOUK_AUTH_TOKEN_MISSING');
    assertProblem(await get(`${API}/${story.orderId}`, null), 401, 'SOUK_AUTH_TOKEN_MISSING');
  });
});

describe('paging', () => {
  test('newest first; the cursor walks every order once, ties included', async () => {
    const userId = randomUUID();
    const mine = await h.tokenFor(userId);
    // Five orders a minute apart, and two placed at the same instant.
    const stories = [0, 1, 2, 3, 4, 2].map((minute) => orderStory({ userId, startMinutes: 100 + minute }));
    for (const s of stories) await h.publish(s.events[0]!);
    await h.caughtUp();
    const all = (await get(`${API}?limit=100`, mine)).json.items.map((i: { orderId: string }) => i.orderId);
    assert.equal(all.length, 6);
    assert.equal(all[0], stories[4]!.orderId, 'newest first');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`${API}?limit=2${cursor ? `&before=${cursor}` : ''}`, mine);
      assert.equal(res.status, 200, res.text);
      seen.push(...res.json.items.map((i: { orderId: string }) => i.orderId));
      cursor = res.json.nextBefore;
      pages++;
    } while (cursor && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(seen, all);
  });
});

describe('projection lag', () => {
  test('anyone may read it: per producer, what was handled and how far behind', async () => {
    await h.caughtUp();
    const res = await get(`${API}/lag`, null);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.transport, 'feed');
    assert.equal(res.json.lagSeconds, 0);
    assert.deepEqual(
      res.json.producers.map((p: { producer: string }) => p.producer),
      ['orders', 'payments', 'inventory', 'shipping'],
    );
    const orders = res.json.producers[0];
    assert.equal(orders.eventsHandled, 9, 'three of the story and six OrderPlaced');
    assert.equal(orders.pending, 0);
    assert.ok(orders.position >= 9);
    assert.ok(!Number.isNaN(Date.parse(orders.lastEventAt)));
    assert.equal(res.json.rows, 7);
    assert.equal(res.json.rebuild, null);
    // A token, even a bad one, changes nothing: the lag is public.
    assert.equal((await get(`${API}/lag`, 'not.a.jwt')).status, 200);
  });
});

describe('bad input is a 400 problem, never 5xx', () => {
  test('limit, cursor, order id', async () => {
    for (const limit of ['0', '101', 'ten', '2.5', '-1'])
      assertProblem(await get(`${API}?limit=${limit}`), 400, 'SOUK_REQUEST_INVALID');
    for (const before of ['garbage', Buffer.from('2025-01-01T00:00:00.000Z|nope').toString('base64url')]) {
      assertProblem(await get(`${API}?before=${before}`), 400, 'SOUK_ORDER_HISTORY_CURSOR_INVALID');
    }
    assertProblem(await get(`${API}?before=${'x'.repeat(201)}`), 400, 'SOUK_REQUEST_INVALID');
    for (const id of ['not-a-uuid', '123', `${randomUUID()}x`])
      assertProblem(await get(`${API}/${id}`), 400, 'SOUK_REQUEST_INVALID');
  });
});
