// The cart store on a real PostgreSQL, where concurrency decides: an add to a
// live cart (two statements, no lock between them) must never overwrite a
// change another writer made between its read and its write.

import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { waitFor } from '@souk/chassis/testing';
import { createCartStore, type CartStore } from '../src/cart/cart-store.ts';
import type { CartDatabase } from '../src/db.ts';
import { startWorld, type World } from './harness.ts';

let w: World;
let db: CartDatabase;
let store: CartStore;

before(async () => {
  w = await startWorld('cart_store');
  // The store on the running cart's own database and pool (its migrations applied).
  db = w.cart.ctx.db;
  store = createCartStore(db, { clock: w.clock, ttlSeconds: 3600 });
});
after(async () => {
  await w?.close();
});

const quantities = async (userId: string) =>
  new Map((await store.read(userId))?.lines.map((l) => [l.productId, l.quantity]) ?? []);

test('adds at once to a live cart all count, and one answer holds every unit', async () => {
  const user = randomUUID();
  const [a, b] = [randomUUID(), randomUUID()];
  await store.add(user, a, 1);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => store.add(user, i % 4 === 0 ? b : a, 2)));
  assert.deepEqual(
    await quantities(user),
    new Map([
      [a, 31],
      [b, 10],
    ]),
  );
  assert.ok(answers.some((cart) => cart.lines.reduce((n, l) => n + l.quantity, 0) === 41));
});

test('an add whose cart changed while it waited builds on the change (here: an order took units out)', async () => {
  const user = randomUUID();
  const product = randomUUID();
  await store.add(user, product, 5);
  // An order's handler holds the cart: it took 3 units out and has not committed yet.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let taken!: () => void;
  const tookUnits = new Promise<void>((resolve) => (taken = resolve));
  const order = db.transaction().execute(async (trx) => {
    await store.removeOrdered(trx, user, [{ productId: product, quantity: 3 }]);
    taken();
    await held;
  });
  await tookUnits;
  // The add reads the committed cart (5 units), then waits for the order's lock.
  const adding = store.add(user, product, 1);
  await waitFor(
    async () => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
      return rows[0]!.n > 0 ? true : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 20, what: 'the add to wait for the cart lock' },
  );
  release();
  await order;
  const answer = await adding;
  // 5 - 3 + 1, not the 6 the add would write from what it read before the order committed.
  assert.deepEqual(answer.lines, [{ productId: product, quantity: 3 }]);
  assert.deepEqual(await quantities(user), new Map([[product, 3]]));
});

test('a rule refusal on a live cart is the same as before: 99 units at most', async () => {
  const user = randomUUID();
  const product = randomUUID();
  await store.add(user, product, 98);
  await assert.rejects(store.add(user, product, 2), (err: { code?: string }) => err.code === 'SOUK_CART_QUANTITY_LIMIT');
  assert.deepEqual(await quantities(user), new Map([[product, 98]]));
});

test('an add to a live cart is one statement outside any transaction; a new line goes last', async () => {
  const user = randomUUID();
  const [a, b] = [randomUUID(), randomUUID()];
  let transactions = 0;
  // The same database, counting the transactions the store opens (the locking write's way).
  const counted = new Proxy(db, {
    get(target, key) {
      if (key === 'transaction') transactions++;
      const value = Reflect.get(target, key) as unknown;
      // Kysely's methods read private fields: they must run on the real instance.
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const counting = createCartStore(counted, { clock: w.clock, ttlSeconds: 3600 });
  await counting.add(user, a, 1); // a new cart: the locking write
  assert.equal(transactions, 1);
  const before = (await counting.read(user))!.expiresAt;
  w.clock.advance(1_000);
  const answer = await counting.add(user, b, 2);
  const again = await counting.add(user, a, 3);
  assert.equal(transactions, 1, 'adds to the live cart took the one-statement way');
  assert.deepEqual(answer.lines, [
    { productId: a, quantity: 1 },
    { productId: b, quantity: 2 },
  ]);
  assert.deepEqual(again.lines, [
    { productId: a, quantity: 4 },
    { productId: b, quantity: 2 },
  ]);
  const stored = (await counting.read(user))!;
  assert.deepEqual(stored.lines, again.lines);
  assert.equal(stored.expiresAt.getTime(), again.expiresAt.getTime());
  assert.ok(stored.expiresAt > before, 'the add pushed the expiry');
});
