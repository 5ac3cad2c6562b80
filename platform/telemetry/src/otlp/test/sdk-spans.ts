// Real spans from the OpenTelemetry SDK, with fixed ids and times, and the SpanRecords they must decode to:
// two resources (one without service.name), three scopes, every span kind the API has, parent and child,
// an error status, events, a link, and attributes of every type the API allows.

import { context, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanRecord } from '../../model.ts';

export const TRACE_1 = '0af7651916cd43dd8448eb211c80319c';
export const TRACE_2 = '4bf92f3577b34da6a3ce929d0e0e4736';
export const TRACE_3 = 'c2d6a9b1e5f3478d9a0b1c2d3e4f5a6b';
export const LINKED_TRACE = '5b8efff798038103d269b633813fc60c';
export const LINKED_SPAN = 'eee19b7ec3c1b174';
const SPAN_IDS = [
  'b7ad6b7169203331',
  '00f067aa0ba902b7',
  '53995c3f42cd8ad8',
  'a2fb4a1d1a96d312',
  '6e0c63257de34c92',
  '1f2e3d4c5b6a7988',
];
const TRACE_IDS = [TRACE_1, TRACE_2, TRACE_3];

export interface RecordedSpans {
  spans: ReadableSpan[];
  expected: SpanRecord[];
}

