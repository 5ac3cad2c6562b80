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

/** A loop over `due` (ids), each worked on until `finish(id)`; claims are counted (or answered by `claim`). */
function setup(
  concurrency: number,
  due: string[],
  claim?: (limit: number, busy: readonly string[]) => Promise<{ id: string }[]>,
) {
  const claims: number[] = [];
  const finishers = new Map<string, () => void>();
  const started: string[] = [];
  const loop: ClaimLoop = createClaimLoop<{ id: string }>({
    log,
    what: 'row',
    leaseMs: 600_000,
    pollMs: 600_000, // no poll within a test: every claim here comes from a wake
    concurrency,
    async claim(limit, busy) {
      claims.push(limit);
      return claim ? claim(limit, busy) : due.splice(0, limit).map((id) => ({ id }));
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

test('a claim answered after the row it returns was adopted or finished here does not start that row from its copy', async () => {
  // The claim's statement may run after its `busy` list was taken (waiting for a connection): it can then return a
  // row this instance adopted, or one whose work ended, meanwhile. Neither is started from that stale copy.
  let answer: (rows: { id: string }[]) => void = () => undefined;
  const busyLists: string[][] = [];
  const { loop, started, finish } = setup(4, [], (_limit, busy) => {
    busyLists.push([...busy]);
    return busyLists.length === 2 ? new Promise((resolve) => (answer = resolve)) : Promise.resolve([]);
  });
  loop.run();
  await settle();
  assert.ok(loop.reserve('done'));
  assert.ok(loop.adopt({ id: 'done' }, performance.now()));
  await settle();
  loop.wake(); // the second claim: held on its way
  await settle();
  assert.deepEqual(busyLists[1], ['done']);
  await finish('done'); // 'done' ends while the claim is on its way...
  assert.ok(loop.reserve('fresh')); // ...and 'fresh' is written leased to this instance, then adopted
  assert.ok(loop.adopt({ id: 'fresh' }, performance.now()));
  await settle();
  answer([{ id: 'done' }, { id: 'fresh' }]); // the claim saw both, leased to this instance
  await settle();
  assert.deepEqual(started, ['done', 'fresh'], 'each started once, neither from the claim');
  assert.equal(busyLists.length, 3, 'the row skipped is claimed again at once, from a fresh copy');
  await finish('fresh');
});
