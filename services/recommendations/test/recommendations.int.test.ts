// Recommendations end to end: a stand-in orders service publishes
// OrderConfirmed, recommendations reads its feed and counts; the counts do not
// move when an order comes again (another event id, or the whole feed replayed
// with the inbox forgotten); the reads, their limits and validation. (Slow or
// failing on purpose is the chassis's `faults` setting: platform/config's tests.)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { API, assertProblem, call, nameOf, startRecommendations, type Harness } from './harness.ts';

let h: Harness;
const [P1, P2, P3, P4, P5, P6] = Array.from({ length: 6 }, () => randomUUID()) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
let o2: string;

before(async () => {
  h = await startRecommendations('api');
  await h.confirm([P1, P2, P3]);
  o2 = await h.confirm([P1, P2]);
  await h.confirm([P1, { id: P4, quantity: 5 }]);
  await h.confirm([{ id: P2, quantity: 2 }, P3]);
  await h.confirm([P5]);
  // Forty days ago: in the all-time bestsellers, not in the last thirty days.
  await h.confirm([{ id: P6, quantity: 10 }], { confirmedAt: new Date(Date.now() - 40 * 86_400_000) });
  await h.caughtUp();
});
after(async () => {
  await h?.close();
});

const get = (path: string) => call(h.svc.url, 'GET', path);
const ids = (res: { json: { items: { productId: string }[] } }) => res.json.items.map((i) => i.productId);
const sortedIds = (...xs: string[]) => [...xs].sort();

async function counts() {
  const db = h.svc.ctx.db;
  return {
    pairs: (await sql`select product_id, other_id, orders from co_purchases order by 1, 2`.execute(db)).rows,
    sales: (await sql`select product_id, units, orders from product_sales order by 1`.execute(db)).rows,
    daily: (await sql`select product_id, day::text, units, orders from daily_sales order by 1, 2`.execute(db)).rows,
  };
}

describe('bought together', () => {
  test('products most often bought with one product, with counts and names', async () => {
    const res = await get(`${API}?productId=${P1}`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.basedOn, [P1]);
    assert.deepEqual(res.json.items[0], { productId: P2, name: nameOf(P2), count: 2 });
    assert.deepEqual(
      res.json.items.slice(1).map((i: { productId: string; count: number }) => [i.productId, i.count]),
      sortedIds(P3, P4).map((id) => [id, 1]),
    );
  });

  test('for a cart: merged over its products, its own products left out', async () => {
    const res = await get(`${API}?productIds=${P1},${P2.toUpperCase()}`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.basedOn, [P1, P2]);
    assert.deepEqual(
      res.json.items.map((i: { productId: string; count: number }) => [i.productId, i.count]),
      [
        [P3, 3],
        [P4, 1],
      ],
    );
  });

  test('limit, and an unknown product (nothing known yet: the caller falls back to bestsellers)', async () => {
    assert.deepEqual(ids(await get(`${API}?productId=${P1}&limit=1`)), [P2]);
    assert.deepEqual((await get(`${API}?productId=${randomUUID()}`)).json.items, []);
    assert.deepEqual((await get(`${API}?productId=${P5}`)).json.items, [], 'bought alone: nothing with it');
  });
});

describe('bestsellers', () => {
  test('all time by units, and over the last 30 days', async () => {
    const all = await get(`${API}/bestsellers`);
    assert.equal(all.status, 200, all.text);
    assert.equal(all.json.windowDays, null);
    assert.deepEqual(
      all.json.items.map((i: { productId: string; units: number; orders: number }) => [i.productId, i.units, i.orders]),
      [
        [P6, 10, 1],
        [P4, 5, 1],
        [P2, 4, 3],
        [P1, 3, 3],
        [P3, 2, 2],
        [P5, 1, 1],
      ],
    );
    assert.equal(all.json.items[0].name, nameOf(P6));
    const recent = await get(`${API}/bestsellers?days=30&limit=2`);
    assert.equal(recent.json.windowDays, 30);
    assert.deepEqual(ids(recent), [P4, P2]);
  });
});

describe('counted once', () => {
  test('the same order confirmed again under another event id adds nothing', async () => {
    const before = await counts();
    await h.confirm([P1, P2], { orderId: o2 });
    await h.caughtUp();
    assert.deepEqual(await counts(), before);
  });

  test('the whole feed handled again with the inbox forgotten (a replay) adds nothing', async () => {
    const before = await counts();
    const { rows } = await sql<{ now: Date }>`select now()`.execute(h.svc.ctx.db);
    await h.svc.ctx.events.replay();
    await h.caughtUp();
    // Handled after the replay began, each of them: the same 7 rows left in place would look alike by their count.
    const inbox = await sql<{ n: number }>`select count(*)::int as n from souk_inbox where handled_at > ${rows[0]!.now}`.execute(
      h.svc.ctx.db,
    );
    assert.equal(inbox.rows[0]!.n, 7, 'every event handled again');
    assert.deepEqual(await counts(), before);
  });

  test('a newer confirmation renames a product; an older one does not', async () => {
    await h.confirm([{ id: P5, quantity: 1, name: 'Renamed' }]);
    await h.confirm([{ id: P5, quantity: 1, name: 'Old name' }], { confirmedAt: new Date(Date.now() - 86_400_000) });
    await h.caughtUp();
    const top = (await get(`${API}/bestsellers?limit=50`)).json.items.find((i: { productId: string }) => i.productId === P5);
    assert.deepEqual(top, { productId: P5, name: 'Renamed', units: 3, orders: 3 });
  });
});

describe('bad input is a 400 problem, never 5xx', () => {
  test('which products', async () => {
    assertProblem(await get(API), 400, 'SOUK_RECOMMENDATIONS_QUERY_INVALID');
    assertProblem(await get(`${API}?productId=${P1}&productIds=${P2}`), 400, 'SOUK_RECOMMENDATIONS_QUERY_INVALID');
    assertProblem(await get(`${API}?productIds=${P1},nope`), 400, 'SOUK_RECOMMENDATIONS_QUERY_INVALID');
    assertProblem(await get(`${API}?productIds=${P1},,${P2}`), 400, 'SOUK_RECOMMENDATIONS_QUERY_INVALID');
    const many = Array.from({ length: 51 }, () => randomUUID()).join(',');
    assertProblem(await get(`${API}?productIds=${many}`), 400, 'SOUK_RECOMMENDATIONS_QUERY_INVALID');
    assertProblem(await get(`${API}?productId=not-a-uuid`), 400, 'SOUK_REQUEST_INVALID');
  });

  test('limits and windows', async () => {
    for (const limit of ['0', '51', 'ten', '2.5', '-1']) {
      assertProblem(await get(`${API}?productId=${P1}&limit=${limit}`), 400, 'SOUK_REQUEST_INVALID');
      assertProblem(await get(`${API}/bestsellers?limit=${limit}`), 400, 'SOUK_REQUEST_INVALID');
    }
    for (const days of ['0', '366', 'week'])
      assertProblem(await get(`${API}/bestsellers?days=${days}`), 400, 'SOUK_REQUEST_INVALID');
  });
});
