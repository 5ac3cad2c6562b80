// Retention: every table keeps at most `maxAgeHours` of data, and spans and log lines at most a number of
// rows each (the size limit). Rows are counted, not bytes: PostgreSQL does not give deleted space back to
// the file system (vacuum reuses it), so a byte limit on the files would delete forever once reached, while
// a row cap keeps the tables, and so the files, at a steady size. Deletes go in chunks, oldest first, so
// one pass never holds a long lock against ingestion.

import { sql } from 'kysely';
import { estimate, type TelemetryDb } from './store.ts';

export interface RetentionLimits {
  maxAgeHours: number;
  maxSpans: number;
  maxLogLines: number;
}

export interface RetentionResult {
  spans: number;
  traces: number;
  logs: number;
  redSamples: number;
}

const CHUNK = 5_000;

/** Deletes up to CHUNK rows of `table` at a time while `column` < `cutoff`; returns how many went. */
async function deleteBefore(db: TelemetryDb, table: string, column: string, cutoff: Date, signal?: AbortSignal): Promise<number> {
  let deleted = 0;
  for (;;) {
    const result = await sql`
      delete from ${sql.table(table)} where ctid = any(array(
        select ctid from ${sql.table(table)} where ${sql.ref(column)} < ${cutoff} limit ${CHUNK}))`.execute(db);
    const n = Number(result.numAffectedRows ?? 0);
    deleted += n;
    if (n < CHUNK || signal?.aborted) return deleted;
  }
}

/**
 * The time of the `max`-th newest row (older ones go), when `table` holds more than `max` rows, or undefined while it holds fewer. The planner's
 * estimate (reltuples) answers cheaply in the common case; only past it is the index walked.
 */
async function capCutoff(db: TelemetryDb, table: string, column: string, max: number): Promise<Date | undefined> {
  const rows = await sql<{ rows: number }>`select ${estimate(table)} as rows`.execute(db);
  if ((rows.rows[0]?.rows ?? 0) <= max) return undefined;
  const result = await sql<{ at: Date }>`
    select ${sql.ref(column)} as at from ${sql.table(table)} order by ${sql.ref(column)} desc offset ${max - 1} limit 1`.execute(
    db,
  );
  return result.rows[0]?.at;
}

const later = (a: Date, b: Date | undefined) => (b !== undefined && b > a ? b : a);

export async function applyRetention(
  db: TelemetryDb,
  limits: RetentionLimits,
  now: Date,
  signal?: AbortSignal,
): Promise<RetentionResult> {
  const ageCutoff = new Date(now.getTime() - limits.maxAgeHours * 3_600_000);
  const spanCutoff = later(ageCutoff, await capCutoff(db, 'spans', 'start_time', limits.maxSpans));
  const logCutoff = later(ageCutoff, await capCutoff(db, 'logs', 'time', limits.maxLogLines));
  return {
    spans: await deleteBefore(db, 'spans', 'start_time', spanCutoff, signal),
    // A trace goes with its oldest spans: a summary left behind would list a trace that shows nothing.
    traces: await deleteBefore(db, 'traces', 'start_time', spanCutoff, signal),
    logs: await deleteBefore(db, 'logs', 'time', logCutoff, signal),
    redSamples: await deleteBefore(db, 'red_samples', 'time', ageCutoff, signal),
  };
}
