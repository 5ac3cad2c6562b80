// The saga runner against a real PostgreSQL: happy path, retries, compensation
// in reverse (including the failed step) on a final error or a deadline,
// parking and an operator's retry, transactional steps, and two runners
// sharing one database without ever running a step of a saga twice at once.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, test } from 'node:test';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { chassisErrors } from '../errors/codes.ts';
import { defineErrors } from '../errors/errors.ts';
import { sagaErrors } from './errors.ts';
import { demoSaga } from './test/fixture.ts';
import { sagaTestDb, type SagaTestDb } from './test/harness.ts';

const testErrors = defineErrors({
  refused: { code: 'SOUK_SAGATEST_REFUSED', status: 409, title: 'Refused', description: 'Test: a final failure of a saga step.' },
});

let t: SagaTestDb;
before(async () => {
  t = await sagaTestDb('runner');
});
afterEach(async () => {
  await t.stopRunners();
});
after(async () => {
  await t.close();
});

const runs = (effects: { phase: string; step: string }[]) => effects.filter((e) => e.phase === 'run').map((e) => e.step);
const compensations = (effects: { phase: string; step: string }[]) =>
  effects.filter((e) => e.phase === 'compensate').map((e) => e.step);

test('happy path: steps run in order, state accumulates, onCompleted commits with the end, the log tells it all', async () => {
  const runner = t.runner(demoSaga());
  const id = randomUUID();
  await t.start(runner, id, 7);
  await t.waitStatus(runner, id, 'COMPLETED');

  const effects = await t.effects(id);
  assert.deepEqual(
    effects.map((e) => `${e.step}:${e.phase}`),
    ['one:run', 'two:run', 'three:run', 'END:completed'],
  );
  assert.deepEqual(
    effects.map((e) => e.key).slice(0, 3),
    ['one', 'two', 'three'].map((s) => `saga:demo:${id}:${s}`),
  );
  assert.deepEqual(JSON.parse(effects[3]!.detail!), { n: 7, one: 'one-7', two: 'two-7', three: 'three-7' });

  const view = (await runner.get(id))!;
  assert.equal(view.currentStep, null);
  assert.ok(view.finishedAt);
  assert.deepEqual(
    view.steps.map((s) => [s.name, s.status, s.attempts]),
    [
      ['one', 'SUCCEEDED', 1],
      ['two', 'SUCCEEDED', 1],
      ['three', 'SUCCEEDED', 1],
    ],
  );
  assert.deepEqual(
    view.log.map((l) => l.kind),
    [
      'saga_started',
      'step_started',
      'step_succeeded',
      'step_started',
      'step_succeeded',
      'step_started',
      'step_succeeded',
      'saga_completed',
    ],
  );
  assert.equal(await runner.waitForEnd(id, 1_000), 'COMPLETED');
});

test('a saga id is started once: a second start with the same id is refused and changes nothing', async () => {
  const runner = t.runner(demoSaga(), { run: false });
  const id = randomUUID();
  assert.equal(await t.db.transaction().execute((trx) => runner.start(trx, 'demo', id, { n: 1 })), true);
  assert.equal(await t.db.transaction().execute((trx) => runner.start(trx, 'demo', id, { n: 2 })), false);
  await assert.rejects(runner.start(t.db, 'demo', randomUUID(), { n: 1 }), /transaction/);
  assert.equal((await runner.get(id))!.state.n, 1);
});

test('retryable failures are retried with backoff until the step succeeds; each attempt is logged', async () => {
  const runner = t.runner(
    demoSaga({
      behaviour(ctx, phase) {
        if (phase === 'run' && ctx.step === 'two' && ctx.attempt < 3)
          throw chassisErrors.connectionFailed(`down (attempt ${ctx.attempt})`);
      },
    }),
  );
  const id = randomUUID();
  await t.start(runner, id);
  await t.waitStatus(runner, id, 'COMPLETED');
  const view = (await runner.get(id))!;
  const two = view.steps.find((s) => s.name === 'two')!;
  assert.equal(two.attempts, 3);
  assert.equal(two.status, 'SUCCEEDED');
  assert.deepEqual(two.lastError, { code: 'SOUK_CLIENT_CONNECTION_FAILED', message: 'down (attempt 2)' });
  assert.deepEqual(
    view.log.filter((l) => l.step === 'two').map((l) => `${l.kind}#${l.attempt}`),
    ['step_started#1', 'step_failed#1', 'step_started#2', 'step_failed#2', 'step_started#3', 'step_succeeded#3'],
  );
  assert.deepEqual(runs(await t.effects(id)), ['one', 'two', 'three']);
});

