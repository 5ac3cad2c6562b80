// The chassis' own tables for events, migrated in every service database
// beside (not among) the service's migrations, under their own migration table.

import { sql } from 'kysely';
import type { MigrationDb, Migrations } from '../db/database.ts';
import { keysBelowNextTransactions } from '../db/commit-order.ts';

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
  '008_outbox_commit_order': {
    async up(db: MigrationDb) {
      // The feed's order comes from the writing transaction (db/commit-order.ts), not from a relay
      // numbering committed rows. Rows already numbered keep their position as their key, so they
      // stay first and in order, with the same event numbers; rows committed but not numbered yet
      // follow in insert order, as the relay would have numbered them. Every transaction id of the
      // cluster is above those keys (checked), so every new row sorts after them.
      await sql`alter table souk_outbox add column commit_key bigint`.execute(db);
      await sql`
        update souk_outbox o set commit_key = n.key
        from (select seq, coalesce(position, (select coalesce(max(position), 0) from souk_outbox)
                + row_number() over (partition by position is null order by seq)) as key
              from souk_outbox) n
        where o.seq = n.seq`.execute(db);
      await keysBelowNextTransactions('souk_outbox', 'commit_key').execute(db);
      await sql`alter table souk_outbox alter column commit_key set not null`.execute(db);
      await sql`create unique index souk_outbox_commit_key on souk_outbox (commit_key)`.execute(db);
      // The broker relay (NATS) numbers rows as it publishes them; the feed never does.
      await sql`alter table souk_outbox drop constraint souk_outbox_position_key`.execute(db);
      await sql`create unique index souk_outbox_position on souk_outbox (position) where position is not null`.execute(db);
      await sql`drop index souk_outbox_unsequenced`.execute(db);
      await sql`drop index souk_outbox_type_position`.execute(db);
      await sql`drop index souk_outbox_unpublished`.execute(db);
      await sql`create index souk_outbox_unpublished on souk_outbox (commit_key) where published_at is null`.execute(db);
      await sql`alter table souk_outbox drop column sequenced_at`.execute(db);

      // The consumer's cursor: position counts the producer's events (as before); commit_key is the
      // producer's key of the event at position commit_key_at, so the producer can seek to it.
      // Someone who moves position by hand (a replay) leaves commit_key_at behind, which makes the
      // key stale: the producer then finds the position by counting.
      await sql`alter table souk_feed_cursor add column commit_key bigint, add column commit_key_at bigint`.execute(db);
    },
  },
};
