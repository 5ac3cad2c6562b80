// What the console's queries cost with a day of data: telemetry's store (platform/telemetry/src/store.ts)
// loaded with an hour of a busy shop (a 24th of the traces and log lines), every query the console sends
// timed, then loaded up to the whole day (100,000 traces of ten spans, 500,000 log lines) and timed again,
// side by side. An index that a query misses shows as a day/hour ratio far above 1. Run with
// `npm run bench:telemetry-queries` (needs PostgreSQL on 127.0.0.1:5432 or SOUK_TEST_DATABASE_URL; uses a
// temporary database); `npm run bench` runs it with the others.

import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { defineService, startService } from '@souk/chassis';
import { createTestDatabase } from '@souk/chassis/testing';
import { migrations } from '../../platform/telemetry/migrations/index.ts';
import type { LogRecord } from '../../platform/telemetry/src/log-lines.ts';
import type { SpanRecord } from '../../platform/telemetry/src/model.ts';
import { createStore, type TelemetryStore } from '../../platform/telemetry/src/store.ts';
import { isMain, log, runStandalone, type BenchResult, type TableRow } from '../report.ts';
import { positive } from '../settings.ts';

export interface TelemetryQuerySettings {
  /** Traces in the day (ten spans each); the hour holds a 24th of them. */
  traces: number;
  /** Log lines per trace. */
  linesPerTrace: number;
  /** Timings per query; the median is shown. */
  runs: number;
}

export const telemetryQuerySettings = (): TelemetryQuerySettings => ({
  traces: positive('BENCH_TRACES', 100_000),
  linesPerTrace: positive('BENCH_LINES_PER_TRACE', 5),
  runs: positive('BENCH_RUNS', 5),
});

export const TELEMETRY_QUERIES_SMOKE: TelemetryQuerySettings = { traces: 960, linesPerTrace: 5, runs: 1 };

const DAY_US = 24 * 3600 * 1_000_000;
const SERVICES = ['gateway', 'orders', 'cart', 'inventory', 'payments', 'payment-provider', 'shipping', 'notifications'];
const ROUTES = ['/api/v1/orders', '/api/v1/cart/items', '/api/v1/catalog/products', '/api/v1/orders/:id', '/api/v1/shipments'];
const SPANS_PER_TRACE = 10;
/** Rows per insert: what telemetry's group writer sends at most (MAX_BATCH). */
const BATCH = 5_000;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A deterministic stream of numbers in [0, 1), so two runs load the same shapes. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** One checkout-like trace at `startUs`: a server span at the gateway and nine beneath it; 1 in 100 fails. */
function traceAt(startUs: number, next: () => number): { spans: SpanRecord[]; lines: (n: number) => LogRecord[] } {
  const traceId = hex(16);
  const failed = next() < 0.01;
  const route = ROUTES[Math.floor(next() * ROUTES.length)]!;
  const rootId = hex(8);
  const total = Math.round(2_000 + next() * 200_000);
  const spans: SpanRecord[] = [];
  for (let i = 0; i < SPANS_PER_TRACE; i++) {
    const service = i === 0 ? 'gateway' : SERVICES[1 + ((i - 1) % (SERVICES.length - 1))]!;
    const error = failed && i === SPANS_PER_TRACE - 1;
    spans.push({
      traceId,
      spanId: i === 0 ? rootId : hex(8),
      parentSpanId: i === 0 ? null : rootId,
      service,
      instance: `${service}-1`,
      name: i === 0 ? `POST ${route}` : `${i % 2 ? 'POST' : 'GET'} ${service}`,
      kind: i === 0 ? 2 : i % 2 ? 3 : 2,
      startUs: startUs + i * 100,
      durationUs: i === 0 ? total : Math.round(total / (i + 1)),
      statusCode: error ? 2 : 0,
      statusMessage: error ? 'SOUK_CLIENT_CONNECTION_FAILED' : null,
      attributes: { 'http.route': route, 'http.response.status_code': error ? 503 : 200 },
      events: [],
      links: [],
      scope: '@souk/chassis',
    });
  }
  const lines = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      const service = spans[i % spans.length]!.service;
      const level = failed && i === n - 1 ? 50 : next() < 0.02 ? 40 : 30;
      const msg = level === 50 ? 'payment authorization failed' : level === 40 ? 'slow request' : `request completed ${route}`;
      return {
        timeUs: startUs + i * 50,
        service,
        instance: `${service}-1`,
        level,
        msg,
        traceId,
        spanId: spans[i % spans.length]!.spanId,
        line: JSON.stringify({ level, time: Math.floor((startUs + i * 50) / 1000), msg, trace_id: traceId, route }),
      };
    });
  return { spans, lines };
}

/** Loads traces `from` (inclusive) to `to` (exclusive) of the day, spread evenly over it, in group-writer batches. */
async function load(
  store: TelemetryStore,
  dayStartUs: number,
  total: number,
  from: number,
  to: number,
  linesPerTrace: number,
  next: () => number,
): Promise<{ sampleTraceId: string }> {
  let spans: SpanRecord[] = [];
  let lines: LogRecord[] = [];
  let sampleTraceId = '';
  for (let t = from; t < to; t++) {
    // The newest traces first in time order: trace t of `total` sits at its share of the day.
    const trace = traceAt(dayStartUs + Math.floor((t / total) * DAY_US), next);
    sampleTraceId = trace.spans[0]!.traceId;
    spans.push(...trace.spans);
    lines.push(...trace.lines(linesPerTrace));
    if (spans.length >= BATCH) {
      await store.insertSpans(spans);
      spans = [];
    }
    if (lines.length >= BATCH) {
      await store.insertLogs(lines);
      lines = [];
    }
    if ((t + 1) % 20_000 === 0) log(`  telemetry-queries: ${t + 1} of ${to} traces loaded`);
  }
  await store.insertSpans(spans);
  await store.insertLogs(lines);
  return { sampleTraceId };
}

