// The saga view: a row and its log turned into steps with status, attempts,
// timings, last error and compensation.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SagaFailure } from './saga-definition.ts';
import type { LogKind, LogRow, SagaRow } from './saga-store.ts';
import { viewSaga } from './saga-view.ts';

const t0 = Date.parse('2025-01-01T00:00:00Z');
const steps = [{ name: 'reserve', compensate: true }, { name: 'authorize', compensate: true }, { name: 'notify' }];

function row(over: Partial<SagaRow>): SagaRow {
  return {
    id: 's1',
    name: 'checkout',
    status: 'RUNNING',
    current_step: 0,
    state: {},
    failure: null,
    attempt: 0,
    step_deadline: null,
    lease_owner: null,
    lease_until: null,
    next_attempt_at: new Date(t0),
    created_at: new Date(t0),
    updated_at: new Date(t0),
    finished_at: null,
    runner_failures: 0,
    parked_from: null,
    group_done: [],
    ...over,
  };
}

function log(...entries: [LogKind, string | null, number | null, string?][]): LogRow[] {
  return entries.map(([kind, step, attempt, code], i) => ({
    seq: i + 1,
    saga_id: 's1',
    kind,
    step,
    attempt,
    error_code: code ?? null,
    error_message: code ? `${code} happened` : null,
    duration_ms: null,
    owner: 'i1',
    at: new Date(t0 + i * 1000),
  }));
}

test('a running saga: done steps succeeded, the current one running with its retries, the rest pending', () => {
  const v = viewSaga(
    row({ current_step: 1, attempt: 2 }),
    log(
      ['saga_started', null, null],
      ['step_started', 'reserve', 1],
      ['step_succeeded', 'reserve', 1],
      ['step_started', 'authorize', 1],
      ['step_failed', 'authorize', 1, 'SOUK_X_DOWN'],
      ['step_started', 'authorize', 2],
    ),
    steps,
  );
  assert.equal(v.currentStep, 'authorize');
  assert.deepEqual(
    v.steps.map((s) => [s.name, s.status, s.attempts]),
    [
      ['reserve', 'SUCCEEDED', 1],
      ['authorize', 'RUNNING', 2],
      ['notify', 'PENDING', 0],
    ],
  );
  assert.deepEqual(v.steps[1]!.lastError, { code: 'SOUK_X_DOWN', message: 'SOUK_X_DOWN happened' });
  assert.equal(v.steps[0]!.startedAt, new Date(t0 + 1000).toISOString());
  assert.equal(v.steps[0]!.finishedAt, new Date(t0 + 2000).toISOString());
  assert.equal(v.steps[1]!.finishedAt, null);
  assert.equal(v.log.length, 6);
});

test('a compensated saga: the failed step FAILED, compensations SUCCEEDED in reverse, no current step', () => {
  const failure: SagaFailure = {
    step: 'authorize',
    code: 'SOUK_X_DECLINED',
    message: 'no',
    status: 402,
    deadlineExceeded: false,
    attempts: 1,
    extensions: {},
  };
  const v = viewSaga(
    row({ status: 'COMPENSATED', current_step: -1, failure }),
    log(
      ['step_started', 'reserve', 1],
      ['step_succeeded', 'reserve', 1],
      ['step_started', 'authorize', 1],
      ['step_failed', 'authorize', 1, 'SOUK_X_DECLINED'],
      ['saga_compensating', 'authorize', null, 'SOUK_X_DECLINED'],
      ['compensation_started', 'authorize', 1],
      ['compensation_succeeded', 'authorize', 1],
      ['compensation_started', 'reserve', 1],
      ['compensation_succeeded', 'reserve', 1],
      ['saga_compensated', null, null],
    ),
    steps,
  );
  assert.equal(v.currentStep, null);
  assert.deepEqual(
    v.steps.map((s) => [s.name, s.status, s.compensation?.status ?? null]),
    [
      ['reserve', 'SUCCEEDED', 'SUCCEEDED'],
      ['authorize', 'FAILED', 'SUCCEEDED'],
      ['notify', 'PENDING', null],
    ],
  );
});

