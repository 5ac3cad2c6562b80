// The cart when others change or fail: catalog's PriceChanged refreshes the
// cached price, orders' OrderConfirmed takes ordered units out of the cart,
// inventory down leaves availability unknown, and with catalog stopped the
// cart still reads, from cached prices marked stale (breaker + fallback).

import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { assertProblem, call, shopper, startWorld, waitFor, type World } from './harness.ts';

let w: World;

before(async () => {
  // A short budget keeps the catalog-down reads quick; the breaker then makes them quicker still.
  w = await startWorld('cart_fallbacks', { CART_CATALOG_TIMEOUT_MS: '500', CART_INVENTORY_TIMEOUT_MS: '500' });
});
after(async () => {
  await w?.close();
});

const cachedPrice = async (productId: string) =>
  (
    await sql<{
      price_cents: number;
      fetched_at: Date;
    }>`select price_cents, fetched_at from price_cache where product_id = ${productId}`.execute(w.cart.ctx.db)
  ).rows[0];

function confirmed(userId: string, items: { productId: string; quantity: number }[]) {
  return {
    orderId: randomUUID(),
    userId,
    items: items.map((i) => ({ ...i, name: 'x', unitPriceCents: 100, currency: 'EUR' })),
    totalCents: 100,
    currency: 'EUR',
    reservationId: randomUUID(),
    paymentId: randomUUID(),
    confirmedAt: new Date().toISOString(),
  };
}

describe('events', () => {
  test("catalog's PriceChanged updates the cached price of a product in a cart, and what writes show", async () => {
    const ann = await shopper(w, randomUUID());
    const product = w.products[10]!;
    await ann.add(product.id);
    assert.equal((await cachedPrice(product.id))?.price_cents, product.priceCents);
    const newPrice = product.priceCents + 111;
    const patched = await call(w.catalog.svc.url, 'PATCH', `/api/v1/catalog/products/${product.id}`, {
      token: w.adminToken,
      body: { priceCents: newPrice },
    });
    assert.equal(patched.status, 200, patched.text);
    await waitFor(async () => (await cachedPrice(product.id))?.price_cents === newPrice, {
      what: 'the cached price to follow PriceChanged',
    });
    // The instance that handled it forgot what catalog had said: the next write's answer has the new price.
    const again = await ann.add(product.id);
    assert.equal(again.json.items[0].unitPriceCents, newPrice);
    product.priceCents = newPrice;
  });

  test("orders' OrderConfirmed removes the ordered units; lines that reach 0 go, other carts stay", async () => {
    const bob = await shopper(w, randomUUID());
    const other = await shopper(w, randomUUID());
    const [a, b, c] = [w.products[11]!.id, w.products[12]!.id, w.products[13]!.id];
    await bob.add(a, 3);
    await bob.add(b, 1);
    await bob.add(c, 2);
    await other.add(a, 3);
    await w.orders.confirm(
      confirmed(bob.userId, [
        { productId: a, quantity: 2 },
        { productId: b, quantity: 1 },
      ]),
    );
    // A confirmation for a user without a cart changes nothing and fails nothing.
    await w.orders.confirm(confirmed(randomUUID(), [{ productId: a, quantity: 1 }]));
    const lines = await waitFor(
      async () => {
        const items = (await bob.read()).json.items as { productId: string; quantity: number }[];
        return items.length === 2 ? items.map((l) => [l.productId, l.quantity]) : undefined;
      },
      { what: "bob's cart to lose the ordered units" },
    );
    assert.deepEqual(lines, [
      [a, 1],
      [c, 2],
    ]);
    assert.equal((await other.read()).json.items[0].quantity, 3);
    await waitFor(
      async () => {
        const { rows } = await sql<{ n: string }>`select count(*) as n from souk_inbox`.execute(w.cart.ctx.db);
        return Number(rows[0]!.n) >= 3;
      },
      { what: 'every event handled' },
    );
    const { rows } = await sql<{ n: string }>`select count(*) as n from souk_dead_letter`.execute(w.cart.ctx.db);
    assert.equal(Number(rows[0]!.n), 0);
  });
});

describe('failures of others', () => {
  test('inventory down: the cart reads with available null', async () => {
    const cy = await shopper(w, randomUUID());
    const product = w.products[14]!.id;
    w.inventory.levels.set(product, 5);
    await cy.add(product);
    assert.equal((await cy.read()).json.items[0].available, 5);
    await w.inventory.stop();
    const res = await cy.read();
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.items[0].available, null);
    assert.equal(res.json.items[0].priceStale, false);
  });

  test('catalog stopped: the cart still reads, from cached prices marked stale; only unseen products cannot be added', async () => {
    const dee = await shopper(w, randomUUID());
    const [changed, known, unseen] = [w.products[10]!, w.products[15]!, w.products[16]!];
    await dee.add(changed.id, 2);
    const fresh = (await dee.add(known.id)).json;
    assert.equal(fresh.stale, false);
    await w.catalog.stop();

    for (let read = 0; read < 3; read++) {
      // Several reads: the first ones meet refused connections, later ones the open breaker. All fall back.
      const res = await dee.read();
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.stale, true);
      assert.deepEqual(
        res.json.items.map((l: { priceStale: boolean }) => l.priceStale),
        [true, true],
      );
      const [first, second] = res.json.items;
      // The price PriceChanged put in the cache, as of when it was cached.
      assert.equal(first.unitPriceCents, changed.priceCents);
      assert.equal(first.lineTotalCents, 2 * changed.priceCents);
      assert.equal(first.priceAsOf, (await cachedPrice(changed.id))!.fetched_at.toISOString());
      assert.equal(second.name, known.name);
      assert.equal(second.unitPriceCents, known.priceCents);
      assert.equal(res.json.totalCents, 2 * changed.priceCents + known.priceCents);
    }
    // A product the cart has priced before can still be added (from the cache)...
    const more = await dee.add(known.id, 1);
    assert.equal(more.status, 200, more.text);
    assert.equal(more.json.items[1].quantity, 2);
    // ...one it never saw cannot be checked.
    assertProblem(await dee.add(unseen.id), 503, 'SOUK_CART_CATALOG_UNAVAILABLE');
  });
});