export async function telemetryQueriesBench(settings: TelemetryQuerySettings = telemetryQuerySettings()): Promise<BenchResult> {
  const started = performance.now();
  const database = await createTestDatabase('bench_telemetry_queries');
  const host = await startService(defineService({ name: 'bench-telemetry', version: '0.0.0', migrations, setup() {} }), {
    env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
  });
  try {
    const store = createStore(host.ctx.db);
    const next = random(42);
    // The day ends now: "the last 5 minutes" and "newest first" read its end, as the console does.
    const dayStartUs = Date.now() * 1000 - DAY_US;
    const nowUs = dayStartUs + DAY_US;
    const hour = Math.ceil(settings.traces / 24);
    // The hour is the day's last: loaded first, timed, then the 23 hours before it go in.
    const { sampleTraceId } = await load(
      store,
      dayStartUs,
      settings.traces,
      settings.traces - hour,
      settings.traces,
      settings.linesPerTrace,
      next,
    );

    const queries: { name: string; run: () => Promise<unknown> }[] = [
      { name: 'newest 50 traces', run: () => store.searchTraces({ limit: 50 }) },
      {
        name: "a service's traces with errors",
        run: () => store.searchTraces({ service: 'payments', errorsOnly: true, limit: 50 }),
      },
      {
        name: "a route's traces over 100 ms",
        run: () => store.searchTraces({ route: '/api/v1/orders', minDurationUs: 100_000, limit: 50 }),
      },
      { name: 'one trace (10 spans)', run: () => store.trace(sampleTraceId) },
      { name: 'newest 100 log lines', run: () => store.searchLogs({ limit: 100 }) },
      { name: 'log text search', run: () => store.searchLogs({ text: 'authorization failed', limit: 100 }) },
      { name: "a trace's log lines", run: () => store.searchLogs({ traceId: sampleTraceId, limit: 100 }) },
      { name: "a service's errors", run: () => store.searchLogs({ service: 'payments', minLevel: 50, limit: 100 }) },
      { name: 'warnings and worse, every service', run: () => store.searchLogs({ minLevel: 40, limit: 100 }) },
      { name: 'trace edges of 5 minutes', run: () => store.traceEdges(nowUs - 5 * 60 * 1_000_000) },
    ];
    const time = async () => {
      const out = new Map<string, number>();
      for (const q of queries) {
        await q.run(); // warm: plan cached, pages read once
        const ms: number[] = [];
        for (let i = 0; i < settings.runs; i++) {
          const t0 = performance.now();
          await q.run();
          ms.push(performance.now() - t0);
        }
        out.set(q.name, median(ms));
      }
      return out;
    };
    // Fresh planner statistics, as autovacuum would have them after an hour, then after a day.
    await sql`analyze`.execute(host.ctx.db);
    const hourly = await time();
    log(`  telemetry-queries: an hour timed; loading the other ${settings.traces - hour} traces`);
    const loadStarted = performance.now();
    await load(store, dayStartUs, settings.traces, 0, settings.traces - hour, settings.linesPerTrace, next);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    await sql`analyze`.execute(host.ctx.db);
    const daily = await time();
    const counts = await store.counts();

    const rows: TableRow[] = queries.map((q) => {
      const h = hourly.get(q.name)!;
      const d = daily.get(q.name)!;
      return { name: q.name, values: [h, d, h > 0 ? d / h : null] };
    });
    return {
      name: 'telemetry-queries',
      title: `The console's queries with an hour of data, then a day (${counts.traces} traces, ${counts.spans} spans, ${counts.logs} log lines)`,
      settings: { ...settings },
      tables: [
        {
          title: `Median of ${settings.runs} per query`,
          columns: [
            { name: 'an hour', unit: 'ms' },
            { name: 'a day', unit: 'ms' },
            { name: 'day / hour', unit: 'x' },
          ],
          rows,
        },
        {
          title: 'Loading',
          columns: [
            { name: 'spans', unit: 'count' },
            { name: 'log lines', unit: 'count' },
            { name: 'rows per second', unit: 'rows/s' },
          ],
          rows: [
            {
              name: 'the 23 hours before the last',
              values: [counts.spans, counts.logs, ((counts.spans + counts.logs) * (1 - 1 / 24)) / loadSeconds],
            },
          ],
        },
      ],
      notes: [
        'Each query is what the console sends (platform/telemetry/src/routes.ts calls the same store functions), run once to warm, then timed; the store after ANALYZE.',
        'The hour is the day’s last: newest-first queries read the same rows both times, so a day/hour ratio near 1 means the indexes find them without scanning the rest.',
      ],
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await host.stop();
    await database.drop();
  }
}

if (isMain(import.meta.url)) await runStandalone(() => telemetryQueriesBench());
