// The embedded feed's order and wake-ups, beyond the conformance suite: an
// event whose transaction began earlier and commits later is never skipped by
// a consumer that already read past later commits; committed events held back
// by an open transaction that publishes nothing are served when it ends; a
// held read is not woken by event types it does not ask for; and outbox rows
// numbered by the relay before the commit-key migration keep their numbers
// and come first.

import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { trace } from '@opentelemetry/api';
import pg from 'pg';
import { pino } from 'pino';
import { eventsReadScope, FEED_PATH, startService, type FeedPage, type RunningService } from '../../src/index.ts';
import { createDatabase } from '../../src/db/database.ts';
import { chassisMigrations } from '../../src/db/chassis-migrations.ts';
import { CHASSIS_MIGRATION_TABLE } from '../../src/events/migrations.ts';
import { createTestDatabase, createTestIssuer, freePort } from '../../src/testing/index.ts';
import { scenarioFor } from './conformance.ts';
import { producerService, tickedEvent, tockedEvent } from './fixtures.ts';
import type { Transport } from './harness.ts';

const feed: Transport = { name: 'feed', env: () => ({}), cleanup: async () => {}, replay: async (_s, c) => c };

/** A feed read with a reader's token (`events:read:<producer>`, signed by the scenario's issuer). */
async function read(
  s: { producerUrl: string; feedToken(): Promise<string> },
  query: Record<string, string | number>,
  timeoutMs = 30_000,
): Promise<FeedPage> {
  const params = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
  const res = await fetch(`${s.producerUrl}${FEED_PATH}?${params.toString()}`, {
    signal: AbortSignal.timeout(timeoutMs),
    headers: { authorization: `Bearer ${await s.feedToken()}` },
  });
  assert.equal(res.status, 200);
  return (await res.json()) as FeedPage;
}

/** Opens a transaction in the producer that publishes Ticked n and stays open until `commit` is called. */
async function openPublishing(producer: RunningService, name: string, n: number) {
  let commit!: () => void;
  const gate = new Promise<void>((r) => (commit = r));
  let opened!: () => void;
  const published = new Promise<void>((r) => (opened = r));
  const done = producer.ctx.db.transaction().execute(async (trx) => {
    await producer.ctx.events.publish(trx, tickedEvent(name), { n });
    opened();
    await gate;
  });
  await published;
  return {
    commit: async () => {
      commit();
      await done;
    },
  };
}

const ns = (page: FeedPage) => page.events.map((e) => (e.data as { n: number }).n);

test('an event whose transaction began earlier and commits later is never skipped by a consumer that read past later commits', async (t: TestContext) => {
  const s = await scenarioFor(t, feed, 'late');
  const producer = await s.startProducer();
  await s.startConsumer();
  assert.equal((await s.emit({ from: 0, count: 1 })).status, 200);
  await s.waitForEffects(1);

  const early = await openPublishing(producer, s.producer, 1);
  try {
    assert.equal((await s.emit({ from: 2, count: 1 })).status, 200); // begins later, commits first
    // Committed, but a transaction that began before it may still commit: not served yet, to anyone.
    const now = await read(s, { after: 0 });
    assert.deepEqual(ns(now), [0]);
    assert.equal(now.position, 1);
  } finally {
    await early.commit();
  }

  await s.waitForEffects(3);
  assert.deepEqual(
    (await s.effects()).map((e) => e.n),
    [0, 1, 2],
    'the consumer got the earlier transaction first, though it committed last',
  );
  const all = await read(s, { after: 0 });
  assert.deepEqual(
    all.events.map((e) => e.sequence),
    ['1', '2', '3'],
    'numbered along the feed',
  );
  assert.deepEqual(ns(all), [0, 1, 2]);
});

test('events held back by an open transaction that publishes nothing are served when it ends, without a notification', async (t: TestContext) => {
  const s = await scenarioFor(t, feed, 'held');
  await s.startProducer();
  const blocker = new pg.Client({ connectionString: s.producerDb.url });
  blocker.on('error', () => undefined); // ended with the database when the scenario closes
  await blocker.connect();
  t.after(() => blocker.end().catch(() => undefined));
  await blocker.query('begin');
  await blocker.query('insert into ticks (n) values (-1)'); // a transaction id, older than the event below

  assert.equal((await s.emit({ from: 0, count: 1 })).status, 200);
  assert.deepEqual(ns(await read(s, { after: 0 })), [], 'held back while the older transaction is open');
  const held = read(s, { after: 0, waitMs: 60_000 });
  await blocker.query('rollback'); // ends it; nothing is notified
  // The held read looks again on its own shortly after (well before its 60 s wait ends).
  const page = await held;
  assert.deepEqual(ns(page), [0]);
  assert.equal(page.position, 1);
});

