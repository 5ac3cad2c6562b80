// The telemetry store: spans, one summary row per trace (what trace search reads), log lines, and RED
// samples from the scraper. Every table is ordered by time for retention, which deletes the oldest rows.

import { sql } from 'kysely';
import type { MigrationDb } from '@souk/chassis';

export async function up(db: MigrationDb): Promise<void> {
  // Substring search over log lines (ILIKE '%…%') through a trigram index; trusted, so the owner may create it.
  await sql`create extension if not exists pg_trgm`.execute(db);
  await sql`
    create table spans (
      trace_id text not null,
      span_id text not null,
      parent_span_id text,
      service text not null,
      instance text,
      name text not null,
      kind smallint not null,
      start_time timestamptz not null,
      duration_us bigint not null,
      status_code smallint not null,
      status_message text,
      attributes jsonb not null,
      events jsonb not null,
      links jsonb not null,
      scope text,
      primary key (trace_id, span_id)
    )`.execute(db);
  await sql`create index spans_start_time on spans (start_time)`.execute(db);

  await sql`
    create table traces (
      trace_id text primary key,
      start_time timestamptz not null,
      end_time timestamptz not null,
      duration_us bigint generated always as ((extract(epoch from end_time - start_time) * 1000000)::bigint) stored,
      root_service text,
      root_name text,
      services text[] not null,
      routes text[] not null,
      span_count integer not null,
      error_count integer not null
    )`.execute(db);
  await sql`create index traces_start_time on traces (start_time desc)`.execute(db);
  await sql`create index traces_duration on traces (duration_us desc)`.execute(db);
  await sql`create index traces_services on traces using gin (services)`.execute(db);
  await sql`create index traces_routes on traces using gin (routes)`.execute(db);

  await sql`
    create table logs (
      id bigint generated always as identity primary key,
      time timestamptz not null,
      service text not null,
      instance text not null,
      level smallint not null,
      msg text not null,
      trace_id text,
      span_id text,
      line text not null
    )`.execute(db);
  await sql`create index logs_time on logs (time desc)`.execute(db);
  await sql`create index logs_service_time on logs (service, time desc)`.execute(db);
  await sql`create index logs_trace on logs (trace_id) where trace_id is not null`.execute(db);
  await sql`create index logs_line_trgm on logs using gin (line gin_trgm_ops)`.execute(db);

  await sql`
    create table red_samples (
      time timestamptz not null,
      kind text not null check (kind in ('route', 'edge')),
      source text not null,
      service text not null,
      instance text not null,
      target text not null,
      requests bigint not null,
      errors bigint not null,
      duration_sum double precision,
      buckets double precision[],
      bounds double precision[]
    )`.execute(db);
  await sql`create index red_samples_lookup on red_samples (kind, service, time desc)`.execute(db);
  await sql`create index red_samples_time on red_samples (time)`.execute(db);
}

export async function down(db: MigrationDb): Promise<void> {
  for (const table of ['red_samples', 'logs', 'traces', 'spans']) await sql`drop table ${sql.table(table)}`.execute(db);
}
