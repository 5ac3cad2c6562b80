// The telemetry backend's HTTP API (platform/telemetry/README.md). Ingestion: OTLP/HTTP traces at the
// standard path, in JSON or protobuf, and log lines from the shipper. Queries, for admins: traces by
// service, route, duration, error and id; logs by text, service, level, trace and time, and a live tail;
// RED series per service and route and per caller→callee edge; the map's edges; the store's status.

import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { Type, type Static } from 'typebox';
import { chassisErrors, type App, type Auth } from '@souk/chassis';
import type { IngestAccess } from './access.ts';
import { decodeCursor, encodeCursor, type Position } from './cursor.ts';
import { telemetryErrors } from './errors.ts';
import { Overloaded, type GroupWriter } from './group-writer.ts';
import { parseLogLine, LEVELS, type LogRecord } from './log-lines.ts';
import type { LogTailHub } from './log-tail.ts';
import type { SpanRecord } from './model.ts';
import { decodeJsonTraces, decodeTraces, isOtlpDecodeError } from './otlp/index.ts';
import type { RetentionLimits } from './retention.ts';
import type { Scraper } from './scraper.ts';
import { quantileFromBuckets } from './scrape/red.ts';
import type { TelemetryStore } from './store.ts';

const PREFIX = '/api/v1/telemetry';
const PROTOBUF = 'application/x-protobuf';
const ADMIN = { roles: ['admin'] };

export interface RouteDeps {
  store: TelemetryStore;
  spans: GroupWriter<SpanRecord>;
  logs: GroupWriter<LogRecord>;
  tail: LogTailHub;
  scraper: Scraper;
  access: IngestAccess;
  auth: Auth;
  limits: RetentionLimits;
  maxBodyBytes: number;
  closing: AbortSignal;
}

const HexId = (digits: number) => Type.String({ pattern: `^[0-9a-f]{${digits}}$` });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Level = Type.Union(
  Object.keys(LEVELS).map((name) => Type.Literal(name)),
  { description: 'The least severe level shown' },
);
const TimeRange = {
  from: Type.Optional(Type.String({ format: 'date-time', description: 'From this time (inclusive)' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Until this time (exclusive)' })),
};
const Paging = {
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  before: Type.Optional(Type.String({ maxLength: 80, description: '`next` of the previous page' })),
};

const TraceSearch = Type.Object({
  service: Type.Optional(Name),
  route: Type.Optional(
    Type.String({ minLength: 1, maxLength: 300, description: 'A server span’s http.route, e.g. /api/v1/orders' }),
  ),
  minDurationMs: Type.Optional(Type.Number({ minimum: 0 })),
  maxDurationMs: Type.Optional(Type.Number({ minimum: 0 })),
  error: Type.Optional(Type.Boolean({ description: 'Only traces with a failed span' })),
  ...TimeRange,
  ...Paging,
});
const LogSearch = Type.Object({
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Text anywhere in the line (case-insensitive)' })),
  service: Type.Optional(Name),
  instance: Type.Optional(Name),
  level: Type.Optional(Level),
  traceId: Type.Optional(HexId(32)),
  spanId: Type.Optional(HexId(16)),
  ...TimeRange,
  ...Paging,
});
const TailQuery = Type.Object({
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  service: Type.Optional(Name),
  level: Type.Optional(Level),
  traceId: Type.Optional(HexId(32)),
});
const RedQuery = Type.Object({
  kind: Type.Union([Type.Literal('route'), Type.Literal('edge')], {
    default: 'route',
    description: 'Per service and route, or per caller→callee edge',
  }),
  service: Type.Optional(Name),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'The route (`GET /api/v1/…`) or the callee' })),
  minutes: Type.Integer({ minimum: 1, maximum: 24 * 60, default: 15, description: 'How far back from now' }),
  stepSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 15 }),
});
const MapQuery = Type.Object({ minutes: Type.Integer({ minimum: 1, maximum: 24 * 60, default: 5 }) });
const LogBatch = Type.Object({
  streams: Type.Array(
    Type.Object({
      service: Name,
      instance: Name,
      lines: Type.Array(Type.String({ maxLength: 1_048_576 }), { maxItems: 10_000 }),
    }),
    { maxItems: 200 },
  ),
});

