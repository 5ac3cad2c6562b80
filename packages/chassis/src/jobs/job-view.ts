// A job row as the admin API shows it.

import type { JobRow, JobStatus } from './job-store.ts';

export interface JobView {
  id: string;
  kind: string;
  key: string | null;
  payload: unknown;
  status: JobStatus;
  attempts: number;
  nextAttemptAt: string;
  /** The lease (null while nobody holds it). */
  leaseOwner: string | null;
  leaseUntil: string | null;
  /** The instance of the last attempt. */
  attemptedBy: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

const iso = (d: Date | string) => new Date(d).toISOString();

export function viewJob(row: JobRow): JobView {
  return {
    id: row.id,
    kind: row.kind,
    key: row.job_key,
    payload: row.payload,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: iso(row.next_attempt_at),
    leaseOwner: row.lease_owner,
    leaseUntil: row.lease_until ? iso(row.lease_until) : null,
    attemptedBy: row.attempted_by,
    lastError: row.last_error,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    finishedAt: row.finished_at ? iso(row.finished_at) : null,
  };
}
