// The reservation API against a real PostgreSQL: who may call it, bad input,
// idempotency by reservation id (replay, conflicting body, release before
// reserve), and each step's effect on the level and the event it publishes.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Capability } from '@souk/chassis';
import {
  API,
  assertProblem,
  call,
  INVENTORY_CAPABILITIES,
  levelRow,
  outbox,
  startInventory,
  type Answer,
  type Harness,
} from './harness.ts';

let h: Harness;

before(async () => {
  h = await startInventory('inventory_reservations');
});
after(async () => {
  await h?.close();
});

async function stocked(onHand: number, lowStockThreshold = 0): Promise<string> {
  const productId = randomUUID();
  const res = await call(h.svc.url, 'PUT', `${API}/${productId}`, { token: h.adminToken, body: { onHand, lowStockThreshold } });
  assert.equal(res.status, 200, res.text);
  return productId;
}

const path = (id: string) => `${API}/reservations/${id}`;
// null: no Authorization header at all.
const put = (id: string, body: unknown, token: string | null = h.serviceToken) =>
  call(h.svc.url, 'PUT', path(id), { body, ...(token ? { token } : {}) });
const post = (id: string, step: 'release' | 'commit', body?: unknown) =>
  call(h.svc.url, 'POST', `${path(id)}/${step}`, { token: h.serviceToken, ...(body !== undefined ? { body } : {}) });
const available = async (productId: string) => (await call(h.svc.url, 'GET', `${API}/${productId}`)).json.available as number;
const eventsFor = async (type: string, reservationId: string) =>
  (await outbox(h, type)).filter((e) => e.subject === reservationId);

describe('who may call', () => {
  test('no token: 401 before the input is looked at; a customer or an admin without the capability: 403', async () => {
    assertProblem(await put(randomUUID(), { nonsense: true }, null), 401, 'SOUK_AUTH_TOKEN_MISSING');
    assertProblem(await call(h.svc.url, 'GET', path(randomUUID())), 401, 'SOUK_AUTH_TOKEN_MISSING');
    assertProblem(await call(h.svc.url, 'POST', `${path(randomUUID())}/release`), 401, 'SOUK_AUTH_TOKEN_MISSING');
    const body = { orderId: randomUUID(), items: [{ productId: randomUUID(), quantity: 1 }] };
    assertProblem(await put(randomUUID(), body, h.customerToken), 403, 'SOUK_AUTH_FORBIDDEN');
    assertProblem(await put(randomUUID(), body, h.adminToken), 403, 'SOUK_AUTH_FORBIDDEN');
  });

  test('each route needs its own capability: every other inventory scope (and feed scope) gets 403, its own passes', async () => {
    const productId = await stocked(5);
    const id = randomUUID();
    const routes: { capability: Capability; send(token: string): Promise<Answer> }[] = [
      {
        capability: 'inventory:reserve',
        send: (token) => put(id, { orderId: randomUUID(), items: [{ productId, quantity: 1 }] }, token),
      },
      { capability: 'inventory:reservations:read', send: (token) => call(h.svc.url, 'GET', path(id), { token }) },
      { capability: 'inventory:commit', send: (token) => call(h.svc.url, 'POST', `${path(id)}/commit`, { token }) },
      { capability: 'inventory:release', send: (token) => call(h.svc.url, 'POST', `${path(id)}/release`, { token }) },
      {
        capability: 'inventory:levels:write',
        send: (token) => call(h.svc.url, 'PUT', `${API}/${productId}`, { token, body: { onHand: 5 } }),
      },
    ];
    const tokenWith = (scopes: string[]) => h.issuer.token({ sub: 'svc-someone', roles: [], scopes });
    for (const { capability, send } of routes) {
      const others = INVENTORY_CAPABILITIES.filter((c) => c !== capability);
      const wrong = await send(await tokenWith([...others, 'events:read:inventory', 'payments:authorize']));
      assertProblem(wrong, 403, 'SOUK_AUTH_FORBIDDEN');
      assert.match(wrong.json.detail, new RegExp(capability));
      const right = await send(await tokenWith([capability]));
      assert.ok([200, 201].includes(right.status), `${capability}: ${right.status} ${right.text}`);
    }
  });
});

describe('bad input is a 400 problem', () => {
  test('malformed bodies and ids', async () => {
    const productId = randomUUID();
    const orderId = randomUUID();
    for (const body of [
      {},
      { orderId },
      { orderId, items: [] },
      { orderId: 'nope', items: [{ productId, quantity: 1 }] },
      { orderId, items: [{ productId, quantity: 0 }] },
      { orderId, items: [{ productId, quantity: 1.5 }] },
      { orderId, items: [{ productId, quantity: 100_001 }] },
      { orderId, items: [{ productId: 'x', quantity: 1 }] },
      { orderId, items: [{ productId, quantity: 1 }], ttlSeconds: 0 },
      { orderId, items: [{ productId, quantity: 1 }], extra: 1 },
      {
        orderId,
        items: [
          { productId, quantity: 1 },
          { productId: productId.toUpperCase(), quantity: 2 },
        ],
      },
    ]) {
      assertProblem(await put(randomUUID(), body), 400, 'SOUK_REQUEST_INVALID');
    }
    assertProblem(await put('not-a-uuid', { orderId, items: [{ productId, quantity: 1 }] }), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await post(randomUUID(), 'release', { reason: '' }), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await post(randomUUID(), 'release', { why: 'x' }), 400, 'SOUK_REQUEST_INVALID');
  });
});

