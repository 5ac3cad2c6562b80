// Driving one claimed saga: its steps forward (RUNNING), then, after a step
// failed for good, its compensations backwards (COMPENSATING), to its end
// (COMPLETED, COMPENSATED) or to PARKED. Both phases run their attempts
// through one runStepAttempt; only what follows a failure differs (a step
// retries until its deadline then compensates, a compensation retries until
// it parks). A failure of the runner's own writes or end hook is counted by
// sagaRunFailed. The claim loop, the lease and the operator actions are the
// runner's (saga-runner.ts).

import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { WorkLease } from '../jobs/claim-loop.ts';
import { failurePause } from '../backoff.ts';
import { LeaseLost, runAttempt } from './saga-attempt.ts';
import {
  idempotencyKeyOf,
  type SagaDefinition,
  type SagaFailure,
  type SagaStatus,
  type SagaStep,
  type StepContext,
} from './saga-definition.ts';
import type { SagaMetrics } from './saga-metrics.ts';
import type { LogEntry, SagaRow, SagaStore } from './saga-store.ts';
import {
  afterCompensationFailure,
  afterRunnerFailure,
  afterStepFailure,
  afterStepSuccess,
  attemptTimeout,
  describeError,
  isTransientFailure,
  nextCompensation,
  type AttemptError,
} from './saga-transitions.ts';

export type BeforeStep = (
  sagaId: string,
  step: string,
  info: { phase: 'run' | 'compensate'; signal: AbortSignal },
) => Promise<void> | void;

/** What driving a saga needs from its runner. */
export interface DriveDeps {
  db: Kysely<any>;
  log: Logger;
  store: SagaStore;
  metrics: SagaMetrics;
  leaseMs: number;
  parkAfter: number;
  beforeStep?: BeforeStep;
  random?: () => number;
  /** Claims again in `delayMs` (a retry this instance scheduled). */
  wakeIn(delayMs: number): void;
  /** The saga reached a final status (or PARKED): the duration metric and the waiters. */
  ended(saga: SagaDefinition, row: SagaRow, final: SagaStatus): void;
}

/** Where the runner is in a saga, for a failure of its own: the step it is on, or ending the saga. */
export interface Whereabouts {
  step: string | null;
  ending: boolean;
}

/** One saga being driven: what it needs, and where it stands (updated as it goes). */
interface Drive {
  deps: DriveDeps;
  saga: SagaDefinition;
  row: SagaRow;
  lease: WorkLease;
  where: Whereabouts;
  log: Logger;
  state: Record<string, unknown>;
  status: SagaStatus;
  index: number;
  failure: SagaFailure | null;
}

type Phase = 'run' | 'compensate';
type Next = 'continue' | 'stop';

const LOG_KINDS = {
  run: { started: 'step_started', succeeded: 'step_succeeded' },
  compensate: { started: 'compensation_started', succeeded: 'compensation_succeeded' },
} as const;

/** Drives the saga of `row` while the lease holds; returns when it ended, waits for a retry, or was interrupted. */
export async function driveSaga(deps: DriveDeps, saga: SagaDefinition, row: SagaRow, lease: WorkLease, where: Whereabouts) {
  const d: Drive = {
    deps,
    saga,
    row,
    lease,
    where,
    log: deps.log.child({ saga: saga.name, saga_id: row.id }),
    state: row.state,
    status: row.status,
    index: row.current_step,
    failure: row.failure,
  };
  while (!lease.signal.aborted) {
    const next =
      d.status === 'RUNNING' ? await runNextStep(d) : d.status === 'COMPENSATING' ? await compensateNextStep(d) : 'stop';
    if (next === 'stop') return;
  }
}

// ---- the phases ---------------------------------------------------------------

