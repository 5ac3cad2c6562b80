// The saga runner of one instance: claims due sagas from the database under a
// lease (FOR UPDATE SKIP LOCKED; renewed while it works, work stopped well
// before it could run out), drives each through its steps, retries with
// backoff, compensates in reverse, parks what keeps failing (a compensation,
// or the runner's own writes and end hooks). A crashed instance's sagas are
// taken over when its lease runs out.

import { EventEmitter } from 'node:events';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { failurePause, pause } from '../events/pause.ts';
import { sagaErrors } from './errors.ts';
import { LeaseLost, RunnerStopping, runAttempt } from './saga-attempt.ts';
import { keepLease, type LeaseKeeper } from './saga-lease.ts';
import { idempotencyKeyOf, type SagaDefinition, type SagaStatus, type SagaStep, type StepContext } from './saga-definition.ts';
import { createSagaListener, type SagaListener } from './saga-listener.ts';
import { createSagaMetrics } from './saga-metrics.ts';
import { createEndWaits } from './saga-waits.ts';
import { countOpen, createSagaStore, getLog, getSaga, listSagas, type SagaRow } from './saga-store.ts';
import {
  afterCompensationFailure,
  afterRunnerFailure,
  afterStepFailure,
  afterStepSuccess,
  attemptTimeout,
  describeError,
  isTransientFailure,
  nextCompensation,
} from './saga-transitions.ts';
import { summarizeSaga, viewSaga, type SagaSummary, type SagaView } from './saga-view.ts';

export const DEFAULT_SAGA_LEASE_MS = 15_000;
export const DEFAULT_SAGA_POLL_INTERVAL_MS = 1_000;
export const DEFAULT_SAGA_CONCURRENCY = 16;
/**
 * SAGA_COMPENSATION_PARK_AFTER: failed attempts of one compensation before the saga is parked; also the
 * runner's own failures on a saga in a row (an end hook or a progress write that threw) before it is parked.
 */
export const DEFAULT_COMPENSATION_PARK_AFTER = 10;

export type BeforeStep = (
  sagaId: string,
  step: string,
  info: { phase: 'run' | 'compensate'; signal: AbortSignal },
) => Promise<void> | void;

export interface SagaRunnerOptions {
  db: Kysely<any>;
  log: Logger;
  metrics: Registry;
  /** This instance's id: the lease owner (an instance restarted with the same id resumes its sagas at once). */
  owner: string;
  sagas: readonly SagaDefinition[];
  /** With it, runners wake on LISTEN/NOTIFY; without, they poll. */
  databaseUrl?: string;
  leaseMs?: number;
  pollIntervalMs?: number;
  /** Sagas this instance drives at once. */
  concurrency?: number;
  compensationParkAfter?: number;
  /** Awaited before every attempt (tests pause a step here); it gets a signal that aborts at shutdown. */
  beforeStep?: BeforeStep;
  /** Uniform in [0, 1), for the backoff jitter. */
  random?: () => number;
}

export interface SagaRunner {
  /** Inserts a saga inside the caller's transaction (it runs once that commits); false when the id exists already. */
  start<S>(trx: Kysely<any>, name: string, id: string, input: S): Promise<boolean>;
  /** Looks for work now (call after the transaction that started a saga committed). */
  wake(): void;
  get(id: string): Promise<SagaView | undefined>;
  list(filter?: { status?: SagaStatus; name?: string; limit?: number }): Promise<SagaSummary[]>;
  /** An operator's retry of a PARKED saga (it compensates again); throws SOUK_SAGA_NOT_FOUND / SOUK_SAGA_NOT_PARKED. */
  retry(id: string, by?: string): Promise<SagaView>;
  /** The saga's final status once it has one, or undefined after `timeoutMs` (or once endWaits was called). */
  waitForEnd(id: string, timeoutMs: number): Promise<SagaStatus | undefined>;
  /** Answers every waitForEnd now and from now on: the server is about to drain, requests must not hold it. */
  endWaits(): void;
  /** Begins claiming work (idempotent). */
  run(): void;
  /** Stops claiming, interrupts the steps in flight and gives their leases back. */
  stop(): Promise<void>;
}

