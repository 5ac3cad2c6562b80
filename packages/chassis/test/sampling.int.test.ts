// Sampling across two services in one process (they share the tracer provider,
// set up here first with an in-memory exporter): new traces are never sampled
// (ratio 0), so what is recorded is what a sampled parent asked for, or a
// failure. A front service calls the notes service, which queries its table.

import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { sql } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { Type } from 'typebox';
import { defineService, startService, type RunningService } from '../src/index.ts';
import { call, createTestDatabase, waitFor, type TestDatabase } from '../src/testing/index.ts';
import { createDatabase } from '../src/db/database.ts';
import { initTracing } from '../src/tracing.ts';
import { notesService } from './notes-service.ts';

const exporter = new InMemorySpanExporter();
initTracing({
  service: 'sampling-test',
  version: '0.0.0',
  instance: 'sampling-test-1',
  exporter,
  sampling: { sampler: 'parentbased_traceidratio', ratio: 0 },
});

const frontService = defineService()({
  name: 'front',
  version: '0.0.1',
  setup(ctx) {
    ctx.app.get('/api/v1/front/:id', { schema: { params: Type.Object({ id: Type.String() }) } }, async (request) => {
      const res = await ctx.client('notes').request({ method: 'GET', path: `/api/v1/notes/${request.params.id}` });
      return res.body;
    });
    ctx.app.get('/api/v1/front-bug', async () => {
      await ctx.client('notes').request({ method: 'GET', path: '/api/v1/bug' });
      return { unreachable: true };
    });
  },
});

let database: TestDatabase;
let notes: RunningService;
let front: RunningService;
let noteId: string;

before(async () => {
  database = await createTestDatabase('sampling');
  notes = await startService(notesService, { env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent' } });
  front = await startService(frontService, { env: { LOG_LEVEL: 'silent', STATIC_SERVICES: `notes=${notes.url}` } });
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>(`insert into notes (text, author) values ('hi', 'u1') returning id`);
    noteId = rows[0]!.id;
  } finally {
    await client.end();
  }
});

after(async () => {
  await front?.stop();
  await notes?.stop();
  await database?.drop();
});

beforeEach(() => exporter.reset());

const spansOf = (traceId: string): ReadableSpan[] =>
  exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);

function sampledParent(): { traceId: string; traceparent: string } {
  const traceId = crypto.randomUUID().replace(/-/g, '');
  return { traceId, traceparent: `00-${traceId}-b7ad6b7169203331-01` };
}

test('a sampled request is traced completely across both services, down to its SQL', async () => {
  const { traceId, traceparent } = sampledParent();
  const res = await call(front.url, 'GET', `/api/v1/front/${noteId}`, { headers: { traceparent } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.text, 'hi');

  const spans = await waitFor(
    () => {
      const ours = spansOf(traceId);
      return ours.some((s) => s.name === 'GET /api/v1/front/:id') && ours;
    },
    { what: "the front's server span" },
  );
  const byName = (name: string, kind: SpanKind) => {
    const found = spans.find((s) => s.name === name && s.kind === kind);
    assert.ok(found, `a ${SpanKind[kind]} span "${name}" in ${spans.map((s) => s.name).join(', ')}`);
    return found;
  };
  const frontServer = byName('GET /api/v1/front/:id', SpanKind.SERVER);
  const client = byName('GET', SpanKind.CLIENT);
  const notesServer = byName('GET /api/v1/notes/:id', SpanKind.SERVER);
  const query = byName('db SELECT', SpanKind.CLIENT);
  assert.equal(frontServer.parentSpanContext?.spanId, 'b7ad6b7169203331', "the caller's span is the parent");
  assert.equal(client.parentSpanContext?.spanId, frontServer.spanContext().spanId);
  assert.equal(client.attributes['peer.service'], 'notes');
  assert.equal(notesServer.parentSpanContext?.spanId, client.spanContext().spanId, 'the downstream server span continues it');
  assert.equal(query.parentSpanContext?.spanId, notesServer.spanContext().spanId);
  assert.match(String(query.attributes['db.query.text']), /from "notes"/);
  assert.ok(spans.every((s) => s.attributes['souk.trace.late'] === undefined));
});

test('an unsampled request that succeeds records no span at all, neither HTTP nor SQL', async () => {
  const res = await call(front.url, 'GET', `/api/v1/front/${noteId}`);
  assert.equal(res.status, 200, res.text);
  // A sampled request after it, waited for: the unsampled one's spans would have ended by then.
  const { traceId, traceparent } = sampledParent();
  assert.equal((await call(front.url, 'GET', `/api/v1/front/${noteId}`, { headers: { traceparent } })).status, 200);
  await waitFor(() => spansOf(traceId).some((s) => s.name === 'GET /api/v1/front/:id'), { what: 'the sampled trace' });
  const others = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId !== traceId);
  assert.deepEqual(
    others.map((s) => s.name),
    [],
  );
});

