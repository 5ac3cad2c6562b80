// One attempt of a saga step or compensation, for the driver (saga-drive.ts):
// a remote one runs outside any transaction under its timeout (the driver
// records its outcome), a transactional one runs inside the transaction that
// records its success, guarded by the lease.

import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { WorkLease } from '../jobs/claim-loop.ts';
import { LeaseLost, runAttempt } from './saga-attempt.ts';
import { idempotencyKeyOf, type SagaDefinition, type SagaFailure, type SagaStep, type StepContext } from './saga-definition.ts';
import type { SagaStore } from './saga-store.ts';
import { describeError, type AttemptError } from './saga-transitions.ts';

export type Phase = 'run' | 'compensate';

/** What an attempt needs of the saga being driven. */
export interface AttemptScope {
  db: Kysely<any>;
  store: SagaStore;
  leaseMs: number;
  saga: SagaDefinition;
  sagaId: string;
  lease: WorkLease;
  log: Logger;
  /** The state the step sees: the saga's before it (and before its parallel group). */
  state: Record<string, unknown>;
  failure: SagaFailure | null;
}

export type AttemptOutcome =
  /** Interrupted (lease lost, stopping) or the lease was gone when writing: nothing more to do here. */
  | { kind: 'stopped' }
  /** `result`: what `run` returned (empty for a compensation), to merge into the state. */
  | { kind: 'succeeded'; result: Record<string, unknown>; durationMs: number }
  | { kind: 'failed'; error: AttemptError; durationMs: number };

/** Records a transactional step's success in its transaction; false when the lease is gone. */
export type RecordInTransaction = (trx: Kysely<any>, result: Record<string, unknown>, durationMs: number) => Promise<boolean>;

/**
 * One attempt of `step` in `phase`, number `attempt`, within `timeoutMs`. A
 * transactional step runs with `record` in its transaction (a success is then
 * recorded already); any other step's outcome is for the caller to record.
 */
export async function attemptStep(
  scope: AttemptScope,
  phase: Phase,
  step: SagaStep<any>,
  attempt: number,
  timeoutMs: number,
  record?: RecordInTransaction,
): Promise<AttemptOutcome> {
  const started = performance.now();
  const act = async (exec: Kysely<any>, signal: AbortSignal): Promise<Record<string, unknown>> => {
    const ctx = stepContext(scope, step, phase, attempt, signal, exec);
    if (phase === 'compensate') return (await step.compensate!(ctx), {});
    return (await step.run(ctx)) ?? {};
  };
  const transactional = step.transactional === true && record !== undefined;
  const result = await runAttempt(
    async (signal) => {
      if (!transactional) return act(scope.db, signal);
      return inTransaction(scope, timeoutMs, async (trx) => {
        const value = await act(trx, signal);
        if (!(await record(trx, value, performance.now() - started))) throw new LeaseLost();
        return value;
      });
    },
    {
      timeoutMs,
      parent: scope.lease.signal,
      race: !transactional,
      graceMs: Math.min(scope.leaseMs, 5_000),
    },
  );
  const durationMs = performance.now() - started;
  if (result.kind === 'interrupted') return { kind: 'stopped' };
  if (result.kind === 'ok') return { kind: 'succeeded', result: result.value, durationMs };
  return { kind: 'failed', error: describeError(result.err, result.timedOut, timeoutMs), durationMs };
}

function stepContext(
  scope: AttemptScope,
  step: SagaStep<any>,
  phase: Phase,
  attempt: number,
  signal: AbortSignal,
  exec: Kysely<any>,
): StepContext<any> {
  return {
    sagaId: scope.sagaId,
    sagaName: scope.saga.name,
    step: step.name,
    state: scope.state,
    attempt,
    idempotencyKey: idempotencyKeyOf(scope.saga.name, scope.sagaId, step.name, phase),
    signal,
    db: exec,
    log: scope.log.child({ step: step.name, phase, attempt }),
    ...(scope.failure ? { failure: scope.failure } : {}),
  };
}

/**
 * Runs `fn` in the progress transaction of a transactional step, guarded by
 * the lease (the row locked first, in the statement that also bounds the
 * transaction by `timeoutMs`). Durable: a transactional step's writes are business facts.
 */
function inTransaction<T>(scope: AttemptScope, timeoutMs: number, fn: (trx: Kysely<any>) => Promise<T>): Promise<T> {
  return scope.lease.hold(() =>
    scope.db.transaction().execute(async (trx) => {
      if (!(await scope.store.lock(trx, scope.sagaId, timeoutMs))) throw new LeaseLost();
      return fn(trx);
    }),
  );
}
