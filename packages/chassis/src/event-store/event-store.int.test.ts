// The event store against a real PostgreSQL: optimistic concurrency (one
// winner among concurrent appends), global positions that a reader never
// finds appearing below what it read,
// snapshots + tail, as-of reads, and a 10,000-event stream loaded from a snapshot.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { pino } from 'pino';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { createDatabase, type Database } from '../db/database.ts';
import { chassisMigrations } from '../db/chassis-migrations.ts';
import { CHASSIS_MIGRATION_TABLE } from '../events/migrations.ts';
import { isSoukError } from '../errors/index.ts';
import '../context.ts'; // installs the context manager, as every service has
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { createEventStore, type EventStore } from './event-store.ts';
import { eventStoreErrors } from './errors.ts';
import type { RecordedEvent } from './types.ts';

type CounterEvent = { type: 'Added'; data: { n: number } } | { type: 'Reset'; data: Record<string, never> };
interface Counter {
  total: number;
  count: number;
  last: number | null;
}
const counter = {
  initial: (): Counter => ({ total: 0, count: 0, last: null }),
  evolve: (s: Counter, e: RecordedEvent<CounterEvent>): Counter =>
    e.type === 'Added'
      ? { total: s.total + e.data.n, count: s.count + 1, last: e.data.n }
      : { total: 0, count: s.count + 1, last: null },
};
const added = (n: number) => ({ type: 'Added' as const, data: { n } });

let testDb: TestDatabase;
let database: Database;
let db: Kysely<any>;
let now = Date.parse('2025-06-01T10:00:00.000Z');
const clock = { now: () => now };
let store: EventStore;
let streams = 0;
const newStream = () => `counter-${++streams}`;

before(async () => {
  testDb = await createTestDatabase('event_store');
  database = createDatabase({
    url: testDb.url,
    poolSize: 12,
    applicationName: 'event-store-test',
    tracer: trace.getTracer('test'),
    log: pino({ level: 'silent' }),
  });
  await database.migrate(chassisMigrations, CHASSIS_MIGRATION_TABLE);
  db = database.db;
  store = createEventStore(db, { clock });
});
after(async () => {
  await database?.close();
  await testDb?.drop();
});

const append = (streamId: string, expected: number | 'any', events: CounterEvent[]) =>
  db.transaction().execute((trx) => store.append<CounterEvent>(trx, streamId, expected, events));

async function conflictOf(work: Promise<unknown>) {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(eventStoreErrors.versionConflict.is(err), `expected a version conflict, got ${String(err)}`);
  return err;
}

describe('appending and reading a stream', () => {
  test('events come back in order with their versions, positions, time and metadata', async () => {
    const id = newStream();
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const span = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    });
    const first = await context.with(trace.setSpan(context.active(), span), () =>
      db
        .transaction()
        .execute((trx) => store.append<CounterEvent>(trx, id, 0, [added(1), added(2)], { metadata: { causationId: 'cmd-1' } })),
    );
    assert.equal(first.previousVersion, 0);
    assert.equal(first.version, 2);
    await append(id, 2, [{ type: 'Reset', data: {} }]);
    const events = await store.readStream<CounterEvent>(id);
    assert.deepEqual(
      events.map((e) => [e.version, e.type]),
      [
        [1, 'Added'],
        [2, 'Added'],
        [3, 'Reset'],
      ],
    );
    assert.deepEqual(events[1]!.data, { n: 2 });
    assert.equal(events[0]!.metadata.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    assert.equal(events[0]!.metadata.causationId, 'cmd-1');
    assert.equal(events[0]!.recordedAt.getTime(), now);
    assert.equal(events[1]!.position, events[0]!.position + 1);
    assert.deepEqual(
      (await store.readStream(id, { fromVersion: 2, toVersion: 2 })).map((e) => e.version),
      [2],
    );
    assert.equal(await store.streamVersion(id), 3);
    assert.equal(await store.streamVersion('no-such-stream'), 0);
  });

  test('an append needs a transaction and at least one event', async () => {
    await assert.rejects(store.append(db, newStream(), 0, [added(1)]), /needs the caller's transaction/);
    await assert.rejects(append(newStream(), 0, []), /at least one event/);
  });

  test('a wrong expected version is a 409 retryable conflict and leaves the transaction usable', async () => {
    const id = newStream();
    await append(id, 0, [added(1)]);
    const err = await conflictOf(append(id, 0, [added(1)]));
    assert.ok(isSoukError(err));
    assert.equal(err.status, 409);
    assert.equal(err.retryable, true);
    assert.equal(err.code, 'SOUK_EVENT_STORE_VERSION_CONFLICT');
    assert.deepEqual(err.extensions, { streamId: id, expectedVersion: 0, actualVersion: 1 });
    await conflictOf(append(id, 5, [added(1)]));
    await conflictOf(append(newStream(), 1, [added(1)]));
    // Reload and retry in the same transaction: the conflict did not abort it, nor leave a gap in positions.
    const result = await db.transaction().execute(async (trx) => {
      await store.append(trx, id, 0, [added(9)]).catch(() => undefined);
      return store.append<CounterEvent>(trx, id, await store.streamVersion(id, { db: trx }), [added(2)]);
    });
    assert.equal(result.version, 2);
    const events = await store.readStream<CounterEvent>(id);
    assert.deepEqual(
      events.map((e) => [e.version, (e.data as { n: number }).n]),
      [
        [1, 1],
        [2, 2],
      ],
      'the refused appends left nothing behind',
    );
    const all = await store.readAll();
    assert.ok(
      all.every((e, i) => i === 0 || e.position > all[i - 1]!.position),
      'positions increase along the read',
    );
  });

  test("'any' appends wherever the stream is", async () => {
    const id = newStream();
    assert.equal((await append(id, 'any', [added(1)])).version, 1);
    assert.equal((await append(id, 'any', [added(1), added(1)])).version, 3);
  });
});

