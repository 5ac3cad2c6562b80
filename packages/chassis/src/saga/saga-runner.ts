// The saga runner of one instance: the jobs module's claim loop
// (jobs/claim-loop.ts) claims due sagas under a lease (FOR UPDATE SKIP LOCKED;
// renewed on a timer while it works, never per step; work stopped well before it could run out) and
// hands each to driveSaga (saga-drive.ts: steps, retries with backoff,
// compensations in reverse, parking); this file wires them together with the
// saga store, the LISTEN wake-ups, the end waits and the operator actions. A
// crashed instance's sagas are taken over when its lease runs out.

import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createClaimLoop, type WorkLease } from '../jobs/claim-loop.ts';
import { sagaErrors } from './errors.ts';
import { groupsOf, type SagaDefinition, type SagaStatus } from './saga-definition.ts';
import { driveSaga, type BeforeStep, type Begun, type DriveDeps, type Whereabouts } from './saga-drive.ts';
import { sagaRunFailed } from './saga-run-failed.ts';
import { createSagaListener, type SagaListener } from './saga-listener.ts';
import { createSagaMetrics } from './saga-metrics.ts';
import { createEndWaits } from './saga-waits.ts';
import { countOpen, createSagaStore, getLog, getSaga, listSagas, type SagaRow, type SagaStore } from './saga-store.ts';
import { summarizeSaga, viewSaga, type SagaSummary, type SagaView } from './saga-view.ts';

export type { BeforeStep };

export const DEFAULT_SAGA_LEASE_MS = 15_000;
export const DEFAULT_SAGA_POLL_INTERVAL_MS = 1_000;
export const DEFAULT_SAGA_CONCURRENCY = 16;
/**
 * SAGA_COMPENSATION_PARK_AFTER: failed attempts of one compensation before the saga is parked; also the
 * runner's own failures on a saga in a row (an end hook or a progress write that threw) before it is parked.
 */
export const DEFAULT_COMPENSATION_PARK_AFTER = 10;
/** Final statuses kept in memory for waits that begin after their saga ended here. */
const RECENT_ENDS = 1_000;

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
  /**
   * Looks for work now; call after the transaction that started a saga committed, with its id: a saga this
   * instance started leased to itself is then driven at once, without a claim.
   */
  wake(startedId?: string): void;
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

