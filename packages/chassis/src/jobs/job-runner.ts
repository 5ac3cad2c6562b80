// The jobs runner of one instance: durable background work of named kinds,
// enqueued inside the caller's transaction (a job exists iff that transaction
// committed), claimed under a lease by the claim loop (claim-loop.ts), run by
// its kind's handler outside any transaction, retried on the kind's backoff,
// PARKED after `parkAfter` failed attempts (at once on an error no retry
// fixes), and retried by an operator (POST /_admin/jobs/{id}/retry).
//
// Clocks: due times and leases are the database's clock (clock_timestamp(),
// shared by every instance); lease renewal is timed on performance.now (see
// lease.ts). The runner reads no wall clock of its own.

import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Backoff } from '../backoff.ts';
import { createNotifier } from '../events/notifier.ts';
import { createClaimLoop, type WorkLease } from './claim-loop.ts';
import { jobErrors } from './errors.ts';
import { createJobMetrics } from './job-metrics.ts';
import { afterJobFailure, DEFAULT_JOB_BACKOFF, DEFAULT_JOB_PARK_AFTER, describeJobError } from './job-rules.ts';
import {
  countOpenJobs,
  createJobStore,
  findJob,
  getJob,
  insertJob,
  JOB_WAKE_CHANNEL,
  listJobs,
  type JobEnding,
  type JobRow,
  type JobStatus,
} from './job-store.ts';
import { viewJob, type JobView } from './job-view.ts';

export const DEFAULT_JOB_LEASE_MS = 60_000;
export const DEFAULT_JOB_POLL_INTERVAL_MS = 1_000;
export const DEFAULT_JOB_CONCURRENCY = 4;

/** What a job's handler gets besides its payload. */
export interface JobContext {
  id: string;
  kind: string;
  /** This attempt's number (1 for the first since enqueued or retried by an operator). */
  attempt: number;
  /**
   * Aborts when the lease is lost or the service stops. A handler that stops
   * early must throw (returning counts as done); the attempt is then not
   * recorded: at a stop the job is given back uncounted, after a lost lease its
   * new holder decides.
   */
  signal: AbortSignal;
  log: Logger;
}

/** A kind of job: its handler and retry policy. */
export interface JobKind<P = unknown> {
  /** Unique in the service, e.g. 'payments.cancel-order'. */
  name: string;
  /** Does the work, outside any transaction; throws to fail the attempt (see isPermanentFailure for parking at once). */
  run(payload: P, ctx: JobContext): Promise<void>;
  /** Failed attempts before the job is PARKED (default DEFAULT_JOB_PARK_AFTER). */
  parkAfter?: number;
  /** The wait before the next attempt (default DEFAULT_JOB_BACKOFF). */
  backoff?: Backoff;
  /** More errors no retry fixes (besides the `permanent` marker and non-retryable 4xx souk errors). */
  isPermanent?: (err: unknown) => boolean;
}

/** Types a job kind's payload; returns it as it is. */
export function defineJob<P>(kind: JobKind<P>): JobKind<P> {
  return kind;
}

export interface JobRunnerOptions {
  db: Kysely<any>;
  log: Logger;
  metrics: Registry;
  /** This instance's id: the lease owner (an instance restarted with the same id resumes its jobs at once). */
  owner: string;
  kinds: readonly JobKind<any>[];
  /** With it, workers wake on LISTEN/NOTIFY at the commit of an enqueue anywhere; without, they poll. */
  databaseUrl?: string;
  leaseMs?: number;
  pollIntervalMs?: number;
  /** Jobs this instance runs at once. */
  concurrency?: number;
  /** Uniform in [0, 1), for the backoff jitter (tests pin it). */
  random?: () => number;
}

export interface EnqueueOptions {
  /** At most one open job per (kind, key): a second enqueue while it is PENDING or PARKED changes nothing; once DONE it opens it again. */
  key?: string;
  /** Due this long after the commit. */
  delayMs?: number;
}