describe('writes along with an append (one statement, no transaction)', () => {
  // What a read model or an outbox write keeps beside the events: the stream, the version and the events' time.
  const along = (events: RecordedEvent<CounterEvent>[], moved: unknown) => [
    sql`insert into along_rows (stream_id, version, recorded_at)
        select ${events[0]!.streamId}, ${events.at(-1)!.version}, ${events[0]!.recordedAt} where exists (select from ${moved})`,
  ];
  const rowsOf = async (id: string) =>
    (
      await sql<{ version: number; recorded_at: Date }>`
        select version, recorded_at from along_rows where stream_id = ${id} order by version`.execute(db)
    ).rows.map((r) => [r.version, r.recorded_at.getTime()]);

  before(async () => {
    await sql`create table along_rows (stream_id text, version int, recorded_at timestamptz(3))`.execute(db);
  });

  test('the writes are made with the events, through the pool; a wrong version writes neither', async () => {
    const id = newStream();
    now = Date.parse('2025-08-01T00:00:00.000Z');
    const first = await store.append<CounterEvent>(db, id, 0, [added(1), added(2)], { along });
    assert.equal(first.version, 2);
    assert.ok(first.events[0]!.position > 0, 'positions are known after the statement');
    assert.equal(first.events[1]!.position, first.events[0]!.position + 1);
    assert.deepEqual(await rowsOf(id), [[2, now]]);
    await conflictOf(store.append<CounterEvent>(db, id, 1, [added(3)], { along }));
    await conflictOf(store.append<CounterEvent>(db, id, 0, [added(3)], { along }));
    assert.equal(await store.streamVersion(id), 2);
    assert.deepEqual(await rowsOf(id), [[2, now]], 'the refused appends wrote nothing along');
    await assert.rejects(store.append<CounterEvent>(db, id, 'any', [added(3)], { along }), /needs an expected version/);
  });

  test('a clock behind the stream records at its last event, and the writes along carry that time', async () => {
    const id = newStream();
    now = Date.parse('2025-08-02T00:00:10.000Z');
    const t0 = now;
    await store.append<CounterEvent>(db, id, 0, [added(1)], { along });
    now -= 5_000; // another instance's clock is behind
    const second = await store.append<CounterEvent>(db, id, 1, [added(2)], { along });
    assert.equal(second.events[0]!.recordedAt.getTime(), t0);
    assert.deepEqual(await rowsOf(id), [
      [1, t0],
      [2, t0],
    ]);
    const events = await store.readStream(id);
    assert.equal(events[1]!.recordedAt.getTime(), t0);
  });

  test("an aggregate's snapshot and writes along are in the append's statement, with the state after the events", async () => {
    const counters = store.aggregate<Counter, CounterEvent>({ type: 'counter', ...counter, snapshotEvery: 2 });
    const id = newStream();
    const seen: number[] = [];
    const totals = (appended: { state: Counter; version: number }, moved: unknown) => {
      seen.push(appended.state.total);
      return [
        sql`insert into along_rows (stream_id, version, recorded_at)
            select ${id}, ${appended.state.total}, now() where exists (select from ${moved})`,
      ];
    };
    const one = await counters.append(db, await counters.load(id), [added(5)], { along: totals });
    assert.equal(one.snapshotTaken, false);
    const two = await counters.append(db, one, [added(7)], { along: totals });
    assert.equal(two.snapshotTaken, true);
    assert.deepEqual(seen, [5, 12]);
    assert.deepEqual(
      (await rowsOf(id)).map(([total]) => total),
      [5, 12],
    );
    const loaded = await counters.load(id);
    assert.deepEqual([loaded.version, loaded.snapshotVersion, loaded.state.total], [2, 2, 12]);
    // A stale writer: no event, no row, no snapshot.
    await conflictOf(counters.append(db, one, [added(100)], { along: totals }));
    assert.deepEqual(
      (await rowsOf(id)).map(([total]) => total),
      [5, 12],
    );
  });
});

