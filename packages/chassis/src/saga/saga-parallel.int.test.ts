// What a saga costs its database, and steps that run at once, against a real
// PostgreSQL: one write per step (the write that ends a step begins the next;
// no lease renewal per step), parallel(...) steps started together, a failed
// one retried alone with its sibling's result kept, and, when one fails for
// good, every one of them compensated in reverse before the steps before them.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, test } from 'node:test';
import { sql } from 'kysely';
import { chassisErrors } from '../errors/codes.ts';
import type { SagaDefinition } from './saga-definition.ts';
import { demoSaga, type DemoState } from './test/fixture.ts';
import { sagaTestDb, type SagaTestDb } from './test/harness.ts';

let t: SagaTestDb;
before(async () => {
  t = await sagaTestDb('parallel');
  // Every insert and update of a saga row, as the runner wrote it.
  await sql`create table saga_writes (seq bigserial primary key, saga_id text, status text, current_step int, attempt int)`.execute(
    t.db,
  );
  await sql`create function saga_write() returns trigger language plpgsql as $$
    begin insert into saga_writes (saga_id, status, current_step, attempt) values (new.id, new.status, new.current_step, new.attempt); return new; end $$`.execute(
    t.db,
  );
  await sql`create trigger saga_write after insert or update on souk_saga for each row execute function saga_write()`.execute(
    t.db,
  );
});
afterEach(async () => {
  await t.stopRunners();
});
after(async () => {
  await t.close();
});

/** A lease no test outlasts: a renewal would be a timer's, and none is due. */
const LONG_LEASE = { leaseMs: 600_000 };

async function writes(id: string): Promise<string[]> {
  const { rows } = await sql<{ status: string; current_step: number; attempt: number }>`
    select status, current_step, attempt from saga_writes where saga_id = ${id} order by seq`.execute(t.db);
  return rows.map((r) => `${r.status}@${r.current_step}#${r.attempt}`);
}

const kinds = (log: { kind: string; step: string | null }[]) => log.map((l) => (l.step ? `${l.kind}:${l.step}` : l.kind));

test('one write per step: the start begins the first (no claim), each step recorded with the next begun, the end', async () => {
  const runner = t.runner(demoSaga(), LONG_LEASE);
  const id = randomUUID();
  await t.start(runner, id);
  await t.waitStatus(runner, id, 'COMPLETED');
  assert.deepEqual(await writes(id), [
    'RUNNING@0#1', // inserted leased to the runner that started it, one begun: no claim, no write of its own
    'RUNNING@1#1', // one succeeded, two begun
    'RUNNING@2#1', // two succeeded, three begun
    'RUNNING@3#0', // three succeeded
    'COMPLETED@3#0', // onCompleted and the end, in one transaction
  ]);
  const view = (await runner.get(id))!;
  assert.deepEqual(
    view.steps.map((s) => [s.name, s.status, s.attempts]),
    [
      ['one', 'SUCCEEDED', 1],
      ['two', 'SUCCEEDED', 1],
      ['three', 'SUCCEEDED', 1],
    ],
  );
});

test('a saga started where no runner drives it is claimed elsewhere, and its first attempt is begun by a write of its own', async () => {
  const starter = t.runner(demoSaga(), { ...LONG_LEASE, run: false });
  const id = randomUUID();
  await t.start(starter, id);
  const other = t.runner(demoSaga(), LONG_LEASE);
  await t.waitStatus(other, id, 'COMPLETED');
  assert.deepEqual(await writes(id), [
    'RUNNING@0#0', // inserted, free: every runner is woken to claim it
    'RUNNING@0#0', // claimed
    'RUNNING@0#1', // one begun (the first attempt after a claim is counted before it runs)
    'RUNNING@1#1',
    'RUNNING@2#1',
    'RUNNING@3#0',
    'COMPLETED@3#0',
  ]);
});

test('a started saga not woken with its id is still run by its runner, as its own, once the place it kept is given back', async () => {
  const runner = t.runner(demoSaga(), { leaseMs: 1_500, pollIntervalMs: 100 });
  const id = randomUUID();
  await t.db.transaction().execute((trx) => runner.start(trx, 'demo', id, { n: 1 }));
  runner.wake(); // not with the id: the saga waits for its place to be given back (a third of the lease)
  await t.waitStatus(runner, id, 'COMPLETED', 10_000);
  const view = (await runner.get(id))!;
  assert.deepEqual(
    view.steps.map((s) => [s.name, s.status, s.attempts]),
    [
      ['one', 'SUCCEEDED', 2], // begun by the start, begun again after the claim: an attempt is never left uncounted
      ['two', 'SUCCEEDED', 1],
      ['three', 'SUCCEEDED', 1],
    ],
  );
});