/** Records the spans (in the order the serializers write them: by resource, then scope) and what they decode to. */
export async function recordSpans(): Promise<RecordedSpans> {
  const exporter = new InMemorySpanExporter();
  let traces = 0;
  let spans = 0;
  const idGenerator = {
    generateTraceId: () => TRACE_IDS[traces++]!,
    generateSpanId: () => SPAN_IDS[spans++]!,
  };
  const cart = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'cart', 'service.instance.id': 'cart-7f9c', 'host.name': 'devhost' }),
    idGenerator,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const anonymous = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'deployment.environment.name': 'test' }),
    idGenerator,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });

  const http = cart.getTracer('souk.http', '1.0.0');
  const server = http.startSpan('GET /cart/:id', {
    kind: SpanKind.SERVER,
    startTime: [1_700_000_000, 123_456_789],
    attributes: {
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'app.ratio': 0.25,
      'app.cached': false,
      'app.empty': '',
      'app.delta': -42,
      'app.big': 2 ** 40,
      'app.tags': ['a', 'b'],
      'app.sizes': [1, 2, 3],
      'app.weights': [1.5, -2.25],
      'app.flags': [true, false],
    },
  });
  const query = http.startSpan(
    'SELECT carts',
    {
      kind: SpanKind.CLIENT,
      startTime: [1_700_000_000, 150_000_000],
      links: [
        {
          context: { traceId: LINKED_TRACE, spanId: LINKED_SPAN, traceFlags: TraceFlags.SAMPLED },
          attributes: { 'link.reason': 'retry of' },
        },
      ],
    },
    trace.setSpan(context.active(), server),
  );
  query.addEvent(
    'exception',
    { 'exception.type': 'Error', 'exception.message': 'connection reset' },
    [1_700_000_000, 170_000_500],
  );
  query.setStatus({ code: SpanStatusCode.ERROR, message: 'connection reset' });
  query.end([1_700_000_000, 180_000_000]);
  server.setStatus({ code: SpanStatusCode.OK });
  server.end([1_700_000_000, 223_456_999]);

  const events = cart.getTracer('souk.events');
  const publish = events.startSpan('publish CartUpdated', { kind: SpanKind.PRODUCER, startTime: [1_700_000_001, 0] });
  const consume = events.startSpan(
    'process CartUpdated',
    { kind: SpanKind.CONSUMER, startTime: [1_700_000_001, 2_000_000] },
    trace.setSpan(context.active(), publish),
  );
  const apply = events.startSpan('apply', { startTime: [1_700_000_001, 3_000_000] }, trace.setSpan(context.active(), consume));
  apply.addEvent('cache miss', [1_700_000_001, 3_500_000]);
  apply.end([1_700_000_001, 4_000_999]);
  consume.end([1_700_000_001, 9_000_000]);
  publish.end([1_700_000_001, 500_000]);

  const sweep = anonymous.getTracer('souk.jobs').startSpan('sweep', { startTime: [1_700_000_002, 0] });
  sweep.end([1_700_000_003, 0]);

  await cart.forceFlush();
  await anonymous.forceFlush();
  // Before shutdown, which empties the in-memory exporter.
  const finished = exporter.getFinishedSpans();
  await cart.shutdown();
  await anonymous.shutdown();

  const cartSpan = { service: 'cart', instance: 'cart-7f9c', events: [], links: [], attributes: {}, statusMessage: null };
  const expected: SpanRecord[] = [
    {
      ...cartSpan,
      traceId: TRACE_1,
      spanId: SPAN_IDS[1]!,
      parentSpanId: SPAN_IDS[0]!,
      name: 'SELECT carts',
      kind: 3,
      startUs: 1_700_000_000_150_000,
      durationUs: 30_000,
      statusCode: 2,
      statusMessage: 'connection reset',
      events: [
        {
          name: 'exception',
          timeUs: 1_700_000_000_170_000,
          attributes: { 'exception.type': 'Error', 'exception.message': 'connection reset' },
        },
      ],
      links: [{ traceId: LINKED_TRACE, spanId: LINKED_SPAN, attributes: { 'link.reason': 'retry of' } }],
      scope: 'souk.http',
    },
    {
      ...cartSpan,
      traceId: TRACE_1,
      spanId: SPAN_IDS[0]!,
      parentSpanId: null,
      name: 'GET /cart/:id',
      kind: 2,
      startUs: 1_700_000_000_123_456,
      durationUs: 100_000,
      statusCode: 1,
      attributes: {
        'http.request.method': 'GET',
        'http.response.status_code': 200,
        'app.ratio': 0.25,
        'app.cached': false,
        'app.empty': '',
        'app.delta': -42,
        'app.big': 2 ** 40,
        'app.tags': ['a', 'b'],
        'app.sizes': [1, 2, 3],
        'app.weights': [1.5, -2.25],
        'app.flags': [true, false],
      },
      scope: 'souk.http',
    },
    {
      ...cartSpan,
      traceId: TRACE_2,
      spanId: SPAN_IDS[4]!,
      parentSpanId: SPAN_IDS[3]!,
      name: 'apply',
      kind: 1,
      startUs: 1_700_000_001_003_000,
      durationUs: 1_000,
      statusCode: 0,
      events: [{ name: 'cache miss', timeUs: 1_700_000_001_003_500, attributes: {} }],
      scope: 'souk.events',
    },
    {
      ...cartSpan,
      traceId: TRACE_2,
      spanId: SPAN_IDS[3]!,
      parentSpanId: SPAN_IDS[2]!,
      name: 'process CartUpdated',
      kind: 5,
      startUs: 1_700_000_001_002_000,
      durationUs: 7_000,
      statusCode: 0,
      scope: 'souk.events',
    },
    {
      ...cartSpan,
      traceId: TRACE_2,
      spanId: SPAN_IDS[2]!,
      parentSpanId: null,
      name: 'publish CartUpdated',
      kind: 4,
      startUs: 1_700_000_001_000_000,
      durationUs: 500,
      statusCode: 0,
      scope: 'souk.events',
    },
    {
      ...cartSpan,
      service: 'unknown_service',
      instance: null,
      traceId: TRACE_3,
      spanId: SPAN_IDS[5]!,
      parentSpanId: null,
      name: 'sweep',
      kind: 1,
      startUs: 1_700_000_002_000_000,
      durationUs: 1_000_000,
      statusCode: 0,
      scope: 'souk.jobs',
    },
  ];
  return { spans: finished, expected };
}
