// The chassis' own tables for events, migrated in every service database
// beside (not among) the service's migrations, under their own migration table.

import { sql } from 'kysely';
import type { MigrationDb, Migrations } from '../db/database.ts';

export const CHASSIS_MIGRATION_TABLE = 'souk_chassis_migration';
export const CHASSIS_MIGRATION_LOCK_TABLE = 'souk_chassis_migration_lock';

export const eventMigrations: Migrations = {
  '001_events': {
    async up(db: MigrationDb) {
      // seq orders inserts; position is given after commit by the relay, in
      // commit order, so a reader that has seen position N never later finds
      // a smaller one appear (see relay.ts).
      await sql`
        create table souk_outbox (
          seq bigserial primary key,
          position bigint unique,
          id text not null unique,
          type text not null,
          envelope jsonb not null,
          created_at timestamptz not null default now(),
          sequenced_at timestamptz,
          published_at timestamptz
        )`.execute(db);
      await sql`create index souk_outbox_unsequenced on souk_outbox (seq) where position is null`.execute(db);
      await sql`create index souk_outbox_unpublished on souk_outbox (position) where published_at is null and position is not null`.execute(
        db,
      );
      await sql`create index souk_outbox_type_position on souk_outbox (type, position)`.execute(db);

      // One row per handled event: a redelivered event finds its id here and is skipped.
      await sql`
        create table souk_inbox (
          source text not null,
          id text not null,
          type text not null,
          handled_at timestamptz not null default now(),
          primary key (source, id)
        )`.execute(db);

      // Feed transport: where this service has read each producer's feed up
      // to, and which instance holds the lease to read it.
      await sql`
        create table souk_feed_cursor (
          producer text primary key,
          position bigint not null default 0,
          owner text,
          lease_until timestamptz
        )`.execute(db);

      // Failed attempts of an event not handled yet (bounded redelivery).
      await sql`
        create table souk_event_failure (
          source text not null,
          id text not null,
          attempts integer not null,
          last_error text not null,
          updated_at timestamptz not null default now(),
          primary key (source, id)
        )`.execute(db);

      await sql`
        create table souk_dead_letter (
          dead_letter_id bigserial primary key,
          source text not null,
          id text not null,
          type text not null,
          envelope jsonb not null,
          error text not null,
          attempts integer not null,
          dead_at timestamptz not null default now(),
          redriven_at timestamptz,
          unique (source, id)
        )`.execute(db);
    },
  },
  '006_feed_cursor_lease_owner': {
    async up(db: MigrationDb) {
      // The one lease schema (jobs/lease.ts): lease_owner + lease_until, as in souk_job and souk_saga.
      await sql`alter table souk_feed_cursor rename column owner to lease_owner`.execute(db);
    },
  },
};
