// Redis-like expiry with a clock the test moves: every write pushes the
// expiry, an expired cart reads as empty and starts afresh on the next write,
// and the sweeper deletes expired carts.

import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createCartStore } from '../src/cart/cart-store.ts';
import { startCartSweeper } from '../src/cart/cart-sweeper.ts';
import { shopper, startWorld, waitFor, type World } from './harness.ts';

const TTL_SECONDS = 3_600;
const HOUR = 3_600_000;
let w: World;

before(async () => {
  w = await startWorld('cart_ttl', { CART_TTL_SECONDS: String(TTL_SECONDS) });
});
after(async () => {
  await w?.close();
});

const cartRows = async (userId: string) =>
  Number((await sql<{ n: string }>`select count(*) as n from carts where user_id = ${userId}`.execute(w.cart.ctx.db)).rows[0]!.n);

test('every write pushes the expiry to now + CART_TTL_SECONDS; reads do not', async () => {
  const ann = await shopper(w, randomUUID());
  const [a, b] = [w.products[0]!.id, w.products[1]!.id];
  const first = (await ann.add(a)).json;
  assert.ok(Math.abs(Date.parse(first.expiresAt) - (w.clock.now() + TTL_SECONDS * 1000)) < 1_000);
  w.clock.advance(HOUR / 2);
  assert.equal((await ann.read()).json.expiresAt, first.expiresAt);
  const second = (await ann.add(b)).json;
  assert.ok(Date.parse(second.expiresAt) >= Date.parse(first.expiresAt) + HOUR / 2);
  // Past the first expiry, within the pushed one: still there.
  w.clock.advance(HOUR - 60_000);
  assert.equal((await ann.read()).json.items.length, 2);
});

test('an expired cart reads as empty, and the next write starts a new cart', async () => {
  const bob = await shopper(w, randomUUID());
  const [a, b] = [w.products[2]!.id, w.products[3]!.id];
  await bob.add(a, 4);
  w.clock.advance(HOUR + 1);
  const expired = await bob.read();
  assert.equal(expired.status, 200);
  assert.deepEqual(expired.json, { items: [], itemCount: 0, totalCents: 0, currency: 'EUR', stale: false, expiresAt: null });
  // Not swept yet (the sweeper runs once a minute by default): the row is there but counts for nothing.
  assert.equal(await cartRows(bob.userId), 1);
  const fresh = (await bob.add(b)).json;
  assert.deepEqual(
    fresh.items.map((l: { productId: string; quantity: number }) => [l.productId, l.quantity]),
    [[b, 1]],
  );
  assert.equal((await bob.set(a, 1)).json.code, 'SOUK_CART_ITEM_NOT_FOUND');
});

test('the sweeper deletes expired carts and leaves live ones', async () => {
  const [old, live] = [await shopper(w, randomUUID()), await shopper(w, randomUUID())];
  await old.add(w.products[4]!.id);
  w.clock.advance(HOUR / 2);
  await live.add(w.products[5]!.id);
  w.clock.advance(HOUR / 2 + 1);
  // The same sweeper the service runs, on its database and clock, at a test's pace.
  const store = createCartStore(w.cart.ctx.db, { clock: w.clock, ttlSeconds: TTL_SECONDS });
  const sweeper = startCartSweeper({ store, schedule: { intervalMs: 20 }, log: w.cart.ctx.log });
  try {
    await waitFor(async () => (await cartRows(old.userId)) === 0, { what: 'the expired cart to be swept' });
  } finally {
    await sweeper.stop();
  }
  assert.equal(await cartRows(live.userId), 1);
  assert.equal((await live.read()).json.items.length, 1);
  // Its lines went with it (on delete cascade).
  const { rows } = await sql<{ n: string }>`select count(*) as n from cart_items where user_id = ${old.userId}`.execute(
    w.cart.ctx.db,
  );
  assert.equal(Number(rows[0]!.n), 0);
});
