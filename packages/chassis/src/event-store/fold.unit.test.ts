// The event store's pure parts: folding, snapshot points, metadata merging.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertExpectedVersion, crossesSnapshotPoint, foldEvents, mergeMetadata } from './fold.ts';
import type { RecordedEvent } from './types.ts';

type Added = { type: 'Added'; data: { n: number } };
const event = (version: number, n: number): RecordedEvent<Added> => ({
  id: `e${version}`,
  streamId: 's',
  version,
  position: version,
  type: 'Added',
  data: { n },
  metadata: {},
  recordedAt: new Date(version),
});
const sum = { evolve: (state: number, e: RecordedEvent<Added>) => state + e.data.n };

test('folding continues from the start state and counts what it applied', () => {
  const folded = foldEvents(sum, { state: 10, version: 2 }, [event(3, 1), event(4, 2)]);
  assert.deepEqual(folded, { state: 13, version: 4, applied: 2 });
});

test('folding nothing keeps the start', () => {
  assert.deepEqual(foldEvents(sum, { state: 5, version: 7 }, []), { state: 5, version: 7, applied: 0 });
});

test('an event out of place is refused, not folded into a state that never was', () => {
  assert.throws(() => foldEvents(sum, { state: 0, version: 2 }, [event(4, 1)]), /version 4 does not follow 2/);
  assert.throws(() => foldEvents(sum, { state: 0, version: 0 }, [event(1, 1), event(1, 1)]), /version 1 does not follow 1/);
});

test('a snapshot point is passed once per multiple, however the appends are sized', () => {
  assert.equal(crossesSnapshotPoint(0, 49, 50), false);
  assert.equal(crossesSnapshotPoint(49, 50, 50), true);
  assert.equal(crossesSnapshotPoint(50, 51, 50), false);
  assert.equal(crossesSnapshotPoint(48, 53, 50), true);
  assert.equal(crossesSnapshotPoint(10, 160, 50), true);
  assert.equal(crossesSnapshotPoint(0, 1000, 0), false);
  assert.equal(crossesSnapshotPoint(0, 1000, undefined), false);
  // Exactly one snapshot point per `every` events over a stream built one by one.
  let points = 0;
  for (let v = 1; v <= 1000; v++) if (crossesSnapshotPoint(v - 1, v, 50)) points++;
  assert.equal(points, 20);
});

test('metadata: later parts win, undefined leaves the earlier value', () => {
  assert.deepEqual(
    mergeMetadata(
      { traceparent: 't1', causationId: 'a' },
      undefined,
      { causationId: 'b', correlationId: undefined },
      { tenant: 'x' },
    ),
    { traceparent: 't1', causationId: 'b', tenant: 'x' },
  );
});

test('expected versions: non-negative integers or any', () => {
  for (const ok of [0, 1, 42, 'any' as const]) assertExpectedVersion(ok);
  for (const bad of [-1, 1.5, Number.NaN]) assert.throws(() => assertExpectedVersion(bad), /non-negative integer/);
});