test('a held read stays held while only other event types commit, and answers with its own type', async (t: TestContext) => {
  const s = await scenarioFor(t, feed, 'types');
  const producer = await s.startProducer();
  const Ticked = tickedEvent(s.producer);
  const Tocked = tockedEvent(s.producer);
  assert.equal((await s.emit({ from: 0, count: 1 })).status, 200);
  const first = await read(s, { after: 0, types: Ticked.type });
  assert.deepEqual(ns(first), [0]);

  const held = read(s, { after: first.position, key: first.key!, types: Ticked.type, waitMs: 60_000 });
  for (let n = 0; n < 3; n++) {
    await producer.ctx.db.transaction().execute((trx) => producer.ctx.events.publish(trx, Tocked, { n }));
  }
  assert.equal((await s.emit({ from: 1, count: 1 })).status, 200);
  const page = await held;
  // Woken by the other types, it would have answered an empty page with a moved position.
  assert.deepEqual(ns(page), [1], 'answered with the Ticked event, after the three Tocked ones');
  assert.equal(page.position, first.position + 4, 'past the skipped types');
  assert.equal(page.head, page.position);

  // The wait ends with nothing of its type: the moved position comes back then, and only then.
  for (let n = 3; n < 5; n++) {
    await producer.ctx.db.transaction().execute((trx) => producer.ctx.events.publish(trx, Tocked, { n }));
  }
  const ended = await read(s, { after: page.position, key: page.key!, types: Ticked.type, waitMs: 200 });
  assert.deepEqual(ns(ended), []);
  assert.equal(ended.position, page.position + 2);
});

test('outbox rows numbered by the relay before the commit-key migration keep their numbers and come first', async (t: TestContext) => {
  const testDb = await createTestDatabase('evp_legacy');
  t.after(() => testDb.drop());
  const database = createDatabase({
    url: testDb.url,
    poolSize: 2,
    applicationName: 'legacy-outbox-test',
    tracer: trace.getTracer('test'),
    log: pino({ level: 'silent' }),
  });
  const name = `plegacy-${process.pid}`;
  const Ticked = tickedEvent(name);
  try {
    const before007 = Object.fromEntries(Object.entries(chassisMigrations).filter(([k]) => k < '007'));
    await database.migrate(before007, CHASSIS_MIGRATION_TABLE);
    const envelope = (n: number) => ({
      specversion: '1.0',
      id: `legacy-${n}`,
      source: `urn:souk:service:${name}`,
      type: Ticked.type,
      time: new Date().toISOString(),
      datacontenttype: 'application/json',
      data: { n },
    });
    // Inserted in one order (seq), numbered by the old relay in commit order (position); n = the position.
    const legacy = new pg.Client({ connectionString: testDb.url });
    await legacy.connect();
    try {
      for (const [n, position] of [
        [2, 2],
        [1, 1],
        [3, 3],
        [5, null],
        [4, null],
      ] as const)
        await legacy.query('insert into souk_outbox (position, id, type, envelope) values ($1, $2, $3, $4)', [
          position,
          `legacy-${n}`,
          Ticked.type,
          envelope(n),
        ]);
    } finally {
      await legacy.end();
    }
  } finally {
    await database.close();
  }

  const port = await freePort();
  const producer = await startService(producerService(name), {
    env: {
      DATABASE_URL: testDb.url,
      PORT: String(port),
      LOG_LEVEL: 'silent',
      STATIC_SERVICES: `${name}=http://127.0.0.1:${port}`,
    },
  });
  t.after(() => producer.stop());
  const issuer = await createTestIssuer();
  producer.ctx.auth.setKeySource(issuer.keySource);
  const reader = {
    producerUrl: producer.url,
    feedToken: () => issuer.token({ sub: 'svc-reader', roles: [], scopes: [eventsReadScope(name)] }),
  };
  await producer.ctx.db.transaction().execute((trx) => producer.ctx.events.publish(trx, Ticked, { n: 6 }));

  const all = await read(reader, { after: 0 });
  // Unnumbered rows (committed before the migration, the relay had not run) follow in insert order, as it would have numbered them.
  assert.deepEqual(ns(all), [1, 2, 3, 5, 4, 6]);
  assert.deepEqual(
    all.events.map((e) => e.sequence),
    ['1', '2', '3', '4', '5', '6'],
  );
  // A consumer's cursor from before (a position, no key) goes on where it was.
  assert.deepEqual(ns(await read(reader, { after: 3 })), [5, 4, 6]);
  assert.deepEqual((await read(reader, { after: 3 })).position, 6);
});