describe('concurrency', () => {
  test('concurrent appends with the same expected version: exactly one wins', async () => {
    const id = newStream();
    await append(id, 0, [added(1)]);
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => append(id, 1, [added(10 + i)])));
    const won = results.filter((r) => r.status === 'fulfilled');
    assert.equal(won.length, 1);
    for (const r of results)
      if (r.status === 'rejected') assert.ok(eventStoreErrors.versionConflict.is(r.reason), String(r.reason));
    assert.equal(await store.streamVersion(id), 2);
    assert.equal((await store.readStream(id)).length, 2);
  });

  test('concurrent creations of one stream: exactly one wins', async () => {
    const id = newStream();
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => append(id, 0, [added(1)])));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.equal(await store.streamVersion(id), 1);
  });

  test('an append that began earlier and commits later is never skipped by a reader that read past later commits', async () => {
    const start = (await store.readAll({ after: 0, limit: 100_000 })).at(-1)?.position ?? 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let firstAppended!: () => void;
    const appended = new Promise<void>((r) => (firstAppended = r));
    const slow = db.transaction().execute(async (trx) => {
      await store.append(trx, newStream(), 0, [added(1)]);
      firstAppended();
      await held; // still open: its events are not visible yet
    });
    await appended;
    // Appends do not wait for each other: the second one commits while the first is open.
    const fast = await append(newStream(), 0, [added(2)]);
    assert.ok(fast.events[0]!.position > start);
    // Committed and visible, but an open transaction began before it: a reader moving its cursor
    // past it now would never see the first one, so it is not served yet.
    assert.deepEqual(await store.readAll({ after: start }), []);
    assert.deepEqual(
      (await store.readAll<CounterEvent>({ after: start, unsettled: true })).map((e) => (e.data as { n: number }).n),
      [2],
      'what a one-time read inside a locked rebuild sees',
    );
    release();
    await slow;
    const seen = await store.readAll<CounterEvent>({ after: start });
    assert.deepEqual(
      seen.map((e) => (e.data as { n: number }).n),
      [1, 2],
      'the earlier transaction first, though it committed last',
    );
    assert.ok(seen[0]!.position < seen[1]!.position);

    await db
      .transaction()
      .execute(async (trx) => {
        await store.append(trx, newStream(), 0, [added(3)]);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    const next = await append(newStream(), 0, [added(4), added(5)]);
    assert.equal(next.events[1]!.position, next.events[0]!.position + 1, 'one append, consecutive positions');
    assert.deepEqual(
      (await store.readAll<CounterEvent>({ after: seen[1]!.position, types: ['Added'] })).map((e) => [
        e.position,
        (e.data as { n: number }).n,
      ]),
      [
        [next.events[0]!.position, 4],
        [next.events[1]!.position, 5],
      ],
      'the rolled-back append left nothing',
    );
  });

  test('a transaction open in another database of the server holds nothing back', async () => {
    const other = await createTestDatabase('event_store_other');
    const client = new pg.Client({ connectionString: other.url });
    await client.connect();
    try {
      await client.query('begin');
      await client.query('select pg_current_xact_id()'); // holds a transaction id, as a busy neighbour does
      const start = (await store.readAll({ after: 0, limit: 100_000 })).at(-1)?.position ?? 0;
      await append(newStream(), 0, [added(6)]);
      assert.deepEqual(
        (await store.readAll<CounterEvent>({ after: start })).map((e) => (e.data as { n: number }).n),
        [6],
      );
    } finally {
      await client.end();
      await other.drop();
    }
  });

  test('a transaction may append at most 4096 events; one more fails with a clear message', async () => {
    const many = Array.from({ length: 4097 }, (_, i) => added(i));
    await assert.rejects(append(newStream(), 0, many), /writes more than 4096 ordered rows to souk_event/);
    assert.equal((await append(newStream(), 0, many.slice(0, 4096))).version, 4096);
  });
});

