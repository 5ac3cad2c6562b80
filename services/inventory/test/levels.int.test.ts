// Stock levels over HTTP against a real PostgreSQL: anonymous reads (one, or
// several with unknown products at 0), admin or inventory:levels:write writes, bad input,
// and StockLow published when available crosses the threshold, not on every sale.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { API, assertProblem, call, outbox, startInventory, type Harness } from './harness.ts';

let h: Harness;

before(async () => {
  h = await startInventory('inventory_levels', { env: { INVENTORY_LOW_STOCK_THRESHOLD: '3' } });
});
after(async () => {
  await h?.close();
});

const putLevel = (productId: string, body: unknown, token: string | null = h.adminToken) =>
  call(h.svc.url, 'PUT', `${API}/${productId}`, { body, ...(token ? { token } : {}) });
const reserve = (productId: string, quantity: number) =>
  call(h.svc.url, 'PUT', `${API}/reservations/${randomUUID()}`, {
    token: h.serviceToken,
    body: { orderId: randomUUID(), items: [{ productId, quantity }] },
  });
const lows = async (productId: string) =>
  (await outbox(h, 'StockLow')).filter((e) => e.data.productId === productId).map((e) => e.data);

describe('reading levels', () => {
  test('one product, anonymously; an unknown one is 404', async () => {
    const productId = randomUUID();
    const put = await putLevel(productId, { onHand: 12 });
    assert.equal(put.status, 200, put.text);
    const res = await call(h.svc.url, 'GET', `${API}/${productId}`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {
      productId,
      onHand: 12,
      reserved: 0,
      available: 12,
      lowStockThreshold: 3,
      updatedAt: new Date(h.clock.now()).toISOString(),
    });
    assertProblem(await call(h.svc.url, 'GET', `${API}/${randomUUID()}`), 404, 'SOUK_INVENTORY_LEVEL_NOT_FOUND');
  });

  test('several at once, in the order asked; unknown products have 0 available', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const unknown = randomUUID();
    await putLevel(a, { onHand: 5 });
    await putLevel(b, { onHand: 7 });
    await reserve(b, 2);
    const res = await call(h.svc.url, 'GET', `${API}?productIds=${b},${unknown.toUpperCase()}, ${a},${b}`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.json.items.map((l: { productId: string; available: number; reserved: number; updatedAt: string | null }) => [
        l.productId,
        l.available,
        l.reserved,
        l.updatedAt === null,
      ]),
      [
        [b, 5, 2, false],
        [unknown, 0, 0, true],
        [a, 5, 0, false],
      ],
    );
  });

  test('bad productIds: 400', async () => {
    for (const q of [
      '',
      '?productIds=',
      '?productIds=nope',
      `?productIds=${randomUUID()},x`,
      '?productIds=,,,',
      `?productIds=${Array.from({ length: 101 }, () => randomUUID()).join(',')}`,
    ]) {
      assertProblem(await call(h.svc.url, 'GET', `${API}${q}`), 400, 'SOUK_REQUEST_INVALID');
    }
    assertProblem(await call(h.svc.url, 'GET', `${API}/not-a-uuid`), 400, 'SOUK_REQUEST_INVALID');
  });
});

describe('setting levels', () => {
  test('an admin or a service granted inventory:levels:write may; a customer or nobody may not', async () => {
    const productId = randomUUID();
    assertProblem(await putLevel(productId, { onHand: -1 }, null), 401, 'SOUK_AUTH_TOKEN_MISSING');
    assertProblem(await putLevel(productId, { onHand: 1 }, h.customerToken), 403, 'SOUK_AUTH_FORBIDDEN');
    assert.equal((await putLevel(productId, { onHand: 1 }, h.serviceToken)).status, 200);
    const admin = await putLevel(productId, { onHand: 9, lowStockThreshold: 1 });
    assert.deepEqual([admin.json.onHand, admin.json.lowStockThreshold], [9, 1]);
    // Leaving the threshold out keeps the one there is.
    assert.equal((await putLevel(productId, { onHand: 8 })).json.lowStockThreshold, 1);
  });

  test('bad bodies: 400', async () => {
    for (const body of [
      {},
      { onHand: -1 },
      { onHand: 1.5 },
      { onHand: '3' },
      { onHand: 1_000_000_001 },
      { onHand: 1, lowStockThreshold: -1 },
      { onHand: 1, extra: true },
    ]) {
      assertProblem(await putLevel(randomUUID(), body), 400, 'SOUK_REQUEST_INVALID');
    }
  });

  test('on hand cannot go below the reserved units: 409', async () => {
    const productId = randomUUID();
    await putLevel(productId, { onHand: 10 });
    await reserve(productId, 6);
    const res = await putLevel(productId, { onHand: 5 });
    assertProblem(res, 409, 'SOUK_INVENTORY_ON_HAND_BELOW_RESERVED');
    assert.equal(res.json.reserved, 6);
    assert.equal((await putLevel(productId, { onHand: 6 })).json.available, 0);
  });
});

describe('StockLow', () => {
  test('published once when available falls to the threshold, not on every sale below it; again after a restock', async () => {
    const productId = randomUUID();
    await putLevel(productId, { onHand: 10 }); // threshold 3
    await reserve(productId, 6); // 4 left: above
    assert.deepEqual(await lows(productId), []);
    await reserve(productId, 1); // 3 left: crossed
    await reserve(productId, 1); // 2 left: already low
    await reserve(productId, 2); // 0 left
    const first = await lows(productId);
    assert.equal(first.length, 1);
    assert.deepEqual({ ...first[0], at: undefined }, { productId, available: 3, threshold: 3, at: undefined });
    assert.ok(first.every((d) => typeof d.at === 'string'));

    // A restock lifts it above the threshold; the next fall is news again, also through an admin's write.
    await putLevel(productId, { onHand: 30 });
    assert.equal((await lows(productId)).length, 1);
    await putLevel(productId, { onHand: 12 }); // 10 reserved: 2 available
    const second = await lows(productId);
    assert.equal(second.length, 2);
    assert.equal(second[1]!.available, 2);
  });

  test('a new level that starts low announces nothing', async () => {
    const productId = randomUUID();
    await putLevel(productId, { onHand: 1 });
    assert.deepEqual(await lows(productId), []);
  });
});
