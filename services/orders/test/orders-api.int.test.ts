// The orders HTTP API against a real PostgreSQL, with cart, catalog, inventory
// and payments faked: placing an order (Idempotency-Key, cart and price
// checks, Prefer: wait), reading orders and their saga, and who may see what.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { waitFor } from '@souk/chassis/testing';
import { OrderPlaced } from '../contract.ts';
import type { OrdersDatabase } from '../src/db.ts';
import { createOrderStore } from '../src/orders/order-store.ts';
import { paymentIdOf, reservationIdOf } from '../src/saga/saga-ids.ts';
import { cartLine, cartOf, DEFAULT_CART, PRODUCT_A, PRODUCT_GONE, PRODUCT_USD, problem } from './fakes.ts';
import { API, assertProblem, call, SERVICE_TOKEN, startOrders, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startOrders('api');
});
after(async () => {
  await h.close();
});

const place = (token: string, key: string | undefined, body?: unknown, headers: Record<string, string> = {}) =>
  call(h.svc.url, 'POST', API, {
    token,
    ...(body !== undefined ? { body } : {}),
    headers: { ...(key ? { 'idempotency-key': key } : {}), ...headers },
  });

test('placing an order: 201 CONFIRMED with Prefer: wait, the cart read with the user token, the saga with the service token', async () => {
  const user = randomUUID();
  const token = await h.tokenFor(user);
  const res = await place(token, randomUUID(), undefined, { prefer: 'wait=10' });
  assert.equal(res.status, 201, res.text);
  const order = res.json;
  assert.equal(order.status, 'CONFIRMED');
  assert.equal(order.userId, user);
  assert.equal(order.totalCents, 5399);
  assert.equal(order.currency, 'EUR');
  assert.equal(order.paymentMethod, 'tok_visa');
  assert.deepEqual(
    order.items.map((i: { name: string; quantity: number; lineTotalCents: number }) => [i.name, i.quantity, i.lineTotalCents]),
    [
      ['Moka pot', 2, 5000],
      ['Paper filters', 1, 399],
    ],
  );
  assert.equal(order.reasonCode, undefined);
  assert.equal(res.headers.get('location'), `${API}/${order.id}`);

  assert.equal(h.cart.requests.at(-1)!.headers.authorization, `Bearer ${token}`, 'the cart is read as the user');
  const [reserve] = h.inventory.calls(/^PUT \/api\/v1\/inventory\/reservations\//).filter((r) => r.body.orderId === order.id);
  assert.ok(reserve, 'stock reserved');
  assert.equal(reserve.headers.authorization, `Bearer ${SERVICE_TOKEN}`);
  assert.deepEqual(reserve.body.items, [
    { productId: PRODUCT_A, quantity: 2 },
    { productId: DEFAULT_CART.items[1]!.productId, quantity: 1 },
  ]);
  const authorize = h.payments.calls(/\/authorize$/).find((r) => r.body.orderId === order.id)!;
  assert.deepEqual(authorize.body, {
    orderId: order.id,
    userId: user,
    amountCents: 5399,
    currency: 'EUR',
    paymentMethod: 'tok_visa',
  });
  assert.equal(authorize.headers.authorization, `Bearer ${SERVICE_TOKEN}`);
  assert.match(String(authorize.headers['idempotency-key']), new RegExp(`${order.id}:authorizePayment$`));

  await waitFor(
    async () =>
      (await h.query<{ status: string }>('select status from souk_saga where id = $1', [order.id]))[0]?.status === 'COMPLETED',
    { what: 'saga completed' },
  );
  assert.equal(
    h.payments.calls(/\/capture$/).filter((r) => r.path.includes(authorize.path.split('/')[4]!)).length,
    1,
    'captured once',
  );
  assert.deepEqual(await h.events(order.id), ['OrderPlaced', 'OrderConfirmed']);
});

test('without Prefer: wait the answer is 202 PENDING, and the order confirms soon after', async () => {
  const token = await h.tokenFor(randomUUID());
  const res = await place(token, randomUUID(), { paymentMethod: 'tok_visa' });
  assert.equal(res.status, 202, res.text);
  assert.equal(res.json.status, 'PENDING');
  await waitFor(async () => (await call(h.svc.url, 'GET', `${API}/${res.json.id}`, { token })).json?.status === 'CONFIRMED', {
    what: 'confirmed',
  });
});

test('Idempotency-Key: required; the same key and body give the same order (200); another body is refused (422)', async () => {
  const token = await h.tokenFor(randomUUID());
  assertProblem(await place(token, undefined), 400, 'SOUK_ORDERS_IDEMPOTENCY_KEY_MISSING');
  assertProblem(await place(token, 'a key with spaces'), 400, 'SOUK_ORDERS_IDEMPOTENCY_KEY_INVALID');

  const key = randomUUID();
  const first = await place(token, key, {}, { prefer: 'wait=10' });
  assert.equal(first.status, 201);
  const again = await place(token, key, { paymentMethod: 'tok_visa' });
  assert.equal(again.status, 200, 'the default payment method is the same body');
  assert.equal(again.json.id, first.json.id);
  const other = await place(token, key, { paymentMethod: 'tok_decline' });
  assertProblem(other, 422, 'SOUK_ORDERS_IDEMPOTENCY_KEY_REUSED');
  assert.equal(other.json.orderId, first.json.id);

  // Keys are per user: another user's same key is a new order.
  const stranger = await place(await h.tokenFor(randomUUID()), key);
  assert.equal(stranger.status, 202);
  assert.notEqual(stranger.json.id, first.json.id);
});

test('concurrent requests with one key place one order', async () => {
  const user = randomUUID();
  const token = await h.tokenFor(user);
  const key = randomUUID();
  const answers = await Promise.all(Array.from({ length: 6 }, () => place(token, key)));
  assert.equal(new Set(answers.map((a) => a.json.id)).size, 1, answers.map((a) => a.text).join('\n'));
  assert.equal(answers.filter((a) => a.status === 202 || a.status === 201).length, 1, 'one created it');
  assert.equal(answers.filter((a) => a.status === 200).length, 5, 'the others got it back');
  const rows = await h.query<{ n: number }>('select count(*)::int as n from orders where user_id = $1', [user]);
  assert.equal(rows[0]!.n, 1);
});

test('a request that loses the key to a concurrent one waits for it to commit, then writes nothing: no order, lines or event', async () => {
  const db = h.svc.ctx.db;
  const store = createOrderStore(db);
  const user = randomUUID();
  const key = randomUUID();
  const items = [{ productId: PRODUCT_A, name: 'Moka pot', quantity: 2, unitPriceCents: 2500, currency: 'EUR' }];
  const placeIn = (trx: OrdersDatabase, id: string) =>
    store.place(
      trx,
      {
        id,
        userId: user,
        items,
        totalCents: 5000,
        currency: 'EUR',
        paymentMethod: 'tok_visa',
        reservationId: reservationIdOf(id),
        paymentId: paymentIdOf(id),
        createdAt: new Date(),
      },
      { key, fingerprint: 'f' },
      (claimed) =>
        h.svc.ctx.events.publishing(
          trx,
          [
            {
              contract: OrderPlaced,
              data: { orderId: id, userId: user, items, totalCents: 5000, currency: 'EUR', placedAt: new Date().toISOString() },
              options: { subject: id },
            },
          ],
          claimed,
        ),
    );
  const [winner, loser] = [randomUUID(), randomUUID()];
  let commit!: () => void;
  const committing = new Promise<void>((resolve) => (commit = resolve));
  let claimedFirst!: (ok: boolean) => void;
  const firstClaim = new Promise<boolean>((resolve) => (claimedFirst = resolve));
  const first = db.transaction().execute(async (trx) => {
    claimedFirst(await placeIn(trx, winner));
    await committing;
  });
  assert.equal(await firstClaim, true);
  const second = db.transaction().execute((trx) => placeIn(trx, loser));
  await waitFor(
    async () =>
      (
        await h.query(
          `select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%order_idempotency_keys%' and datname = current_database()`,
        )
      ).length === 1,
    { what: 'the second claim waiting for the first' },
  );
  commit();
  await first;
  assert.equal(await second, false, 'the key was taken');

  const orders = await h.query<{ id: string }>('select id from orders where user_id = $1', [user]);
  assert.deepEqual(
    orders.map((o) => o.id),
    [winner],
  );
  const lines = await h.query<{ order_id: string; line_no: number; quantity: number }>(
    'select order_id, line_no, quantity from order_lines where order_id = any($1::uuid[]) order by order_id, line_no',
    [[winner, loser]],
  );
  assert.deepEqual(
    lines.map((l) => [l.order_id, l.line_no, l.quantity]),
    [[winner, 1, 2]],
  );
  assert.deepEqual(await h.events(winner), ['OrderPlaced']);
  assert.deepEqual(await h.events(loser), []);
  assert.equal((await store.findKey(user, key))?.orderId, winner);
});

test('the cart and the catalog decide: empty (422), not sold (422), mixed currencies (422), prices unconfirmed (503 + Retry-After), cart unreachable (503); a refusal keeps nothing', async () => {
  const user = randomUUID();
  const token = await h.tokenFor(user);
  // One key for every refused attempt: a refusal must leave it unused.
  const key = randomUUID();
  try {
    h.cart.on(() => ({ status: 200, body: cartOf([]) }));
    assertProblem(await place(token, key), 422, 'SOUK_ORDERS_CART_EMPTY');
    h.cart.on(() => ({ status: 200, body: cartOf([cartLine(PRODUCT_A, 1), cartLine(PRODUCT_GONE, 1)]) }));
    const gone = await place(token, key);
    assertProblem(gone, 422, 'SOUK_ORDERS_PRODUCT_UNAVAILABLE');
    assert.deepEqual(gone.json.productIds, [PRODUCT_GONE]);
    h.cart.on(() => ({ status: 200, body: cartOf([cartLine(PRODUCT_A, 1), cartLine(PRODUCT_USD, 1)]) }));
    assertProblem(await place(token, key), 422, 'SOUK_ORDERS_CART_INVALID');
    // A product the copy does not know, and catalog not answering for it: no order at an unconfirmed price.
    h.cart.on(() => ({ status: 200, body: cartOf([cartLine(PRODUCT_GONE, 1)]) }));
    h.catalog.on(() => problem(503, 'SOUK_SERVICE_NOT_READY', 'catalog is starting'));
    const unconfirmed = await place(token, key);
    h.catalog.on(undefined);
    assertProblem(unconfirmed, 503, 'SOUK_ORDERS_PRICES_UNAVAILABLE');
    assert.equal(unconfirmed.headers.get('retry-after'), '5');
    h.cart.on(() => problem(503, 'SOUK_SERVICE_NOT_READY', 'cart is starting'));
    assertProblem(await place(token, key), 503, 'SOUK_ORDERS_CART_UNAVAILABLE');
    h.cart.on(() => problem(401, 'SOUK_AUTH_TOKEN_INVALID', 'expired'));
    assertProblem(await place(token, key), 401, 'SOUK_AUTH_TOKEN_INVALID');
  } finally {
    h.cart.on(undefined);
    h.catalog.on(undefined);
  }
  const stored = (table: string) => h.query<{ n: number }>(`select count(*)::int as n from ${table} where user_id = $1`, [user]);
  assert.deepEqual(
    [(await stored('orders'))[0]!.n, (await stored('order_idempotency_keys'))[0]!.n],
    [0, 0],
    'no order and no key kept',
  );
  // The cart fixed, the same key places a new order (202), not a replay (200) of anything.
  const placed = await place(token, key);
  assert.equal(placed.status, 202, placed.text);
});

test('bad input and bad callers get 4xx problems', async () => {
  const token = await h.tokenFor(randomUUID());
  assertProblem(await call(h.svc.url, 'POST', API, { headers: { 'idempotency-key': 'k' } }), 401, 'SOUK_AUTH_TOKEN_MISSING');
  assertProblem(await place(token, 'k1', { paymentMethod: 'visa card' }), 400, 'SOUK_REQUEST_INVALID');
  assertProblem(await place(token, 'k2', { paymentMethod: 'tok_visa', coupon: 'FREE' }), 400, 'SOUK_REQUEST_INVALID');
  const service = await h.issuer.token({ sub: 'svc-cart', scopes: ['orders:read'] });
  assertProblem(await place(service, 'k3'), 403, 'SOUK_AUTH_FORBIDDEN');
  assertProblem(await call(h.svc.url, 'GET', `${API}/not-a-uuid`, { token }), 400, 'SOUK_REQUEST_INVALID');
  assertProblem(await call(h.svc.url, 'GET', `${API}?limit=0`, { token }), 400, 'SOUK_REQUEST_INVALID');
  assertProblem(await call(h.svc.url, 'GET', `${API}?before=nonsense`, { token }), 400, 'SOUK_ORDERS_CURSOR_INVALID');
});

test('an order is seen by its owner, admins and services granted orders:read; others get 404, as for a missing one', async () => {
  const owner = await h.tokenFor(randomUUID());
  const { json: order } = await place(owner, randomUUID(), undefined, { prefer: 'wait=10' });
  assert.equal((await call(h.svc.url, 'GET', `${API}/${order.id}`, { token: owner })).json.status, 'CONFIRMED');
  assert.equal(
    (await call(h.svc.url, 'GET', `${API}/${order.id}`, { token: await h.tokenFor(randomUUID(), ['admin']) })).status,
    200,
  );
  assert.equal(
    (
      await call(h.svc.url, 'GET', `${API}/${order.id}`, {
        token: await h.issuer.token({ sub: 'svc-history', roles: [], scopes: ['orders:read'] }),
      })
    ).status,
    200,
  );
  // Any other capability, orders' own feed scope included, is nobody's order.
  const otherService = await h.issuer.token({
    sub: 'svc-other',
    roles: [],
    scopes: ['shipments:read', 'payments:refund', 'events:read:orders'],
  });
  assertProblem(await call(h.svc.url, 'GET', `${API}/${order.id}`, { token: otherService }), 404, 'SOUK_ORDERS_NOT_FOUND');
  const other = await h.tokenFor(randomUUID());
  assertProblem(await call(h.svc.url, 'GET', `${API}/${order.id}`, { token: other }), 404, 'SOUK_ORDERS_NOT_FOUND');
  assertProblem(await call(h.svc.url, 'GET', `${API}/${order.id}/saga`, { token: other }), 404, 'SOUK_ORDERS_NOT_FOUND');
  assertProblem(await call(h.svc.url, 'GET', `${API}/${randomUUID()}`, { token: owner }), 404, 'SOUK_ORDERS_NOT_FOUND');
});

test("an order's saga: status, the four steps with attempts and timings, and the log (no internals)", async () => {
  const token = await h.tokenFor(randomUUID());
  const { json: order } = await place(token, randomUUID(), undefined, { prefer: 'wait=10' });
  await waitFor(async () => (await call(h.svc.url, 'GET', `${API}/${order.id}/saga`, { token })).json?.status === 'COMPLETED', {
    what: 'saga completed',
  });
  const saga = (await call(h.svc.url, 'GET', `${API}/${order.id}/saga`, { token })).json;
  assert.equal(saga.orderId, order.id);
  assert.equal(saga.name, 'checkout');
  assert.equal(saga.currentStep, null);
  assert.deepEqual(
    saga.steps.map((s: { name: string; status: string; attempts: number }) => [s.name, s.status, s.attempts]),
    [
      ['reserveStock', 'SUCCEEDED', 1],
      ['authorizePayment', 'SUCCEEDED', 1],
      ['confirmOrder', 'SUCCEEDED', 1],
      ['capturePayment', 'SUCCEEDED', 1],
    ],
  );
  assert.ok(saga.steps.every((s: { startedAt: string; finishedAt: string }) => s.startedAt && s.finishedAt));
  assert.equal(saga.log[0].kind, 'saga_started');
  assert.equal(saga.log.at(-1).kind, 'saga_completed');
  assert.equal(saga.state, undefined, 'the saga state is not shown');
  assert.equal(saga.log[0].owner, undefined, 'nor instance names');
});

test("GET /api/v1/orders: the caller's orders, newest first, in pages", async () => {
  const user = randomUUID();
  const token = await h.tokenFor(user);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await place(token, randomUUID())).json.id);
  await place(await h.tokenFor(randomUUID()), randomUUID()); // someone else's
  const first = await call(h.svc.url, 'GET', `${API}?limit=2`, { token });
  assert.equal(first.status, 200);
  assert.deepEqual(
    first.json.items.map((o: { id: string }) => o.id),
    [ids[2], ids[1]],
  );
  assert.equal(first.json.items[0].items.length, 2);
  const second = await call(h.svc.url, 'GET', `${API}?limit=2&before=${first.json.nextBefore}`, { token });
  assert.deepEqual(
    second.json.items.map((o: { id: string }) => o.id),
    [ids[0]],
  );
  assert.equal(second.json.nextBefore, null);
});