test('a final (4xx) failure compensates at once, in reverse, starting with the failed step', async () => {
  const runner = t.runner(
    demoSaga({
      behaviour(ctx, phase) {
        if (phase === 'run' && ctx.step === 'three') throw testErrors.refused({ detail: 'no way', extensions: { why: 'test' } });
      },
    }),
  );
  const id = randomUUID();
  await t.start(runner, id);
  await t.waitStatus(runner, id, 'COMPENSATED');
  const effects = await t.effects(id);
  assert.deepEqual(compensations(effects), ['three', 'two', 'one']);
  assert.ok(
    effects.filter((e) => e.phase === 'compensate').every((e) => e.detail === 'SOUK_SAGATEST_REFUSED'),
    'compensations see the failure',
  );
  assert.equal(effects.at(-1)!.phase, 'compensated');
  const view = (await runner.get(id))!;
  assert.deepEqual(view.failure, {
    step: 'three',
    code: 'SOUK_SAGATEST_REFUSED',
    message: 'no way',
    status: 409,
    deadlineExceeded: false,
    attempts: 1,
    extensions: { why: 'test' },
  });
  assert.equal(view.steps[2]!.status, 'FAILED');
  assert.ok(view.steps.every((s) => s.compensation?.status === 'SUCCEEDED'));
  assert.equal(effects.find((e) => e.phase === 'compensate')!.key, `saga:demo:${id}:three:compensate`);
});

test('a step that keeps timing out is retried until its deadline, then the saga compensates in reverse including it', async () => {
  const runner = t.runner(
    demoSaga({
      timeoutMs: 600,
      attemptTimeoutMs: 150,
      behaviour(ctx, phase) {
        // Hangs until its attempt is aborted, as a call without an answer would.
        if (phase === 'run' && ctx.step === 'two')
          return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
      },
    }),
  );
  const id = randomUUID();
  await t.start(runner, id);
  await t.waitStatus(runner, id, 'COMPENSATED');
  const view = (await runner.get(id))!;
  assert.equal(view.failure?.step, 'two');
  assert.equal(view.failure?.code, sagaErrors.attemptTimedOut.code);
  assert.equal(view.failure?.deadlineExceeded, true);
  assert.ok(view.failure.attempts >= 2, `retried before the deadline (${view.failure.attempts} attempts)`);
  const effects = await t.effects(id);
  assert.deepEqual(runs(effects), ['one']);
  assert.deepEqual(compensations(effects), ['two', 'one'], 'the timed-out step may have acted: it is compensated too');
  const started = view.log.find((l) => l.kind === 'step_started' && l.step === 'two')!;
  const gaveUp = view.log.find((l) => l.kind === 'saga_compensating')!;
  const elapsed = Date.parse(gaveUp.at) - Date.parse(started.at);
  // Only the lower bound is asserted: giving up before the deadline would be a bug; a loaded machine may give up later.
  assert.ok(elapsed >= 450, `kept trying until near the 600 ms deadline (gave up after ${elapsed} ms)`);
});

test('a compensation that keeps failing parks the saga; an operator retry finishes the compensation', async () => {
  let healthy = false;
  const registry = new Registry();
  const runner = t.runner(
    demoSaga({
      behaviour(ctx, phase) {
        if (phase === 'run' && ctx.step === 'two') throw testErrors.refused('no');
        if (phase === 'compensate' && ctx.step === 'one' && !healthy) throw chassisErrors.connectionFailed('still down');
      },
    }),
    { compensationParkAfter: 3, metrics: registry },
  );
  const id = randomUUID();
  await t.start(runner, id);
  await t.waitStatus(runner, id, 'PARKED');
  assert.equal(await runner.waitForEnd(id, 1_000), 'PARKED');
  let view = (await runner.get(id))!;
  assert.equal(view.currentStep, 'one');
  assert.deepEqual(view.steps[0]!.compensation && [view.steps[0]!.compensation.status, view.steps[0]!.compensation.attempts], [
    'FAILED',
    3,
  ]);
  assert.equal(view.log.at(-1)!.kind, 'saga_parked');
  assert.deepEqual(
    (await runner.list({ status: 'PARKED' })).map((s) => s.id).filter((s) => s === id),
    [id],
  );
  const metrics = await registry.metrics();
  assert.match(metrics, /souk_sagas_parked\{saga="demo"\} 1/);
  assert.match(metrics, /souk_saga_steps_total\{saga="demo",step="one",outcome="compensation_failed"\} 1/);
  assert.match(metrics, /souk_saga_duration_seconds_count\{saga="demo",status="PARKED"\} 1/);

  await assert.rejects(runner.retry(randomUUID()), (err) => sagaErrors.notFound.is(err));
  healthy = true;
  view = await runner.retry(id, 'operator:test');
  assert.equal(view.status, 'COMPENSATING');
  await t.waitStatus(runner, id, 'COMPENSATED');
  await assert.rejects(runner.retry(id), (err) => sagaErrors.notParked.is(err));
  view = (await runner.get(id))!;
  assert.deepEqual(compensations(await t.effects(id)), ['two', 'one']);
  assert.ok(view.log.some((l) => l.kind === 'saga_retried' && l.owner === 'operator:test'));
  assert.equal(view.steps[0]!.compensation?.status, 'SUCCEEDED');
});

