// Writes and reads of the telemetry store (migrations/001_init.ts). A batch of spans is one statement:
// the new spans go in (a span sent twice, by an exporter's retry, is kept once) and the summary row of
// each trace they belong to is created or widened, so trace search never scans the spans table.

import { sql } from 'kysely';
import type { ServiceDb } from '@souk/chassis';
import type { SpanRecord } from './model.ts';
import type { LogRecord } from './log-lines.ts';
import type { Position } from './cursor.ts';

export type TelemetryDb = ServiceDb<object>;

/** One RED sample of one scrape interval (scrape/red.ts makes them). */
export interface StoredRedSample {
  kind: 'route' | 'edge';
  /** The metric it came from (server, client or gateway): an edge may have two, one without durations. */
  source: string;
  service: string;
  instance: string;
  target: string;
  requests: number;
  errors: number;
  durationSum: number | null;
  buckets: number[] | null;
  bounds: number[] | null;
}

export interface TraceQuery {
  service?: string | undefined;
  route?: string | undefined;
  minDurationUs?: number | undefined;
  maxDurationUs?: number | undefined;
  errorsOnly?: boolean | undefined;
  fromUs?: number | undefined;
  toUs?: number | undefined;
  before?: Position | undefined;
  limit: number;
}

export interface TraceSummary {
  traceId: string;
  startUs: number;
  durationUs: number;
  rootService: string | null;
  rootName: string | null;
  services: string[];
  routes: string[];
  spanCount: number;
  errorCount: number;
}

export interface LogQuery {
  text?: string | undefined;
  service?: string | undefined;
  instance?: string | undefined;
  minLevel?: number | undefined;
  traceId?: string | undefined;
  spanId?: string | undefined;
  fromUs?: number | undefined;
  toUs?: number | undefined;
  before?: Position | undefined;
  limit: number;
}

export interface StoredLog extends LogRecord {
  id: string;
}

export interface RedRow {
  bucketUs: number;
  service: string;
  target: string;
  requests: number;
  errors: number;
  /** Seconds spent on the requests that were timed (`timedRequests`): a gateway's proxied ones are counted only. */
  durationSum: number | null;
  timedRequests: number;
  buckets: number[] | null;
  bounds: number[] | null;
}

/** A caller→callee pair seen in traces: a span whose parent is another service's span. */
export interface TraceEdge {
  caller: string;
  callee: string;
  /** 'http' for a server span under a client span, 'event' for a consumer span under a producer's. */
  via: 'http' | 'event';
  spans: number;
  errors: number;
}

const us = (column: string) => sql<number>`(extract(epoch from ${sql.ref(column)}) * 1000000)::float8`;
const fromUs = (value: number) => sql`(timestamptz 'epoch' + ${value}::bigint * interval '1 microsecond')`;

/**
 * A table's row count as the planner estimates it (no scan); a count while it has never been analyzed
 * (reltuples -1; autovacuum analyzes a table soon after it fills).
 */
export const estimate = (table: string) =>
  sql<number>`(select case when reltuples < 0 then (select count(*) from ${sql.table(table)}) else reltuples end::float8
               from pg_class where relname = ${table})`;

