// The saga engine's pure rules: error meaning, retry versus compensate,
// parking, the order of compensations and attempt budgets.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineErrors } from '../errors/errors.ts';
import { chassisErrors } from '../errors/codes.ts';
import { defineSaga, parallel, stepGroups } from './saga-definition.ts';
import {
  afterCompensationFailure,
  afterRunnerFailure,
  afterStepFailure,
  afterStepSuccess,
  attemptTimeout,
  describeError,
  isTransientFailure,
  nextCompensation,
  retryDelay,
  UNEXPECTED,
} from './saga-transitions.ts';

const testErrors = defineErrors({
  declined: { code: 'SOUK_SAGATEST_DECLINED', status: 402, title: 'Declined', description: 'Test: a final business failure.' },
  busy: { code: 'SOUK_SAGATEST_BUSY', status: 409, title: 'Busy', retryable: true, description: 'Test: a retryable 4xx.' },
});
const step = { name: 'reserve', retry: { baseMs: 100, capMs: 1_000 } };
const max = () => 0.999_999;

test('a 4xx souk error is final; retryable flag, 5xx, timeouts and code-less errors are retryable', () => {
  assert.equal(describeError(testErrors.declined('no'), false).retryable, false);
  assert.equal(describeError(testErrors.busy(), false).retryable, true);
  assert.equal(describeError(chassisErrors.connectionFailed('down'), false).retryable, true);
  const timedOut = describeError(new Error('aborted'), true, 250);
  assert.deepEqual([timedOut.code, timedOut.retryable, timedOut.status], ['SOUK_SAGA_ATTEMPT_TIMEOUT', true, 504]);
  assert.match(timedOut.message, /250 ms/);
  const plain = describeError(new TypeError('boom'), false);
  assert.deepEqual([plain.code, plain.message, plain.retryable], [UNEXPECTED, 'boom', true]);
});

test('describeError keeps the code, detail and extensions of a problem', () => {
  const e = describeError(testErrors.declined({ detail: 'card declined', extensions: { productId: 'p1' } }), false);
  assert.deepEqual(e, {
    code: 'SOUK_SAGATEST_DECLINED',
    message: 'card declined',
    status: 402,
    retryable: false,
    extensions: { productId: 'p1' },
  });
});

test('a final error compensates at once, naming the step and its attempts', () => {
  const d = afterStepFailure({ step, error: describeError(testErrors.declined('no'), false), attempt: 1, remainingMs: 10_000 });
  assert.equal(d.kind, 'compensate');
  assert.deepEqual(d.kind === 'compensate' && d.failure, {
    step: 'reserve',
    code: 'SOUK_SAGATEST_DECLINED',
    message: 'no',
    status: 402,
    deadlineExceeded: false,
    attempts: 1,
    extensions: {},
  });
});

test('a retryable error retries with full jitter while the next attempt fits before the deadline', () => {
  const error = describeError(chassisErrors.connectionFailed('down'), false);
  assert.deepEqual(afterStepFailure({ step, error, attempt: 1, remainingMs: 10_000, random: () => 0.5 }), {
    kind: 'retry',
    delayMs: 50,
  });
  assert.deepEqual(afterStepFailure({ step, error, attempt: 3, remainingMs: 10_000, random: () => 0.5 }), {
    kind: 'retry',
    delayMs: 200,
  });
  const late = afterStepFailure({ step, error, attempt: 3, remainingMs: 150, random: () => 0.5 });
  assert.equal(late.kind, 'compensate');
  assert.equal(late.kind === 'compensate' && late.failure.deadlineExceeded, true);
  const past = afterStepFailure({ step, error, attempt: 9, remainingMs: -5, random: () => 0 });
  assert.equal(past.kind, 'compensate');
});

