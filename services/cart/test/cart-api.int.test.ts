// The cart API against the real catalog: add, change, remove, clear, the
// priced view with availability, limits, validation and whose cart it is.

import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { API, assertProblem, call, shopper, startWorld, type World } from './harness.ts';

let w: World;

before(async () => {
  w = await startWorld('cart_api');
});
after(async () => {
  await w?.close();
});

const EMPTY = { items: [], itemCount: 0, totalCents: 0, currency: 'EUR', stale: false, expiresAt: null };

describe('a shopper’s cart', () => {
  test('a new shopper has an empty cart', async () => {
    const ann = await shopper(w, randomUUID());
    const res = await ann.read();
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, EMPTY);
  });

  test('adding products prices them from the catalog; a read adds availability from inventory', async () => {
    const ann = await shopper(w, randomUUID());
    const [cheap, dear] = [w.products[0]!, w.products[5]!];
    w.inventory.levels.set(cheap.id, 12);
    const first = await ann.add(cheap.id, 2);
    assert.equal(first.status, 200, first.text);
    const res = await ann.add(dear.id);
    assert.equal(res.status, 200, res.text);
    const cart = res.json;
    assert.deepEqual(
      cart.items.map((l: { productId: string; quantity: number }) => [l.productId, l.quantity]),
      [
        [cheap.id, 2],
        [dear.id, 1],
      ],
    );
    const [line] = cart.items;
    assert.equal(line.name, cheap.name);
    assert.equal(line.unitPriceCents, cheap.priceCents);
    assert.equal(line.lineTotalCents, 2 * cheap.priceCents);
    assert.equal(line.currency, 'EUR');
    assert.equal(line.priceStale, false);
    assert.ok(Math.abs(Date.parse(line.priceAsOf) - w.clock.now()) < 1_000);
    // A write does not ask inventory: availability is for the cart page.
    assert.deepEqual(
      cart.items.map((l: { available: number | null }) => l.available),
      [null, null],
    );
    assert.equal(cart.itemCount, 3);
    assert.equal(cart.totalCents, 2 * cheap.priceCents + dear.priceCents);
    assert.equal(cart.stale, false);
    assert.ok(Date.parse(cart.expiresAt) > w.clock.now() + 29 * 24 * 3600 * 1000);
    // A read prices afresh and asks inventory: the same cart, priceAsOf moves on and availability is known.
    const read = (await ann.read()).json;
    assert.deepEqual(
      read.items.map((l: { available: number | null }) => l.available),
      [12, 0],
    );
    const comparable = (c: typeof cart) => ({
      ...c,
      items: c.items.map((l: object) => ({ ...l, priceAsOf: undefined, available: undefined })),
    });
    assert.deepEqual(comparable(read), comparable(cart));
  });

  test('adding a product already in the cart adds to its line', async () => {
    const bob = await shopper(w, randomUUID());
    const product = w.products[1]!.id;
    await bob.add(product, 3);
    const res = await bob.add(product, 4);
    assert.equal(res.json.items.length, 1);
    assert.equal(res.json.items[0].quantity, 7);
  });

  test('two adds at once both count: the write locks the cart, even the first one', async () => {
    const dan = await shopper(w, randomUUID());
    const [a, b] = [w.products[6]!.id, w.products[7]!.id];
    const answers = await Promise.all([dan.add(a, 2), dan.add(a, 3), dan.add(b, 1), dan.add(a, 1)]);
    for (const res of answers) assert.equal(res.status, 200, res.text);
    const items = (await dan.read()).json.items.map((l: { productId: string; quantity: number }) => [l.productId, l.quantity]);
    assert.deepEqual(
      new Map(items),
      new Map([
        [a, 6],
        [b, 1],
      ]),
    );
    // Each answer is the cart its own write committed: the last of them holds every unit.
    assert.ok(answers.some((res) => res.json.itemCount === 7));
  });

  test('orders reads the lines alone, without prices, in the order they were added', async () => {
    const eli = await shopper(w, randomUUID());
    const empty = await call(w.cart.url, 'GET', `${API}/lines`, { token: eli.token });
    assert.equal(empty.status, 200, empty.text);
    assert.deepEqual(empty.json, { items: [], expiresAt: null });
    const [a, b] = [w.products[8]!.id, w.products[9]!.id];
    await eli.add(b, 2);
    const added = (await eli.add(a)).json;
    const lines = await call(w.cart.url, 'GET', `${API}/lines`, { token: eli.token });
    assert.deepEqual(lines.json, {
      items: [
        { productId: b, quantity: 2 },
        { productId: a, quantity: 1 },
      ],
      expiresAt: added.expiresAt,
    });
  });

  test('PATCH sets a quantity, DELETE removes a line, DELETE /cart empties it', async () => {
    const cy = await shopper(w, randomUUID());
    const [a, b] = [w.products[2]!.id, w.products[3]!.id];
    await cy.add(a);
    await cy.add(b, 5);
    const set = await cy.set(b, 2);
    assert.equal(set.status, 200, set.text);
    assert.deepEqual(
      set.json.items.map((l: { quantity: number }) => l.quantity),
      [1, 2],
    );
    const removed = await cy.remove(a);
    assert.equal(removed.status, 200, removed.text);
    assert.deepEqual(
      removed.json.items.map((l: { productId: string }) => l.productId),
      [b],
    );
    assertProblem(await cy.remove(a), 404, 'SOUK_CART_ITEM_NOT_FOUND');
    assertProblem(await cy.set(a, 1), 404, 'SOUK_CART_ITEM_NOT_FOUND');
    const cleared = await cy.clear();
    assert.equal(cleared.status, 204);
    assert.deepEqual((await cy.read()).json, EMPTY);
    assert.equal((await cy.clear()).status, 204);
  });

  test('each shopper sees only their own cart', async () => {
    const [dee, eve] = [await shopper(w, randomUUID()), await shopper(w, randomUUID())];
    await dee.add(w.products[4]!.id);
    assert.deepEqual((await eve.read()).json, EMPTY);
    assertProblem(await eve.remove(w.products[4]!.id), 404, 'SOUK_CART_ITEM_NOT_FOUND');
    assert.equal((await dee.read()).json.items.length, 1);
  });
});