describe('reserve', () => {
  test('first time 201 HELD with the units set aside and StockReserved; the same request again 200, same answer, nothing more', async () => {
    const p1 = await stocked(10);
    const p2 = await stocked(10);
    const id = randomUUID();
    const body = {
      orderId: randomUUID(),
      items: [
        { productId: p2, quantity: 2 },
        { productId: p1, quantity: 3 },
      ],
      ttlSeconds: 120,
    };
    const first = await put(id, body);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.headers.get('location'), path(id));
    assert.equal(first.json.status, 'HELD');
    assert.equal(first.json.orderId, body.orderId);
    assert.deepEqual(
      first.json.items,
      [...body.items].sort((a, b) => a.productId.localeCompare(b.productId)),
    );
    assert.equal(Date.parse(first.json.expiresAt), h.clock.now() + 120_000);
    assert.equal(await available(p1), 7);
    assert.equal(await available(p2), 8);

    // Lines in another order are the same request.
    const again = await put(id, { ...body, items: [...body.items].reverse() });
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json, first.json);
    assert.equal(await available(p1), 7);
    const [reserved, ...more] = await eventsFor('StockReserved', id);
    assert.equal(more.length, 0);
    assert.deepEqual(reserved!.data, {
      reservationId: id,
      orderId: body.orderId,
      items: first.json.items,
      expiresAt: first.json.expiresAt,
      reservedAt: new Date(h.clock.now()).toISOString(),
    });
    assert.deepEqual((await call(h.svc.url, 'GET', path(id), { token: h.serviceToken })).json, first.json);
  });

  test('the same id with another body: 409 conflict, stock untouched', async () => {
    const p = await stocked(10);
    const id = randomUUID();
    const body = { orderId: randomUUID(), items: [{ productId: p, quantity: 1 }] };
    assert.equal((await put(id, body)).status, 201);
    for (const other of [
      { ...body, orderId: randomUUID() },
      { ...body, items: [{ productId: p, quantity: 2 }] },
    ]) {
      const res = await put(id, other);
      assertProblem(res, 409, 'SOUK_INVENTORY_RESERVATION_CONFLICT');
      assert.equal(res.json.reservationStatus, 'HELD');
    }
    // Another ttl is the same hold (the caller's setting may change between its retries): a replay.
    assert.equal((await put(id, { ...body, ttlSeconds: 60 })).status, 200);
    assert.equal(await available(p), 9);
  });

  test('an unknown product has nothing available', async () => {
    const productId = randomUUID();
    const res = await put(randomUUID(), { orderId: randomUUID(), items: [{ productId, quantity: 1 }] });
    assertProblem(res, 409, 'SOUK_INVENTORY_INSUFFICIENT_STOCK');
    assert.deepEqual([res.json.productId, res.json.requested, res.json.available], [productId, 1, 0]);
  });

  test('a refused reserve leaves no reservation behind: the id can be used again', async () => {
    const p = await stocked(1);
    const id = randomUUID();
    const orderId = randomUUID();
    assertProblem(await put(id, { orderId, items: [{ productId: p, quantity: 2 }] }), 409, 'SOUK_INVENTORY_INSUFFICIENT_STOCK');
    assertProblem(await call(h.svc.url, 'GET', path(id), { token: h.serviceToken }), 404, 'SOUK_INVENTORY_RESERVATION_NOT_FOUND');
    assert.equal((await put(id, { orderId, items: [{ productId: p, quantity: 1 }] })).status, 201);
  });
});

