// The stock arithmetic: each move's effect, all-or-nothing shortages, broken
// books refused, StockLow only on the crossing, and an admin's write.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossedLow, decidePutLevel, moveStock, type Level } from './stock-rules.ts';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const level = (productId: string, onHand: number, reserved = 0, lowStockThreshold = 2): Level => ({
  productId,
  onHand,
  reserved,
  lowStockThreshold,
});
const levels = (...ls: Level[]) => new Map(ls.map((l) => [l.productId, l]));

test('each move changes on hand and reserved as it should', () => {
  const l = levels(level(A, 10, 4, 0));
  const one = [{ productId: A, quantity: 3 }];
  const after = (move: Parameters<typeof moveStock>[1]) => {
    const r = moveStock(l, move, one);
    assert.ok(r.ok);
    return [r.levels[0]!.onHand, r.levels[0]!.reserved];
  };
  assert.deepEqual(after('reserve'), [10, 7]);
  assert.deepEqual(after('release'), [10, 1]);
  assert.deepEqual(after('commit'), [7, 1]);
  assert.deepEqual(after('return'), [13, 4]);
  assert.deepEqual(after('take'), [7, 4]);
});

test('reserve and take are all or nothing: the first short line is named, nothing changes', () => {
  const l = levels(level(A, 10), level(B, 1));
  for (const move of ['reserve', 'take'] as const) {
    const r = moveStock(l, move, [
      { productId: A, quantity: 2 },
      { productId: B, quantity: 2 },
    ]);
    assert.deepEqual(r, { ok: false, shortage: { productId: B, requested: 2, available: 1 } });
  }
  assert.deepEqual(l.get(A), level(A, 10), 'the input is not mutated');
  // Reserved units are not available.
  assert.equal(moveStock(levels(level(A, 5, 4)), 'reserve', [{ productId: A, quantity: 2 }]).ok, false);
});

test('a product without a level has nothing available', () => {
  assert.deepEqual(moveStock(levels(), 'reserve', [{ productId: A, quantity: 1 }]), {
    ok: false,
    shortage: { productId: A, requested: 1, available: 0 },
  });
});

test('moves that would break the books throw instead of writing nonsense', () => {
  assert.throws(() => moveStock(levels(level(A, 5, 1)), 'release', [{ productId: A, quantity: 2 }]), /reserved -1/);
  assert.throws(() => moveStock(levels(level(A, 5, 1)), 'commit', [{ productId: A, quantity: 2 }]));
  assert.throws(() => moveStock(levels(), 'return', [{ productId: A, quantity: 1 }]), /no level/);
});

test('StockLow is the crossing from above the threshold to at or below it', () => {
  assert.equal(crossedLow(level(A, 10, 7), level(A, 10, 8)), true); // 3 → 2, threshold 2
  assert.equal(crossedLow(level(A, 10, 8), level(A, 10, 9)), false); // already low
  assert.equal(crossedLow(level(A, 10, 0), level(A, 10, 5)), false); // still above
  assert.equal(crossedLow(level(A, 10, 9), level(A, 10, 0)), false); // going up
  const r = moveStock(levels(level(A, 10, 0), level(B, 10, 0)), 'reserve', [
    { productId: A, quantity: 8 },
    { productId: B, quantity: 1 },
  ]);
  assert.ok(r.ok);
  assert.deepEqual(
    r.crossedLow.map((l) => l.productId),
    [A],
  );
});

test('an admin write: keeps reserved and the threshold unless given, refuses going below reserved', () => {
  assert.deepEqual(decidePutLevel(undefined, A, { onHand: 1 }, 5), { ok: true, level: level(A, 1, 0, 5), crossedLow: false });
  assert.deepEqual(decidePutLevel(level(A, 10, 4, 1), A, { onHand: 8 }, 5), {
    ok: true,
    level: level(A, 8, 4, 1),
    crossedLow: false,
  });
  assert.deepEqual(decidePutLevel(level(A, 10, 4, 1), A, { onHand: 3 }, 5), { ok: false, reserved: 4 });
  // Lowering on hand, or raising the threshold, can make a level low.
  assert.equal((decidePutLevel(level(A, 10, 4, 1), A, { onHand: 5 }, 5) as { crossedLow: boolean }).crossedLow, true);
  assert.equal(
    (decidePutLevel(level(A, 10, 0, 1), A, { onHand: 10, lowStockThreshold: 10 }, 5) as { crossedLow: boolean }).crossedLow,
    true,
  );
});