test('with a per-attempt timeout, a retry that would get less than half of it is not made: the real error is reported', () => {
  const timed = { ...step, attemptTimeoutMs: 400 };
  const error = describeError(chassisErrors.connectionFailed('down'), false);
  assert.equal(afterStepFailure({ step: timed, error, attempt: 1, remainingMs: 700, random: () => 0.5 }).kind, 'retry');
  const sliver = afterStepFailure({ step: timed, error, attempt: 1, remainingMs: 240, random: () => 0.5 });
  assert.equal(sliver.kind, 'compensate');
  assert.equal(sliver.kind === 'compensate' && sliver.failure.code, 'SOUK_CLIENT_CONNECTION_FAILED');
  assert.equal(sliver.kind === 'compensate' && sliver.failure.deadlineExceeded, true);
});

test('retry delays grow exponentially up to the cap and stay below the ceiling', () => {
  assert.equal(retryDelay(1, step.retry, max), 99);
  assert.equal(retryDelay(2, step.retry, max), 199);
  assert.equal(retryDelay(10, step.retry, max), 999);
  assert.equal(retryDelay(1, undefined, max), 199, 'default base 200 ms');
  for (let i = 0; i < 50; i++) assert.ok(retryDelay(4, step.retry) < 800);
});

test('compensations retry until parkAfter attempts, then park; their backoff is longer by default', () => {
  assert.equal(afterCompensationFailure({ step: {}, attempt: 1, parkAfter: 3, random: () => 0 }).kind, 'retry');
  assert.deepEqual(afterCompensationFailure({ step: {}, attempt: 8, parkAfter: 10, random: max }), {
    kind: 'retry',
    delayMs: 29_999,
  });
  assert.deepEqual(
    afterCompensationFailure({ step: { compensationRetry: { baseMs: 10, capMs: 20 } }, attempt: 8, parkAfter: 10, random: max }),
    { kind: 'retry', delayMs: 19 },
  );
  assert.equal(afterCompensationFailure({ step: {}, attempt: 2, parkAfter: 3 }).kind, 'retry');
  assert.deepEqual(afterCompensationFailure({ step: {}, attempt: 3, parkAfter: 3 }), { kind: 'park' });
});

test("the runner's own failures (end hook, progress write) retry with the compensations' backoff, then park at parkAfter", () => {
  assert.deepEqual(afterRunnerFailure({ failures: 1, parkAfter: 3, random: max }), { kind: 'retry', delayMs: 499 });
  assert.deepEqual(afterRunnerFailure({ failures: 2, parkAfter: 3, random: max }), { kind: 'retry', delayMs: 999 });
  assert.deepEqual(afterRunnerFailure({ failures: 3, parkAfter: 3 }), { kind: 'park' });
  assert.deepEqual(afterRunnerFailure({ failures: 12, parkAfter: 10 }), { kind: 'park' });
});

