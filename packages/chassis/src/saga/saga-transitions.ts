// The saga engine's rules as pure functions: what an attempt's error means,
// whether to retry, compensate or park, and which step comes next. The runner
// does the I/O around them.

import { backoffDelay } from '../backoff.ts';
import { isSoukError } from '../errors/index.ts';
import { sagaErrors } from './errors.ts';
import type { RetryPolicy, SagaFailure, SagaStep } from './saga-definition.ts';

export const DEFAULT_RETRY = { baseMs: 200, capMs: 5_000 } as const;
export const DEFAULT_COMPENSATION_RETRY = { baseMs: 500, capMs: 30_000 } as const;
/** Code of a failure that carried none (a bug, a driver error): treated as retryable. */
export const UNEXPECTED = 'UNEXPECTED';

/** One failed attempt, as recorded in the log and, when it ends the step, in the saga's failure. */
export interface AttemptError {
  code: string;
  message: string;
  status: number;
  retryable: boolean;
  extensions: Record<string, unknown>;
}

/**
 * What an attempt's error means. Retryable: a SoukError marked so, any 5xx,
 * a timed-out attempt, and errors without a code (a dropped connection is more
 * likely than a bug, and a bug still ends at the deadline). A 4xx is final.
 */
export function describeError(err: unknown, attemptTimedOut: boolean, timeoutMs = 0): AttemptError {
  if (attemptTimedOut) {
    const e = sagaErrors.attemptTimedOut(`The attempt did not finish within ${timeoutMs} ms`);
    return { code: e.code, message: e.detail, status: e.status, retryable: true, extensions: {} };
  }
  if (isSoukError(err)) {
    return {
      code: err.code,
      message: err.detail || err.message,
      status: err.status,
      retryable: err.retryable || err.status >= 500,
      extensions: { ...err.extensions },
    };
  }
  const message = err instanceof Error ? err.message || err.name : String(err);
  return { code: UNEXPECTED, message, status: 500, retryable: true, extensions: {} };
}

export function retryDelay(
  attempt: number,
  policy: RetryPolicy | undefined,
  random?: () => number,
  defaults: Required<RetryPolicy> = DEFAULT_RETRY,
): number {
  const baseMs = policy?.baseMs ?? defaults.baseMs;
  const capMs = policy?.capMs ?? defaults.capMs;
  return backoffDelay({ curve: 'full-jitter', baseMs, capMs }, attempt, random);
}

export type AfterStepFailure = { kind: 'retry'; delayMs: number } | { kind: 'compensate'; failure: SagaFailure };

/** After a failed attempt of a step: try again before the deadline, or give up and compensate. */
export function afterStepFailure(input: {
  step: Pick<SagaStep<unknown>, 'name' | 'retry' | 'attemptTimeoutMs'>;
  error: AttemptError;
  attempt: number;
  /** Time left to the step's deadline, ms (negative once it passed). */
  remainingMs: number;
  random?: () => number;
}): AfterStepFailure {
  const { step, error, attempt } = input;
  const failure = (deadlineExceeded: boolean): SagaFailure => ({
    step: step.name,
    code: error.code,
    message: error.message,
    status: error.status,
    deadlineExceeded,
    attempts: attempt,
    extensions: error.extensions,
  });
  if (!error.retryable) return { kind: 'compensate', failure: failure(false) };
  const delayMs = retryDelay(attempt, step.retry, input.random);
  // The next attempt must start before the deadline, or there is no next attempt. With a per-attempt
  // timeout it must also get at least half of it: an attempt cut to a sliver by the deadline would
  // only time out, and the saga would report "took too long" instead of what actually failed.
  const leftForNext = input.remainingMs - delayMs;
  const minimum = step.attemptTimeoutMs !== undefined ? step.attemptTimeoutMs / 2 : 0;
  if (leftForNext <= minimum) return { kind: 'compensate', failure: failure(true) };
  return { kind: 'retry', delayMs };
}

export type AfterCompensationFailure = { kind: 'retry'; delayMs: number } | { kind: 'park' };

