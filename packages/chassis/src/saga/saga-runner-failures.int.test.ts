// The runner's own failures and its lease, against a real PostgreSQL: an end
// hook or a progress write that keeps throwing parks the saga after
// compensationParkAfter failures (visible in the view, the log and the
// metrics) and an operator's retry finishes it once fixed; a transient
// database error is retried without counting. A step whose lease cannot be
// renewed is stopped while the lease is still live; a transactional step
// holding the saga's row lock is not.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, test } from 'node:test';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { chassisErrors } from '../errors/codes.ts';
import { waitFor } from '../testing/index.ts';
import type { SagaDefinition, SagaEndContext, StepContext } from './saga-definition.ts';
import { DEMO, demoSaga, type DemoOptions, type DemoState } from './test/fixture.ts';
import { sagaTestDb, type SagaTestDb } from './test/harness.ts';

let t: SagaTestDb;
before(async () => {
  t = await sagaTestDb('failures');
});
afterEach(async () => {
  await t.stopRunners();
});
after(async () => {
  await t.close();
});

const PARK_AFTER = 3;
/** Short backoff between the runner's failures (the ceilings are 500 ms doubling). */
const quick = { compensationParkAfter: PARK_AFTER, random: () => 0.1 };

/** The demo saga with `onCompleted` or `onCompensated` replaced by `hook` (which may call the original). */
function withEndHook(
  which: 'onCompleted' | 'onCompensated',
  hook: (ctx: SagaEndContext<DemoState>, original: (ctx: SagaEndContext<DemoState>) => Promise<void>) => Promise<void>,
  o: DemoOptions = {},
): SagaDefinition<DemoState> {
  const saga = demoSaga(o);
  const original = saga[which]!.bind(saga);
  return { ...saga, [which]: (ctx: SagaEndContext<DemoState>) => hook(ctx, original) };
}

const kinds = (log: { kind: string }[]) => log.map((l) => l.kind);

test('an onCompleted that always throws: PARKED after parkAfter failures, the error in the view; fixed and retried, COMPLETED', async () => {
  let broken = true;
  const registry = new Registry();
  const runner = t.runner(
    withEndHook('onCompleted', async (ctx, original) => {
      if (broken) throw new TypeError('cannot read properties of undefined (reading "total")');
      await original(ctx);
    }),
    { ...quick, metrics: registry },
  );
  const id = randomUUID();
  await t.start(runner, id);
  await t.waitStatus(runner, id, 'PARKED');
  assert.equal(await runner.waitForEnd(id, 1_000), 'PARKED');

  let view = (await runner.get(id))!;
  assert.equal(view.currentStep, null, 'every step done: it was ending');
  assert.equal(view.runnerFailures, PARK_AFTER);
  assert.ok(
    view.steps.every((s) => s.status === 'SUCCEEDED' && s.attempts === 1),
    'the steps are not run again',
  );
  const failed = view.log.filter((l) => l.kind === 'end_failed');
  assert.deepEqual(
    failed.map((l) => [l.attempt, l.errorCode, l.errorMessage]),
    [1, 2, 3].map((n) => [n, 'UNEXPECTED', 'cannot read properties of undefined (reading "total")']),
  );
  assert.equal(view.log.at(-1)!.kind, 'saga_parked');
  assert.deepEqual(
    (await runner.list({ status: 'PARKED' })).filter((s) => s.id === id).map((s) => s.runnerFailures),
    [PARK_AFTER],
  );
  const metrics = await registry.metrics();
  assert.match(metrics, /souk_sagas_parked\{saga="demo"\} 1/);
  assert.match(metrics, /souk_saga_duration_seconds_count\{saga="demo",status="PARKED"\} 1/);
  assert.deepEqual(
    (await t.effects(id)).filter((e) => e.step === 'END'),
    [],
    "the hook's transaction rolled back every time",
  );

  broken = false;
  view = await runner.retry(id, 'operator:test');
  // The retried run may already have ended by the time the view is read (the ending is one quick hook).
  assert.ok(
    ['RUNNING', 'COMPLETED'].includes(view.status),
    `it resumes where it was parked: ending a run, not compensating (${view.status})`,
  );
  assert.equal(view.runnerFailures, 0, 'the retry resets the count');
  await t.waitStatus(runner, id, 'COMPLETED');
  view = (await runner.get(id))!;
  const effects = await t.effects(id);
  assert.deepEqual(
    effects.map((e) => `${e.step}:${e.phase}`),
    ['one:run', 'two:run', 'three:run', 'END:completed'],
  );
  assert.deepEqual(kinds(view.log).slice(-2), ['saga_retried', 'saga_completed']);
  assert.equal(view.failure, null);
});

