// The saga tables' SQL. Every progress write names the lease owner, so an
// instance that lost its lease (paused, cut off) cannot overwrite the work of
// the instance that took the saga over: its write changes nothing and it stops.
// Durability (db/durability.ts, ARCHITECTURE.md "Durability tiers"): what a
// retry redoes (progress after a remote step, a failed attempt's retry, the
// lease) is replayable and commits without waiting for the WAL flush; what
// carries a business fact (a transactional step, an end hook) or waits for an
// operator (parking, the runner's failures, an operator's retry) is durable.

import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { SagaFailure, SagaStatus } from './saga-definition.ts';
import type { AttemptError } from './saga-transitions.ts';
import { replayableCommit } from '../db/durability.ts';
import { claimLeased, interval, renewLease } from '../jobs/lease-sql.ts';

/** Channel of "there is saga work": a start or a retry anywhere wakes every runner. */
export const SAGA_WAKE_CHANNEL = 'souk_saga';
/** Channel of "this saga reached a final status"; the payload is its id. */
export const SAGA_END_CHANNEL = 'souk_saga_end';

export interface SagaRow {
  id: string;
  name: string;
  status: SagaStatus;
  current_step: number;
  state: Record<string, unknown>;
  failure: SagaFailure | null;
  attempt: number;
  step_deadline: Date | null;
  lease_owner: string | null;
  lease_until: Date | null;
  next_attempt_at: Date;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  /** Failures of the runner itself in a row (an end hook or a progress write threw); reset by progress and by an operator's retry. */
  runner_failures: number;
  /** The status a PARKED saga resumes in when an operator retries it (null: COMPENSATING). */
  parked_from: 'RUNNING' | 'COMPENSATING' | null;
  /** The steps of the current parallel group that succeeded already (their results are in state). */
  group_done: string[];
}

export type LogKind =
  | 'saga_started'
  | 'step_started'
  | 'step_succeeded'
  | 'step_failed'
  | 'saga_compensating'
  | 'compensation_started'
  | 'compensation_succeeded'
  | 'compensation_failed'
  | 'saga_completed'
  | 'saga_compensated'
  | 'saga_parked'
  | 'saga_retried'
  /** The end hook (onCompleted/onCompensated) or the write ending the saga threw; attempt = the runner failures in a row. */
  | 'end_failed'
  /** Another failure of the runner on the saga (a progress write threw, say); attempt as for end_failed, null when not counted. */
  | 'runner_failed';

export interface LogRow {
  seq: number;
  saga_id: string;
  kind: LogKind;
  step: string | null;
  attempt: number | null;
  error_code: string | null;
  error_message: string | null;
  duration_ms: number | null;
  owner: string | null;
  at: Date;
}

export interface LogEntry {
  kind: LogKind;
  step?: string;
  attempt?: number;
  error?: Pick<AttemptError, 'code' | 'message'>;
  durationMs?: number;
}

const ms = interval;

const LOG_COLUMNS = sql`saga_id, kind, step, attempt, error_code, error_message, duration_ms, owner`;

/** One log row's values after the saga id; cast, since inside VALUES PostgreSQL cannot infer parameter types. */
function logValues(owner: string, e: LogEntry): RawBuilder<unknown> {
  const message = e.error ? e.error.message.slice(0, 2000) : null;
  const duration = e.durationMs === undefined ? null : Math.round(e.durationMs);
  return sql`(${e.kind}::text, ${e.step ?? null}::text, ${e.attempt ?? null}::int, ${e.error?.code ?? null}::text, ${message}::text, ${duration}::int, ${owner}::text)`;
}

/** Log rows for the saga ids `source` returns (a CTE of the same statement). */
function logFrom(source: RawBuilder<unknown>, owner: string, entries: readonly LogEntry[]): RawBuilder<unknown> {
  return sql`insert into souk_saga_log (${LOG_COLUMNS})
    select src.id, v.kind, v.step, v.attempt, v.error_code, v.error_message, v.duration_ms, v.owner
    from ${source} src cross join (values ${sql.join(entries.map((e) => logValues(owner, e)))}) as v (kind, step, attempt, error_code, error_message, duration_ms, owner)`;
}

export async function appendLog(db: Kysely<any>, id: string, owner: string, ...entries: LogEntry[]): Promise<void> {
  await logFrom(sql`(select ${id}::text as id)`, owner, entries).execute(db);
}

export type SagaStore = ReturnType<typeof createSagaStore>;

/** Steps (or a compensation) begun by the write that ends what came before them: no write of their own. */
export interface Begin {
  /** step_started or compensation_started, one per step begun (a parallel group begins several); attempt 1. */
  entries: readonly (LogEntry & { step: string })[];
  /** A step's deadline, from now (a group's: its first step's timeoutMs); none for a compensation. */
  deadlineMs?: number;
}

