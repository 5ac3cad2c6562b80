// What operators and owners see of a saga: its row and log turned into one
// entry per step (status, attempts, timings, last error, its compensation).
// Pure: the admin routes and services' own views (orders' /saga) share it.

import type { SagaFailure, SagaStatus } from './saga-definition.ts';
import type { LogRow, SagaRow } from './saga-store.ts';

export type PhaseStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface PhaseView {
  status: PhaseStatus;
  attempts: number;
  startedAt: string | null;
  finishedAt: string | null;
  lastError: { code: string; message: string } | null;
}

export interface SagaStepView extends PhaseView {
  name: string;
  /** Null while the step's compensation has not begun (or the step has none). */
  compensation: PhaseView | null;
}

export interface SagaLogEntry {
  seq: number;
  kind: string;
  step: string | null;
  attempt: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  durationMs: number | null;
  owner: string | null;
  at: string;
}

export interface SagaSummary {
  id: string;
  name: string;
  status: SagaStatus;
  /** The step being run or compensated; null once the saga ended. */
  currentStep: string | null;
  attempt: number;
  /** The runner's own failures on the saga in a row (its end hook or a progress write threw: see the log's end_failed/runner_failed). */
  runnerFailures: number;
  failure: SagaFailure | null;
  leaseOwner: string | null;
  nextAttemptAt: string;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface SagaView extends SagaSummary {
  state: Record<string, unknown>;
  steps: SagaStepView[];
  log: SagaLogEntry[];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A step as the view needs it: its name and whether it has a compensation. */
export type StepShape = { name: string; compensate?: unknown };

/** `steps` in order, from the definition (without one, the current step is not named). */
export function summarizeSaga(row: SagaRow, steps: readonly StepShape[] = []): SagaSummary {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    currentStep: currentStep(row, steps),
    attempt: row.attempt,
    runnerFailures: row.runner_failures,
    failure: row.failure,
    leaseOwner: row.lease_owner,
    nextAttemptAt: row.next_attempt_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    finishedAt: iso(row.finished_at),
  };
}

/**
 * The step being run (in a parallel group, the first that has not succeeded yet), or compensated (steps
 * without a compensation are passed over, as the runner does); null once ended, or while ending (a saga
 * parked because its end hook failed has none).
 */
function currentStep(row: SagaRow, steps: readonly StepShape[]): string | null {
  if (row.status === 'COMPLETED' || row.status === 'COMPENSATED') return null;
  if (row.status === 'RUNNING' || (row.status === 'PARKED' && row.parked_from === 'RUNNING')) {
    const done = row.group_done ?? [];
    return steps.slice(row.current_step).find((s) => !done.includes(s.name))?.name ?? null;
  }
  for (let i = Math.min(row.current_step, steps.length - 1); i >= 0; i--) if (steps[i]!.compensate) return steps[i]!.name;
  return null;
}

/** `steps` from the definition; without one, the steps the log mentions. */
export function viewSaga(row: SagaRow, log: readonly LogRow[], definedSteps?: readonly StepShape[]): SagaView {
  const stepNames = definedSteps?.map((s) => s.name) ?? [
    ...new Set(log.flatMap((l) => (l.step && l.kind.startsWith('step_') ? [l.step] : []))),
  ];
  const steps = stepNames.map((name): SagaStepView => {
    const own = log.filter((l) => l.step === name);
    const run = phase(own, 'step_started', 'step_succeeded', 'step_failed');
    // Failed for good: it is the step that made the saga compensate.
    if (run.status === 'RUNNING' && row.failure?.step === name && row.status !== 'RUNNING') run.status = 'FAILED';
    // Parked while running (the runner kept failing on it, see the log): the step did not get through.
    if (run.status === 'RUNNING' && row.status === 'PARKED' && row.parked_from === 'RUNNING') run.status = 'FAILED';
    const comp = phase(own, 'compensation_started', 'compensation_succeeded', 'compensation_failed');
    // Only one compensation runs at a time: in a parked saga, it is the one that kept failing.
    if (comp.status === 'RUNNING' && row.status === 'PARKED') comp.status = 'FAILED';
    return { name, ...run, compensation: comp.status === 'PENDING' ? null : comp };
  });
  return {
    ...summarizeSaga(row, definedSteps),
    state: row.state,
    steps,
    log: log.map((l) => ({
      seq: l.seq,
      kind: l.kind,
      step: l.step,
      attempt: l.attempt,
      errorCode: l.error_code,
      errorMessage: l.error_message,
      durationMs: l.duration_ms,
      owner: l.owner,
      at: l.at.toISOString(),
    })),
  };
}

/** One phase (run or compensation) of a step from its log rows: started, then succeeded or failed per attempt. */
function phase(rows: readonly LogRow[], started: string, succeeded: string, failed: string): PhaseView {
  const mine = rows.filter((r) => r.kind === started || r.kind === succeeded || r.kind === failed);
  const starts = mine.filter((r) => r.kind === started);
  const last = mine.at(-1);
  const lastFailure = [...mine].reverse().find((r) => r.kind === failed);
  let status: PhaseStatus = 'PENDING';
  if (last?.kind === succeeded) status = 'SUCCEEDED';
  else if (last) status = 'RUNNING';
  return {
    status,
    attempts: starts.length,
    startedAt: iso(starts[0]?.at ?? null),
    finishedAt: last && last.kind !== started ? last.at.toISOString() : null,
    lastError: lastFailure ? { code: lastFailure.error_code ?? 'UNKNOWN', message: lastFailure.error_message ?? '' } : null,
  };
}