const msToUs = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms * 1000));
const isoToUs = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso) * 1000);
const iso = (timeUs: number) => new Date(Math.floor(timeUs / 1000)).toISOString();

function cursorOf(before: string | undefined): Position | undefined {
  if (before === undefined) return undefined;
  const position = decodeCursor(before);
  if (!position)
    throw telemetryErrors.badCursor('before is not a cursor this service gave out (pass `next` of the previous page).');
  return position;
}

/** A write that could not be queued is the exporter's cue to retry later (503 is retryable for OTLP). */
async function accept(write: Promise<void>): Promise<void> {
  try {
    await write;
  } catch (err) {
    if (err instanceof Overloaded)
      throw telemetryErrors.behind({ detail: `${err.message}; send again later.`, headers: { 'retry-after': '1' } });
    throw err;
  }
}

const logView = (l: LogRecord & { id?: string }) => ({
  ...(l.id === undefined ? {} : { id: l.id }),
  time: iso(l.timeUs),
  service: l.service,
  instance: l.instance,
  level: l.level,
  msg: l.msg,
  traceId: l.traceId,
  spanId: l.spanId,
  line: l.line,
});

export function registerTelemetryRoutes(app: App, deps: RouteDeps): void {
  const { store } = deps;
  const admin = deps.auth.required(ADMIN);

  // OTLP/HTTP protobuf bodies arrive as bytes; JSON ones go through the chassis' JSON parser.
  app.addContentTypeParser(PROTOBUF, { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (_req, body, done) => done(null, body));

  app.post(
    '/v1/traces',
    {
      bodyLimit: deps.maxBodyBytes,
      // The exporter may gzip (OTEL_EXPORTER_OTLP_COMPRESSION=gzip): the body is read whole, then inflated.
      preParsing: async (request, _reply, payload) => {
        if (request.headers['content-encoding'] !== 'gzip') return payload;
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of payload) {
          size += (chunk as Buffer).length;
          if (size > deps.maxBodyBytes)
            throw chassisErrors.bodyTooLarge(`The compressed body is over ${deps.maxBodyBytes} bytes.`);
          chunks.push(chunk as Buffer);
        }
        let inflated: Buffer;
        try {
          inflated = gunzipSync(Buffer.concat(chunks), { maxOutputLength: deps.maxBodyBytes });
        } catch (err) {
          throw telemetryErrors.malformedOtlp({
            detail: `The body is not gzip within ${deps.maxBodyBytes} bytes: ${(err as Error).message}.`,
            cause: err,
          });
        }
        delete request.headers['content-encoding'];
        request.headers['content-length'] = String(inflated.length);
        return Readable.from([inflated]);
      },
      schema: { tags: ['ingest'], summary: 'OTLP/HTTP trace export (application/json or application/x-protobuf)' },
    },
    async (request, reply) => {
      const protobuf = request.headers['content-type']?.startsWith(PROTOBUF) === true;
      let spans: SpanRecord[];
      try {
        spans = protobuf ? decodeTraces(request.body as Buffer, 'protobuf') : decodeJsonTraces(request.body);
      } catch (err) {
        if (isOtlpDecodeError(err)) throw telemetryErrors.malformedOtlp({ detail: err.message, cause: err });
        throw err;
      }
      deps.access.spans(request, spans);
      await accept(deps.spans.submit(spans));
      // ExportTraceServiceResponse with no partial_success: an empty message in either encoding.
      if (protobuf) return reply.type(PROTOBUF).send(Buffer.alloc(0));
      return reply.send({});
    },
  );

  app.post(
    `${PREFIX}/logs`,
    {
      bodyLimit: deps.maxBodyBytes,
      schema: {
        tags: ['ingest'],
        summary: 'Log lines of some instances, as they printed them (the shipper’s batch)',
        body: LogBatch,
      },
    },
    async (request, reply) => {
      deps.access.logs(request);
      const receivedUs = Date.now() * 1000;
      const records = request.body.streams.flatMap((s) =>
        s.lines.map((line) => parseLogLine(s.service, s.instance, line, receivedUs)),
      );
      await accept(deps.logs.submit(records));
      deps.tail.publish(records);
      return reply.code(202).send({ accepted: records.length });
    },
  );

  app.get(
    `${PREFIX}/traces`,
    { onRequest: admin, schema: { tags: ['traces'], summary: 'Traces, newest first', querystring: TraceSearch } },
    async (request) => {
      const q = request.query;
      const traces = await store.searchTraces({
        service: q.service,
        route: q.route,
        minDurationUs: msToUs(q.minDurationMs),
        maxDurationUs: msToUs(q.maxDurationMs),
        errorsOnly: q.error,
        fromUs: isoToUs(q.from),
        toUs: isoToUs(q.to),
        before: cursorOf(q.before),
        limit: q.limit,
      });
      const last = traces.length === q.limit ? traces.at(-1) : undefined;
      return {
        traces: traces.map((t) => ({
          traceId: t.traceId,
          startTime: iso(t.startUs),
          durationMs: t.durationUs / 1000,
          rootService: t.rootService,
          rootName: t.rootName,
          services: t.services,
          routes: t.routes,
          spanCount: t.spanCount,
          errorCount: t.errorCount,
        })),
        next: last ? encodeCursor({ atUs: last.startUs, id: last.traceId }) : null,
      };
    },
  );

  app.get(
    `${PREFIX}/traces/:traceId`,
    {
      onRequest: admin,
      schema: { tags: ['traces'], summary: 'Every span of a trace, in start order', params: Type.Object({ traceId: HexId(32) }) },
    },
    async (request) => {
      const spans = await store.trace(request.params.traceId);
      if (spans.length === 0) throw telemetryErrors.traceNotFound(`No span of trace ${request.params.traceId} is kept.`);
      return {
        traceId: request.params.traceId,
        spans: spans.map((s) => ({ ...s, startTime: iso(s.startUs), durationMs: s.durationUs / 1000 })),
      };
    },
  );

  app.get(
    `${PREFIX}/logs`,
    { onRequest: admin, schema: { tags: ['logs'], summary: 'Log lines, newest first', querystring: LogSearch } },
    async (request) => {
      const q = request.query;
      const logs = await store.searchLogs({
        text: q.q,
        service: q.service,
        instance: q.instance,
        minLevel: q.level === undefined ? undefined : LEVELS[q.level],
        traceId: q.traceId,
        spanId: q.spanId,
        fromUs: isoToUs(q.from),
        toUs: isoToUs(q.to),
        before: cursorOf(q.before),
        limit: q.limit,
      });
      const last = logs.length === q.limit ? logs.at(-1) : undefined;
      return {
        logs: logs.map(logView),
        next: last ? encodeCursor({ atUs: last.timeUs, id: Number(last.id).toString(16) }) : null,
      };
    },
  );

  app.get(
    `${PREFIX}/logs/tail`,
    {
      onRequest: admin,
      schema: {
        tags: ['logs'],
        summary: 'New log lines as they arrive (Server-Sent Events, event `logs`)',
        querystring: TailQuery,
      },
    },
    async (request, reply) => {
      const q = request.query;
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      raw.write(': tail open\n\n');
      const tail = deps.tail.open(
        { service: q.service, minLevel: q.level === undefined ? undefined : LEVELS[q.level], text: q.q, traceId: q.traceId },
        (records, dropped) => raw.write(`event: logs\ndata: ${JSON.stringify({ dropped, logs: records.map(logView) })}\n\n`),
      );
      raw.on('drain', () => tail.resume());
      // A comment now and then keeps proxies from closing an idle stream.
      const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
      const end = () => {
        clearInterval(keepAlive);
        tail.close();
        if (!raw.writableEnded) raw.end();
      };
      raw.on('close', end);
      deps.closing.addEventListener('abort', end, { once: true });
    },
  );

  app.get(
    `${PREFIX}/red`,
    {
      onRequest: admin,
      schema: {
        tags: ['metrics'],
        summary: 'Rate, errors and duration over time, per service and route or per edge',
        querystring: RedQuery,
      },
    },
    async (request) => {
      const q = request.query;
      const toUs = Date.now() * 1000;
      const rows = await store.red({
        kind: q.kind,
        service: q.service,
        target: q.target,
        fromUs: toUs - q.minutes * 60_000_000,
        toUs,
        stepSeconds: q.stepSeconds,
      });
      const series = new Map<string, { service: string; target: string; points: unknown[] }>();
      for (const row of rows) {
        const key = `${row.service}\u0000${row.target}`;
        let entry = series.get(key);
        if (!entry) series.set(key, (entry = { service: row.service, target: row.target, points: [] }));
        const quantile = (p: number) => (row.bounds && row.buckets ? quantileFromBuckets(row.bounds, row.buckets, p) : null);
        const ms = (seconds: number | null) => (seconds === null ? null : Math.round(seconds * 100_000) / 100);
        entry.points.push({
          time: iso(row.bucketUs),
          requests: row.requests,
          errors: row.errors,
          ratePerSecond: row.requests / q.stepSeconds,
          errorRatio: row.requests === 0 ? 0 : row.errors / row.requests,
          meanMs: row.durationSum === null || row.timedRequests === 0 ? null : ms(row.durationSum / row.timedRequests),
          p50Ms: ms(quantile(0.5)),
          p99Ms: ms(quantile(0.99)),
        });
      }
      return { kind: q.kind, stepSeconds: q.stepSeconds, series: [...series.values()] };
    },
  );

  app.get(
    `${PREFIX}/map`,
    {
      onRequest: admin,
      schema: {
        tags: ['metrics'],
        summary: 'Who calls whom: edges from the metrics and from the traces of the last minutes',
        querystring: MapQuery,
      },
    },
    async (request) => {
      const minutes = request.query.minutes;
      const toUs = Date.now() * 1000;
      const fromUs = toUs - minutes * 60_000_000;
      const [measured, traced] = await Promise.all([
        store.red({ kind: 'edge', fromUs, toUs, stepSeconds: minutes * 60 }),
        store.traceEdges(fromUs),
      ]);
      const edges = new Map<
        string,
        {
          caller: string;
          callee: string;
          requests: number;
          errors: number;
          errorRatio: number;
          p99Ms: number | null;
          via: string[];
          tracedSpans: number;
        }
      >();
      const edgeOf = (caller: string, callee: string) => {
        const key = `${caller}\u0000${callee}`;
        let edge = edges.get(key);
        if (!edge)
          edges.set(
            key,
            (edge = { caller, callee, requests: 0, errors: 0, errorRatio: 0, p99Ms: null, via: [], tracedSpans: 0 }),
          );
        return edge;
      };
      for (const row of measured) {
        const edge = edgeOf(row.service, row.target);
        edge.requests += row.requests;
        edge.errors += row.errors;
        if (row.bounds && row.buckets) {
          const p99 = quantileFromBuckets(row.bounds, row.buckets, 0.99);
          if (p99 !== null) edge.p99Ms = Math.max(edge.p99Ms ?? 0, Math.round(p99 * 100_000) / 100);
        }
        if (!edge.via.includes('http')) edge.via.push('http');
      }
      for (const row of traced) {
        const edge = edgeOf(row.caller, row.callee);
        edge.tracedSpans += row.spans;
        if (!edge.via.includes(row.via)) edge.via.push(row.via);
      }
      for (const edge of edges.values()) edge.errorRatio = edge.requests === 0 ? 0 : edge.errors / edge.requests;
      return { minutes, edges: [...edges.values()] };
    },
  );

  app.get(
    `${PREFIX}/status`,
    { onRequest: admin, schema: { tags: ['status'], summary: 'What is kept, the limits, and how the last scrapes went' } },
    async () => {
      const counts = await store.counts();
      return {
        kept: { ...counts, oldest: counts.oldestUs === null ? null : iso(counts.oldestUs) },
        limits: deps.limits,
        pending: { spans: deps.spans.pending(), logs: deps.logs.pending() },
        tails: deps.tail.size(),
        scrapes: deps.scraper.status(),
      };
    },
  );
}

export type TraceSearchQuery = Static<typeof TraceSearch>;
