// The statements of a page's transaction, counted on the wire: BEGIN, one inbox
// statement that also moves the feed's cursor, the handlers' statements, COMMIT.
// A separate cursor statement creeping back in fails here.

import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { Kysely, PostgresDialect, sql, type RawBuilder } from 'kysely';
import pg from 'pg';
import { Registry } from 'prom-client';
import { Type } from 'typebox';
import { createDatabase } from '../db/database.ts';
import { chassisMigrations } from '../db/chassis-migrations.ts';
import { createLogger } from '../logging.ts';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { defineEvent } from './contract.ts';
import { buildEnvelope, type CloudEvent } from './envelope.ts';
import { createEventMetrics } from './event-metrics.ts';
import { createHandling, type Handling, type Within } from './handling.ts';
import { CHASSIS_MIGRATION_TABLE } from './migrations.ts';

const log = createLogger({ service: 'handling-test', instance: 'test', level: 'silent' });
const Ticked = defineEvent({ source: 'clock', name: 'Ticked', schema: Type.Object({ n: Type.Integer() }) });

let testDb: TestDatabase;
let pool: pg.Pool;
let db: Kysely<any>;
let handling: Handling;
/** Every statement sent to the server, in order. */
let sent: string[] = [];
let failOn: number | undefined;
/** The faults setting's events (server/faults.ts): every handling of Ticked fails while on. */
let faultOn = false;

before(async () => {
  testDb = await createTestDatabase('handling');
  const database = createDatabase({
    url: testDb.url,
    poolSize: 1,
    applicationName: 'migrate',
    tracer: trace.getTracer('t'),
    log,
  });
  await database.migrate(chassisMigrations, CHASSIS_MIGRATION_TABLE);
  await sql`create table ticks (n integer primary key)`.execute(database.db);
  await database.close();
  pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text: string };
      sent.push((typeof first === 'string' ? first : first.text).trim().split(/\s+/).slice(0, 3).join(' ').toLowerCase());
      return query(...args);
    };
  });
  db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  handling = createHandling({
    db,
    log,
    tracer: trace.getTracer('t'),
    metrics: createEventMetrics(new Registry(), { outboxBacklog: async () => 0 }),
    subscriptions: new Map([
      [
        Ticked.type,
        {
          contract: Ticked,
          handler: async (event, tx) => {
            if (event.data.n === failOn) throw new Error('refused');
            await sql`insert into ticks (n) values (${event.data.n})`.execute(tx.db);
          },
        },
      ],
    ]),
    maxAttempts: 3,
    retryDelayMs: () => 10,
    handlerTimeoutMs: 5_000,
    fault: (type) => (faultOn && type === Ticked.type ? new Error('injected: the faults setting') : undefined),
  });
});
after(async () => {
  await db?.destroy();
  await testDb?.drop();
});
beforeEach(async () => {
  failOn = undefined;
  faultOn = false;
  await sql`truncate ticks, souk_inbox, souk_event_failure, souk_feed_cursor, souk_dead_letter`.execute(db);
  await sql`insert into souk_feed_cursor (producer, position, lease_owner, lease_until) values ('clock', 0, 'me', now() + interval '1 minute')`.execute(
    db,
  );
  sent = [];
});

/** The feed consumer's cursor move (feed-consumer.ts), as its owner `owner`. */
const moveTo =
  (position: number, owner = 'me'): Within =>
  (guard: RawBuilder<unknown>) =>
    sql`update souk_feed_cursor set position = ${position}, commit_key = null, commit_key_at = ${position}
        where producer = 'clock' and lease_owner = ${owner} and ${guard}`;

const ticks = (from: number, count: number): CloudEvent[] =>
  Array.from({ length: count }, (_, i) =>
    buildEnvelope({ service: 'clock', type: Ticked.type, id: `t-${from + i}`, data: { n: from + i } }),
  );
const cursor = async () => (await sql<{ position: number }>`select position from souk_feed_cursor`.execute(db)).rows[0]!.position;
const handled = async () => (await sql<{ n: number }>`select count(*)::int as n from ticks`.execute(db)).rows[0]!.n;

test("a page's transaction: BEGIN, the inbox statement moving the cursor, one statement per handler, COMMIT", async () => {
  assert.equal(await handling.deliverBatch(ticks(1, 3), moveTo(3)), 'handled');
  assert.deepEqual(sent, ['begin', 'with limits as', 'insert into ticks', 'insert into ticks', 'insert into ticks', 'commit']);
  assert.equal(await cursor(), 3);
  assert.equal(await handled(), 3);

  // The same page again (a crash before the commit was known): the inbox drops it, the cursor stays.
  sent = [];
  assert.equal(await handling.deliverBatch(ticks(1, 3), moveTo(3)), 'handled');
  assert.deepEqual(sent, ['begin', 'with limits as', 'commit']);
  assert.equal(await handled(), 3);
});

test('one event on its own: the same frame, the cursor in the inbox statement', async () => {
  assert.deepEqual(await handling.deliver(ticks(1, 1)[0]!, moveTo(1)), { kind: 'handled' });
  assert.deepEqual(sent, ['begin', 'with limits as', 'insert into ticks', 'commit']);
  assert.equal(await cursor(), 1);
});

test('a page whose lease moved on commits nothing and runs no handler', async () => {
  assert.equal(await handling.deliverBatch(ticks(1, 3), moveTo(3, 'someone-else')), 'lost');
  assert.equal(await handled(), 0);
  assert.equal(await cursor(), 0);
  assert.equal((await sql<{ n: number }>`select count(*)::int as n from souk_inbox`.execute(db)).rows[0]!.n, 0);
  assert.deepEqual(await handling.deliver(ticks(1, 1)[0]!, moveTo(1, 'someone-else')), { kind: 'lost' });
  assert.equal(await cursor(), 0);
});

test('a handler failing mid-page rolls the cursor back with the page; one by one, it stops before the failing event', async () => {
  failOn = 2;
  assert.equal(await handling.deliverBatch(ticks(1, 3), moveTo(3)), 'fallback');
  assert.equal(await cursor(), 0);
  assert.equal(await handled(), 0);
  assert.deepEqual(await handling.deliver(ticks(1, 1)[0]!, moveTo(1)), { kind: 'handled' });
  const outcome = await handling.deliver(ticks(2, 1)[0]!, moveTo(2));
  assert.equal(outcome.kind, 'retry');
  assert.equal(await cursor(), 1);
});

test('a fault on the type fails every handling: retried, parked after maxAttempts, and redriven once it is off', async () => {
  faultOn = true;
  const [event] = ticks(1, 1);
  assert.equal(await handling.deliverBatch([event!], moveTo(1)), 'fallback');
  assert.equal((await handling.deliver(event!)).kind, 'retry');
  assert.equal((await handling.deliver(event!)).kind, 'retry');
  assert.equal((await handling.deliver(event!)).kind, 'dead-lettered');
  const parked = await sql<{ error: string; attempts: number }>`select error, attempts from souk_dead_letter`.execute(db);
  assert.deepEqual(parked.rows, [{ error: 'injected: the faults setting', attempts: 3 }]);
  await assert.rejects(handling.handleNow(event!), /injected/, 'a redrive fails too while the fault is on');
  assert.equal(await handled(), 0);
  faultOn = false;
  assert.equal(await handling.handleNow(event!), 'handled');
  assert.equal(await handled(), 1);
});
