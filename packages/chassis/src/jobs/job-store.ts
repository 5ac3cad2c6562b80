// The souk_job table's SQL. Every write of a worker is guarded by its lease
// (lease_owner), so an instance that lost the lease (paused, cut off) cannot
// overwrite the outcome of the instance that took the job over. Times are the
// database's clock (clock_timestamp()), which every instance shares.

import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { replayableCommit } from '../db/durability.ts';
import { claimLeased, interval, renewLease } from './lease-sql.ts';

/** Channel of "there is job work": an enqueue or a retry anywhere wakes every worker, at commit. */
export const JOB_WAKE_CHANNEL = 'souk_job';

export type JobStatus = 'PENDING' | 'DONE' | 'PARKED';
export const JOB_STATUSES: readonly JobStatus[] = ['PENDING', 'DONE', 'PARKED'];

export interface JobRow {
  id: string;
  kind: string;
  job_key: string | null;
  payload: unknown;
  status: JobStatus;
  /** Attempts since enqueued (or retried by an operator), counted at claim. */
  attempts: number;
  next_attempt_at: Date;
  lease_owner: string | null;
  lease_until: Date | null;
  /** The instance of the last attempt (kept after its lease is given back). */
  attempted_by: string | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export interface NewJob {
  kind: string;
  payload: unknown;
  /** At most one open job per (kind, key): enqueued again while PENDING or PARKED, nothing changes; once DONE, it is opened again. */
  key?: string;
  /** Due this long after the commit (default: at once). */
  delayMs?: number;
}

export type JobEnding = { kind: 'done' } | { kind: 'retry'; delayMs: number; error: string } | { kind: 'park'; error: string };

const ms = interval;
const released = sql`lease_owner = null, lease_until = null`;

/** Inserts a job inside the caller's transaction; its id, or undefined when an open job has this key already. */
export async function insertJob(trx: Kysely<any>, job: NewJob): Promise<string | undefined> {
  const due = sql`clock_timestamp() + ${ms(job.delayMs ?? 0)}`;
  const { rows } = await sql<{ id: string }>`
    insert into souk_job (id, kind, job_key, payload, status, next_attempt_at)
    values (${randomUUID()}, ${job.kind}, ${job.key ?? null}, ${JSON.stringify(job.payload ?? null)}::jsonb, 'PENDING', ${due})
    on conflict (kind, job_key) where job_key is not null do update
      set payload = excluded.payload, status = 'PENDING', attempts = 0, next_attempt_at = excluded.next_attempt_at,
          last_error = null, finished_at = null, updated_at = clock_timestamp()
      where souk_job.status = 'DONE'
    returning id`.execute(trx);
  const id = rows[0]?.id;
  // Delivered to the LISTENing workers when (and only if) the transaction commits.
  if (id) await sql`select pg_notify(${JOB_WAKE_CHANNEL}, ${job.kind})`.execute(trx);
  return id;
}

export type JobStore = ReturnType<typeof createJobStore>;

export function createJobStore(db: Kysely<any>, owner: string) {
  /** `replayable`: bookkeeping that a lost commit only makes happen again (db/durability.ts). */
  const guarded = async (id: string, set: ReturnType<typeof sql>, replayable: boolean): Promise<boolean> => {
    const { rows } = await sql`update souk_job set ${set}, updated_at = clock_timestamp()
      where id = ${id} and lease_owner = ${owner}${replayable ? sql` and ${replayableCommit}` : sql``} returning id`.execute(db);
    return rows.length > 0;
  };

  return {
    /**
     * Takes up to `limit` due jobs of `kinds` whose lease is free or expired, or
     * still ours from before a restart (not those this process is working on),
     * counting an attempt each. SKIP LOCKED: two workers claiming at once take different jobs.
     */
    async claim(limit: number, leaseMs: number, kinds: readonly string[], busy: readonly string[]): Promise<JobRow[]> {
      if (kinds.length === 0) return [];
      return claimLeased<JobRow>(db, {
        table: 'souk_job',
        owner,
        leaseMs,
        limit,
        busy,
        where: sql`status = 'PENDING' and kind = any(${kinds}::text[])`,
        set: sql`attempts = attempts + 1, attempted_by = ${owner}, updated_at = clock_timestamp()`,
      });
    },

    renew: (id: string, leaseMs: number) => renewLease(db, 'souk_job', id, owner, leaseMs),

    /** Gives back a job whose attempt this instance's shutdown interrupted: due as it was, the attempt not counted. */
    release: (id: string) => guarded(id, sql`attempts = greatest(attempts - 1, 0), ${released}`, true),

    /**
     * Records how an attempt ended and gives the lease back; false when the lease is no longer ours.
     * Done and retry are replayable (lost, the job runs again, as after a crash before this write: jobs
     * are at least once); parking is durable, an operator acts on it (and it is rare).
     */
    finish(id: string, ending: JobEnding): Promise<boolean> {
      if (ending.kind === 'done') return guarded(id, sql`status = 'DONE', finished_at = clock_timestamp(), ${released}`, true);
      const error = ending.error.slice(0, 2_000);
      if (ending.kind === 'park') return guarded(id, sql`status = 'PARKED', last_error = ${error}, ${released}`, false);
      return guarded(
        id,
        sql`next_attempt_at = clock_timestamp() + ${ms(ending.delayMs)}, last_error = ${error}, ${released}`,
        true,
      );
    },

    /**
     * An operator's retry: a PARKED job is PENDING again with its attempts
     * reset; a PENDING one is made due now (its backoff skipped; an attempt in
     * progress keeps its lease). A DONE one is left alone.
     */
    async retry(id: string): Promise<JobRow | 'not-found' | 'done'> {
      return db.transaction().execute(async (trx) => {
        const { rows } = await sql<JobRow>`update souk_job
            set status = 'PENDING', attempts = case when status = 'PARKED' then 0 else attempts end,
                next_attempt_at = clock_timestamp(), updated_at = clock_timestamp()
          where id = ${id} and status <> 'DONE' returning *`.execute(trx);
        if (rows[0]) {
          await sql`select pg_notify(${JOB_WAKE_CHANNEL}, ${rows[0].kind})`.execute(trx);
          return rows[0];
        }
        return (await getJob(trx, id)) ? 'done' : 'not-found';
      });
    },
  };
}

// ---- reads ------------------------------------------------------------------

export async function getJob(db: Kysely<any>, id: string): Promise<JobRow | undefined> {
  const { rows } = await sql<JobRow>`select * from souk_job where id = ${id}`.execute(db);
  return rows[0];
}

export async function findJob(db: Kysely<any>, kind: string, key: string): Promise<JobRow | undefined> {
  const { rows } = await sql<JobRow>`select * from souk_job where kind = ${kind} and job_key = ${key}`.execute(db);
  return rows[0];
}

export async function listJobs(db: Kysely<any>, filter: { status?: JobStatus; kind?: string; limit: number }): Promise<JobRow[]> {
  const where = [sql`true`];
  if (filter.status) where.push(sql`status = ${filter.status}`);
  if (filter.kind) where.push(sql`kind = ${filter.kind}`);
  const { rows } = await sql<JobRow>`select * from souk_job where ${sql.join(where, sql` and `)}
    order by created_at desc, id limit ${filter.limit}`.execute(db);
  return rows;
}

/** Open jobs by kind and status (the pending and parked gauges; DONE ones are not counted). */
export async function countOpenJobs(db: Kysely<any>): Promise<{ kind: string; status: JobStatus; n: number }[]> {
  const { rows } = await sql<{ kind: string; status: JobStatus; n: number }>`
    select kind, status, count(*)::int as n from souk_job where status in ('PENDING', 'PARKED') group by kind, status`.execute(
    db,
  );
  return rows;
}