test('a transactional step records the remote step before it in its own transaction: one write for both', async () => {
  const runner = t.runner(demoSaga({ transactionalThree: true }), LONG_LEASE);
  const id = randomUUID();
  await t.start(runner, id);
  await t.waitStatus(runner, id, 'COMPLETED');
  assert.deepEqual(await writes(id), [
    'RUNNING@0#1',
    'RUNNING@1#1', // one succeeded, two begun
    'RUNNING@3#0', // two succeeded, three begun and succeeded: three's transaction
    'COMPLETED@3#0',
  ]);
  assert.deepEqual(kinds((await runner.get(id))!.log).slice(4, 8), [
    'step_succeeded:two',
    'step_started:three',
    'step_succeeded:three',
    'saga_completed',
  ]);
});

test('when that transactional step fails, the remote step before it is recorded first, then the retry', async () => {
  const runner = t.runner(
    demoSaga({
      transactionalThree: true,
      behaviour(ctx, phase) {
        if (phase === 'run' && ctx.step === 'three' && ctx.attempt === 1) throw new Error('three: try again');
      },
    }),
    LONG_LEASE,
  );
  const id = randomUUID();
  await t.start(runner, id);
  await t.waitStatus(runner, id, 'COMPLETED');
  const w = await writes(id);
  assert.deepEqual(w.slice(0, 3), [
    'RUNNING@0#1',
    'RUNNING@1#1',
    'RUNNING@2#1', // two succeeded, three begun: written once three's first attempt failed
  ]);
  assert.deepEqual(w.slice(-2), ['RUNNING@3#0', 'COMPLETED@3#0']);
  const effects = await t.effects(id);
  assert.deepEqual(
    effects.filter((e) => e.phase === 'run').map((e) => `${e.step}#${e.attempt}`),
    ['one#1', 'two#1', 'three#2'], // three's first attempt rolled back with its transaction
  );
});

test('without an end hook, the last step ends the saga in its own write; compensations write once each', async () => {
  const base = demoSaga({
    behaviour(ctx, phase) {
      if (phase === 'run' && ctx.step === 'three' && ctx.state.n === 2) throw chassisErrors.invalidRequest('refused');
    },
  });
  const saga: SagaDefinition<DemoState> = { name: base.name, steps: base.steps };
  const runner = t.runner(saga, LONG_LEASE);
  const completes = randomUUID();
  await t.start(runner, completes, 1);
  await t.waitStatus(runner, completes, 'COMPLETED');
  assert.deepEqual(await writes(completes), ['RUNNING@0#1', 'RUNNING@1#1', 'RUNNING@2#1', 'COMPLETED@3#0']);
  assert.deepEqual(kinds((await runner.get(completes))!.log).slice(-2), ['step_succeeded:three', 'saga_completed']);

  const compensates = randomUUID();
  await t.start(runner, compensates, 2);
  await t.waitStatus(runner, compensates, 'COMPENSATED');
  assert.deepEqual(await writes(compensates), [
    'RUNNING@0#1',
    'RUNNING@1#1',
    'RUNNING@2#1',
    'COMPENSATING@2#1', // three failed for good; its compensation begun
    'COMPENSATING@1#1', // three compensated, two begun
    'COMPENSATING@0#1', // two compensated, one begun
    'COMPENSATED@-1#0', // one compensated: the end
  ]);
  assert.deepEqual(
    (await t.effects(compensates)).filter((e) => e.phase === 'compensate').map((e) => e.step),
    ['three', 'two', 'one'],
  );
});