async function runNextStep(d: Drive): Promise<Next> {
  const { deps, row } = d;
  const steps = d.saga.steps;
  if (d.index >= steps.length) return endSaga(d, 'COMPLETED');
  const step = steps[d.index]!;
  const next = afterStepSuccess(d.index, steps.length);
  const nextIndex = next.kind === 'next' ? next.index : steps.length;
  const outcome = await runStepAttempt(d, 'run', step, nextIndex);
  if (outcome.kind === 'stopped') return 'stop';
  const labels = { saga: d.saga.name, step: step.name };
  if (outcome.kind === 'succeeded') {
    deps.metrics.steps.inc({ ...labels, outcome: 'succeeded' });
    d.state = outcome.state;
    d.index = nextIndex;
    return 'continue';
  }
  const { error, attempt } = outcome;
  const decision = afterStepFailure({
    step,
    error,
    attempt,
    remainingMs: outcome.remainingMs,
    ...(deps.random ? { random: deps.random } : {}),
  });
  const entry = { kind: 'step_failed' as const, step: step.name, attempt, error, durationMs: outcome.durationMs };
  if (decision.kind === 'retry') {
    deps.metrics.steps.inc({ ...labels, outcome: 'retried' });
    d.log.info({ step: step.name, attempt, code: error.code, delayMs: decision.delayMs }, 'saga step failed; retrying');
    return retryLater(d, decision.delayMs, entry);
  }
  deps.metrics.steps.inc({ ...labels, outcome: 'failed' });
  d.log.warn(
    { step: step.name, attempt, code: error.code, deadlineExceeded: decision.failure.deadlineExceeded },
    'saga step failed; compensating',
  );
  // From the failed step itself: its effect may have happened (a timed-out reserve may have reserved).
  if (!(await deps.store.startCompensation(row.id, d.index, decision.failure, entry))) return 'stop';
  d.status = 'COMPENSATING';
  d.failure = decision.failure;
  return 'continue';
}

async function compensateNextStep(d: Drive): Promise<Next> {
  const { deps, row } = d;
  const steps = d.saga.steps;
  const at = nextCompensation(d.index, steps);
  if (at < 0) return endSaga(d, 'COMPENSATED');
  const step = steps[at]!;
  const nextIndex = nextCompensation(at - 1, steps);
  const outcome = await runStepAttempt(d, 'compensate', step, nextIndex);
  if (outcome.kind === 'stopped') return 'stop';
  const labels = { saga: d.saga.name, step: step.name };
  if (outcome.kind === 'succeeded') {
    deps.metrics.steps.inc({ ...labels, outcome: 'compensated' });
    d.index = nextIndex;
    return 'continue';
  }
  const { error, attempt } = outcome;
  const decision = afterCompensationFailure({
    step,
    attempt,
    parkAfter: deps.parkAfter,
    ...(deps.random ? { random: deps.random } : {}),
  });
  const entry = { kind: 'compensation_failed' as const, step: step.name, attempt, error, durationMs: outcome.durationMs };
  if (decision.kind === 'retry') {
    deps.metrics.steps.inc({ ...labels, outcome: 'compensation_retried' });
    d.log.warn({ step: step.name, attempt, code: error.code, delayMs: decision.delayMs }, 'saga compensation failed; retrying');
    return retryLater(d, decision.delayMs, entry);
  }
  deps.metrics.steps.inc({ ...labels, outcome: 'compensation_failed' });
  if (!(await deps.store.park(row.id, entry))) return 'stop';
  // Never dropped: it waits, visible, for an operator (POST /_admin/sagas/{id}/retry).
  d.log.error(
    { step: step.name, attempts: attempt, code: error.code, message: error.message },
    'saga PARKED: a compensation keeps failing',
  );
  deps.ended(d.saga, row, 'PARKED');
  return 'stop';
}

async function retryLater(d: Drive, delayMs: number, entry: LogEntry): Promise<Next> {
  if (await d.deps.store.retryLater(d.row.id, delayMs, entry)) d.deps.wakeIn(delayMs);
  return 'stop';
}

// ---- one attempt, either phase ---------------------------------------------------

