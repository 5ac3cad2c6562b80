// Merging a page of events in one go (view-store.ts): several orders and
// several events per order in one call, echoes that change nothing, and two
// transactions racing to create the same order's row.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { waitFor } from '@souk/chassis/testing';
import { emptyFacts, evolve } from '../src/projection/order-facts.ts';
import { mergeEvents } from '../src/projection/view-store.ts';
import { orderStory } from './order-events.ts';
import { startHistory, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startHistory('viewstore');
});
after(async () => {
  await h?.close();
});

const now = new Date('2025-06-01T12:00:00.000Z');
const factsOf = async (orderId: string) =>
  (await h.svc.ctx.db.selectFrom('order_views').select('facts').where('order_id', '=', orderId).executeTakeFirst())?.facts;

test('a page naming two orders, one of them three times, writes each row once with every fact; an echo writes nothing', async () => {
  const a = orderStory();
  const b = orderStory();
  const page = [a.events[0]!, b.events[0]!, a.events[1]!, a.events[2]!];
  const changed = await h.svc.ctx.db.transaction().execute((trx) => mergeEvents(trx, page, now));
  assert.equal(changed, 2, 'two rows, however many events');
  assert.deepEqual(await factsOf(a.orderId), [a.events[0]!, a.events[1]!, a.events[2]!].reduce(evolve, emptyFacts(a.orderId)));
  assert.deepEqual(await factsOf(b.orderId), evolve(emptyFacts(b.orderId), b.events[0]!));

  const again = await h.svc.ctx.db.transaction().execute((trx) => mergeEvents(trx, [a.events[1]!, b.events[0]!], now));
  assert.equal(again, 0, 'redelivered events change no row');
  const next = await h.svc.ctx.db.transaction().execute((trx) => mergeEvents(trx, [a.events[3]!, a.events[1]!], now));
  assert.equal(next, 1);
  assert.deepEqual(await factsOf(a.orderId), a.events.slice(0, 4).reduce(evolve, emptyFacts(a.orderId)));
});

test("two transactions creating the same order's row: the later one merges into the row the first created", async () => {
  const story = orderStory();
  const [placed, reserved] = [story.events[0]!, story.events[1]!];
  let firstInserted!: () => void;
  const inserted = new Promise<void>((resolve) => (firstInserted = resolve));
  let letFirstCommit!: () => void;
  const commit = new Promise<void>((resolve) => (letFirstCommit = resolve));
  const first = h.svc.ctx.db.transaction().execute(async (trx) => {
    await mergeEvents(trx, [placed], now);
    firstInserted();
    await commit; // the row exists, uncommitted: the second transaction's insert waits for this one
  });
  await inserted;
  const second = h.svc.ctx.db.transaction().execute((trx) => mergeEvents(trx, [reserved], now));
  // The second found no row, so it inserts one, and waits on the first's uncommitted one; then the first commits.
  const watcher = new pg.Client({ connectionString: h.databaseUrl });
  await watcher.connect();
  try {
    await waitFor(
      async () => {
        const { rows } = await watcher.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and query like 'insert into "order_views"%'`);
        return rows[0]!.n > 0;
      },
      { what: "the second transaction to wait on the first one's row" },
    );
  } finally {
    await watcher.end();
  }
  letFirstCommit();
  await first;
  assert.equal(await second, 1);
  assert.deepEqual(await factsOf(story.orderId), [placed, reserved].reduce(evolve, emptyFacts(story.orderId)));
});
