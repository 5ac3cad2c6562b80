// The jobs module on a real PostgreSQL: enqueued only with the commit, woken
// by it, claimed by one worker at a time (SKIP LOCKED and a lease), taken over
// after a dead worker's lease, retried on its backoff, parked, retried by an
// operator, and stop() awaiting the job in flight.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { trace } from '@opentelemetry/api';
import { sql, type Kysely } from 'kysely';
import { Registry } from 'prom-client';
import { createDatabase, type Database } from '../db/database.ts';
import { chassisMigrations } from '../db/chassis-migrations.ts';
import { defineErrors, isSoukError } from '../errors/errors.ts';
import { CHASSIS_MIGRATION_TABLE } from '../events/migrations.ts';
import { createLogger } from '../logging.ts';
import { createTestDatabase, waitFor, type TestDatabase } from '../testing/index.ts';
import { createJobRunner, defineJob, type JobKind, type JobRunner, type JobRunnerOptions } from './job-runner.ts';
import { permanentFailure } from './job-rules.ts';
import type { JobRow } from './job-store.ts';

const log = createLogger({ service: 'jobs-test', instance: 'test', level: 'silent' });
const errors = defineErrors({
  refused: { code: 'SOUK_TEST_JOBS_REFUSED', status: 422, title: 'Refused', description: 'test' },
  down: { code: 'SOUK_TEST_JOBS_DOWN', status: 503, title: 'Down', description: 'test' },
});

let testDb: TestDatabase;
let database: Database;
let db: Kysely<any>;
const runners: JobRunner[] = [];
let owners = 0;

before(async () => {
  testDb = await createTestDatabase('jobs');
  database = createDatabase({
    url: testDb.url,
    poolSize: 10,
    applicationName: 'jobs-test',
    tracer: trace.getTracer('test'),
    log,
  });
  await database.migrate(chassisMigrations, CHASSIS_MIGRATION_TABLE);
  db = database.db;
});
after(async () => {
  await Promise.allSettled(runners.map((r) => r.stop()));
  await database?.close();
  await testDb?.drop();
});

function runner(kinds: JobKind<any>[], options: Partial<JobRunnerOptions> & { run?: boolean } = {}) {
  const { run = true, ...rest } = options;
  const r = createJobRunner({
    db,
    log,
    metrics: new Registry(),
    owner: `worker-${++owners}`,
    kinds,
    databaseUrl: testDb.url,
    pollIntervalMs: 100,
    ...rest,
  });
  runners.push(r);
  if (run) r.run();
  return r;
}

const row = async (id: string) => (await sql<JobRow>`select * from souk_job where id = ${id}`.execute(db)).rows[0]!;
const enqueue = (r: JobRunner, kind: string, payload: unknown, key?: string) =>
  db.transaction().execute((trx) => r.enqueue(trx, kind, payload, key ? { key } : {}));
const statusIs = (id: string, status: string) => async () => ((await row(id)).status === status ? true : undefined);
let kinds = 0;
const kindName = (label: string) => `test.${label}.${++kinds}`;

test('a job exists only once its transaction commits, and the commit wakes the worker (the poll is a minute away)', async () => {
  const ran: unknown[] = [];
  const kind = defineJob<{ n: number }>({ name: kindName('commit'), run: async (payload) => void ran.push(payload) });
  const r = runner([kind], { pollIntervalMs: 60_000 });
  await assert.rejects(
    db.transaction().execute(async (trx) => {
      await r.enqueue(trx, kind, { n: 1 });
      throw new Error('the business change failed');
    }),
    /the business change failed/,
  );
  assert.equal(
    (await sql<{ n: number }>`select count(*)::int as n from souk_job where kind = ${kind.name}`.execute(db)).rows[0]!.n,
    0,
  );
  await assert.rejects(
    r.enqueue(db, kind, { n: 0 }),
    /needs the caller's transaction/,
    'outside a transaction the job could exist without the change',
  );

  const id = (await enqueue(r, kind.name, { n: 2 }))!;
  await waitFor(statusIs(id, 'DONE'), { timeoutMs: 10_000, what: 'the job done' });
  assert.deepEqual(ran, [{ n: 2 }]);
  const done = await row(id);
  assert.deepEqual([done.attempts, done.lease_owner, done.lease_until], [1, null, null]);
  // A key makes the job unique while open; once DONE, enqueueing it again opens it again.
  const keyed = (await enqueue(r, kind.name, { n: 3 }, 'k'))!;
  await waitFor(statusIs(keyed, 'DONE'), { what: 'the keyed job done' });
  assert.equal(await enqueue(r, kind.name, { n: 4 }, 'k'), keyed, 'reopened, same id');
  await waitFor(statusIs(keyed, 'DONE'), { what: 'the reopened job done' });
  assert.deepEqual(ran, [{ n: 2 }, { n: 3 }, { n: 4 }]);
});

