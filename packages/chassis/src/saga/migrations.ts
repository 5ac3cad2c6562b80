// The chassis' saga tables in every service database: one row per saga (where
// it stands, who runs it) and an append-only log of everything that happened.

import { sql } from 'kysely';
import type { MigrationDb, Migrations } from '../db/database.ts';

export const sagaMigrations: Migrations = {
  '003_saga': {
    async up(db: MigrationDb) {
      // current_step: the index of the step being run (RUNNING) or compensated
      // (COMPENSATING; it counts down to -1). attempt counts the attempts of that
      // step or compensation, so a crash mid-attempt still counts it. Times come
      // from the database clock so several instances agree on leases.
      await sql`
        create table souk_saga (
          id text primary key,
          name text not null,
          status text not null check (status in ('RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'PARKED')),
          current_step integer not null default 0,
          state jsonb not null,
          failure jsonb,
          attempt integer not null default 0,
          step_deadline timestamptz,
          lease_owner text,
          lease_until timestamptz,
          next_attempt_at timestamptz not null default clock_timestamp(),
          created_at timestamptz not null default clock_timestamp(),
          updated_at timestamptz not null default clock_timestamp(),
          finished_at timestamptz
        )`.execute(db);
      // What the runners poll: only sagas with work left.
      await sql`create index souk_saga_runnable on souk_saga (next_attempt_at) where status in ('RUNNING', 'COMPENSATING')`.execute(
        db,
      );
      await sql`create index souk_saga_status_created on souk_saga (status, created_at desc)`.execute(db);

      await sql`
        create table souk_saga_log (
          seq bigserial primary key,
          saga_id text not null references souk_saga (id) on delete cascade,
          kind text not null,
          step text,
          attempt integer,
          error_code text,
          error_message text,
          duration_ms integer,
          owner text,
          at timestamptz not null default clock_timestamp()
        )`.execute(db);
      await sql`create index souk_saga_log_saga on souk_saga_log (saga_id, seq)`.execute(db);
    },
  },
  '004_saga_runner_failures': {
    async up(db: MigrationDb) {
      // runner_failures counts the runner's own failures on a saga in a row
      // (an end hook or a progress write that threw): not attempts of a step,
      // so they count apart; the saga parks at compensationParkAfter of them.
      // parked_from is the status a PARKED saga resumes in on an operator's
      // retry (null: parked by a compensation before this column, COMPENSATING).
      await sql`
        alter table souk_saga
          add column runner_failures integer not null default 0,
          add column parked_from text check (parked_from in ('RUNNING', 'COMPENSATING'))`.execute(db);
    },
  },
  '007_saga_group_done': {
    async up(db: MigrationDb) {
      // group_done: the steps of the current parallel group (parallel(...)) that
      // have succeeded already, their results in state: a retry runs only the others.
      await sql`alter table souk_saga add column group_done text[] not null default '{}'`.execute(db);
    },
  },
};
