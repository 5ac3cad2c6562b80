// Driving one claimed saga: its steps forward (RUNNING), a group of steps
// spread from parallel(...) at once, then, after a step failed for good, its
// compensations backwards one at a time (COMPENSATING), to its end (COMPLETED,
// COMPENSATED) or to PARKED. A step retries until its deadline then
// compensates, a compensation retries until it parks. A failure of the
// runner's own writes or end hook is counted by saga-run-failed.ts; the claim
// loop, the lease and the operator actions are the runner's (saga-runner.ts);
// one attempt is saga-step.ts's.
//
// One write per step: the statement that records a step (or compensation) as
// done also records where the saga goes next and begins it (its first attempt
// counted, its deadline started, its log row), or ends the saga when no end hook
// has to run. Only the first attempt after a claim (a retry, a takeover, a
// restart) is begun by a write of its own, so that an attempt is counted before
// it runs, crash or not. With a beforeStep hook (tests pause there) every
// attempt is begun by its own write after the hook: a pause sits between one
// step recorded and the next begun. A remote group followed by a transactional
// step is not written on its own: the step's transaction records both (if the
// step fails, the group's write is made first, as it would have been).

import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { WorkLease } from '../jobs/claim-loop.ts';
import {
  groupsOf,
  type SagaDefinition,
  type SagaFailure,
  type SagaStatus,
  type SagaStep,
  type StepGroup,
} from './saga-definition.ts';
import type { SagaMetrics } from './saga-metrics.ts';
import type { Begin, LogEntry, Progress, SagaRow, SagaStore } from './saga-store.ts';
import { attemptStep, type AttemptOutcome, type AttemptScope } from './saga-step.ts';
import { afterCompensationFailure, afterStepFailure, attemptTimeout, nextCompensation } from './saga-transitions.ts';

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

/** The current attempt, begun (counted, logged) by a write already made. */
export interface Begun {
  attempt: number;
  /** Time left to the step's deadline (a group's first step's) when `since`. */
  remainingMs: number;
  /** performance.now() when the write that began it was sent. */
  since: number;
}

/** One saga being driven: what it needs, and where it stands (updated as it goes). */
interface Drive {
  deps: DriveDeps;
  saga: SagaDefinition;
  groups: readonly StepGroup[];
  row: SagaRow;
  lease: WorkLease;
  where: Whereabouts;
  log: Logger;
  state: Record<string, unknown>;
  status: SagaStatus;
  index: number;
  failure: SagaFailure | null;
  /** Steps of the current parallel group that succeeded already. */
  done: Set<string>;
  /** Set when the write before the current attempt began it; null: begin it with a write of its own. */
  begun: Begun | null;
  /** Whether writes may begin what follows them (not with a beforeStep hook: see the top of this file). */
  folds: boolean;
  /**
   * A remote group's success not written yet: the transactional step after it writes it in its own
   * transaction (one write for both), or, if that step fails, it is written first, as it would have been.
   */
  carried: { entries: LogEntry[]; state: Record<string, unknown> } | null;
}

type Next = 'continue' | 'stop';

/**
 * Drives the saga of `row` while the lease holds; returns when it ended, waits for a retry, or was interrupted.
 * `begun`: the write that gave this instance the saga began its current attempt already (a saga started leased).
 */
export async function driveSaga(
  deps: DriveDeps,
  saga: SagaDefinition,
  row: SagaRow,
  lease: WorkLease,
  where: Whereabouts,
  begun: Begun | null = null,
) {
  const d: Drive = {
    deps,
    saga,
    groups: groupsOf(saga),
    row,
    lease,
    where,
    log: deps.log.child({ saga: saga.name, saga_id: row.id }),
    state: row.state,
    status: row.status,
    index: row.current_step,
    failure: row.failure,
    done: new Set(row.group_done ?? []),
    begun,
    folds: !deps.beforeStep,
    carried: null,
  };
  while (!lease.signal.aborted) {
    const next =
      d.status === 'RUNNING' ? await runNextGroup(d) : d.status === 'COMPENSATING' ? await compensateNextStep(d) : 'stop';
    if (next === 'stop') return;
  }
}