test('a parked saga: the compensation that kept failing is FAILED and is the current step', () => {
  const failure: SagaFailure = {
    step: 'notify',
    code: 'SOUK_SAGA_ATTEMPT_TIMEOUT',
    message: 'slow',
    status: 504,
    deadlineExceeded: true,
    attempts: 3,
    extensions: {},
  };
  const v = viewSaga(
    row({ status: 'PARKED', current_step: 2, failure }),
    log(
      ['step_started', 'reserve', 1],
      ['step_succeeded', 'reserve', 1],
      ['step_started', 'authorize', 1],
      ['step_succeeded', 'authorize', 1],
      ['step_started', 'notify', 1],
      ['step_failed', 'notify', 1, 'SOUK_SAGA_ATTEMPT_TIMEOUT'],
      ['compensation_started', 'authorize', 1],
      ['compensation_failed', 'authorize', 1, 'SOUK_X_DOWN'],
      ['compensation_started', 'authorize', 2],
      ['compensation_failed', 'authorize', 2, 'SOUK_X_DOWN'],
      ['saga_parked', 'authorize', null],
    ),
    steps,
  );
  assert.equal(v.currentStep, 'authorize', 'notify has no compensation: the parked one is authorize');
  assert.equal(v.steps[2]!.status, 'FAILED');
  assert.deepEqual(v.steps[1]!.compensation && [v.steps[1]!.compensation.status, v.steps[1]!.compensation.attempts], [
    'FAILED',
    2,
  ]);
  assert.equal(v.steps[0]!.compensation, null);
});

test('parked while running (a progress write kept failing): the step is FAILED and current; runner failures counted', () => {
  const v = viewSaga(
    row({ status: 'PARKED', parked_from: 'RUNNING', current_step: 1, runner_failures: 2 }),
    log(
      ['step_started', 'reserve', 1],
      ['step_succeeded', 'reserve', 1],
      ['step_started', 'authorize', 1],
      ['runner_failed', 'authorize', 1, 'UNEXPECTED'],
      ['step_started', 'authorize', 2],
      ['runner_failed', 'authorize', 2, 'UNEXPECTED'],
      ['saga_parked', 'authorize', null],
    ),
    steps,
  );
  assert.equal(v.currentStep, 'authorize');
  assert.equal(v.runnerFailures, 2);
  assert.deepEqual(
    v.steps.map((s) => [s.name, s.status, s.attempts]),
    [
      ['reserve', 'SUCCEEDED', 1],
      ['authorize', 'FAILED', 2],
      ['notify', 'PENDING', 0],
    ],
  );
  assert.deepEqual(
    v.log.filter((l) => l.kind === 'runner_failed').map((l) => [l.attempt, l.errorCode, l.errorMessage]),
    [
      [1, 'UNEXPECTED', 'UNEXPECTED happened'],
      [2, 'UNEXPECTED', 'UNEXPECTED happened'],
    ],
  );
});

test('parked while ending (the end hook kept failing): every step succeeded, no current step', () => {
  const v = viewSaga(
    row({ status: 'PARKED', parked_from: 'RUNNING', current_step: 3, runner_failures: 2 }),
    log(
      ['step_started', 'reserve', 1],
      ['step_succeeded', 'reserve', 1],
      ['step_started', 'authorize', 1],
      ['step_succeeded', 'authorize', 1],
      ['step_started', 'notify', 1],
      ['step_succeeded', 'notify', 1],
      ['end_failed', null, 1, 'UNEXPECTED'],
      ['end_failed', null, 2, 'UNEXPECTED'],
      ['saga_parked', null, null],
    ),
    steps,
  );
  assert.equal(v.currentStep, null);
  assert.ok(v.steps.every((s) => s.status === 'SUCCEEDED' && s.compensation === null));
  assert.deepEqual(v.log.at(-2) && [v.log.at(-2)!.kind, v.log.at(-2)!.errorCode], ['end_failed', 'UNEXPECTED']);
});

test('without a definition the steps come from the log', () => {
  const v = viewSaga(row({}), log(['step_started', 'a', 1], ['step_succeeded', 'a', 1], ['step_started', 'b', 1]));
  assert.deepEqual(
    v.steps.map((s) => s.name),
    ['a', 'b'],
  );
  assert.equal(v.currentStep, null);
});