/** A step or compensation recorded done: where the saga goes next, in one statement. */
export interface Progress {
  /** current_step after the write. */
  next: number;
  /** The saga's state after the step (a compensation leaves it as it is). */
  state?: unknown;
  entries: readonly LogEntry[];
  begin?: Begin;
  /** The saga ends with this write (it has no end hook to run in a transaction). */
  finish?: 'COMPLETED' | 'COMPENSATED';
  /** Replayable bookkeeping: written after a remote step, outside any transaction (db/durability.ts). */
  replayable: boolean;
}

export function createSagaStore(db: Kysely<any>, owner: string) {
  /**
   * One guarded update and its log rows in a single statement; false when this
   * instance no longer holds the saga's lease. `ended` also tells the waiters (at commit);
   * `replayable` commits it without waiting for the WAL flush (outside a transaction only).
   */
  const guarded = async (
    exec: Kysely<any>,
    id: string,
    set: RawBuilder<unknown>,
    entries: readonly LogEntry[],
    o: { ended?: boolean; replayable?: boolean } = {},
  ): Promise<boolean> => {
    const log = entries.length ? sql`, logged as (${logFrom(sql`u`, owner, entries)})` : sql``;
    const { rows } = await sql<{ id: string }>`
      with u as (update souk_saga set ${set}, updated_at = clock_timestamp() where id = ${id} and lease_owner = ${owner} returning id) ${log}
      select u.id ${o.ended ? sql`, pg_notify(${SAGA_END_CHANNEL}, u.id)` : sql``}${o.replayable ? sql`, ${replayableCommit}` : sql``} from u`.execute(
      exec,
    );
    return rows.length > 0;
  };
  const released = sql`lease_owner = null, lease_until = null`;
  const parked = sql`status = 'PARKED', parked_from = status, next_attempt_at = clock_timestamp(), ${released}`;
  const parkedEntry = (entry: LogEntry): LogEntry => ({ kind: 'saga_parked', ...(entry.step ? { step: entry.step } : {}) });
  const stateValue = (state: unknown) => sql`${JSON.stringify(state)}::jsonb`;
  /** What beginning `begin` sets: its first attempt counted, a step's deadline started. */
  const begun = (begin: Begin | undefined) =>
    begin
      ? sql`attempt = 1, step_deadline = ${begin.deadlineMs === undefined ? null : sql`clock_timestamp() + ${ms(begin.deadlineMs)}`}`
      : sql`attempt = 0, step_deadline = null`;
  const beginEntries = (begin: Begin | undefined): LogEntry[] => (begin ? begin.entries.map((e) => ({ ...e, attempt: 1 })) : []);

  return {
    owner,

    /**
     * Inserts a saga in the caller's transaction, with its log row, in one statement; undefined when one with
     * this id exists already. Without `leased` it wakes every runner (NOTIFY at commit) to claim it. With
     * `leased` this instance holds it from the start and its first steps are begun (attempt 1 counted, the
     * deadline started, their log rows): the runner drives it after the commit without a claim or a write of
     * its own (saga-runner.ts, adopt), and if this process dies first the lease runs out as after any claim.
     */
    async insert(
      trx: Kysely<any>,
      id: string,
      name: string,
      state: unknown,
      leased?: { leaseMs: number; begin: Begin },
    ): Promise<SagaRow | undefined> {
      const entries: LogEntry[] = [{ kind: 'saga_started' }, ...beginEntries(leased?.begin)];
      const lease = leased
        ? sql`, ${owner}::text, clock_timestamp() + ${ms(leased.leaseMs)}, 1, ${
            leased.begin.deadlineMs === undefined ? null : sql`clock_timestamp() + ${ms(leased.begin.deadlineMs)}`
          }`
        : sql``;
      const { rows } = await sql<SagaRow>`
        with s as (
          insert into souk_saga (id, name, status, state${leased ? sql`, lease_owner, lease_until, attempt, step_deadline` : sql``})
          values (${id}, ${name}, 'RUNNING', ${JSON.stringify(state)}::jsonb${lease})
          on conflict (id) do nothing returning *
        ), logged as (${logFrom(sql`s`, owner, entries)})
        select s.*${leased ? sql`` : sql`, pg_notify(${SAGA_WAKE_CHANNEL}, '')`} from s`.execute(trx);
      return rows[0];
    },

    /**
     * Takes up to `limit` due sagas whose lease is free or expired, or still
     * ours from before a restart (not the ones this process is working on).
     * SKIP LOCKED: two runners claiming at once take different sagas.
     */
    async claim(limit: number, leaseMs: number, names: readonly string[], busy: readonly string[]): Promise<SagaRow[]> {
      if (names.length === 0) return [];
      return claimLeased<SagaRow>(db, {
        table: 'souk_saga',
        owner,
        leaseMs,
        limit,
        busy,
        where: sql`status in ('RUNNING', 'COMPENSATING') and name = any(${names}::text[])`,
      });
    },

    renew: (id: string, leaseMs: number) => renewLease(db, 'souk_saga', id, owner, leaseMs),

    /** Gives the saga back (shutdown): another instance may take it at once. */
    release: (id: string) => guarded(db, id, released, [], { replayable: true }),

    /**
     * Counts an attempt before it runs (so a crash inside it still counts) and,
     * for a step's first attempt, starts its deadline: the first attempt after a
     * claim (or after a test's beforeStep hook), the others being begun by the
     * write before them. `entries`: one per step it begins (a parallel group's
     * that have not succeeded yet). Undefined when the lease is gone.
     */
    async beginAttempt(
      id: string,
      entries: readonly (LogEntry & { step: string })[],
      deadlineMs?: number,
    ): Promise<{ attempt: number; remainingMs: number } | undefined> {
      const deadline =
        deadlineMs === undefined ? sql`step_deadline` : sql`coalesce(step_deadline, clock_timestamp() + ${ms(deadlineMs)})`;
      const values = entries.map((e) => sql`(${e.kind}::text, ${e.step}::text)`);
      const { rows } = await sql<{ attempt: number; remaining_ms: number | null }>`
        with u as (
          update souk_saga set attempt = attempt + 1, step_deadline = ${deadline}, updated_at = clock_timestamp()
          where id = ${id} and lease_owner = ${owner}
          returning id, attempt, step_deadline
        ), logged as (
          insert into souk_saga_log (${LOG_COLUMNS})
          select u.id, v.kind, v.step, u.attempt, null, null, null, ${owner} from u cross join (values ${sql.join(values)}) as v (kind, step)
        )
        select attempt, extract(epoch from (step_deadline - clock_timestamp())) * 1000 as remaining_ms, ${replayableCommit} from u`.execute(
        db,
      );
      const row = rows[0];
      if (!row) return undefined;
      return { attempt: row.attempt, remainingMs: row.remaining_ms === null ? Infinity : Number(row.remaining_ms) };
    },

    /**
     * In a progress transaction: locks the row if this instance still holds the lease, and bounds the
     * transaction's statements and idle time by `timeoutMs` (a transactional step's attempt), in one round trip.
     */
    async lock(trx: Kysely<any>, id: string, timeoutMs?: number): Promise<boolean> {
      const limit = timeoutMs === undefined ? undefined : String(timeoutMs);
      const bounded = limit
        ? sql`, set_config('statement_timeout', ${limit}, true), set_config('idle_in_transaction_session_timeout', ${limit}, true)`
        : sql``;
      const { rows } =
        await sql`select id ${bounded} from souk_saga where id = ${id} and lease_owner = ${owner} for update`.execute(trx);
      return rows.length > 0;
    },

    /**
     * The one write of a step or compensation that succeeded: the saga's next
     * position and state, the log, and what comes next begun (or the saga ended)
     * in the same statement. In the step's transaction when it is transactional.
     */
    progress: (exec: Kysely<any>, id: string, p: Progress) =>
      guarded(
        exec,
        id,
        sql`current_step = ${p.next}${p.state === undefined ? sql`` : sql`, state = ${stateValue(p.state)}`}, group_done = '{}', ${begun(p.begin)}, runner_failures = 0${
          p.finish ? sql`, status = ${p.finish}, finished_at = clock_timestamp(), ${released}` : sql``
        }`,
        [
          ...p.entries,
          ...beginEntries(p.begin),
          ...(p.finish ? [{ kind: p.finish === 'COMPLETED' ? ('saga_completed' as const) : ('saga_compensated' as const) }] : []),
        ],
        { ended: p.finish !== undefined, replayable: p.replayable },
      ),

    /**
     * Failed attempts that will be tried again after `delayMs`; the lease is given up meanwhile. In a parallel
     * group, `group` keeps the steps that succeeded in this round (and their results): the retry runs the others.
     */
    retryLater: (
      id: string,
      delayMs: number,
      entries: readonly LogEntry[],
      group?: { state: unknown; done: readonly string[] },
    ) =>
      guarded(
        db,
        id,
        sql`next_attempt_at = clock_timestamp() + ${ms(delayMs)}, ${released}${
          group ? sql`, state = ${stateValue(group.state)}, group_done = ${group.done}::text[]` : sql``
        }`,
        entries,
        { replayable: true },
      ),

    /** A step failed for good: the saga compensates from `from` (the last step of its group), the first compensation begun. */
    startCompensation: (
      id: string,
      o: { from: number; failure: SagaFailure; state: unknown; entries: readonly LogEntry[]; begin?: Begin },
    ) =>
      guarded(
        db,
        id,
        sql`status = 'COMPENSATING', current_step = ${o.from}, failure = ${JSON.stringify(o.failure)}::jsonb, state = ${stateValue(o.state)},
          group_done = '{}', ${begun(o.begin)}, runner_failures = 0`,
        [...o.entries, { kind: 'saga_compensating', step: o.failure.step, error: o.failure }, ...beginEntries(o.begin)],
        { replayable: true },
      ),

    park: (id: string, entry: LogEntry) => guarded(db, id, parked, [entry, parkedEntry(entry)], { ended: true }),

    /**
     * Counts a failure of the runner itself on the saga (an end hook or a
     * progress write threw: not an attempt of a step) and, as `decide` says for
     * that many in a row, retries it after a delay or parks it. The lease is
     * given up either way. Undefined when this instance no longer holds the lease.
     */
    async runnerFailed<D extends { kind: 'retry'; delayMs: number } | { kind: 'park' }>(
      id: string,
      entry: LogEntry,
      decide: (failures: number) => D,
    ): Promise<{ failures: number; decision: D } | undefined> {
      return db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ runner_failures: number }>`update souk_saga set runner_failures = runner_failures + 1
          where id = ${id} and lease_owner = ${owner} returning runner_failures`.execute(trx);
        const failures = rows[0]?.runner_failures;
        if (failures === undefined) return undefined;
        const decision = decide(failures);
        const counted = { ...entry, attempt: failures };
        const written =
          decision.kind === 'park'
            ? await guarded(trx, id, parked, [counted, parkedEntry(entry)], { ended: true })
            : await guarded(trx, id, sql`next_attempt_at = clock_timestamp() + ${ms(decision.delayMs)}, ${released}`, [counted]);
        return written ? { failures, decision } : undefined;
      });
    },

    /** Ends the saga in `status` (COMPLETED or COMPENSATED) inside the transaction of its end hook. */
    finish: (trx: Kysely<any>, id: string, status: 'COMPLETED' | 'COMPENSATED') =>
      guarded(
        trx,
        id,
        sql`status = ${status}, finished_at = clock_timestamp(), ${released}`,
        [{ kind: status === 'COMPLETED' ? 'saga_completed' : 'saga_compensated' }],
        { ended: true },
      ),

    /**
     * An operator's retry of a PARKED saga: at once, from where it stopped, in the
     * status it was parked in (it compensates again, or, parked while running or
     * ending, runs on), with its attempts and runner failures counted afresh.
     */
    async retryParked(id: string, by: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const { rows } = await sql`update souk_saga set status = coalesce(parked_from, 'COMPENSATING'), parked_from = null,
            attempt = 0, step_deadline = null, runner_failures = 0, next_attempt_at = clock_timestamp(), updated_at = clock_timestamp()
          where id = ${id} and status = 'PARKED' returning id`.execute(trx);
        if (rows.length === 0) return false;
        await appendLog(trx, id, by, { kind: 'saga_retried' });
        await sql`select pg_notify(${SAGA_WAKE_CHANNEL}, '')`.execute(trx);
        return true;
      });
    },
  };
}