test('claims skip locked rows: a job locked by another transaction is not claimed, the next one is', async () => {
  const ran: string[] = [];
  const kind = defineJob<{ n: number }>({ name: kindName('locked'), run: async (_p, ctx) => void ran.push(ctx.id) });
  const idle = runner([kind], { run: false });
  const locked = (await enqueue(idle, kind.name, { n: 1 }))!;
  const free = (await enqueue(idle, kind.name, { n: 2 }))!;
  let unlock!: () => void;
  let isLocked!: () => void;
  const lockTaken = new Promise<void>((resolve) => (isLocked = resolve));
  const holder = db.transaction().execute(async (trx) => {
    await sql`select id from souk_job where id = ${locked} for update`.execute(trx);
    isLocked();
    await new Promise<void>((resolve) => (unlock = resolve));
  });
  await lockTaken;
  try {
    const r = runner([kind]);
    await waitFor(statusIs(free, 'DONE'), { what: 'the free job done' });
    assert.equal((await row(locked)).status, 'PENDING');
    assert.equal((await row(locked)).attempts, 0, 'never claimed while locked');
    r.wake();
  } finally {
    unlock();
    await holder;
  }
  await waitFor(statusIs(locked, 'DONE'), { what: 'the unlocked job done' });
  assert.deepEqual(ran, [free, locked]);
});

test('two workers never run one job at once: every job runs once, by one of them', async () => {
  const running = new Set<string>();
  const runs = new Map<string, number>();
  const overlaps: string[] = [];
  const kind = defineJob<{ n: number }>({
    name: kindName('shared'),
    async run(_p, ctx) {
      if (running.has(ctx.id)) overlaps.push(ctx.id);
      running.add(ctx.id);
      runs.set(ctx.id, (runs.get(ctx.id) ?? 0) + 1);
      await new Promise((resolve) => setImmediate(resolve));
      running.delete(ctx.id);
    },
  });
  const a = runner([kind], { concurrency: 3 });
  runner([kind], { concurrency: 3 });
  const ids = await db.transaction().execute(async (trx) => {
    const out: string[] = [];
    for (let n = 0; n < 30; n++) out.push((await a.enqueue(trx, kind, { n }))!);
    return out;
  });
  await waitFor(
    async () => {
      const { rows } = await sql<{
        n: number;
      }>`select count(*)::int as n from souk_job where kind = ${kind.name} and status = 'DONE'`.execute(db);
      return rows[0]!.n === ids.length;
    },
    { timeoutMs: 15_000, what: 'every job done' },
  );
  for (const id of ids) {
    const done = await row(id);
    assert.equal(runs.get(id), 1, `job ${id} ran once`);
    assert.equal(done.attempts, 1);
  }
  assert.deepEqual(overlaps, []);
});

test("a dead worker's job is taken over once its lease has run out, not before", async () => {
  const ran: { at: Date }[] = [];
  const kind = defineJob({
    name: kindName('orphan'),
    run: async () => void ran.push({ at: (await sql<{ at: Date }>`select clock_timestamp() as at`.execute(db)).rows[0]!.at }),
  });
  // What a worker killed mid-attempt leaves behind: its lease, running out 600 ms from now.
  const { rows } = await sql<{ lease_until: Date }>`
    insert into souk_job (id, kind, payload, status, attempts, next_attempt_at, lease_owner, lease_until, attempted_by)
    values ('orphan-1', ${kind.name}, '{}', 'PENDING', 1, clock_timestamp() - interval '1 minute', 'worker-dead',
            clock_timestamp() + interval '600 milliseconds', 'worker-dead')
    returning lease_until`.execute(db);
  runner([kind], { pollIntervalMs: 50, owner: 'worker-heir' });
  await waitFor(statusIs('orphan-1', 'DONE'), { timeoutMs: 10_000, what: 'the orphaned job done' });
  const done = await row('orphan-1');
  assert.equal(done.attempts, 2, 'the dead attempt counts');
  assert.equal(done.attempted_by, 'worker-heir');
  assert.equal(ran.length, 1);
  assert.ok(ran[0]!.at >= rows[0]!.lease_until, 'run only after the dead lease ran out (both times on the database clock)');
});

