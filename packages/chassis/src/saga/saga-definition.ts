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
  /** Set by `parallel(...)`: the names of the steps that run at once with this one (itself included), in order. */
  readonly parallel?: ParallelGroup;
}

/** Steps that run at once: what `parallel(...)` gives each of them. */
export interface ParallelGroup {
  readonly steps: readonly string[];
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
  /** In order; steps spread from one `parallel(...)` run at once. */
  steps: readonly SagaStep<S, DB>[];
  /** Runs in the transaction that marks the saga COMPLETED. */
  onCompleted?(ctx: SagaEndContext<S, DB>): Promise<void>;
  /** Runs in the transaction that marks the saga COMPENSATED (every compensation succeeded). */
  onCompensated?(ctx: SagaEndContext<S, DB>): Promise<void>;
}

/**
 * Steps that do not depend on each other, run at once: spread into the saga's
 * steps (`steps: [...parallel(reserve, authorize), confirm]`). They start
 * together, each seeing the state from before them; the saga goes on once every
 * one has succeeded (their results merged in their order). One that fails is
 * retried with the others that have not succeeded yet (those that did are kept).
 * When one fails for good, each of them is compensated, in reverse order (a
 * sibling still running is awaited first: it may have had its effect), then the
 * steps before them. None may be `transactional`: a transaction records one step.
 */
export function parallel<S, DB = any>(...steps: SagaStep<S, DB>[]): SagaStep<S, DB>[] {
  if (steps.length < 2) throw new Error('parallel(...) needs two steps or more');
  const transactional = steps.find((s) => s.transactional);
  if (transactional) throw new Error(`step ${transactional.name} is transactional: it cannot run in parallel(...)`);
  const group: ParallelGroup = { steps: steps.map((s) => s.name) };
  return steps.map((s) => ({ ...s, parallel: group }));
}

/** Where a group of steps that run together begins and ends in `steps`: [start, end). A lone step is a group of one. */
export interface StepGroup {
  start: number;
  end: number;
}

/** The saga's groups in order; throws when a parallel group's steps are not together as `parallel(...)` made them. */
export function stepGroups(sagaName: string, steps: readonly Pick<SagaStep<unknown>, 'name' | 'parallel'>[]): StepGroup[] {
  const groups: StepGroup[] = [];
  for (let start = 0; start < steps.length;) {
    const names = steps[start]!.parallel?.steps;
    const end = start + (names?.length ?? 1);
    if (names && !names.every((name, i) => steps[start + i]?.name === name && steps[start + i]?.parallel?.steps === names))
      throw new Error(
        `saga ${sagaName}: the parallel steps ${names.join(', ')} must follow each other (spread parallel(...) once)`,
      );
    groups.push({ start, end });
    start = end;
  }
  return groups;
}

const groupsByDefinition = new WeakMap<SagaDefinition, StepGroup[]>();

/** The groups of a saga's steps (stepGroups), worked out once per definition. */
export function groupsOf(saga: SagaDefinition): readonly StepGroup[] {
  const known = groupsByDefinition.get(saga);
  if (known) return known;
  const groups = stepGroups(saga.name, saga.steps);
  groupsByDefinition.set(saga, groups);
  return groups;
}

/** Checks a saga definition once, at start-up, and returns it typed. */
export function defineSaga<S, DB = any>(definition: SagaDefinition<S, DB>): SagaDefinition<S, DB> {
  if (!/^[a-z][a-zA-Z0-9-]*$/.test(definition.name))
    throw new Error(`saga name ${definition.name}: use letters, digits and dashes`);
  if (definition.steps.length === 0) throw new Error(`saga ${definition.name} has no steps`);
  stepGroups(definition.name, definition.steps);
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
