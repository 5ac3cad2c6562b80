// The event store's tables, in every service database (the chassis migrates
// them with its other tables; a service that appends nothing leaves them empty).

import { sql } from 'kysely';
import type { MigrationDb, Migrations } from '../db/database.ts';
import { keysBelowNextTransactions } from '../db/commit-order.ts';

export const eventStoreMigrations: Migrations = {
  '002_event_store': {
    async up(db: MigrationDb) {
      // One row per stream: its version is what an append checks and moves
      // (a conditional update, so a stale writer learns it without an error
      // that would abort the caller's transaction).
      await sql`
        create table souk_event_stream (
          stream_id text primary key,
          stream_type text,
          version integer not null check (version >= 0),
          created_at timestamptz not null,
          updated_at timestamptz not null
        )`.execute(db);

      // The events. (stream_id, version) is unique: whatever slips past the
      // version check, two events can never claim the same place in a stream.
      await sql`
        create table souk_event (
          position bigint primary key,
          id uuid not null unique,
          stream_id text not null references souk_event_stream (stream_id),
          version integer not null check (version >= 1),
          type text not null,
          data jsonb not null,
          metadata jsonb not null default '{}'::jsonb,
          recorded_at timestamptz not null,
          unique (stream_id, version)
        )`.execute(db);
      await sql`create index souk_event_stream_time on souk_event (stream_id, recorded_at)`.execute(db);

      // The next global position. Appends update this one row first and hold
      // its lock until they commit, so positions are handed out in commit order
      // and a rolled-back append gives its numbers back (no gaps). See append.ts.
      await sql`
        create table souk_event_position (
          id smallint primary key check (id = 1),
          position bigint not null
        )`.execute(db);
      await sql`insert into souk_event_position (id, position) values (1, 0)`.execute(db);

      await sql`
        create table souk_event_snapshot (
          stream_id text not null references souk_event_stream (stream_id),
          version integer not null,
          schema_version integer not null,
          state jsonb not null,
          taken_at timestamptz not null,
          -- A new schema version snapshots the same versions again beside the old ones.
          primary key (stream_id, schema_version, version)
        )`.execute(db);
    },
  },
  '009_event_store_commit_order': {
    async up(db: MigrationDb) {
      // Global positions come from the appending transaction (db/commit-order.ts) instead of a
      // counter row every append waited for. The positions given so far (1, 2, ...) stay; every
      // transaction id of the cluster is above them (checked), so new events sort after them.
      await keysBelowNextTransactions('souk_event', 'position').execute(db);
      await sql`drop table souk_event_position`.execute(db);
    },
  },
};