/** Compensations never give up by themselves: they retry until `parkAfter` attempts, then wait for an operator. */
export function afterCompensationFailure(input: {
  step: Pick<SagaStep<unknown>, 'compensationRetry'>;
  attempt: number;
  parkAfter: number;
  random?: () => number;
}): AfterCompensationFailure {
  if (input.attempt >= input.parkAfter) return { kind: 'park' };
  return {
    kind: 'retry',
    delayMs: retryDelay(input.attempt, input.step.compensationRetry, input.random, DEFAULT_COMPENSATION_RETRY),
  };
}

/** The step after a success, or the end of the saga. */
export function afterStepSuccess(index: number, stepCount: number): { kind: 'next'; index: number } | { kind: 'complete' } {
  return index + 1 < stepCount ? { kind: 'next', index: index + 1 } : { kind: 'complete' };
}

/**
 * The next step to compensate at or below `from`, going backwards (steps
 * without a compensation are passed over); -1 when none is left.
 */
export function nextCompensation(from: number, steps: readonly Pick<SagaStep<unknown>, 'compensate'>[]): number {
  for (let i = Math.min(from, steps.length - 1); i >= 0; i--) if (steps[i]!.compensate) return i;
  return -1;
}

/** One attempt's time budget. */
export function attemptTimeout(
  step: Pick<SagaStep<unknown>, 'timeoutMs' | 'attemptTimeoutMs' | 'compensationTimeoutMs'>,
  phase: 'run' | 'compensate',
  remainingMs: number,
): number {
  const base = step.attemptTimeoutMs ?? step.timeoutMs;
  if (phase === 'compensate') return step.compensationTimeoutMs ?? base;
  // Past the deadline only when a crash interrupted the last attempt: that one still gets a full try.
  return remainingMs > 0 ? Math.max(1, Math.min(base, Math.ceil(remainingMs))) : base;
}

/**
 * After a failure of the runner itself on a saga (its end hook or a progress
 * write threw; `failures` in a row, this one included): try again with the
 * compensations' backoff, or park it after `parkAfter`, as a compensation
 * that keeps failing would be, so a deterministic error waits for an operator
 * instead of looping.
 */
export function afterRunnerFailure(input: {
  failures: number;
  parkAfter: number;
  random?: () => number;
}): AfterCompensationFailure {
  if (input.failures >= input.parkAfter) return { kind: 'park' };
  return { kind: 'retry', delayMs: retryDelay(input.failures, undefined, input.random, DEFAULT_COMPENSATION_RETRY) };
}

/** Socket errors of a database connection that could not be made or broke. */
const TRANSIENT_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);
/**
 * SQLSTATEs that say "not now" rather than "never": class 08 (connection
 * exception), 53 (insufficient resources, e.g. too many connections), the
 * server shutting down or starting (57P01-57P03), serialization failure and
 * deadlock (40001, 40P01), lock not available (55P03).
 */
const TRANSIENT_SQLSTATE = /^(08...|53...|57P0[123]|40001|40P01|55P03)$/;
/** What pg and pg-pool throw, without a code, when a connection goes away or none comes. */
const TRANSIENT_MESSAGE = /connection terminated|timeout exceeded when trying to connect|connection error|not queryable/i;

/**
 * Whether an error the runner hit says the database was briefly out of reach
 * (or the transaction lost a race), so that the same work will likely succeed
 * later: such failures are retried without counting towards parking. Looks
 * through `cause` and AggregateError (a refused connection to each address),
 * not into a souk error: a hook's failed call to another service counts.
 */
export function isTransientFailure(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4 || isSoukError(err)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (TRANSIENT_ERRNOS.has(code) || TRANSIENT_SQLSTATE.test(code))) return true;
  if (err instanceof Error && typeof code !== 'string' && TRANSIENT_MESSAGE.test(err.message)) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isTransientFailure(e, depth + 1))) return true;
  return isTransientFailure((err as { cause?: unknown }).cause, depth + 1);
}
