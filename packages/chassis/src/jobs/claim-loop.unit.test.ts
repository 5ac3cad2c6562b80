// The claim loop's round trips: a row that finishes claims again only when the
// concurrency limit held rows back (or its lease was lost), not after every
// row; wake() and the limit still get every due row claimed.

import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { createLogger } from '../logging.ts';
import { createClaimLoop, type ClaimLoop } from './claim-loop.ts';

const log = createLogger({ service: 'claim-loop-test', instance: 'test', level: 'silent' });

const loops: ClaimLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
});

/** Lets the loop's promise callbacks and the work's `finally` run. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** A loop over `due` (ids), each worked on until `finish(id)`; claims are counted. */
function setup(concurrency: number, due: string[]) {
  const claims: number[] = [];
  const finishers = new Map<string, () => void>();
  const started: string[] = [];
  const loop: ClaimLoop = createClaimLoop<{ id: string }>({
    log,
    what: 'row',
    leaseMs: 600_000,
    pollMs: 600_000, // no poll within a test: every claim here comes from a wake
    concurrency,
    async claim(limit) {
      claims.push(limit);
      return due.splice(0, limit).map((id) => ({ id }));
    },
    renew: async () => true,
    release: async () => undefined,
    work: (row) =>
      new Promise<void>((resolve) => {
        started.push(row.id);
        finishers.set(row.id, resolve);
      }),
  });
  loops.push(loop);
  return {
    loop,
    claims,
    started,
    async finish(id: string) {
      finishers.get(id)!();
      await settle();
    },
  };
}

test('a row that finishes with room to spare claims nothing: the next claim comes from a wake', async () => {
  const s = setup(4, ['a']);
  s.loop.run();
  await settle();
  assert.deepEqual(s.claims, [4]);
  await s.finish('a');
  assert.deepEqual(s.claims, [4], 'no claim after the row finished');
  s.loop.wake();
  await settle();
  assert.deepEqual(s.claims, [4, 4]);
});

test('rows held back by the limit are claimed as rows finish', async () => {
  const s = setup(1, ['a', 'b', 'c']);
  s.loop.run();
  await settle();
  assert.deepEqual(s.started, ['a']);
  await s.finish('a');
  assert.deepEqual(s.started, ['a', 'b']);
  await s.finish('b');
  assert.deepEqual(s.started, ['a', 'b', 'c']);
  const claims = s.claims.length;
  await s.finish('c');
  // c filled the only slot, so the loop could not know whether more were due: it looks once more, and finds none.
  assert.equal(s.claims.length, claims + 1);
});