const scopeOf = (d: Drive): AttemptScope => ({
  db: d.deps.db,
  store: d.deps.store,
  leaseMs: d.deps.leaseMs,
  saga: d.saga,
  sagaId: d.row.id,
  lease: d.lease,
  log: d.log,
  state: d.state,
  failure: d.failure,
});

/** The first attempt after a claim (or a hook): the hooks, then the write that begins it. Null when stopped. */
async function begin(d: Drive, phase: 'run' | 'compensate', steps: readonly SagaStep<any>[], deadlineMs?: number) {
  if (d.begun) return d.begun;
  const { deps, row, lease } = d;
  const { beforeStep } = deps;
  if (beforeStep) await Promise.all(steps.map(async (s) => beforeStep(row.id, s.name, { phase, signal: lease.signal })));
  if (lease.signal.aborted) return null;
  const kind = phase === 'run' ? ('step_started' as const) : ('compensation_started' as const);
  const since = performance.now();
  const begun = await deps.store.beginAttempt(
    row.id,
    steps.map((s) => ({ kind, step: s.name })),
    deadlineMs,
  );
  return begun ? { ...begun, since } : null;
}

/** What a write that ends a step begins next, when writes may begin it. */
function beginNext(d: Drive, phase: 'run' | 'compensate', steps: readonly SagaStep<any>[]): Begin | undefined {
  if (!d.folds || steps.length === 0) return undefined;
  const kind = phase === 'run' ? ('step_started' as const) : ('compensation_started' as const);
  return {
    entries: steps.map((s) => ({ kind, step: s.name })),
    ...(phase === 'run' ? { deadlineMs: steps[0]!.timeoutMs } : {}),
  };
}

/** After a write that moved the saga on: where it stands now. 'stop' when that write ended it. */
function moved(d: Drive, p: Progress, sentAt: number): Next {
  d.index = p.next;
  if (p.state !== undefined) d.state = p.state as Record<string, unknown>;
  d.done.clear();
  d.begun = p.begin ? { attempt: 1, remainingMs: p.begin.deadlineMs ?? Infinity, since: sentAt } : null;
  if (!p.finish) return 'continue';
  d.where.step = null;
  d.log.info({ status: p.finish }, `saga ${p.finish.toLowerCase()}`);
  d.deps.ended(d.saga, d.row, p.finish);
  return 'stop';
}

// ---- running: a group of steps at once (one, unless parallel(...)) --------------------