test('an onCompensated that always throws: PARKED after parkAfter failures; fixed and retried, COMPENSATED without compensating twice', async () => {
  let broken = true;
  const runner = t.runner(
    withEndHook(
      'onCompensated',
      async (ctx, original) => {
        if (broken)
          throw Object.assign(new Error('null value in column "reason" violates not-null constraint'), { code: '23502' });
        await original(ctx);
      },
      {
        behaviour(ctx, phase) {
          if (phase === 'run' && ctx.step === 'three') throw chassisErrors.invalidRequest('refused');
        },
      },
    ),
    quick,
  );
  const id = randomUUID();
  await t.start(runner, id);
  await t.waitStatus(runner, id, 'PARKED');
  let view = (await runner.get(id))!;
  assert.equal(view.currentStep, null);
  assert.ok(view.steps.every((s) => s.compensation?.status === 'SUCCEEDED'));
  assert.deepEqual(
    view.log.filter((l) => l.kind === 'end_failed').map((l) => [l.attempt, l.errorMessage]),
    [1, 2, 3].map((n) => [n, 'null value in column "reason" violates not-null constraint']),
  );

  broken = false;
  view = await runner.retry(id);
  assert.equal(view.status, 'COMPENSATING');
  await t.waitStatus(runner, id, 'COMPENSATED');
  const effects = await t.effects(id);
  assert.deepEqual(
    effects.filter((e) => e.phase === 'compensate').map((e) => e.step),
    ['three', 'two', 'one'],
    'each compensation ran once',
  );
  assert.equal(effects.at(-1)!.phase, 'compensated');
  assert.equal((await runner.get(id))!.failure?.code, 'SOUK_REQUEST_INVALID', 'the failure that made it compensate is kept');
});

test('a transient database error in the end hook is retried without counting: no parking however often', async () => {
  let failures = 0;
  const runner = t.runner(
    withEndHook('onCompleted', async (ctx, original) => {
      if (++failures <= PARK_AFTER + 1)
        throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
      await original(ctx);
    }),
    quick,
  );
  const id = randomUUID();
  await t.start(runner, id);
  await t.waitStatus(runner, id, 'COMPLETED', 30_000);
  const view = (await runner.get(id))!;
  assert.equal(view.runnerFailures, 0);
  const failed = view.log.filter((l) => l.kind === 'end_failed');
  assert.equal(failed.length, PARK_AFTER + 1);
  assert.ok(
    failed.every((l) => l.attempt === null && l.errorMessage === 'terminating connection due to administrator command'),
    'logged, not counted',
  );
  assert.ok(!kinds(view.log).includes('saga_parked'));
});

test('a progress write that keeps failing parks the saga on its step; fixed and retried, the saga runs on', async () => {
  let broken = true;
  const base = demoSaga();
  // JSON cannot hold a BigInt: the write recording step two's success throws (after the step ran).
  const saga: SagaDefinition<DemoState> = {
    ...base,
    steps: base.steps.map((s) =>
      s.name !== 'two'
        ? s
        : {
            ...s,
            run: async (ctx: StepContext<DemoState>) => ({ ...(await s.run(ctx)), ...(broken ? { big: 1n } : {}) }),
          },
    ),
  };
  const runner = t.runner(saga, quick);
  const id = randomUUID();
  await t.start(runner, id);
  await t.waitStatus(runner, id, 'PARKED');
  let view = (await runner.get(id))!;
  assert.equal(view.currentStep, 'two');
  assert.equal(view.runnerFailures, PARK_AFTER);
  assert.deepEqual(
    view.steps.map((s) => s.status),
    ['SUCCEEDED', 'FAILED', 'PENDING'],
  );
  const failed = view.log.filter((l) => l.kind === 'runner_failed');
  assert.deepEqual(
    failed.map((l) => [l.step, l.attempt, l.errorCode]),
    [1, 2, 3].map((n) => ['two', n, 'UNEXPECTED']),
  );
  assert.match(failed[0]!.errorMessage!, /BigInt/);
  assert.ok(!kinds(view.log).includes('step_failed'), 'not a failure of the step itself');

  broken = false;
  view = await runner.retry(id);
  assert.equal(view.status, 'RUNNING');
  await t.waitStatus(runner, id, 'COMPLETED');
  view = (await runner.get(id))!;
  assert.deepEqual(view.state, { n: 1, one: 'one-1', two: 'two-1', three: 'three-1' });
  assert.deepEqual(
    (await t.effects(id)).filter((e) => e.phase === 'compensate'),
    [],
  );
});

