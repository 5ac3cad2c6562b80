// publishAll: several events in one statement keep the order publish would
// give them (after what the transaction published before, in the order
// given), a retried id still adds nothing, and a transaction still notifies
// once per event type.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { FEED_PATH, type FeedPage } from '../../src/index.ts';
import { waitFor } from '../../src/testing/index.ts';
import { scenarioFor } from './conformance.ts';
import { tickedEvent, tockedEvent } from './fixtures.ts';
import type { Transport } from './harness.ts';

const feed: Transport = { name: 'feed', env: () => ({}), cleanup: async () => {}, replay: async (_s, c) => c };

test('publishAll writes in order after earlier publishes, adds nothing for a retried id, and notifies once per type', async (t: TestContext) => {
  const s = await scenarioFor(t, feed, 'all');
  const producer = await s.startProducer();
  const Ticked = tickedEvent(s.producer);
  const Tocked = tockedEvent(s.producer);
  const retried = '0b6f6d1e-6a43-4d3c-9f0e-2f3f1c6a0a01';

  const listener = new pg.Client({ connectionString: s.producerDb.url });
  listener.on('error', () => undefined); // the scenario drops the database when it closes
  await listener.connect();
  t.after(() => listener.end().catch(() => undefined));
  const notified: string[] = [];
  listener.on('notification', (m) => notified.push(m.payload ?? ''));
  await listener.query('listen souk_outbox');

  const { events } = producer.ctx;
  await producer.ctx.db.transaction().execute(async (trx) => {
    await events.publish(trx, Ticked, { n: 0 });
    await events.publishAll(trx, [
      { contract: Ticked, data: { n: 1 } },
      { contract: Tocked, data: { n: 2 } },
      { contract: Ticked, data: { n: 3 }, options: { id: retried } },
    ]);
    await events.publishAll(trx, [
      { contract: Ticked, data: { n: 4 }, options: { id: retried } },
      { contract: Ticked, data: { n: 5 } },
    ]);
  });
  await producer.ctx.db
    .transaction()
    .execute((trx) => events.publishAll(trx, [{ contract: Ticked, data: { n: 6 }, options: { id: retried } }]));

  const res = await fetch(`${s.producerUrl}${FEED_PATH}?after=0&limit=100`, {
    headers: { authorization: `Bearer ${await s.feedToken()}` },
  });
  const page = (await res.json()) as FeedPage;
  assert.deepEqual(
    page.events.map((e) => (e.data as { n: number }).n),
    [0, 1, 2, 3, 5],
  );
  const first = page.events.find((e) => e.id === retried);
  assert.deepEqual(first?.data, { n: 3 }, 'the retried id is the first event published with it');
  // One notification per type and transaction: Ticked and Tocked for the first, Ticked for the second (as publish does, whether or not its row was new).
  await waitFor(() => notified.length >= 3 || undefined, { timeoutMs: 5_000, what: 'notifications' });
  assert.deepEqual(notified.sort(), [Ticked.type, Ticked.type, Tocked.type].sort());

  await assert.rejects(
    producer.ctx.db.transaction().execute((trx) => events.publishAll(trx, [{ contract: Ticked, data: { n: 'x' } as never }])),
    /payload does not match its contract/,
  );
  await assert.rejects(events.publishAll(producer.ctx.db, [{ contract: Ticked, data: { n: 7 } }]), /needs the transaction/);
});

test('publishing writes in the statement it is part of, through the pool, only when its condition has a row', async (t: TestContext) => {
  const s = await scenarioFor(t, feed, 'all');
  const producer = await s.startProducer();
  const Ticked = tickedEvent(s.producer);
  const { events, db } = producer.ctx;
  // The state change and its announcement in one statement, as an event store append with writes along makes them.
  const announce = async (changed: boolean, n: number) =>
    sql`with m as (select 1 where ${changed}), o as (${events.publishing(
      db,
      [
        { contract: Ticked, data: { n } },
        { contract: Ticked, data: { n: n + 1 } },
      ],
      sql`m`,
    )}) select 1`.execute(db);
  await announce(true, 1);
  await announce(false, 10);
  await announce(true, 3);

  const page = (await (
    await fetch(`${s.producerUrl}${FEED_PATH}?after=0&limit=100`, { headers: { authorization: `Bearer ${await s.feedToken()}` } })
  ).json()) as FeedPage;
  assert.deepEqual(
    page.events.map((e) => (e.data as { n: number }).n),
    [1, 2, 3, 4],
    'in order, and nothing of the statement whose condition had no row',
  );
  assert.throws(() => events.publishing(db, [{ contract: Ticked, data: { n: 'x' } as never }], sql`m`), /payload does not match/);
});