test('a caller that did not sample (traceparent flag 00) is followed downstream', async () => {
  const traceId = crypto.randomUUID().replace(/-/g, '');
  const res = await call(front.url, 'GET', `/api/v1/front/${noteId}`, {
    headers: { traceparent: `00-${traceId}-b7ad6b7169203331-00` },
  });
  assert.equal(res.status, 200, res.text);
  const { traceId: marker, traceparent } = sampledParent();
  assert.equal((await call(front.url, 'GET', `/api/v1/front/${noteId}`, { headers: { traceparent } })).status, 200);
  await waitFor(() => spansOf(marker).some((s) => s.name === 'GET /api/v1/front/:id'), { what: 'the sampled trace' });
  assert.deepEqual(spansOf(traceId), []);
});

test('a failing request is traced even though it was not sampled: one late error span per failing service', async () => {
  const res = await call(front.url, 'GET', '/api/v1/front-bug');
  assert.ok(res.status >= 500, `a 5xx, got ${res.status}`);
  const traceId = String(res.json.traceId);
  assert.match(traceId, /^[0-9a-f]{32}$/, 'the problem names the trace');

  const late = await waitFor(
    () => {
      const ours = spansOf(traceId);
      return ours.some((s) => s.name === 'GET /api/v1/front-bug') && ours.some((s) => s.name === 'GET /api/v1/bug') && ours;
    },
    { what: 'the late error spans of both services' },
  );
  for (const span of late) {
    assert.equal(span.attributes['souk.trace.late'], true);
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.status.code, SpanStatusCode.ERROR);
  }
  const failed = late.find((s) => s.name === 'GET /api/v1/bug')!;
  assert.equal(failed.attributes['http.response.status_code'], 500);
  assert.equal(failed.attributes['http.route'], '/api/v1/bug');
  const exception = failed.events.find((e) => e.name === 'exception');
  assert.equal(exception?.attributes?.['exception.message'], 'secret internals');
  const frontSpan = late.find((s) => s.name === 'GET /api/v1/front-bug')!;
  assert.equal(frontSpan.attributes['http.response.status_code'], res.status);
  assert.ok(
    late.every((s) => !s.name.startsWith('db ')),
    'what ran inside the unsampled request was not recorded',
  );
});

test('the SQL hook builds no span, and reads no SQL text, outside a recorded span', async () => {
  const tracer = trace.getTracer('sampling-test');
  let started = 0;
  const counting: Tracer = {
    startSpan: (...args: Parameters<Tracer['startSpan']>) => (started++, tracer.startSpan(...args)),
    startActiveSpan: tracer.startActiveSpan.bind(tracer),
  };
  const own = createDatabase({
    url: database.url,
    poolSize: 1,
    applicationName: 'sampling-test',
    tracer: counting,
    log: pino({ level: 'silent' }),
  });
  try {
    await sql`select 1`.execute(own.db); // background work: no span at all
    const unsampled = tracer.startSpan('unsampled'); // a new trace, and the ratio is 0
    assert.equal(unsampled.isRecording(), false);
    await context.with(trace.setSpan(context.active(), unsampled), () => sql`select 2`.execute(own.db));
    assert.equal(started, 0);

    const { traceparent } = sampledParent();
    const sampled = propagation.extract(ROOT_CONTEXT, { traceparent });
    const parent = tracer.startSpan('sampled', {}, sampled);
    assert.equal(parent.isRecording(), true);
    await context.with(trace.setSpan(sampled, parent), () => sql`select 3`.execute(own.db));
    parent.end();
    assert.equal(started, 1);
  } finally {
    await own.close();
  }
});