test('parallel steps start together and the saga goes on once both succeeded, their results merged', async () => {
  const entered = new Set<string>();
  let bothIn!: () => void;
  const together = new Promise<void>((resolve) => (bothIn = resolve));
  const runner = t.runner(
    demoSaga({
      parallelTwoThree: true,
      async behaviour(ctx, phase) {
        if (phase !== 'run' || ctx.step === 'one') return;
        assert.equal(ctx.state.two ?? ctx.state.three, undefined, "a parallel step does not see its sibling's result");
        entered.add(ctx.step);
        if (entered.size === 2) bothIn();
        // Neither can finish before the other has begun: run one after the other, they would time out.
        await together;
      },
    }),
    LONG_LEASE,
  );
  const id = randomUUID();
  await t.start(runner, id, 4);
  await t.waitStatus(runner, id, 'COMPLETED');
  const view = (await runner.get(id))!;
  assert.deepEqual(view.state, { n: 4, one: 'one-4', two: 'two-4', three: 'three-4' });
  assert.deepEqual(
    kinds(view.log).slice(0, 5),
    ['saga_started', 'step_started:one', 'step_succeeded:one', 'step_started:two', 'step_started:three'],
    'both begun by the write that recorded one',
  );
  assert.deepEqual((await t.effects(id)).map((e) => `${e.step}:${e.phase}#${e.attempt ?? ''}`).sort(), [
    'END:completed#',
    'one:run#1',
    'three:run#1',
    'two:run#1',
  ]);
  assert.deepEqual(await writes(id), [
    'RUNNING@0#1',
    'RUNNING@1#1', // one succeeded; two and three begun
    'RUNNING@3#0', // both succeeded, in one write
    'COMPLETED@3#0',
  ]);
});

test('a parallel step that fails is retried alone: the sibling that succeeded is not run again', async () => {
  const runner = t.runner(
    demoSaga({
      parallelTwoThree: true,
      behaviour(ctx, phase) {
        if (phase === 'run' && ctx.step === 'three' && ctx.attempt === 1) throw chassisErrors.connectionFailed('down');
      },
    }),
    LONG_LEASE,
  );
  const id = randomUUID();
  await t.start(runner, id, 5);
  await t.waitStatus(runner, id, 'COMPLETED');
  const runs = (await t.effects(id)).filter((e) => e.phase === 'run').map((e) => `${e.step}#${e.attempt}`);
  assert.deepEqual(runs, ['one#1', 'two#1', 'three#2']);
  const view = (await runner.get(id))!;
  assert.deepEqual(view.state, { n: 5, one: 'one-5', two: 'two-5', three: 'three-5' }, "two's result was kept across the retry");
  assert.deepEqual(
    view.steps.map((s) => [s.name, s.status, s.attempts]),
    [
      ['one', 'SUCCEEDED', 1],
      ['two', 'SUCCEEDED', 1],
      ['three', 'SUCCEEDED', 2],
    ],
  );
});

test('a parallel step that fails for good: its sibling is awaited, both are compensated in reverse, then the steps before', async () => {
  let threeFailed!: () => void;
  const failed = new Promise<void>((resolve) => (threeFailed = resolve));
  const runner = t.runner(
    demoSaga({
      parallelTwoThree: true,
      async behaviour(ctx, phase) {
        if (phase !== 'run') return;
        // two finishes only after three has failed: the saga must wait for it, and undo it.
        if (ctx.step === 'two') await failed;
        if (ctx.step === 'three') {
          threeFailed();
          throw chassisErrors.invalidRequest('refused');
        }
      },
    }),
    LONG_LEASE,
  );
  const id = randomUUID();
  await t.start(runner, id);
  await t.waitStatus(runner, id, 'COMPENSATED');
  const effects = await t.effects(id);
  assert.deepEqual(
    effects.filter((e) => e.phase === 'run').map((e) => e.step),
    ['one', 'two'],
  );
  assert.deepEqual(
    effects.filter((e) => e.phase === 'compensate').map((e) => e.step),
    ['three', 'two', 'one'],
  );
  const view = (await runner.get(id))!;
  assert.equal(view.failure?.step, 'three');
  assert.equal(view.failure?.code, 'SOUK_REQUEST_INVALID');
  assert.deepEqual(view.state, { n: 1, one: 'one-1', two: 'two-1' }, "two's result is there for the compensations");
  assert.deepEqual(
    view.steps.map((s) => [s.name, s.status, s.compensation?.status]),
    [
      ['one', 'SUCCEEDED', 'SUCCEEDED'],
      ['two', 'SUCCEEDED', 'SUCCEEDED'],
      ['three', 'FAILED', 'SUCCEEDED'],
    ],
  );
});