test('a transactional step commits its writes with the saga progress: a failed attempt leaves nothing behind', async () => {
  const runner = t.runner(
    demoSaga({
      transactionalThree: true,
      behaviour(ctx, phase) {
        if (phase === 'run' && ctx.step === 'three' && ctx.attempt === 1) throw chassisErrors.connectionFailed('after the write');
      },
    }),
  );
  const id = randomUUID();
  await t.start(runner, id);
  await t.waitStatus(runner, id, 'COMPLETED');
  const threes = (await t.effects(id)).filter((e) => e.step === 'three');
  assert.deepEqual(
    threes.map((e) => e.attempt),
    [2],
    'the first attempt rolled back with its failure',
  );
});

test('two runners on one database share the sagas and never run a step of one saga twice at once', async () => {
  const active = new Map<string, number>();
  let overlaps = 0;
  const behaviour = async (ctx: { sagaId: string; signal: AbortSignal }) => {
    const now = (active.get(ctx.sagaId) ?? 0) + 1;
    active.set(ctx.sagaId, now);
    if (now > 1) overlaps++;
    await new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 20)));
    active.set(ctx.sagaId, active.get(ctx.sagaId)! - 1);
  };
  const a = t.runner(demoSaga({ behaviour }), { concurrency: 4 });
  const b = t.runner(demoSaga({ behaviour }), { concurrency: 4 });
  const ids = Array.from({ length: 24 }, () => randomUUID());
  await Promise.all(ids.map((id, i) => t.start(i % 2 ? a : b, id)));
  await Promise.all(ids.map((id) => t.waitStatus(a, id, 'COMPLETED', 30_000)));
  assert.equal(overlaps, 0);
  const { rows } = await sql<{ saga_id: string; step: string; n: number; owners: number }>`
    select saga_id, step, count(*)::int as n from saga_effects where saga_id = any(${ids}::text[]) and phase = 'run' group by saga_id, step`.execute(
    t.db,
  );
  assert.equal(rows.length, ids.length * 3);
  assert.ok(
    rows.every((r) => r.n === 1),
    'every step ran exactly once',
  );
  const { rows: owners } = await sql<{
    owner: string;
  }>`select distinct owner from souk_saga_log where saga_id = any(${ids}::text[]) and kind = 'step_succeeded'`.execute(t.db);
  assert.equal(owners.length, 2, 'both runners took part');
});

test("a wait in another instance is answered by the end's NOTIFY, long before its safety poll", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const runner = t.runner(demoSaga({ behaviour: (ctx, phase) => (phase === 'run' && ctx.step === 'two' ? gate : undefined) }));
  const elsewhere = t.runner(demoSaga(), { run: false, pollIntervalMs: 60_000 });
  const id = randomUUID();
  await t.start(runner, id);
  const waiting = elsewhere.waitForEnd(id, 30_000);
  await t.waitStatus(runner, id, 'RUNNING');
  release();
  // Without the NOTIFY, the wait would only end at its 30 s timeout (undefined): its poll runs every 60 s.
  assert.equal(await waiting, 'COMPLETED');
});

test('waitForEnd answers when the saga ends, and at once for everyone once endWaits is called (shutdown)', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const runner = t.runner(demoSaga({ behaviour: (ctx, phase) => (phase === 'run' && ctx.step === 'two' ? gate : undefined) }));
  const id = randomUUID();
  await t.start(runner, id);
  const waiting = runner.waitForEnd(id, 30_000);
  const other = t.runner(demoSaga(), { run: false });
  const gaveUp = other.waitForEnd(id, 30_000);
  const started = Date.now();
  other.endWaits();
  assert.equal(await gaveUp, undefined);
  assert.ok(Date.now() - started < 1_000);
  assert.equal(await other.waitForEnd(id, 30_000), undefined, 'after endWaits, no waiting at all');
  release();
  assert.equal(await waiting, 'COMPLETED');
});