test('renewals that cannot go through (they queue behind a row lock): the step is stopped while the lease is still live, then resumed', async () => {
  const LEASE = 900;
  let entered!: () => void;
  const inStep = new Promise<void>((resolve) => (entered = resolve));
  const aborts: { reason: string; live: boolean; owner: string | null }[] = [];
  const runner = t.runner(
    demoSaga({
      behaviour(ctx, phase) {
        if (phase !== 'run' || ctx.step !== 'two' || ctx.attempt > 1) return;
        entered();
        // A remote call that answers only when aborted; at that moment, whose is the lease, and is it live (database clock)?
        return new Promise((_, reject) =>
          ctx.signal.addEventListener('abort', () => {
            const reason = ctx.signal.reason as Error;
            void sql<{
              live: boolean;
              lease_owner: string | null;
            }>`select lease_until > clock_timestamp() as live, lease_owner from souk_saga where id = ${ctx.sagaId}`
              .execute(t.db)
              .then(({ rows }) => aborts.push({ reason: reason.name, live: rows[0]!.live, owner: rows[0]!.lease_owner }));
            reject(reason);
          }),
        );
      },
    }),
    { leaseMs: LEASE },
  );
  const id = randomUUID();
  await t.start(runner, id);
  await inStep;

  // Another session locks the saga's row: the renewals hang behind it (a plain read still goes through).
  let unlock!: () => void;
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const holder = t.db.transaction().execute(async (trx) => {
    await sql`select id from souk_saga where id = ${id} for update`.execute(trx);
    locked();
    await new Promise<void>((resolve) => (unlock = resolve));
  });
  await isLocked;
  try {
    await waitFor(() => aborts.length > 0, { timeoutMs: LEASE * 5, what: 'the step aborted' });
  } finally {
    unlock();
    await holder;
  }
  const { owner } = (await runner.get(id))!.log.find((l) => l.kind === 'step_started' && l.step === 'two')!;
  assert.deepEqual(
    aborts,
    [{ reason: 'LeaseLost', live: true, owner }],
    "aborted while the lease was still this runner's and live",
  );

  await t.waitStatus(runner, id, 'COMPLETED');
  const view = (await runner.get(id))!;
  assert.deepEqual(
    view.log.filter((l) => l.step === 'two').map((l) => `${l.kind}#${l.attempt}`),
    ['step_started#1', 'step_started#2', 'step_succeeded#2'],
    'the stopped attempt is no failure; the same runner resumed it',
  );
  assert.deepEqual(
    (await t.effects(id)).filter((e) => e.phase === 'run').map((e) => `${e.step}#${e.attempt}`),
    ['one#1', 'two#2', 'three#1'],
  );
});

test("a transactional step that outlasts the lease holds the saga's row lock: it is not interrupted, and commits once", async () => {
  const LEASE = 300;
  const runner = t.runner(
    demoSaga({
      transactionalThree: true,
      async behaviour(ctx, phase) {
        if (phase !== 'run' || ctx.step !== 'three') return;
        // Longer than the lease, and stopping if its signal aborts (as a well-behaved step does).
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, LEASE * 2);
          ctx.signal.addEventListener('abort', () => (clearTimeout(timer), reject(ctx.signal.reason)), { once: true });
        });
      },
    }),
    { leaseMs: LEASE },
  );
  const id = randomUUID();
  await t.start(runner, id);
  await t.waitStatus(runner, id, 'COMPLETED');
  const threes = (await t.effects(id)).filter((e) => e.step === 'three');
  assert.deepEqual(
    threes.map((e) => e.attempt),
    [1],
    'one attempt, committed',
  );
  const view = (await runner.get(id))!;
  assert.equal(view.steps[2]!.attempts, 1);
  assert.equal(view.name, DEMO);
});