type StepOutcome =
  /** Interrupted (lease lost, stopping) or the lease was gone when writing: nothing more to do here. */
  | { kind: 'stopped' }
  | { kind: 'succeeded'; state: Record<string, unknown> }
  | { kind: 'failed'; error: AttemptError; attempt: number; durationMs: number; remainingMs: number };

const STOPPED: StepOutcome = { kind: 'stopped' };

/**
 * One attempt of `step` in `phase`: counted before it runs, run under its
 * timeout, and on success recorded with the saga's progress to `nextIndex`
 * (in the step's own transaction when it is transactional).
 */
async function runStepAttempt(d: Drive, phase: Phase, step: SagaStep<any>, nextIndex: number): Promise<StepOutcome> {
  const { deps, row, lease } = d;
  const kinds = LOG_KINDS[phase];
  d.where.step = step.name;
  await deps.beforeStep?.(row.id, step.name, { phase, signal: lease.signal });
  if (lease.signal.aborted) return STOPPED;
  const deadlineMs = phase === 'run' ? step.timeoutMs : undefined;
  const begun = await deps.store.beginAttempt(row.id, { kind: kinds.started, step: step.name }, deadlineMs);
  if (!begun) return STOPPED;
  const timeoutMs = attemptTimeout(step, phase, phase === 'run' ? begun.remainingMs : Infinity);
  const started = performance.now();
  const succeeded = (durationMs: number): LogEntry => ({
    kind: kinds.succeeded,
    step: step.name,
    attempt: begun.attempt,
    durationMs,
  });

  /** The step's work: the saga's state after it. */
  const act = async (exec: Kysely<any>, signal: AbortSignal): Promise<Record<string, unknown>> => {
    const ctx = stepContext(d, step, phase, begun.attempt, signal, exec);
    if (phase === 'compensate') return (await step.compensate!(ctx), d.state);
    return { ...d.state, ...((await step.run(ctx)) ?? {}) };
  };
  /** The progress write after a success; false when the lease is gone. */
  const record = (exec: Kysely<any>, state: Record<string, unknown>, entry: LogEntry) =>
    phase === 'run'
      ? deps.store.stepSucceeded(exec, row.id, nextIndex, state, entry)
      : deps.store.compensationSucceeded(exec, row.id, nextIndex, entry);

  const result = await runAttempt(
    async (signal) => {
      if (!step.transactional) return act(deps.db, signal);
      return inTransaction(d, timeoutMs, async (trx) => {
        const state = await act(trx, signal);
        if (!(await record(trx, state, succeeded(performance.now() - started)))) throw new LeaseLost();
        return state;
      });
    },
    { timeoutMs, parent: lease.signal, race: !step.transactional, graceMs: Math.min(deps.leaseMs, 5_000) },
  );
  const durationMs = performance.now() - started;
  if (result.kind === 'interrupted') return STOPPED;
  if (result.kind === 'ok') {
    if (!step.transactional && !(await record(deps.db, result.value, succeeded(durationMs)))) return STOPPED;
    return { kind: 'succeeded', state: result.value };
  }
  return {
    kind: 'failed',
    error: describeError(result.err, result.timedOut, timeoutMs),
    attempt: begun.attempt,
    durationMs,
    remainingMs: begun.remainingMs - durationMs,
  };
}

function stepContext(
  d: Drive,
  step: SagaStep<any>,
  phase: Phase,
  attempt: number,
  signal: AbortSignal,
  exec: Kysely<any>,
): StepContext<any> {
  return {
    sagaId: d.row.id,
    sagaName: d.saga.name,
    step: step.name,
    state: d.state,
    attempt,
    idempotencyKey: idempotencyKeyOf(d.saga.name, d.row.id, step.name, phase),
    signal,
    db: exec,
    log: d.log.child({ step: step.name, phase, attempt }),
    ...(d.failure ? { failure: d.failure } : {}),
  };
}