export function createSagaRunner(o: SagaRunnerOptions): SagaRunner {
  const { db, log } = o;
  const leaseMs = o.leaseMs ?? DEFAULT_SAGA_LEASE_MS;
  const pollMs = o.pollIntervalMs ?? DEFAULT_SAGA_POLL_INTERVAL_MS;
  const concurrency = o.concurrency ?? DEFAULT_SAGA_CONCURRENCY;
  const parkAfter = o.compensationParkAfter ?? DEFAULT_COMPENSATION_PARK_AFTER;
  const byName = new Map(o.sagas.map((s) => [s.name, s]));
  if (byName.size !== o.sagas.length) throw new Error('two sagas share a name');
  const names = [...byName.keys()];
  const store = createSagaStore(db, o.owner);
  const metrics = createSagaMetrics(o.metrics, () => countOpen(db));
  const listener: SagaListener | undefined = o.databaseUrl
    ? createSagaListener({ url: o.databaseUrl, applicationName: o.owner, log })
    : undefined;
  const ended = new EventEmitter().setMaxListeners(0);
  const waits = createEndWaits({ db, ended, ...(listener ? { listener } : {}), pollMs });
  const inflight = new Map<string, { ctl: AbortController; done: Promise<void> }>();
  const timers = new Set<NodeJS.Timeout>();
  const stopping = new AbortController();
  let loop: Promise<void> | undefined;

  // ---- waking the claim loop -----------------------------------------------
  let pendingWake = true;
  let wakeWaiter: (() => void) | undefined;
  const wake = () => {
    pendingWake = true;
    wakeWaiter?.();
  };
  const offWake = listener?.onWake(wake);
  const wakeIn = (delayMs: number) => {
    const timer = setTimeout(() => (timers.delete(timer), wake()), delayMs + 5);
    timer.unref();
    timers.add(timer);
  };
  const nextWake = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakeWaiter = undefined;
        stopping.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakeWaiter = done;
      stopping.signal.addEventListener('abort', done, { once: true });
    });

  async function claimLoop(): Promise<void> {
    let failures = 0;
    while (!stopping.signal.aborted) {
      if (!pendingWake) await nextWake(pollMs);
      if (stopping.signal.aborted) break;
      pendingWake = false;
      const free = concurrency - inflight.size;
      if (free <= 0) continue; // a finishing saga wakes the loop
      try {
        const sent = performance.now(); // the leases run from (no earlier than) here
        const rows = await store.claim(free, leaseMs, names, [...inflight.keys()]);
        failures = 0;
        for (const row of rows) work(row, sent);
        if (rows.length === free) pendingWake = true; // there may be more
      } catch (err) {
        failures++;
        if (failures === 1) log.warn({ err }, 'claiming sagas failed; retrying');
        await pause(failurePause(failures), stopping.signal);
        pendingWake = true;
      }
    }
  }

  // ---- one saga --------------------------------------------------------------
  /** Where the runner is in a saga, for a failure of its own: the step it is on, or ending the saga. */
  type Whereabouts = { step: string | null; ending: boolean };

  function work(row: SagaRow, claimedAt: number): void {
    const ctl = new AbortController();
    // Renewed every third of the lease; the step is stopped at two thirds without a renewal (failing or hanging),
    // while the lease is still ours: past a whole lease another instance may already run the same step.
    const lease = keepLease({
      leaseMs,
      since: claimedAt,
      renew: () => store.renew(row.id, leaseMs),
      onRenewFailed: (err) => log.warn({ err, saga_id: row.id }, 'renewing a saga lease failed'),
      onLost: (reason) => {
        if (reason === 'unrenewed')
          log.warn({ saga_id: row.id, saga: row.name }, 'saga lease not renewed in time; its step is stopped');
        ctl.abort(new LeaseLost());
      },
    });
    const where: Whereabouts = { step: null, ending: false };
    const saga = byName.get(row.name)!;
    const done = drive(saga, row, ctl.signal, lease, where)
      .catch(async (err: unknown) => {
        if (ctl.signal.aborted) return;
        await runnerFailed(saga, row, where, err);
      })
      .finally(async () => {
        lease.stop();
        if (ctl.signal.reason instanceof RunnerStopping) await store.release(row.id).catch(() => undefined);
        inflight.delete(row.id);
        wake();
      });
    inflight.set(row.id, { ctl, done });
  }

  /**
   * The runner's own failure on a saga: its end hook threw, or a progress write
   * did. The database briefly out of reach: retried later, uncounted. Anything
   * else is counted on the saga row (a deterministic error would otherwise loop
   * for ever, unseen): retried with backoff, then PARKED after parkAfter in a row.
   */
  async function runnerFailed(saga: SagaDefinition, row: SagaRow, where: Whereabouts, err: unknown): Promise<void> {
    const failureLog = log.child({ saga: saga.name, saga_id: row.id, ...(where.step ? { step: where.step } : {}) });
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
        if (await store.retryLater(row.id, failurePause(3), entry)) wakeIn(failurePause(3));
        return;
      }
      const counted = await store.runnerFailed(row.id, entry, (failures) =>
        afterRunnerFailure({ failures, parkAfter, ...(o.random ? { random: o.random } : {}) }),
      );
      if (!counted) return;
      const { failures, decision } = counted;
      if (decision.kind === 'retry') {
        failureLog.error({ err, failures, delayMs: decision.delayMs }, `${what} failed; the saga is retried`);
        wakeIn(decision.delayMs);
        return;
      }
      // Never dropped: it waits, visible, for an operator (POST /_admin/sagas/{id}/retry).
      failureLog.error({ err, failures, code: error.code, message: error.message }, `saga PARKED: ${what} keeps failing`);
      observeEnd(saga, row, 'PARKED');
    } catch (writeErr) {
      // Not even that could be written: the saga is claimed again as it is (by this instance as soon as it can: the lease is still its own).
      failureLog.error({ err, writeErr }, `${what} failed, and so did recording it; the saga is claimed again`);
    }
  }

  function observeEnd(saga: SagaDefinition, row: SagaRow, final: SagaStatus): void {
    metrics.duration.observe({ saga: saga.name, status: final }, Math.max(0, Date.now() - row.created_at.getTime()) / 1000);
    ended.emit('end', row.id);
  }

  async function drive(
    saga: SagaDefinition,
    row: SagaRow,
    signal: AbortSignal,
    lease: LeaseKeeper,
    where: Whereabouts,
  ): Promise<void> {
    const steps = saga.steps;
    let state = row.state;
    let status = row.status;
    let index = row.current_step;
    let failure = row.failure;
    const sagaLog = log.child({ saga: saga.name, saga_id: row.id });

    const context = (
      step: SagaStep<any>,
      phase: 'run' | 'compensate',
      attempt: number,
      stepSignal: AbortSignal,
      exec: Kysely<any>,
    ): StepContext<any> => ({
      sagaId: row.id,
      sagaName: saga.name,
      step: step.name,
      state,
      attempt,
      idempotencyKey: idempotencyKeyOf(saga.name, row.id, step.name, phase),
      signal: stepSignal,
      db: exec,
      log: sagaLog.child({ step: step.name, phase, attempt }),
      ...(failure ? { failure } : {}),
    });

    /** Runs `fn` in the progress transaction of a transactional step, guarded by the lease. */
    const inTransaction = <T>(timeoutMs: number, fn: (trx: Kysely<any>) => Promise<T>) =>
      lease.hold(() =>
        db.transaction().execute(async (trx) => {
          if (!(await store.lock(trx, row.id))) throw new LeaseLost();
          const limit = String(timeoutMs);
          await sql`select set_config('statement_timeout', ${limit}, true), set_config('idle_in_transaction_session_timeout', ${limit}, true)`.execute(
            trx,
          );
          return fn(trx);
        }),
      );

    while (!signal.aborted) {
      if (status === 'RUNNING') {
        if (index >= steps.length) return end('COMPLETED');
        const step = steps[index]!;
        where.step = step.name;
        await o.beforeStep?.(row.id, step.name, { phase: 'run', signal });
        if (signal.aborted) return;
        const begun = await store.beginAttempt(row.id, { kind: 'step_started', step: step.name }, step.timeoutMs);
        if (!begun) return;
        const timeoutMs = attemptTimeout(step, 'run', begun.remainingMs);
        const started = performance.now();
        const next = afterStepSuccess(index, steps.length);
        const nextIndex = next.kind === 'next' ? next.index : steps.length;
        const succeeded = (ms: number) => ({
          kind: 'step_succeeded' as const,
          step: step.name,
          attempt: begun.attempt,
          durationMs: ms,
        });
        const result = await runAttempt(
          async (stepSignal) => {
            if (!step.transactional)
              return { ...state, ...((await step.run(context(step, 'run', begun.attempt, stepSignal, db))) ?? {}) };
            return inTransaction(timeoutMs, async (trx) => {
              const merged = { ...state, ...((await step.run(context(step, 'run', begun.attempt, stepSignal, trx))) ?? {}) };
              if (!(await store.stepSucceeded(trx, row.id, nextIndex, merged, succeeded(performance.now() - started))))
                throw new LeaseLost();
              return merged;
            });
          },
          { timeoutMs, parent: signal, race: !step.transactional, graceMs: Math.min(leaseMs, 5_000) },
        );
        const durationMs = performance.now() - started;
        if (result.kind === 'interrupted') return;
        if (result.kind === 'ok') {
          if (!step.transactional && !(await store.stepSucceeded(db, row.id, nextIndex, result.value, succeeded(durationMs))))
            return;
          metrics.steps.inc({ saga: saga.name, step: step.name, outcome: 'succeeded' });
          state = result.value;
          index = nextIndex;
          continue;
        }
        const error = describeError(result.err, result.timedOut, timeoutMs);
        const decision = afterStepFailure({
          step,
          error,
          attempt: begun.attempt,
          remainingMs: begun.remainingMs - durationMs,
          ...(o.random ? { random: o.random } : {}),
        });
        const entry = { kind: 'step_failed' as const, step: step.name, attempt: begun.attempt, error, durationMs };
        if (decision.kind === 'retry') {
          metrics.steps.inc({ saga: saga.name, step: step.name, outcome: 'retried' });
          sagaLog.info(
            { step: step.name, attempt: begun.attempt, code: error.code, delayMs: decision.delayMs },
            'saga step failed; retrying',
          );
          if (await store.retryLater(row.id, decision.delayMs, entry)) wakeIn(decision.delayMs);
          return;
        }
        metrics.steps.inc({ saga: saga.name, step: step.name, outcome: 'failed' });
        sagaLog.warn(
          { step: step.name, attempt: begun.attempt, code: error.code, deadlineExceeded: decision.failure.deadlineExceeded },
          'saga step failed; compensating',
        );
        // From the failed step itself: its effect may have happened (a timed-out reserve may have reserved).
        if (!(await store.startCompensation(row.id, index, decision.failure, entry))) return;
        status = 'COMPENSATING';
        failure = decision.failure;
        continue;
      }

      if (status === 'COMPENSATING') {
        const at = nextCompensation(index, steps);
        if (at < 0) return end('COMPENSATED');
        const step = steps[at]!;
        where.step = step.name;
        await o.beforeStep?.(row.id, step.name, { phase: 'compensate', signal });
        if (signal.aborted) return;
        const begun = await store.beginAttempt(row.id, { kind: 'compensation_started', step: step.name });
        if (!begun) return;
        const timeoutMs = attemptTimeout(step, 'compensate', Infinity);
        const started = performance.now();
        const nextIndex = nextCompensation(at - 1, steps);
        const succeeded = (ms: number) => ({
          kind: 'compensation_succeeded' as const,
          step: step.name,
          attempt: begun.attempt,
          durationMs: ms,
        });
        const result = await runAttempt(
          async (stepSignal) => {
            if (!step.transactional) return step.compensate!(context(step, 'compensate', begun.attempt, stepSignal, db));
            return inTransaction(timeoutMs, async (trx) => {
              await step.compensate!(context(step, 'compensate', begun.attempt, stepSignal, trx));
              if (!(await store.compensationSucceeded(trx, row.id, nextIndex, succeeded(performance.now() - started))))
                throw new LeaseLost();
            });
          },
          { timeoutMs, parent: signal, race: !step.transactional, graceMs: Math.min(leaseMs, 5_000) },
        );
        const durationMs = performance.now() - started;
        if (result.kind === 'interrupted') return;
        if (result.kind === 'ok') {
          if (!step.transactional && !(await store.compensationSucceeded(db, row.id, nextIndex, succeeded(durationMs)))) return;
          metrics.steps.inc({ saga: saga.name, step: step.name, outcome: 'compensated' });
          index = nextIndex;
          continue;
        }
        const error = describeError(result.err, result.timedOut, timeoutMs);
        const decision = afterCompensationFailure({
          step,
          attempt: begun.attempt,
          parkAfter,
          ...(o.random ? { random: o.random } : {}),
        });
        const entry = { kind: 'compensation_failed' as const, step: step.name, attempt: begun.attempt, error, durationMs };
        if (decision.kind === 'retry') {
          metrics.steps.inc({ saga: saga.name, step: step.name, outcome: 'compensation_retried' });
          sagaLog.warn(
            { step: step.name, attempt: begun.attempt, code: error.code, delayMs: decision.delayMs },
            'saga compensation failed; retrying',
          );
          if (await store.retryLater(row.id, decision.delayMs, entry)) wakeIn(decision.delayMs);
          return;
        }
        metrics.steps.inc({ saga: saga.name, step: step.name, outcome: 'compensation_failed' });
        if (!(await store.park(row.id, entry))) return;
        // Never dropped: it waits, visible, for an operator (POST /_admin/sagas/{id}/retry).
        sagaLog.error(
          { step: step.name, attempts: begun.attempt, code: error.code, message: error.message },
          'saga PARKED: a compensation keeps failing',
        );
        observeEnd(saga, row, 'PARKED');
        return;
      }
      return; // ended or parked meanwhile
    }

    async function end(final: 'COMPLETED' | 'COMPENSATED'): Promise<void> {
      const hook = final === 'COMPLETED' ? saga.onCompleted : saga.onCompensated;
      where.step = null;
      where.ending = true; // a throw from here on is the end's: counted, and parked if it keeps happening
      const committed = await lease.hold(() =>
        db.transaction().execute(async (trx) => {
          if (!(await store.lock(trx, row.id))) return false;
          await hook?.({ sagaId: row.id, state, db: trx, log: sagaLog, ...(failure ? { failure: failure } : {}) });
          return store.finish(trx, row.id, final);
        }),
      );
      if (!committed) return;
      sagaLog.info({ status: final }, `saga ${final.toLowerCase()}`);
      observeEnd(saga, row, final);
    }
  }

  // ---- reads and operator actions --------------------------------------------
  const view = async (id: string) => {
    const row = await getSaga(db, id);
    return row ? viewSaga(row, await getLog(db, id), byName.get(row.name)?.steps) : undefined;
  };

  return {
    async start(trx, name, id, input) {
      if (!trx.isTransaction)
        throw new Error(`start(${name}) needs the caller's transaction (db.transaction().execute(trx => ...))`);
      if (!byName.has(name)) throw new Error(`no saga named ${name} in this runner`);
      return store.insert(trx, id, name, input);
    },
    wake,
    get: view,
    async list(filter = {}) {
      const rows = await listSagas(db, { limit: 100, ...filter });
      return rows.map((r) => summarizeSaga(r, byName.get(r.name)?.steps));
    },
    async retry(id, by = o.owner) {
      const row = await getSaga(db, id);
      if (!row) throw sagaErrors.notFound({ detail: `No saga ${id}`, extensions: { id } });
      if (!(await store.retryParked(id, by))) {
        throw sagaErrors.notParked({ detail: `Saga ${id} is ${row.status}, not PARKED`, extensions: { id, status: row.status } });
      }
      log.info({ saga_id: id, by }, 'parked saga retried by an operator');
      wake();
      return (await view(id))!;
    },
    waitForEnd: waits.waitForEnd,
    endWaits: waits.endWaits,
    run() {
      loop ??= claimLoop();
    },
    async stop() {
      waits.endWaits();
      stopping.abort();
      offWake?.();
      for (const t of timers) clearTimeout(t);
      await loop;
      for (const { ctl } of inflight.values()) ctl.abort(new RunnerStopping());
      await Promise.allSettled([...inflight.values()].map((f) => f.done));
      await listener?.close();
    },
  };
}