test('a failing job is retried on its backoff, parked after parkAfter attempts; an operator retry runs it again', async () => {
  const attempts: { attempt: number; at: number }[] = [];
  let fixed = false;
  const kind = defineJob({
    name: kindName('flaky'),
    parkAfter: 3,
    backoff: { curve: 'equal-jitter', baseMs: 200, capMs: 300 },
    async run(_p, ctx) {
      attempts.push({ attempt: ctx.attempt, at: performance.now() });
      if (!fixed) throw errors.down('provider down');
    },
  });
  const metrics = new Registry();
  const r = runner([kind], { random: () => 0, metrics });
  const id = (await enqueue(r, kind.name, {}))!;
  await waitFor(statusIs(id, 'PARKED'), { timeoutMs: 10_000, what: 'the job parked' });
  const parked = (await r.get(id))!;
  assert.deepEqual([parked.attempts, parked.lastError], [3, 'SOUK_TEST_JOBS_DOWN: provider down']);
  assert.deepEqual(
    attempts.map((a) => a.attempt),
    [1, 2, 3],
  );
  // random 0 pins the waits to the lower half of each window: 100 ms, then 150 ms (the cap 300 halved).
  const gaps = [attempts[1]!.at - attempts[0]!.at, attempts[2]!.at - attempts[1]!.at];
  assert.ok(gaps[0]! >= 95 && gaps[1]! >= 145, `backoff gaps ${gaps.map(Math.round).join(', ')} ms`);
  const metricText = await metrics.metrics();
  assert.match(metricText, new RegExp(`souk_job_attempts_total\\{kind="${kind.name}",outcome="retried"\\} 2`));
  assert.match(metricText, new RegExp(`souk_job_attempts_total\\{kind="${kind.name}",outcome="parked"\\} 1`));
  assert.match(metricText, new RegExp(`souk_jobs_parked\\{kind="${kind.name}"\\} 1`));
  assert.deepEqual(
    (await r.list({ status: 'PARKED', kind: kind.name })).map((j) => j.id),
    [id],
  );

  fixed = true;
  const retried = await r.retry(id, 'operator:test');
  assert.deepEqual([retried.status, retried.attempts], ['PENDING', 0]);
  await waitFor(statusIs(id, 'DONE'), { what: 'the retried job done' });
  assert.equal((await row(id)).attempts, 1);
  assert.match(await metrics.metrics(), new RegExp(`souk_jobs_parked\\{kind="${kind.name}"\\} 0`));
  await assert.rejects(r.retry(id), (err) => isSoukError(err) && err.code === 'SOUK_JOB_DONE');
  await assert.rejects(r.retry('no-such-job'), (err) => isSoukError(err) && err.code === 'SOUK_JOB_NOT_FOUND');
});

test('an error no retry fixes parks the job at once: a non-retryable 4xx, or the permanent marker', async () => {
  const failures = [errors.refused('no such capture'), permanentFailure('the ledger disagrees')];
  const kind = defineJob<{ n: number }>({
    name: kindName('refused'),
    parkAfter: 10,
    run: (payload) => Promise.reject(failures[payload.n]!),
  });
  const r = runner([kind]);
  const ids = [(await enqueue(r, kind.name, { n: 0 }))!, (await enqueue(r, kind.name, { n: 1 }))!];
  for (const id of ids) await waitFor(statusIs(id, 'PARKED'), { what: `job ${id} parked` });
  assert.deepEqual(await Promise.all(ids.map(async (id) => [(await row(id)).attempts, (await row(id)).last_error])), [
    [1, 'SOUK_TEST_JOBS_REFUSED: no such capture'],
    [1, 'the ledger disagrees'],
  ]);
});

test('stop() awaits the job in flight: one that finishes is recorded, one that stops at the signal is given back uncounted', async () => {
  const events: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const inFlight = new Promise<void>((resolve) => (started = resolve));
  const finishing = defineJob({
    name: kindName('finishing'),
    async run() {
      started();
      await gate; // ignores the signal: stop() must wait for it
      events.push('job finished');
    },
  });
  const r = runner([finishing]);
  const id = (await enqueue(r, finishing.name, {}))!;
  await inFlight;
  const stopped = r.stop().then(() => events.push('stopped'));
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(events, [], 'stop() has not returned while the job runs');
  release();
  await stopped;
  assert.deepEqual(events, ['job finished', 'stopped']);
  assert.equal((await row(id)).status, 'DONE');

  let aborted!: () => void;
  const sawAbort = new Promise<void>((resolve) => (aborted = resolve));
  let startedToo!: () => void;
  const inFlightToo = new Promise<void>((resolve) => (startedToo = resolve));
  const polite = defineJob({
    name: kindName('polite'),
    run: (_p, ctx) =>
      new Promise<void>((_, reject) => {
        startedToo();
        ctx.signal.addEventListener('abort', () => (aborted(), reject(new Error('stopping'))), { once: true });
      }),
  });
  const r2 = runner([polite]);
  const id2 = (await enqueue(r2, polite.name, {}))!;
  await inFlightToo;
  await r2.stop();
  await sawAbort;
  const given = await row(id2);
  assert.deepEqual([given.status, given.attempts, given.lease_owner, given.last_error], ['PENDING', 0, null, null]);
});