async function runNextGroup(d: Drive): Promise<Next> {
  const { deps, row, saga } = d;
  const steps = saga.steps;
  const group = d.groups.find((g) => g.start <= d.index && d.index < g.end);
  if (!group) return endSaga(d, 'COMPLETED');
  const first = steps[group.start]!;
  const members = steps.slice(group.start, group.end).filter((s) => !d.done.has(s.name));
  d.where.step = members[0]!.name;
  const begun = await begin(d, 'run', members, first.timeoutMs);
  d.begun = null;
  if (!begun) return 'stop';
  // A step's deadline runs from its group's first attempt: the group's is its first step's.
  const remainingAtStart = (s: SagaStep<any>) =>
    begun.remainingMs - (performance.now() - begun.since) + (s.timeoutMs - first.timeoutMs);

  /** The write after every step of the group succeeded: the next group begun, or the saga ended. */
  const advance = (state: Record<string, unknown>, entries: LogEntry[], replayable: boolean): Progress => {
    const nextGroup = d.groups.find((g) => g.start === group.end);
    const beginning = nextGroup ? beginNext(d, 'run', steps.slice(nextGroup.start, nextGroup.end)) : undefined;
    return {
      next: group.end,
      state,
      entries,
      ...(beginning ? { begin: beginning } : {}),
      ...(!nextGroup && !saga.onCompleted ? { finish: 'COMPLETED' as const } : {}),
      replayable,
    };
  };
  const succeededEntry = (s: SagaStep<any>, durationMs: number): LogEntry => ({
    kind: 'step_succeeded',
    step: s.name,
    attempt: begun.attempt,
    durationMs,
  });

  const scope = scopeOf(d);
  let written: { p: Progress; sentAt: number } | undefined;
  const starts = members.map(remainingAtStart);
  const outcomes: AttemptOutcome[] = await Promise.all(
    members.map((s, i) =>
      attemptStep(scope, 'run', s, begun.attempt, attemptTimeout(s, 'run', starts[i]!), async (trx, result, durationMs) => {
        // A transactional step (alone in its group): its success is written in its own transaction (durable),
        // with the success of the remote group before it when that was carried here.
        const before: LogEntry[] = d.carried
          ? [...d.carried.entries, { kind: 'step_started', step: s.name, attempt: begun.attempt }]
          : [];
        const p = advance({ ...d.state, ...result }, [...before, succeededEntry(s, durationMs)], false);
        const sentAt = performance.now();
        if (!(await deps.store.progress(trx, row.id, p))) return false;
        written = { p, sentAt };
        return true;
      }),
    ),
  );
  if (outcomes.some((o) => o.kind === 'stopped')) return 'stop';

  let state = d.state;
  const entries: LogEntry[] = [];
  const succeeded: string[] = [];
  const retries: number[] = [];
  let failure: SagaFailure | undefined;
  members.forEach((s, i) => {
    const o = outcomes[i]!;
    const labels = { saga: saga.name, step: s.name };
    if (o.kind === 'succeeded') {
      deps.metrics.steps.inc({ ...labels, outcome: 'succeeded' });
      state = { ...state, ...o.result };
      entries.push(succeededEntry(s, o.durationMs));
      succeeded.push(s.name);
      return;
    }
    if (o.kind !== 'failed') return;
    const { error } = o;
    entries.push({ kind: 'step_failed', step: s.name, attempt: begun.attempt, error, durationMs: o.durationMs });
    const decision = afterStepFailure({
      step: s,
      error,
      attempt: begun.attempt,
      remainingMs: starts[i]! - o.durationMs,
      ...(deps.random ? { random: deps.random } : {}),
    });
    if (decision.kind === 'retry') {
      retries.push(decision.delayMs);
      d.log.info(
        { step: s.name, attempt: begun.attempt, code: error.code, delayMs: decision.delayMs },
        'saga step failed; retrying',
      );
      return;
    }
    failure ??= decision.failure;
    d.log.warn(
      { step: s.name, attempt: begun.attempt, code: error.code, deadlineExceeded: decision.failure.deadlineExceeded },
      'saga step failed; compensating',
    );
  });

  if (written) {
    d.carried = null;
    return moved(d, written.p, written.sentAt);
  }
  if (d.carried && !(await writeCarried(d, group))) return 'stop';
  if (!failure && retries.length === 0) {
    const nextGroup = d.groups.find((g) => g.start === group.end);
    const nextStep = nextGroup && nextGroup.end - nextGroup.start === 1 ? steps[nextGroup.start]! : undefined;
    if (d.folds && nextStep?.transactional) {
      // No write now: the transactional step's transaction records this group's success with its own.
      d.carried = { entries, state };
      d.index = group.end;
      d.state = state;
      d.done.clear();
      d.begun = { attempt: 1, remainingMs: nextStep.timeoutMs, since: performance.now() };
      return 'continue';
    }
    const p = advance(state, entries, true);
    const sentAt = performance.now();
    if (!(await deps.store.progress(deps.db, row.id, p))) return 'stop';
    return moved(d, p, sentAt);
  }
  for (const s of members) {
    if (succeeded.includes(s.name)) continue;
    deps.metrics.steps.inc({ saga: saga.name, step: s.name, outcome: failure ? 'failed' : 'retried' });
  }
  if (!failure) {
    // Tried again together once the longest of their backoffs passed; the steps that succeeded are kept.
    const delayMs = Math.max(...retries);
    const kept = members.length < group.end - group.start || succeeded.length > 0;
    const groupProgress = kept ? { state, done: [...d.done, ...succeeded] } : undefined;
    if (await deps.store.retryLater(row.id, delayMs, entries, groupProgress)) deps.wakeIn(delayMs);
    return 'stop';
  }
  // From the group's last step backwards: each may have had its effect (a timed-out reserve may have reserved).
  const from = group.end - 1;
  const firstCompensation = nextCompensation(from, steps);
  const beginning = firstCompensation >= 0 ? beginNext(d, 'compensate', [steps[firstCompensation]!]) : undefined;
  const sentAt = performance.now();
  if (
    !(await deps.store.startCompensation(row.id, { from, failure, state, entries, ...(beginning ? { begin: beginning } : {}) }))
  )
    return 'stop';
  d.status = 'COMPENSATING';
  d.failure = failure;
  return moved(d, { next: from, state, entries, ...(beginning ? { begin: beginning } : {}), replayable: true }, sentAt);
}