export interface JobRunner {
  /** Inserts a job inside the caller's transaction; its id, or undefined when an open job of this kind has this key. */
  enqueue<P>(trx: Kysely<any>, kind: JobKind<P> | string, payload: P, options?: EnqueueOptions): Promise<string | undefined>;
  /** Looks for work now. */
  wake(): void;
  get(id: string): Promise<JobView | undefined>;
  /** The job of `kind` with `key`, if any. */
  find(kind: string, key: string): Promise<JobView | undefined>;
  list(filter?: { status?: JobStatus; kind?: string; limit?: number }): Promise<JobView[]>;
  /** An operator's retry (see JobStore.retry); throws SOUK_JOB_NOT_FOUND / SOUK_JOB_DONE. */
  retry(id: string, by?: string): Promise<JobView>;
  /** Begins claiming work (idempotent). */
  run(): void;
  /** Stops claiming, interrupts the jobs in flight (their signal aborts) and awaits them. */
  stop(): Promise<void>;
}

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { db, log } = options;
  const leaseMs = options.leaseMs ?? DEFAULT_JOB_LEASE_MS;
  const byName = new Map(options.kinds.map((k) => [k.name, k]));
  if (byName.size !== options.kinds.length) throw new Error('two job kinds share a name');
  const kinds = [...byName.keys()];
  const store = createJobStore(db, options.owner);
  const attempts = createJobMetrics(options.metrics, kinds, () => countOpenJobs(db));
  const notifier = options.databaseUrl
    ? createNotifier({
        url: options.databaseUrl,
        applicationName: options.owner,
        log,
        channels: [JOB_WAKE_CHANNEL],
        purpose: 'jobs',
      })
    : undefined;

  const loop = createClaimLoop<JobRow>({
    log,
    what: 'job',
    leaseMs,
    pollMs: options.pollIntervalMs ?? DEFAULT_JOB_POLL_INTERVAL_MS,
    concurrency: options.concurrency ?? DEFAULT_JOB_CONCURRENCY,
    claim: (limit, busy) => store.claim(limit, leaseMs, kinds, busy),
    renew: (id) => store.renew(id, leaseMs),
    release: async (id) => void (await store.release(id)),
    work: attempt,
    ...(notifier ? { onWake: (wake: () => void) => notifier.on(JOB_WAKE_CHANNEL, wake) } : {}),
  });

  /** One attempt of a claimed job: run it, decide, record the ending under the lease. */
  async function attempt(row: JobRow, lease: WorkLease): Promise<void> {
    const kind = byName.get(row.kind)!;
    const jobLog = log.child({ job: row.kind, job_id: row.id, ...(row.job_key ? { job_key: row.job_key } : {}) });
    let ending: JobEnding = { kind: 'done' };
    let why = '';
    try {
      await kind.run(row.payload, { id: row.id, kind: row.kind, attempt: row.attempts, signal: lease.signal, log: jobLog });
    } catch (err) {
      if (lease.signal.aborted) {
        // Lost the lease (the new holder decides) or stopping (the loop gives the job back): not this job's failure.
        attempts.inc({ kind: row.kind, outcome: 'interrupted' });
        jobLog.info({ err, attempt: row.attempts }, 'job attempt interrupted');
        return;
      }
      const error = describeJobError(err);
      const next = afterJobFailure({
        err,
        attempts: row.attempts,
        parkAfter: kind.parkAfter ?? DEFAULT_JOB_PARK_AFTER,
        backoff: kind.backoff ?? DEFAULT_JOB_BACKOFF,
        ...(kind.isPermanent ? { isPermanent: kind.isPermanent } : {}),
        ...(options.random ? { random: options.random } : {}),
      });
      if (next.kind === 'retry') ending = { kind: 'retry', delayMs: next.delayMs, error };
      else [ending, why] = [{ kind: 'park', error }, next.why];
    }
    try {
      if (!(await store.finish(row.id, ending))) {
        jobLog.warn({ attempt: row.attempts }, 'job lease lost before its attempt was recorded; the new holder decides');
        return;
      }
    } catch (err) {
      // The lease stays this instance's until it runs out: the job is claimed again (by this instance at its next claim).
      jobLog.error(
        { err, attempt: row.attempts, ending: ending.kind },
        'could not record the end of a job attempt; it will be attempted again',
      );
      return;
    }
    switch (ending.kind) {
      case 'done':
        attempts.inc({ kind: row.kind, outcome: 'done' });
        return;
      case 'retry':
        attempts.inc({ kind: row.kind, outcome: 'retried' });
        jobLog.warn({ attempt: row.attempts, retryInMs: ending.delayMs, error: ending.error }, 'job failed; will retry');
        loop.wakeIn(ending.delayMs);
        return;
      case 'park':
        attempts.inc({ kind: row.kind, outcome: 'parked' });
        // Never dropped: it waits, visible, for an operator (POST /_admin/jobs/{id}/retry).
        jobLog.error({ attempts: row.attempts, error: ending.error, why }, `job PARKED: ${why}`);
        return;
    }
  }

  return {
    async enqueue(trx, kind, payload, enqueueOptions = {}) {
      const name = typeof kind === 'string' ? kind : kind.name;
      if (!trx.isTransaction)
        throw new Error(`enqueue(${name}) needs the caller's transaction (db.transaction().execute(trx => ...))`);
      if (!byName.has(name)) throw new Error(`no job kind named ${name} in this runner`);
      return insertJob(trx, { kind: name, payload, ...enqueueOptions });
    },
    wake: loop.wake,
    async get(id) {
      const row = await getJob(db, id);
      return row && viewJob(row);
    },
    async find(kind, key) {
      const row = await findJob(db, kind, key);
      return row && viewJob(row);
    },
    async list(filter = {}) {
      return (await listJobs(db, { limit: 100, ...filter })).map(viewJob);
    },
    async retry(id, by = options.owner) {
      const result = await store.retry(id);
      if (result === 'not-found') throw jobErrors.notFound({ detail: `No job ${id}`, extensions: { id } });
      if (result === 'done') throw jobErrors.done({ detail: `Job ${id} is done already`, extensions: { id } });
      log.info({ job: result.kind, job_id: id, by }, 'job retried by an operator');
      loop.wake();
      return viewJob(result);
    },
    run: loop.run,
    async stop() {
      await loop.stop();
      await notifier?.close();
    },
  };
}
