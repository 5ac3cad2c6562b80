// What a service writes to declare a saga: its steps in order, each with its
// compensation beside it, and the hooks that run when the saga ends.

import type { ServiceDb } from '../db/chassis-tables.ts';
import type { Logger } from 'pino';

export type SagaStatus = 'RUNNING' | 'COMPENSATING' | 'COMPLETED' | 'COMPENSATED' | 'PARKED';
export const SAGA_STATUSES: readonly SagaStatus[] = ['RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'PARKED'];
/** Statuses a saga leaves only through an operator (PARKED) or never. */
export const FINAL_STATUSES: readonly SagaStatus[] = ['COMPLETED', 'COMPENSATED', 'PARKED'];

/** Why a saga compensates: the step that failed and its last error. */
export interface SagaFailure {
  step: string;
  /** The error's stable code (`SOUK_...`), or `UNEXPECTED` for an error without one. */
  code: string;
  message: string;
  status: number;
  /** True when the step ran out of time (its deadline passed) rather than failing for good. */
  deadlineExceeded: boolean;
  attempts: number;
  /** The problem's extensions (e.g. the product that is out of stock). */
  extensions: Record<string, unknown>;
}

/**
 * `DB`: the service's own tables (from its db.ts), beside the chassis' in `db`. Untyped by
 * default: that is how the runner holds every saga, whatever its tables.
 */
export interface StepContext<S, DB = any> {
  readonly sagaId: string;
  readonly sagaName: string;
  readonly step: string;
  /** The saga's state: its input merged with what earlier steps returned. */
  readonly state: Readonly<S>;
  /** 1 for the first attempt; counts across restarts and takeovers. */
  readonly attempt: number;
  /**
   * The same for every attempt of this step of this saga (and another one for
   * its compensation): send it as the Idempotency-Key so a repeat does nothing twice.
   */
  readonly idempotencyKey: string;
  /** Aborts when the attempt times out, the lease is lost or the service stops: pass it to every call. */
  readonly signal: AbortSignal;
  /** The transaction of the saga's progress when the step is `transactional`, the pool otherwise. */
  readonly db: ServiceDb<DB>;
  readonly log: Logger;
  /** In compensations: what made the saga compensate. */
  readonly failure?: SagaFailure;
}

export interface RetryPolicy {
  /** Ceiling of the first delay (full jitter), ms. Default 200. */
  baseMs?: number;
  /** Longest delay, ms. Default 5000. */
  capMs?: number;
}

export interface SagaStep<S, DB = any> {
  /** Unique within the saga; shown in logs, metrics and the admin view. */
  name: string;
  /** Does the step's work; at least once, so it must be idempotent. Its result is merged into the state. */
  run(ctx: StepContext<S, DB>): Promise<Partial<S> | void>;
  /** Undoes the step; also runs when the step itself failed (its effect may have happened). Idempotent. */
  compensate?(ctx: StepContext<S, DB>): Promise<void>;
  /** The step's deadline: failed attempts are retried until then, then the saga compensates. */
  timeoutMs: number;
  /** One attempt's timeout; default timeoutMs (the remaining time to the deadline, at most). */
  attemptTimeoutMs?: number;
  /** One compensation attempt's timeout; default attemptTimeoutMs. Compensations are retried until they succeed or park. */
  compensationTimeoutMs?: number;
  retry?: RetryPolicy;
  /**
   * Backoff between compensation attempts; default 500 ms doubling to 30 s, so
   * that the attempts before parking outlast a breaker's open period or a restart.
   */
  compensationRetry?: RetryPolicy;
  /**
   * Runs `run` and `compensate` inside the transaction that records the step's
   * progress (ctx.db): a local step's writes and outbox events commit with it or not at all.
   */
  transactional?: boolean;
}

export interface SagaEndContext<S, DB = any> {
  sagaId: string;
  state: Readonly<S>;
  /** The transaction that records the end of the saga. */
  db: ServiceDb<DB>;
  log: Logger;
  /** Set when the saga compensated. */
  failure?: SagaFailure;
}

export interface SagaDefinition<S = any, DB = any> {
  name: string;
  steps: readonly SagaStep<S, DB>[];
  /** Runs in the transaction that marks the saga COMPLETED. */
  onCompleted?(ctx: SagaEndContext<S, DB>): Promise<void>;
  /** Runs in the transaction that marks the saga COMPENSATED (every compensation succeeded). */
  onCompensated?(ctx: SagaEndContext<S, DB>): Promise<void>;
}

/** Checks a saga definition once, at start-up, and returns it typed. */
export function defineSaga<S, DB = any>(definition: SagaDefinition<S, DB>): SagaDefinition<S, DB> {
  if (!/^[a-z][a-zA-Z0-9-]*$/.test(definition.name))
    throw new Error(`saga name ${definition.name}: use letters, digits and dashes`);
  if (definition.steps.length === 0) throw new Error(`saga ${definition.name} has no steps`);
  const names = new Set<string>();
  for (const step of definition.steps) {
    if (names.has(step.name)) throw new Error(`saga ${definition.name}: step ${step.name} appears twice`);
    names.add(step.name);
    for (const [key, value] of [
      ['timeoutMs', step.timeoutMs],
      ['attemptTimeoutMs', step.attemptTimeoutMs],
      ['compensationTimeoutMs', step.compensationTimeoutMs],
    ] as const) {
      if (value !== undefined && !(Number.isFinite(value) && value > 0))
        throw new Error(`saga ${definition.name}: step ${step.name} needs ${key} > 0`);
    }
  }
  return definition;
}

/** The key a step sends on every attempt; compensations get their own. */
export function idempotencyKeyOf(sagaName: string, sagaId: string, step: string, phase: 'run' | 'compensate'): string {
  return `saga:${sagaName}:${sagaId}:${step}${phase === 'compensate' ? ':compensate' : ''}`;
}