/** Escapes LIKE's wildcards so a search for `50%` finds those characters. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createStore(db: TelemetryDb) {
  return {
    /** Stores the spans (duplicates ignored) and updates their traces' summaries; returns how many were new. */
    async insertSpans(spans: readonly SpanRecord[]): Promise<number> {
      if (spans.length === 0) return 0;
      const rows = spans.map((s) => ({
        t: s.traceId,
        s: s.spanId,
        p: s.parentSpanId,
        v: s.service,
        i: s.instance,
        n: s.name,
        k: s.kind,
        st: s.startUs,
        d: s.durationUs,
        c: s.statusCode,
        m: s.statusMessage,
        a: s.attributes,
        e: s.events,
        l: s.links,
        o: s.scope,
      }));
      const result = await sql<{ inserted: number }>`
        with input as (
          select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(
            t text, s text, p text, v text, i text, n text, k smallint, st bigint, d bigint, c smallint, m text,
            a jsonb, e jsonb, l jsonb, o text)
        ), inserted as (
          insert into spans (trace_id, span_id, parent_span_id, service, instance, name, kind, start_time, duration_us,
                             status_code, status_message, attributes, events, links, scope)
          select t, s, p, v, i, n, k, timestamptz 'epoch' + st * interval '1 microsecond', d, c, m, a, e, l, o
          from input order by t, s
          on conflict do nothing
          returning trace_id, parent_span_id, service, name, kind, start_time, duration_us, status_code,
                    attributes->>'http.route' as route
        ), summaries as (
          insert into traces (trace_id, start_time, end_time, root_service, root_name, services, routes, span_count, error_count)
          select trace_id, min(start_time), max(start_time + duration_us * interval '1 microsecond'),
                 (array_agg(service) filter (where parent_span_id is null))[1],
                 (array_agg(name) filter (where parent_span_id is null))[1],
                 array_agg(distinct service order by service),
                 coalesce(array_agg(distinct route order by route) filter (where route is not null and kind = 2), '{}'),
                 count(*), count(*) filter (where status_code = 2)
          from inserted group by trace_id order by trace_id
          on conflict (trace_id) do update set
            start_time = least(traces.start_time, excluded.start_time),
            end_time = greatest(traces.end_time, excluded.end_time),
            root_service = coalesce(excluded.root_service, traces.root_service),
            root_name = coalesce(excluded.root_name, traces.root_name),
            services = array(select distinct x from unnest(traces.services || excluded.services) x order by x),
            routes = array(select distinct x from unnest(traces.routes || excluded.routes) x order by x),
            span_count = traces.span_count + excluded.span_count,
            error_count = traces.error_count + excluded.error_count
          returning 1
        )
        select (select count(*) from inserted)::int as inserted`.execute(db);
      return result.rows[0]?.inserted ?? 0;
    },

    async insertLogs(logs: readonly LogRecord[]): Promise<void> {
      if (logs.length === 0) return;
      const rows = logs.map((l) => ({
        t: l.timeUs,
        v: l.service,
        i: l.instance,
        l: l.level,
        m: l.msg,
        tr: l.traceId,
        sp: l.spanId,
        x: l.line,
      }));
      await sql`
        insert into logs (time, service, instance, level, msg, trace_id, span_id, line)
        select timestamptz 'epoch' + t * interval '1 microsecond', v, i, l, m, tr, sp, x
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
          as x(t bigint, v text, i text, l smallint, m text, tr text, sp text, x text)`.execute(db);
    },

    async insertRedSamples(timeUs: number, samples: readonly StoredRedSample[]): Promise<void> {
      if (samples.length === 0) return;
      await sql`
        insert into red_samples (time, kind, source, service, instance, target, requests, errors, duration_sum, buckets, bounds)
        select ${fromUs(timeUs)}, kind, source, service, instance, target, requests, errors, "durationSum",
               (select array_agg(b::float8) from jsonb_array_elements_text(buckets) b),
               (select array_agg(b::float8) from jsonb_array_elements_text(bounds) b)
        from jsonb_to_recordset(${JSON.stringify(samples)}::jsonb) as x(
          kind text, source text, service text, instance text, target text, requests bigint, errors bigint, "durationSum" float8,
          buckets jsonb, bounds jsonb)`.execute(db);
    },

    async searchTraces(q: TraceQuery): Promise<TraceSummary[]> {
      const where = [sql`true`];
      if (q.service) where.push(sql`services @> array[${q.service}]::text[]`);
      if (q.route) where.push(sql`routes @> array[${q.route}]::text[]`);
      if (q.minDurationUs !== undefined) where.push(sql`duration_us >= ${q.minDurationUs}`);
      if (q.maxDurationUs !== undefined) where.push(sql`duration_us <= ${q.maxDurationUs}`);
      if (q.errorsOnly) where.push(sql`error_count > 0`);
      if (q.fromUs !== undefined) where.push(sql`start_time >= ${fromUs(q.fromUs)}`);
      if (q.toUs !== undefined) where.push(sql`start_time < ${fromUs(q.toUs)}`);
      if (q.before) where.push(sql`(start_time, trace_id) < (${fromUs(q.before.atUs)}, ${q.before.id})`);
      const result = await sql<{
        trace_id: string;
        start_us: number;
        duration_us: string;
        root_service: string | null;
        root_name: string | null;
        services: string[];
        routes: string[];
        span_count: number;
        error_count: number;
      }>`
        select trace_id, ${us('start_time')} as start_us, duration_us, root_service, root_name, services, routes,
               span_count, error_count
        from traces where ${sql.join(where, sql` and `)}
        order by start_time desc, trace_id desc limit ${q.limit}`.execute(db);
      return result.rows.map((r) => ({
        traceId: r.trace_id,
        startUs: Math.round(r.start_us),
        durationUs: Number(r.duration_us),
        rootService: r.root_service,
        rootName: r.root_name,
        services: r.services,
        routes: r.routes,
        spanCount: r.span_count,
        errorCount: r.error_count,
      }));
    },

    async trace(traceId: string): Promise<SpanRecord[]> {
      const result = await sql<{
        trace_id: string;
        span_id: string;
        parent_span_id: string | null;
        service: string;
        instance: string | null;
        name: string;
        kind: number;
        start_us: number;
        duration_us: string;
        status_code: number;
        status_message: string | null;
        attributes: SpanRecord['attributes'];
        events: SpanRecord['events'];
        links: SpanRecord['links'];
        scope: string | null;
      }>`
        select trace_id, span_id, parent_span_id, service, instance, name, kind, ${us('start_time')} as start_us,
               duration_us, status_code, status_message, attributes, events, links, scope
        from spans where trace_id = ${traceId} order by start_time, span_id`.execute(db);
      return result.rows.map((r) => ({
        traceId: r.trace_id,
        spanId: r.span_id,
        parentSpanId: r.parent_span_id,
        service: r.service,
        instance: r.instance,
        name: r.name,
        kind: r.kind as SpanRecord['kind'],
        startUs: Math.round(r.start_us),
        durationUs: Number(r.duration_us),
        statusCode: r.status_code as SpanRecord['statusCode'],
        statusMessage: r.status_message,
        attributes: r.attributes,
        events: r.events,
        links: r.links,
        scope: r.scope,
      }));
    },

    async searchLogs(q: LogQuery): Promise<StoredLog[]> {
      const where = [sql`true`];
      if (q.text) where.push(sql`line ilike ${likePattern(q.text)}`);
      if (q.service) where.push(sql`service = ${q.service}`);
      if (q.instance) where.push(sql`instance = ${q.instance}`);
      if (q.minLevel !== undefined) where.push(sql`level >= ${q.minLevel}`);
      if (q.traceId) where.push(sql`trace_id = ${q.traceId}`);
      if (q.spanId) where.push(sql`span_id = ${q.spanId}`);
      if (q.fromUs !== undefined) where.push(sql`time >= ${fromUs(q.fromUs)}`);
      if (q.toUs !== undefined) where.push(sql`time < ${fromUs(q.toUs)}`);
      if (q.before) where.push(sql`(time, id) < (${fromUs(q.before.atUs)}, ${q.before.id}::bigint)`);
      const result = await sql<{
        id: string;
        time_us: number;
        service: string;
        instance: string;
        level: number;
        msg: string;
        trace_id: string | null;
        span_id: string | null;
        line: string;
      }>`
        select id::text, ${us('time')} as time_us, service, instance, level, msg, trace_id, span_id, line
        from logs where ${sql.join(where, sql` and `)}
        order by time desc, id desc limit ${q.limit}`.execute(db);
      return result.rows.map((r) => ({
        id: r.id,
        timeUs: Math.round(r.time_us),
        service: r.service,
        instance: r.instance,
        level: r.level,
        msg: r.msg,
        traceId: r.trace_id,
        spanId: r.span_id,
        line: r.line,
      }));
    },

    /** RED samples summed per step, service and target (instances merged), oldest first. */
    async red(q: {
      kind: 'route' | 'edge';
      service?: string | undefined;
      target?: string | undefined;
      fromUs: number;
      toUs: number;
      stepSeconds: number;
    }): Promise<RedRow[]> {
      const where = [sql`kind = ${q.kind}`, sql`time >= ${fromUs(q.fromUs)}`, sql`time < ${fromUs(q.toUs)}`];
      if (q.service) where.push(sql`service = ${q.service}`);
      if (q.target) where.push(sql`target = ${q.target}`);
      const result = await sql<{
        bucket_us: number;
        service: string;
        target: string;
        requests: string;
        errors: string;
        duration_sum: number | null;
        timed: string;
        buckets: number[][] | null;
        bounds: number[][] | null;
      }>`
        select ${us('bucket')} as bucket_us, service, target, sum(requests) as requests, sum(errors) as errors,
               sum(duration_sum) as duration_sum, coalesce(sum(requests) filter (where duration_sum is not null), 0) as timed,
               array_agg(buckets) filter (where buckets is not null) as buckets,
               array_agg(bounds) filter (where bounds is not null) as bounds
        from (select date_bin(${`${q.stepSeconds} seconds`}::interval, time, timestamptz 'epoch') as bucket, *
              from red_samples where ${sql.join(where, sql` and `)}) s
        group by bucket, service, target order by bucket, service, target`.execute(db);
      return result.rows.map((r) => ({
        bucketUs: Math.round(r.bucket_us),
        service: r.service,
        target: r.target,
        requests: Number(r.requests),
        errors: Number(r.errors),
        durationSum: r.duration_sum,
        timedRequests: Number(r.timed),
        buckets: sumColumns(r.buckets),
        // Every histogram read here has the chassis' buckets; the rows of one group share them.
        bounds: r.bounds?.[0] ?? null,
      }));
    },

    /** Caller→callee pairs in the spans since `sinceUs`: HTTP (server under client) and events (consumer under producer). */
    async traceEdges(sinceUs: number): Promise<TraceEdge[]> {
      const result = await sql<{ caller: string; callee: string; via: 'http' | 'event'; spans: number; errors: number }>`
        select parent.service as caller, child.service as callee,
               case when child.kind = 5 then 'event' else 'http' end as via,
               count(*)::int as spans, (count(*) filter (where child.status_code = 2))::int as errors
        from spans child
        join spans parent on parent.trace_id = child.trace_id and parent.span_id = child.parent_span_id
        where child.start_time >= ${fromUs(sinceUs)} and child.kind in (2, 5) and parent.service <> child.service
        group by 1, 2, 3 order by 1, 2, 3`.execute(db);
      return result.rows;
    },

    async counts(): Promise<{ spans: number; traces: number; logs: number; redSamples: number; oldestUs: number | null }> {
      const result = await sql<{ spans: number; traces: number; logs: number; red: number; oldest: number | null }>`
        select ${estimate('spans')} as spans, ${estimate('traces')} as traces, ${estimate('logs')} as logs,
               ${estimate('red_samples')} as red,
               (select ${us('start_time')} from traces order by start_time limit 1) as oldest`.execute(db);
      const r = result.rows[0]!;
      const n = (x: number) => Math.max(0, Math.round(x));
      return {
        spans: n(r.spans),
        traces: n(r.traces),
        logs: n(r.logs),
        redSamples: n(r.red),
        oldestUs: r.oldest === null ? null : Math.round(r.oldest),
      };
    },
  };
}

export type TelemetryStore = ReturnType<typeof createStore>;

/** Element-wise sums of equally long arrays (histogram buckets of several instances); null when there are none. */
export function sumColumns(rows: readonly (readonly number[])[] | null): number[] | null {
  if (!rows || rows.length === 0) return null;
  const width = Math.max(...rows.map((r) => r.length));
  const sums = new Array<number>(width).fill(0);
  for (const row of rows) for (let i = 0; i < row.length; i++) sums[i]! += row[i] ?? 0;
  return sums;
}