/**
 * The transactional step that was to carry the remote group's success failed: that success is written now,
 * as the write after the group would have been (the step begun, attempt 1), before the failure is handled.
 */
async function writeCarried(d: Drive, group: StepGroup): Promise<boolean> {
  const carried = d.carried!;
  d.carried = null;
  const beginning = beginNext(d, 'run', d.saga.steps.slice(group.start, group.end));
  const p: Progress = {
    next: group.start,
    state: carried.state,
    entries: carried.entries,
    ...(beginning ? { begin: beginning } : {}),
    replayable: true,
  };
  return d.deps.store.progress(d.deps.db, d.row.id, p);
}

// ---- compensating: one step at a time, backwards ----------------------------------------

async function compensateNextStep(d: Drive): Promise<Next> {
  const { deps, row, saga } = d;
  const steps = saga.steps;
  const at = nextCompensation(d.index, steps);
  if (at < 0) return endSaga(d, 'COMPENSATED');
  const step = steps[at]!;
  d.where.step = step.name;
  const begun = await begin(d, 'compensate', [step]);
  d.begun = null;
  if (!begun) return 'stop';
  const labels = { saga: saga.name, step: step.name };

  /** The write after the compensation succeeded: the next one begun, or the saga ended. */
  const after = (durationMs: number, replayable: boolean): Progress => {
    const next = nextCompensation(at - 1, steps);
    const beginning = next >= 0 ? beginNext(d, 'compensate', [steps[next]!]) : undefined;
    return {
      next,
      entries: [{ kind: 'compensation_succeeded', step: step.name, attempt: begun.attempt, durationMs }],
      ...(beginning ? { begin: beginning } : {}),
      ...(next < 0 && !saga.onCompensated ? { finish: 'COMPENSATED' as const } : {}),
      replayable,
    };
  };
  let written: { p: Progress; sentAt: number } | undefined;
  const outcome = await attemptStep(
    scopeOf(d),
    'compensate',
    step,
    begun.attempt,
    attemptTimeout(step, 'compensate', Infinity),
    async (trx, _result, durationMs) => {
      const p = after(durationMs, false);
      const sentAt = performance.now();
      if (!(await deps.store.progress(trx, row.id, p))) return false;
      written = { p, sentAt };
      return true;
    },
  );
  if (outcome.kind === 'stopped') return 'stop';
  if (outcome.kind === 'succeeded') {
    deps.metrics.steps.inc({ ...labels, outcome: 'compensated' });
    if (written) return moved(d, written.p, written.sentAt);
    const p = after(outcome.durationMs, true);
    const sentAt = performance.now();
    if (!(await deps.store.progress(deps.db, row.id, p))) return 'stop';
    return moved(d, p, sentAt);
  }
  const { error } = outcome;
  const decision = afterCompensationFailure({
    step,
    attempt: begun.attempt,
    parkAfter: deps.parkAfter,
    ...(deps.random ? { random: deps.random } : {}),
  });
  const entry = {
    kind: 'compensation_failed' as const,
    step: step.name,
    attempt: begun.attempt,
    error,
    durationMs: outcome.durationMs,
  };
  if (decision.kind === 'retry') {
    deps.metrics.steps.inc({ ...labels, outcome: 'compensation_retried' });
    d.log.warn(
      { step: step.name, attempt: begun.attempt, code: error.code, delayMs: decision.delayMs },
      'saga compensation failed; retrying',
    );
    if (await deps.store.retryLater(row.id, decision.delayMs, [entry])) deps.wakeIn(decision.delayMs);
    return 'stop';
  }
  deps.metrics.steps.inc({ ...labels, outcome: 'compensation_failed' });
  if (!(await deps.store.park(row.id, entry))) return 'stop';
  // Never dropped: it waits, visible, for an operator (POST /_admin/sagas/{id}/retry).
  d.log.error(
    { step: step.name, attempts: begun.attempt, code: error.code, message: error.message },
    'saga PARKED: a compensation keeps failing',
  );
  deps.ended(saga, row, 'PARKED');
  return 'stop';
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