describe('release', () => {
  test('HELD → RELEASED: units back, StockReleased once; releasing again changes nothing', async () => {
    const p = await stocked(5);
    const id = randomUUID();
    const orderId = randomUUID();
    await put(id, { orderId, items: [{ productId: p, quantity: 4 }] });
    const released = await post(id, 'release', { reason: 'PAYMENT_DECLINED' });
    assert.equal(released.status, 200, released.text);
    assert.equal(released.json.status, 'RELEASED');
    assert.equal(await available(p), 5);
    const again = await post(id, 'release');
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.json, released.json);
    const events = await eventsFor('StockReleased', id);
    assert.equal(events.length, 1);
    assert.deepEqual(
      { ...events[0]!.data, releasedAt: undefined },
      { reservationId: id, orderId, items: [{ productId: p, quantity: 4 }], reason: 'released', releasedAt: undefined },
    );
    // Released means given up: the same reserve again is refused, it does not hold stock anew.
    assertProblem(await put(id, { orderId, items: [{ productId: p, quantity: 4 }] }), 409, 'SOUK_INVENTORY_RESERVATION_CONFLICT');
    assert.equal(await available(p), 5);
  });

  test('release before reserve leaves a tombstone: the late reserve is refused', async () => {
    const p = await stocked(5);
    const id = randomUUID();
    const tombstone = await post(id, 'release', { reason: 'STEP_TIMED_OUT' });
    assert.equal(tombstone.status, 200, tombstone.text);
    assert.deepEqual(
      { ...tombstone.json, updatedAt: undefined },
      { id, orderId: null, status: 'RELEASED', items: [], expiresAt: null, updatedAt: undefined },
    );
    const late = await put(id, { orderId: randomUUID(), items: [{ productId: p, quantity: 1 }] });
    assertProblem(late, 409, 'SOUK_INVENTORY_RESERVATION_CONFLICT');
    assert.equal(await available(p), 5);
    assert.equal((await eventsFor('StockReleased', id)).length, 0);
    assert.equal((await post(id, 'release')).status, 200);
  });

  test('a release racing its reserve: whichever comes first, no units stay held', async () => {
    const p = await stocked(50);
    const ids = Array.from({ length: 20 }, () => randomUUID());
    await Promise.all(
      ids.flatMap((id) => [put(id, { orderId: randomUUID(), items: [{ productId: p, quantity: 1 }] }), post(id, 'release')]),
    );
    // A reserve that won is then released by the release behind it; one that lost is refused.
    const row = await levelRow(h, p);
    assert.equal(row?.reserved, 0);
    for (const id of ids)
      assert.equal((await call(h.svc.url, 'GET', path(id), { token: h.serviceToken })).json.status, 'RELEASED');
  });
});

describe('commit', () => {
  test('HELD → COMMITTED: on hand decreases, StockCommitted once; committing again is a no-op', async () => {
    const p = await stocked(10);
    const id = randomUUID();
    const orderId = randomUUID();
    await put(id, { orderId, items: [{ productId: p, quantity: 3 }] });
    const committed = await post(id, 'commit');
    assert.equal(committed.status, 200, committed.text);
    assert.equal(committed.json.status, 'COMMITTED');
    const row = await levelRow(h, p);
    assert.deepEqual({ onHand: row?.on_hand, reserved: row?.reserved }, { onHand: 7, reserved: 0 });
    assert.deepEqual((await post(id, 'commit')).json, committed.json);
    const events = await eventsFor('StockCommitted', id);
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]!.data.items, [{ productId: p, quantity: 3 }]);
    assert.equal(events[0]!.data.orderId, orderId);
  });

  test('releasing a COMMITTED reservation returns its units: RETURNED and StockReturned', async () => {
    const p = await stocked(10);
    const id = randomUUID();
    await put(id, { orderId: randomUUID(), items: [{ productId: p, quantity: 3 }] });
    await post(id, 'commit');
    const returned = await post(id, 'release', { reason: 'ORDER_CANCELLED' });
    assert.equal(returned.status, 200, returned.text);
    assert.equal(returned.json.status, 'RETURNED');
    const row = await levelRow(h, p);
    assert.deepEqual({ onHand: row?.on_hand, reserved: row?.reserved }, { onHand: 10, reserved: 0 });
    const [event, ...more] = await eventsFor('StockReturned', id);
    assert.equal(more.length, 0);
    assert.equal(event!.data.reason, 'ORDER_CANCELLED');
    assert.deepEqual((await post(id, 'release')).json, returned.json);
    assert.equal((await post(id, 'commit')).json.status, 'RETURNED');
    assert.equal((await levelRow(h, p))?.on_hand, 10);
  });

  test('a released reservation cannot be committed; an unknown one is 404', async () => {
    const p = await stocked(10);
    const id = randomUUID();
    await put(id, { orderId: randomUUID(), items: [{ productId: p, quantity: 1 }] });
    await post(id, 'release');
    const res = await post(id, 'commit');
    assertProblem(res, 409, 'SOUK_INVENTORY_RESERVATION_NOT_HELD');
    assert.equal(res.json.reservationStatus, 'RELEASED');
    assertProblem(await post(randomUUID(), 'commit'), 404, 'SOUK_INVENTORY_RESERVATION_NOT_FOUND');
    assertProblem(
      await call(h.svc.url, 'GET', path(randomUUID()), { token: h.serviceToken }),
      404,
      'SOUK_INVENTORY_RESERVATION_NOT_FOUND',
    );
  });
});

test('reservation outcomes are counted', async () => {
  const metrics = (await call(h.svc.adminUrl, 'GET', '/metrics')).text;
  const value = (outcome: string) =>
    Number(new RegExp(`souk_inventory_reservations_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`).exec(metrics)?.[1]);
  assert.ok(value('held') >= 8, metrics);
  assert.ok(value('replayed') >= 1);
  assert.ok(value('conflict') >= 4);
  assert.ok(value('insufficient_stock') >= 2);
  assert.ok(value('tombstone') >= 1);
  assert.ok(value('committed') >= 2);
  assert.ok(value('returned') >= 1);
});