test('transient failures: the database out of reach or a lost race; a bug, a constraint or a souk error is not', () => {
  const pg = (code: string, message = 'pg error') => Object.assign(new Error(message), { code });
  for (const err of [
    pg('ECONNREFUSED'),
    pg('ECONNRESET'),
    pg('08006'),
    pg('08001'),
    pg('57P01'),
    pg('53300'),
    pg('40001'),
    pg('40P01'),
    pg('55P03'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    new AggregateError([pg('ECONNREFUSED'), pg('ECONNREFUSED')], 'connect failed'),
    new Error('query failed', { cause: pg('57P01') }),
  ])
    assert.equal(isTransientFailure(err), true, String(err));
  for (const err of [
    new TypeError('Cannot read properties of undefined'),
    pg('23505', 'duplicate key'),
    pg('42P01', 'relation does not exist'),
    pg('57014', 'statement timeout'),
    chassisErrors.connectionFailed({ detail: 'a hook called another service', cause: pg('ECONNREFUSED') }),
    'a string',
    undefined,
    null,
  ])
    assert.equal(isTransientFailure(err), false, String(err));
});

test('steps run in order, then the saga completes', () => {
  assert.deepEqual(afterStepSuccess(0, 3), { kind: 'next', index: 1 });
  assert.deepEqual(afterStepSuccess(2, 3), { kind: 'complete' });
});

test('compensations go backwards from the failed step, passing over steps without one', () => {
  const noop = async () => undefined;
  const steps = [{ compensate: noop }, {}, { compensate: noop }, {}];
  assert.equal(nextCompensation(3, steps), 2, 'the failed step has none: the one before it');
  assert.equal(nextCompensation(2, steps), 2, 'the failed step itself is compensated');
  assert.equal(nextCompensation(1, steps), 0);
  assert.equal(nextCompensation(-1, steps), -1);
  assert.equal(nextCompensation(9, steps), 2, 'past the end (completed steps) starts at the last');
});

test('an attempt gets its own timeout, capped by the time left to the deadline', () => {
  const s = { timeoutMs: 10_000, attemptTimeoutMs: 2_000 };
  assert.equal(attemptTimeout(s, 'run', 10_000), 2_000);
  assert.equal(attemptTimeout(s, 'run', 700.2), 701);
  assert.equal(attemptTimeout(s, 'run', -30), 2_000, 'resumed after a crash past the deadline: one full attempt');
  assert.equal(attemptTimeout({ timeoutMs: 5_000 }, 'run', Infinity), 5_000);
  assert.equal(attemptTimeout(s, 'compensate', Infinity), 2_000);
  assert.equal(attemptTimeout({ ...s, compensationTimeoutMs: 9_000 }, 'compensate', 1), 9_000);
});

test('defineSaga refuses duplicate step names, empty sagas and bad timeouts', () => {
  const run = async () => undefined;
  assert.throws(() => defineSaga({ name: 'x', steps: [] }), /no steps/);
  assert.throws(
    () =>
      defineSaga({
        name: 'x',
        steps: [
          { name: 'a', run, timeoutMs: 1 },
          { name: 'a', run, timeoutMs: 1 },
        ],
      }),
    /twice/,
  );
  assert.throws(() => defineSaga({ name: 'x', steps: [{ name: 'a', run, timeoutMs: 0 }] }), /timeoutMs > 0/);
  assert.throws(() => defineSaga({ name: 'Bad Name', steps: [{ name: 'a', run, timeoutMs: 1 }] }), /saga name/);
  assert.equal(defineSaga({ name: 'ok', steps: [{ name: 'a', run, timeoutMs: 1 }] }).name, 'ok');
});

test('parallel(...) groups steps that run at once; defineSaga refuses a group taken apart, parallel a lone or transactional step', () => {
  const run = async () => undefined;
  const step = (name: string, more = {}) => ({ name, run, timeoutMs: 1, ...more });
  const saga = defineSaga({ name: 'p', steps: [step('a'), ...parallel(step('b'), step('c')), step('d')] });
  assert.deepEqual(
    saga.steps.map((s) => s.name),
    ['a', 'b', 'c', 'd'],
    'the steps stay in order, one list',
  );
  assert.deepEqual(stepGroups('p', saga.steps), [
    { start: 0, end: 1 },
    { start: 1, end: 3 },
    { start: 3, end: 4 },
  ]);
  // Two parallel groups side by side stay two groups.
  const twice = [...parallel(step('a'), step('b')), ...parallel(step('c'), step('d'))];
  assert.deepEqual(stepGroups('p', twice), [
    { start: 0, end: 2 },
    { start: 2, end: 4 },
  ]);
  const [b, c] = parallel(step('b'), step('c'));
  assert.throws(() => defineSaga({ name: 'x', steps: [b!, step('a'), c!] }), /must follow each other/);
  assert.throws(() => defineSaga({ name: 'x', steps: [c!, b!] }), /must follow each other/);
  assert.throws(() => parallel(step('a')), /two steps or more/);
  assert.throws(() => parallel(step('a'), step('b', { transactional: true })), /b is transactional/);
});
