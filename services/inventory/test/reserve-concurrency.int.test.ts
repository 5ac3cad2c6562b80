// Reserving under contention against a real PostgreSQL: 200 concurrent
// one-unit reserves for 50 units on hand hold exactly 50, refuse 150, and the
// level never goes negative (the CHECK constraints refuse it even from raw SQL).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { API, call, levelRow, outbox, startInventory, type Harness } from './harness.ts';

let h: Harness;
const product = randomUUID();
const other = randomUUID();

before(async () => {
  h = await startInventory('inventory_concurrency');
  for (const id of [product, other]) {
    const res = await call(h.svc.url, 'PUT', `${API}/${id}`, { token: h.adminToken, body: { onHand: 50, lowStockThreshold: 0 } });
    assert.equal(res.status, 200, res.text);
  }
});
after(async () => {
  await h?.close();
});

const reserve = (items: { productId: string; quantity: number }[]) =>
  call(h.svc.url, 'PUT', `${API}/reservations/${randomUUID()}`, {
    token: h.serviceToken,
    body: { orderId: randomUUID(), items },
  });

test('200 concurrent reserves of 1 unit against 50 on hand: exactly 50 held, 150 refused, none negative', async () => {
  const answers = await Promise.all(Array.from({ length: 200 }, () => reserve([{ productId: product, quantity: 1 }])));
  const byStatus = new Map<number, number>();
  for (const a of answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
  const odd = answers.filter((a) => a.status !== 201 && a.status !== 409).map((a) => a.text);
  assert.deepEqual(Object.fromEntries(byStatus), { 201: 50, 409: 150 }, odd.slice(0, 3).join('\n'));
  for (const refused of answers.filter((a) => a.status === 409)) {
    assert.equal(refused.json.code, 'SOUK_INVENTORY_INSUFFICIENT_STOCK');
    assert.equal(refused.json.productId, product);
    assert.equal(refused.json.requested, 1);
    assert.equal(refused.json.available, 0);
  }
  assert.ok(answers.filter((a) => a.status === 201).every((a) => a.json.status === 'HELD'));

  const level = await call(h.svc.url, 'GET', `${API}/${product}`);
  assert.deepEqual(
    { onHand: level.json.onHand, reserved: level.json.reserved, available: level.json.available },
    { onHand: 50, reserved: 50, available: 0 },
  );
  const held = await sql<{ n: number; units: number }>`
    select count(*)::int as n, coalesce(sum((items->0->>'quantity')::int), 0)::int as units from reservations where status = 'HELD'`.execute(
    h.db,
  );
  assert.deepEqual(held.rows[0], { n: 50, units: 50 });
  assert.equal((await outbox(h, 'StockReserved')).length, 50);
});

test('two-line reserves under contention, lines in either order: all or nothing, no deadlock', async () => {
  const a = randomUUID();
  const b = randomUUID();
  for (const id of [a, b]) await call(h.svc.url, 'PUT', `${API}/${id}`, { token: h.adminToken, body: { onHand: 50 } });
  // Half the requests name the products one way round, half the other: locking in request order would deadlock.
  const answers = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      reserve(
        i % 2
          ? [
              { productId: b, quantity: 1 },
              { productId: a, quantity: 1 },
            ]
          : [
              { productId: a, quantity: 1 },
              { productId: b, quantity: 1 },
            ],
      ),
    ),
  );
  assert.equal(answers.filter((x) => x.status === 201).length, 50);
  assert.ok(answers.filter((x) => x.status !== 201).every((x) => x.json?.code === 'SOUK_INVENTORY_INSUFFICIENT_STOCK'));
  assert.equal((await levelRow(h, a))?.reserved, 50);
  assert.equal((await levelRow(h, b))?.reserved, 50);
});

test('a line that cannot be served leaves the other lines untouched', async () => {
  const answers = await Promise.all(
    Array.from({ length: 20 }, () =>
      reserve([
        { productId: other, quantity: 1 },
        { productId: product, quantity: 1 },
      ]),
    ),
  );
  assert.ok(
    answers.every((x) => x.status === 409 && x.json.productId === product),
    answers.map((x) => x.status).join(),
  );
  const row = await levelRow(h, other);
  assert.deepEqual({ onHand: row?.on_hand, reserved: row?.reserved }, { onHand: 50, reserved: 0 });
});

test('the database itself refuses negative stock and more reserved than on hand', async () => {
  for (const change of [sql`on_hand = -1, reserved = 0`, sql`reserved = -1`, sql`reserved = on_hand + 1`]) {
    await assert.rejects(
      sql`update stock_levels set ${change} where product_id = ${product}`.execute(h.db),
      (err: Error & { code?: string }) => err.code === '23514', // check_violation
    );
  }
  const { rows } = await sql<{
    bad: number;
  }>`select count(*)::int as bad from stock_levels where on_hand < 0 or reserved < 0 or reserved > on_hand`.execute(h.db);
  assert.equal(rows[0]?.bad, 0);
});
