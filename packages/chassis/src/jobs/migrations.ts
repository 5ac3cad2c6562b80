// The chassis' jobs table in every service database: leased background work,
// enqueued inside the business transaction that asks for it (outbox-style: a
// job exists if and only if that transaction committed).

import { sql } from 'kysely';
import type { MigrationDb, Migrations } from '../db/database.ts';

export const jobMigrations: Migrations = {
  '005_jobs': {
    async up(db: MigrationDb) {
      // kind: which handler runs it; job_key: at most one open job per (kind, job_key) (a redelivered
      // request finds it); attempts: counted when claimed, so a crash mid-attempt still counts.
      // lease_owner/lease_until: the one lease schema (jobs/lease.ts), null while nobody holds it.
      // attempted_by: the instance of the last attempt (kept after the lease is given back).
      // Times are the database's clock, which every instance shares.
      await sql`
        create table souk_job (
          id text primary key,
          kind text not null,
          job_key text,
          payload jsonb not null,
          status text not null check (status in ('PENDING', 'DONE', 'PARKED')),
          attempts integer not null default 0,
          next_attempt_at timestamptz not null default clock_timestamp(),
          lease_owner text,
          lease_until timestamptz,
          attempted_by text,
          last_error text,
          created_at timestamptz not null default clock_timestamp(),
          updated_at timestamptz not null default clock_timestamp(),
          finished_at timestamptz
        )`.execute(db);
      await sql`create unique index souk_job_kind_key on souk_job (kind, job_key) where job_key is not null`.execute(db);
      // What the workers poll: only jobs with work left.
      await sql`create index souk_job_due on souk_job (next_attempt_at) where status = 'PENDING'`.execute(db);
      // What operators ask: the parked (or pending, or done) ones, newest first.
      await sql`create index souk_job_status_created on souk_job (status, created_at desc)`.execute(db);
    },
  },
};