describe('refusals', () => {
  test('a product the catalog does not have is 422 and leaves the cart alone', async () => {
    const fay = await shopper(w, randomUUID());
    await fay.add(w.products[0]!.id);
    const res = await fay.add(randomUUID());
    assertProblem(res, 422, 'SOUK_CART_PRODUCT_NOT_FOUND');
    assert.equal((await fay.read()).json.items.length, 1);
  });

  test('bad input is 400', async () => {
    const gus = await shopper(w, randomUUID());
    const id = w.products[0]!.id;
    for (const body of [
      { productId: id, quantity: 0 },
      { productId: id, quantity: 100 },
      { productId: id, quantity: 1.5 },
      { productId: id, quantity: '2' },
      { productId: 'espresso-cup' },
      { productId: id, extra: 1 },
      {},
    ]) {
      assertProblem(await call(w.cart.url, 'POST', `${API}/items`, { token: gus.token, body }), 400, 'SOUK_REQUEST_INVALID');
    }
    assertProblem(
      await call(w.cart.url, 'POST', `${API}/items`, { token: gus.token, rawBody: '{"productId":' }),
      400,
      'SOUK_REQUEST_MALFORMED_JSON',
    );
    await gus.add(id);
    assertProblem(await gus.set(id, 0), 400, 'SOUK_REQUEST_INVALID');
    assertProblem(await gus.set('not-a-uuid', 1), 400, 'SOUK_REQUEST_INVALID');
    assert.equal((await gus.read()).json.items[0].quantity, 1);
  });

  test('a line holds at most 99 units and a cart at most 50 products', async () => {
    const hal = await shopper(w, randomUUID());
    const id = w.products[0]!.id;
    await hal.add(id, 98);
    const over = await hal.add(id, 2);
    assertProblem(over, 422, 'SOUK_CART_QUANTITY_LIMIT');
    assert.equal(over.json.quantity, 98);
    for (const p of w.products.slice(1, 50)) assert.equal((await hal.add(p.id)).status, 200);
    const full = await hal.add(w.products[50]!.id);
    assertProblem(full, 422, 'SOUK_CART_TOO_MANY_LINES');
    const cart = (await hal.read()).json;
    assert.equal(cart.items.length, 50);
    assert.equal(cart.itemCount, 98 + 49);
  });

  test('the cart needs a user token: none is 401, a service token 403', async () => {
    assertProblem(await call(w.cart.url, 'GET', API), 401, 'SOUK_AUTH_TOKEN_MISSING');
    assertProblem(await call(w.cart.url, 'POST', `${API}/items`, { body: { quantity: 'x' } }), 401, 'SOUK_AUTH_TOKEN_MISSING');
    const service = await w.issuer.token({ sub: 'orders-service', scopes: ['orders:read', 'events:read:cart'] });
    assertProblem(await call(w.cart.url, 'GET', API, { token: service }), 403, 'SOUK_AUTH_FORBIDDEN');
  });
});