// ---- reads ------------------------------------------------------------------

export async function getSaga(db: Kysely<any>, id: string): Promise<SagaRow | undefined> {
  const { rows } = await sql<SagaRow>`select * from souk_saga where id = ${id}`.execute(db);
  return rows[0];
}

export async function getLog(db: Kysely<any>, id: string): Promise<LogRow[]> {
  const { rows } = await sql<LogRow>`select * from souk_saga_log where saga_id = ${id} order by seq`.execute(db);
  return rows;
}

export async function listSagas(
  db: Kysely<any>,
  filter: { status?: SagaStatus; name?: string; limit: number },
): Promise<SagaRow[]> {
  const where = [sql`true`];
  if (filter.status) where.push(sql`status = ${filter.status}`);
  if (filter.name) where.push(sql`name = ${filter.name}`);
  const { rows } = await sql<SagaRow>`select * from souk_saga where ${sql.join(where, sql` and `)}
    order by created_at desc, id limit ${filter.limit}`.execute(db);
  return rows;
}

/** Sagas not finished yet, by name and status (the running and parked gauges). */
export async function countOpen(db: Kysely<any>): Promise<{ name: string; status: SagaStatus; n: number }[]> {
  const { rows } = await sql<{ name: string; status: SagaStatus; n: number }>`
    select name, status, count(*)::int as n from souk_saga where status in ('RUNNING', 'COMPENSATING', 'PARKED') group by name, status`.execute(
    db,
  );
  return rows;
}