describe('snapshots and as-of', () => {
  test('load starts from the newest snapshot and applies the tail; the state equals a full replay', async () => {
    const counters = store.aggregate({ type: 'counter', ...counter, snapshotEvery: 5 });
    const id = newStream();
    for (let i = 1; i <= 12; i++) {
      const loaded = await counters.load(id);
      const result = await db.transaction().execute((trx) => counters.append(trx, loaded, [added(i)]));
      assert.equal(result.snapshotTaken, i % 5 === 0, `snapshot after event ${i}`);
    }
    const loaded = await counters.load(id);
    assert.equal(loaded.version, 12);
    assert.equal(loaded.snapshotVersion, 10);
    assert.equal(loaded.eventsApplied, 2);
    const replayed = await store.load(id, { ...counter, snapshots: false });
    assert.equal(replayed.eventsApplied, 12);
    assert.deepEqual(loaded.state, replayed.state);
    assert.deepEqual(loaded.state, { total: 78, count: 12, last: 12 });
    // A snapshot of another state shape is ignored.
    const v2 = await store.aggregate({ type: 'counter', ...counter, snapshotEvery: 5, schemaVersion: 2 }).load(id);
    assert.equal(v2.snapshotVersion, undefined);
    assert.equal(v2.eventsApplied, 12);
  });

  test('as of a time: events recorded at or before it, from a snapshot no later', async () => {
    const counters = store.aggregate({ type: 'counter', ...counter, snapshotEvery: 2 });
    const id = newStream();
    const t0 = now;
    for (let i = 1; i <= 5; i++) {
      now = t0 + i * 1000; // event i at t0 + i s
      const loaded = await counters.load(id);
      await db.transaction().execute((trx) => counters.append(trx, loaded, [added(i)]));
    }
    const before = await counters.load(id, { asOf: new Date(t0 + 500) });
    assert.deepEqual([before.version, before.state], [0, counter.initial()]);
    const atThird = await counters.load(id, { asOf: new Date(t0 + 3000) });
    assert.deepEqual([atThird.version, atThird.snapshotVersion, atThird.eventsApplied], [3, 2, 1]);
    assert.deepEqual(atThird.state, { total: 6, count: 3, last: 3 });
    const between = await counters.load(id, { asOf: new Date(t0 + 4999) });
    assert.deepEqual([between.version, between.snapshotVersion, between.eventsApplied], [4, 4, 0]);
    assert.equal((await counters.load(id, { asOf: new Date(t0 + 60_000) })).version, 5);
    // Without snapshots the same answer.
    assert.deepEqual((await store.load(id, { ...counter, asOf: new Date(t0 + 3000), snapshots: false })).state, atThird.state);
  });

  test('time never goes back within a stream, so as-of is always a prefix', async () => {
    const id = newStream();
    now = Date.parse('2025-07-01T00:00:10.000Z');
    await append(id, 0, [added(1)]);
    now -= 5_000; // another instance's clock is behind
    await append(id, 1, [added(2)]);
    const events = await store.readStream(id);
    assert.equal(events[1]!.recordedAt.getTime(), events[0]!.recordedAt.getTime());
  });

  test('a stream of 10,000 events loads from its snapshot, applying fewer than snapshotEvery events', async (t) => {
    const every = 100;
    const counters = store.aggregate({ type: 'counter', ...counter, snapshotEvery: every });
    const id = newStream();
    let loaded = await counters.load(id);
    for (let built = 0; built < 10_000; built += 500) {
      const batch = Array.from({ length: 500 }, (_, i) => added((built + i) % 7));
      const result = await db.transaction().execute((trx) => counters.append(trx, loaded, batch));
      loaded = { ...loaded, state: result.state, version: result.version };
    }
    for (let i = 0; i < 30; i++) {
      loaded = await counters.load(id);
      await db.transaction().execute((trx) => counters.append(trx, loaded, [added(1)]));
    }
    const started = performance.now();
    const fromSnapshot = await counters.load(id);
    const snapshotMs = performance.now() - started;
    assert.equal(fromSnapshot.version, 10_030);
    assert.equal(fromSnapshot.snapshotVersion, 10_000);
    assert.equal(fromSnapshot.eventsApplied, 30);
    assert.ok(fromSnapshot.eventsApplied < every);
    const full = await store.load(id, { ...counter, snapshots: false });
    assert.equal(full.eventsApplied, 10_030);
    assert.deepEqual(fromSnapshot.state, full.state);
    t.diagnostic(`loaded in ${snapshotMs.toFixed(1)} ms from the snapshot`);
  });
});
