// Work the handlers of one transaction share (HandlerContext.shared): written
// once per page of events, before the commit, and rolled back with it.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { defineService, startService } from '../../src/index.ts';
import { waitFor } from '../../src/testing/index.ts';
import { createScenario, type Scenario } from './harness.ts';
import { tickedEvent } from './fixtures.ts';

const scenarios: Scenario[] = [];
after(async () => {
  await Promise.allSettled(scenarios.map((s) => s.close()));
});

/** Counts handled ticks in memory per transaction and writes one row per transaction: how many, and their sum. */
function countingConsumer(name: string, producer: string, failFlush: () => boolean) {
  return defineService({
    name,
    version: '0.0.1',
    migrations: {
      '001_pages': {
        async up(db) {
          await sql`create table pages (seq bigserial primary key, events integer not null, total integer not null)`.execute(db);
        },
      },
    },
    setup(ctx) {
      ctx.events.subscribe(tickedEvent(producer), async (event, tx) => {
        const page = tx.shared(
          'pages',
          () => ({ events: 0, total: 0 }),
          async (state, db) => {
            if (failFlush()) throw new Error('the flush fails');
            await sql`insert into pages (events, total) values (${state.events}, ${state.total})`.execute(db);
          },
        );
        page.events += 1;
        page.total += event.data.n;
      });
    },
  });
}

const feed = { name: 'feed' as const, env: () => ({}), cleanup: async () => {}, replay: async (_s: Scenario, c: never) => c };

async function start(label: string, failFlush: () => boolean) {
  const s = await createScenario(feed, label);
  scenarios.push(s);
  await s.startProducer();
  const consumer = await startService(countingConsumer(s.consumer, s.producer, failFlush), {
    env: s.env({ DATABASE_URL: s.consumerDb.url, EVENTS_MAX_ATTEMPTS: '1000' }),
  });
  // One producer transaction: its twenty events become visible together, so they come in one page.
  assert.equal((await s.emit({ from: 1, count: 20, perTransaction: 20 })).status, 200);
  const pages = () => s.consumerSql<{ events: number; total: number }>('select events, total from pages order by seq');
  const allTwenty = () =>
    waitFor(async () => {
      const rows = await pages();
      return rows.reduce((sum, r) => sum + r.events, 0) === 20 ? rows : undefined;
    });
  return { s, consumer, pages, allTwenty };
}

test('the handlers of a page share one state, written once before the commit', async () => {
  const { consumer, allTwenty } = await start('shared', () => false);
  try {
    assert.deepEqual(await allTwenty(), [{ events: 20, total: 210 }]);
  } finally {
    await consumer.stop();
  }
});

test('a failing flush rolls back the handlers it belongs to: nothing stays, and the events come again', async () => {
  let failing = true;
  const { s, consumer, pages, allTwenty } = await start('sharedfail', () => failing);
  try {
    await waitFor(
      async () => (await s.consumerSql<{ n: number }>('select count(*)::int as n from souk_event_failure'))[0]!.n > 0,
      {
        what: 'a failed attempt',
      },
    );
    assert.deepEqual(await pages(), []);
    failing = false;
    const rows = await allTwenty();
    assert.equal(
      rows.reduce((sum, r) => sum + r.total, 0),
      210,
    );
  } finally {
    await consumer.stop();
  }
});