export function createSagaRunner(options: SagaRunnerOptions): SagaRunner {
  const { db, log } = options;
  const leaseMs = options.leaseMs ?? DEFAULT_SAGA_LEASE_MS;
  const pollMs = options.pollIntervalMs ?? DEFAULT_SAGA_POLL_INTERVAL_MS;
  const byName = new Map(options.sagas.map((s) => [s.name, s]));
  if (byName.size !== options.sagas.length) throw new Error('two sagas share a name');
  for (const saga of options.sagas) groupsOf(saga); // a misplaced parallel step fails here, at start

  const names = [...byName.keys()];
  const store = createSagaStore(db, options.owner);
  const metrics = createSagaMetrics(options.metrics, () => countOpen(db));
  const listener: SagaListener | undefined = options.databaseUrl
    ? createSagaListener({ url: options.databaseUrl, applicationName: options.owner, log })
    : undefined;
  const ended = new EventEmitter().setMaxListeners(0);
  /** Final statuses this process's runner wrote lately: a wait that begins after the end needs no read. */
  const recentEnds = new Map<string, SagaStatus>();
  /** Sagas started leased to this instance, their transaction not known to be committed yet (start → wake). */
  const pending = new Map<string, { row: SagaRow; sentAt: number; deadlineMs: number; timer: NodeJS.Timeout }>();
  /** What an adopted saga's drive starts from: its first attempt, begun by the insert. */
  const adopted = new Map<string, Begun>();
  const waits = createEndWaits({
    db,
    ended,
    ...(listener ? { listener } : {}),
    pollMs,
    local: (id) => recentEnds.get(id) ?? (loop.has(id) ? 'RUNNING' : undefined),
  });

  const loop = createClaimLoop<SagaRow>({
    log,
    what: 'saga',
    leaseMs,
    pollMs,
    concurrency: options.concurrency ?? DEFAULT_SAGA_CONCURRENCY,
    claim: (limit, busy) => store.claim(limit, leaseMs, names, busy),
    renew: (id) => store.renew(id, leaseMs),
    release: async (id) => void (await store.release(id)),
    work,
    ...(listener ? { onWake: (wake: () => void) => listener.onWake(wake) } : {}),
  });
  const deps: DriveDeps = {
    db,
    log,
    store,
    metrics,
    leaseMs,
    parkAfter: options.compensationParkAfter ?? DEFAULT_COMPENSATION_PARK_AFTER,
    ...(options.beforeStep ? { beforeStep: options.beforeStep } : {}),
    ...(options.random ? { random: options.random } : {}),
    wakeIn: (delayMs) => loop.wakeIn(delayMs),
    ended(saga, row, final) {
      metrics.duration.observe({ saga: saga.name, status: final }, Math.max(0, Date.now() - row.created_at.getTime()) / 1000);
      // Not PARKED: an operator's retry, here or elsewhere, may take it up again.
      if (final !== 'PARKED') recentEnds.set(row.id, final);
      if (recentEnds.size > RECENT_ENDS) recentEnds.delete(recentEnds.keys().next().value!);
      ended.emit('end', row.id, final);
    },
  };

  /** One claimed saga: driven while the lease holds; a failure of the runner's own is counted (and may park it). */
  async function work(row: SagaRow, lease: WorkLease): Promise<void> {
    const saga = byName.get(row.name)!;
    const where: Whereabouts = { step: null, ending: false };
    const begun = adopted.get(row.id) ?? null;
    adopted.delete(row.id);
    try {
      await driveSaga(deps, saga, row, lease, where, begun);
    } catch (err) {
      if (lease.signal.aborted) return;
      await sagaRunFailed(deps, saga, row, where, err);
    }
  }

  return {
    async start(trx, name, id, input) {
      if (!trx.isTransaction)
        throw new Error(`start(${name}) needs the caller's transaction (db.transaction().execute(trx => ...))`);
      const saga = byName.get(name);
      if (!saga) throw new Error(`no saga named ${name} in this runner`);
      // Leased to this instance from the insert when it has room (and no beforeStep hook must run first).
      if (options.beforeStep || !loop.reserve(id)) return (await store.insert(trx, id, name, input)) !== undefined;
      const group = groupsOf(saga)[0]!;
      const first = saga.steps[group.start]!;
      const begin = {
        entries: saga.steps.slice(group.start, group.end).map((s) => ({ kind: 'step_started' as const, step: s.name })),
        deadlineMs: first.timeoutMs,
      };
      const sentAt = performance.now();
      let row: SagaRow | undefined;
      try {
        row = await store.insert(trx, id, name, input, { leaseMs, begin });
      } finally {
        if (!row) loop.unreserve(id);
      }
      if (!row) return false;
      // Not woken within a third of the lease (the transaction rolled back, or wake was not called with the id):
      // the place is given back, and a committed row is claimed as this instance's own (claim-loop.ts).
      const timer = setTimeout(() => {
        if (!pending.delete(id)) return;
        loop.unreserve(id);
        loop.wake();
      }, leaseMs / 3);
      timer.unref();
      pending.set(id, { row, sentAt, deadlineMs: first.timeoutMs, timer });
      return true;
    },
    wake(startedId) {
      const p = startedId === undefined ? undefined : pending.get(startedId);
      if (!p) return loop.wake();
      pending.delete(p.row.id);
      clearTimeout(p.timer);
      // work() reads it in a later tick, once adopt has started it.
      if (loop.adopt(p.row, p.sentAt)) adopted.set(p.row.id, { attempt: 1, remainingMs: p.deadlineMs, since: p.sentAt });
    },
    ...sagaOperatorActions(db, store, byName, log, loop.wake, options.owner),
    waitForEnd: (id, timeoutMs) => waits.waitForEnd(id, timeoutMs),
    endWaits: () => waits.endWaits(),
    run: loop.run,
    async stop() {
      waits.endWaits();
      await loop.stop();
      // Started here but never woken: given back, so another instance takes them at once.
      for (const { row, timer } of pending.values()) {
        clearTimeout(timer);
        await store.release(row.id).catch(() => undefined);
      }
      pending.clear();
      await listener?.close();
    },
  };
}

// ---- reads and operator actions --------------------------------------------

function sagaOperatorActions(
  db: Kysely<any>,
  store: SagaStore,
  byName: ReadonlyMap<string, SagaDefinition>,
  log: Logger,
  wake: () => void,
  owner: string,
): Pick<SagaRunner, 'get' | 'list' | 'retry'> {
  const view = async (id: string) => {
    const row = await getSaga(db, id);
    return row ? viewSaga(row, await getLog(db, id), byName.get(row.name)?.steps) : undefined;
  };
  return {
    get: view,
    async list(filter = {}) {
      const rows = await listSagas(db, { limit: 100, ...filter });
      return rows.map((r) => summarizeSaga(r, byName.get(r.name)?.steps));
    },
    async retry(id, by = owner) {
      const row = await getSaga(db, id);
      if (!row) throw sagaErrors.notFound({ detail: `No saga ${id}`, extensions: { id } });
      if (!(await store.retryParked(id, by))) {
        throw sagaErrors.notParked({ detail: `Saga ${id} is ${row.status}, not PARKED`, extensions: { id, status: row.status } });
      }
      log.info({ saga_id: id, by }, 'parked saga retried by an operator');
      wake();
      return (await view(id))!;
    },
  };
}