/** Runs `fn` in the progress transaction of a transactional step, guarded by the lease, bounded by `timeoutMs`. */
function inTransaction<T>(d: Drive, timeoutMs: number, fn: (trx: Kysely<any>) => Promise<T>): Promise<T> {
  return d.lease.hold(() =>
    d.deps.db.transaction().execute(async (trx) => {
      if (!(await d.deps.store.lock(trx, d.row.id))) throw new LeaseLost();
      const limit = String(timeoutMs);
      await sql`select set_config('statement_timeout', ${limit}, true), set_config('idle_in_transaction_session_timeout', ${limit}, true)`.execute(
        trx,
      );
      return fn(trx);
    }),
  );
}

// ---- the end ----------------------------------------------------------------------

async function endSaga(d: Drive, final: 'COMPLETED' | 'COMPENSATED'): Promise<Next> {
  const { deps, row, saga } = d;
  d.where.step = null;
  d.where.ending = true; // a throw from here on is the end's: counted, and parked if it keeps happening
  const committed = await d.lease.hold(() =>
    deps.db.transaction().execute(async (trx) => {
      if (!(await deps.store.lock(trx, row.id))) return false;
      const ctx = { sagaId: row.id, state: d.state, db: trx, log: d.log, ...(d.failure ? { failure: d.failure } : {}) };
      await (final === 'COMPLETED' ? saga.onCompleted?.(ctx) : saga.onCompensated?.(ctx));
      return deps.store.finish(trx, row.id, final);
    }),
  );
  if (committed) {
    d.log.info({ status: final }, `saga ${final.toLowerCase()}`);
    deps.ended(saga, row, final);
  }
  return 'stop';
}

// ---- the runner's own failures ---------------------------------------------------------

/**
 * The runner's own failure on a saga: its end hook threw, or a progress write
 * did. The database briefly out of reach: retried later, uncounted. Anything
 * else is counted on the saga row (a deterministic error would otherwise loop
 * for ever, unseen): retried with backoff, then PARKED after parkAfter in a row.
 */
export async function sagaRunFailed(
  deps: DriveDeps,
  saga: SagaDefinition,
  row: SagaRow,
  where: Whereabouts,
  err: unknown,
): Promise<void> {
  const failureLog = deps.log.child({ saga: saga.name, saga_id: row.id, ...(where.step ? { step: where.step } : {}) });
  const error = describeError(err, false);
  const entry = {
    kind: where.ending ? ('end_failed' as const) : ('runner_failed' as const),
    ...(where.step ? { step: where.step } : {}),
    error,
  };
  const what = where.ending ? 'ending the saga' : 'the saga runner';
  try {
    if (isTransientFailure(err)) {
      // The database went away mid-write, say: try again later, from what was recorded.
      failureLog.warn({ err }, `${what} failed (a transient database error); the saga is retried`);
      if (await deps.store.retryLater(row.id, failurePause(3), entry)) deps.wakeIn(failurePause(3));
      return;
    }
    const counted = await deps.store.runnerFailed(row.id, entry, (failures) =>
      afterRunnerFailure({ failures, parkAfter: deps.parkAfter, ...(deps.random ? { random: deps.random } : {}) }),
    );
    if (!counted) return;
    const { failures, decision } = counted;
    if (decision.kind === 'retry') {
      failureLog.error({ err, failures, delayMs: decision.delayMs }, `${what} failed; the saga is retried`);
      deps.wakeIn(decision.delayMs);
      return;
    }
    // Never dropped: it waits, visible, for an operator (POST /_admin/sagas/{id}/retry).
    failureLog.error({ err, failures, code: error.code, message: error.message }, `saga PARKED: ${what} keeps failing`);
    deps.ended(saga, row, 'PARKED');
  } catch (writeErr) {
    // Not even that could be written: the saga is claimed again as it is (by this instance as soon as it can: the lease is still its own).
    failureLog.error({ err, writeErr }, `${what} failed, and so did recording it; the saga is claimed again`);
  }
}
