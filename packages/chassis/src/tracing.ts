// OpenTelemetry tracing set up by hand: a tracer provider with W3C trace
// context, AsyncLocalStorage context and OTLP/HTTP export when an endpoint is
// configured. Spans are made explicitly by the chassis (server, client, SQL)
// instead of by monkey-patching instrumentations, which under ESM need a
// loader hook and cost start-up time (see ARCHITECTURE.md).
//
// Sampling: a standard OTEL_TRACES_SAMPLER sampler (parent-based ratio in the
// devhost) decides at the root and the `traceparent` sampled flag carries the
// decision downstream, across HTTP and events. An unsampled request gets a
// non-recording span (its ids still reach logs and downstream calls) and no
// client or SQL spans. A failure is recorded anyway, as one late error span
// (recordUnsampledFailure below), so that errors are always traced.

import {
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Exception,
  type Link,
  type Span,
  type SpanKind,
  type Tracer,
} from '@opentelemetry/api';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { inspect } from 'node:util';
import type { ServiceTls } from './tls/service-tls.ts';
import { serverIdentityCheck } from './tls/spiffe.ts';
import './context.ts'; // installs the context manager
import type { SamplerName } from './config.ts';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SamplingDecision,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface TracingOptions {
  service: string;
  version: string;
  instance: string;
  /** Extra exporter, e.g. an in-memory one in tests. Spans are exported synchronously to it. */
  exporter?: SpanExporter;
  /** Which traces are recorded; every one when unset (parentbased_always_on, the OpenTelemetry default). */
  sampling?: SamplingOptions;
}

export interface SamplingOptions {
  sampler: SamplerName;
  /** OTEL_TRACES_SAMPLER_ARG: the share of root traces the *traceidratio samplers record, 0..1. */
  ratio: number;
}

export interface Tracing {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

/**
 * The OTLP export, attached once the instance's certificate is loaded (an https: endpoint is called by
 * mutual TLS): until then, and without an endpoint, recorded spans go nowhere but to `exporter`.
 */
class LateExport implements SpanProcessor {
  private inner: SpanProcessor | undefined;
  attach(processor: SpanProcessor): boolean {
    if (this.inner) return false;
    this.inner = processor;
    return true;
  }
  onStart(span: Parameters<SpanProcessor['onStart']>[0], parent: Context): void {
    this.inner?.onStart(span, parent);
  }
  onEnd(span: Parameters<SpanProcessor['onEnd']>[0]): void {
    this.inner?.onEnd(span);
  }
  forceFlush(): Promise<void> {
    return this.inner?.forceFlush() ?? Promise.resolve();
  }
  shutdown(): Promise<void> {
    return this.inner?.shutdown() ?? Promise.resolve();
  }
}

let propagatorInstalled = false;
let provider: BasicTracerProvider | undefined;
const lateExport = new LateExport();

/**
 * Installs the process-wide tracer provider once. Several services started in
 * one test process share it; the first one's resource names the spans.
 */
export function initTracing(options: TracingOptions): Tracing {
  if (!propagatorInstalled) {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    propagatorInstalled = true;
  }
  if (!provider) {
    const spanProcessors: SpanProcessor[] = [lateExport];
    if (options.exporter) spanProcessors.push(new SimpleSpanProcessor(options.exporter));
    provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: options.service,
        [ATTR_SERVICE_VERSION]: options.version,
        'service.instance.id': options.instance,
      }),
      spanProcessors,
      sampler: buildSampler(options.sampling ?? { sampler: 'parentbased_always_on', ratio: 1 }),
    });
    trace.setGlobalTracerProvider(provider);
  }
  const tracer = trace.getTracer(`souk-${options.service}`, options.version);
  return {
    tracer,
    async shutdown() {
      await provider?.forceFlush();
    },
  };
}

export interface OtlpExportOptions {
  /** OTLP/HTTP base endpoint (OTEL_EXPORTER_OTLP_ENDPOINT), e.g. https://127.0.0.1:4318; spans go to /v1/traces. */
  endpoint: string;
  /** The instance's certificate: an https: endpoint is then called by mutual TLS, and must prove to be `service`. */
  tls?: ServiceTls | undefined;
  /** The service the endpoint's certificate names (its SPIFFE id): the telemetry service, or a collector. */
  service: string;
}

/**
 * Starts exporting recorded spans with the OpenTelemetry SDK's own OTLP/HTTP exporter (JSON), in batches.
 * Over https with a certificate, each new connection presents the instance's current certificate (it
 * rotates) and accepts only one naming `service`. Once per process: several services started in one test
 * process share the first one's export.
 */
export function startOtlpExport(options: OtlpExportOptions): void {
  const url = `${options.endpoint.replace(/\/$/, '')}/v1/traces`;
  const { tls } = options;
  const exporter = new OTLPTraceExporter({
    url,
    ...(tls && url.startsWith('https:') ? { httpAgentOptions: () => meshAgent(tls, options.service) } : {}),
  });
  if (!lateExport.attach(new BatchSpanProcessor(exporter))) void exporter.shutdown();
}

/** An https agent whose every new connection carries the current certificate and checks the server's SPIFFE id. */
function meshAgent(tls: ServiceTls, service: string): HttpsAgent {
  const checkServerIdentity = serverIdentityCheck(service);
  return new (class extends HttpsAgent {
    override createConnection(
      options: RequestOptions,
      callback?: (err: Error | null, socket: Duplex) => void,
    ): Duplex | null | undefined {
      return super.createConnection(
        { ...options, secureContext: tls.clientContext(), checkServerIdentity } as RequestOptions,
        callback,
      );
    }
  })({ keepAlive: true, maxSockets: 2 });
}

/** Set in the context of a span that must be recorded whatever the sampler decides (a late error span). */
const FORCE_RECORD = createContextKey('souk.tracing.force-record');
const RECORD: SamplingResult = { decision: SamplingDecision.RECORD_AND_SAMPLED };
/** Set in the context of work that is never traced, whatever the sampler says: scrapes and probes. */
const NEVER_RECORD = createContextKey('souk.tracing.never-record');
const DROP: SamplingResult = { decision: SamplingDecision.NOT_RECORD };
/** The parent context of a request nobody wants a trace of (a metrics scrape, a health probe): its span is non-recording. */
export const UNTRACED: Context = ROOT_CONTEXT.setValue(NEVER_RECORD, true);

/** The configured sampler, which lets a late error span through (see recordUnsampledFailure). */
export function buildSampler(options: SamplingOptions): Sampler {
  const ratio = new TraceIdRatioBasedSampler(options.ratio);
  const inner: Sampler = {
    always_on: new AlwaysOnSampler(),
    always_off: new AlwaysOffSampler(),
    traceidratio: ratio,
    parentbased_always_on: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    parentbased_always_off: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    parentbased_traceidratio: new ParentBasedSampler({ root: ratio }),
  }[options.sampler];
  return {
    shouldSample(ctx: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]) {
      if (ctx.getValue(FORCE_RECORD) === true) return RECORD;
      if (ctx.getValue(NEVER_RECORD) === true) return DROP;
      return inner.shouldSample(ctx, traceId, name, kind, attributes, links);
    },
    toString: () => `Souk{${inner.toString()}}`,
  };
}

export interface UnsampledFailure {
  kind: SpanKind;
  /** When the work began (ms since the epoch); it ends now. */
  startTime: number;
  attributes: Attributes;
  /** What went wrong, when there is an exception to record. */
  error?: unknown;
  /** The span's status message (e.g. the problem code). */
  message?: string;
}

/**
 * Errors are always traced: work that failed under a span the sampler did not
 * record (`unsampled`) is recorded after the fact as one span, in the same
 * trace, a child of the unrecorded span (whose id the logs and the response
 * carry), marked `souk.trace.late: true`. What ran inside it (client calls,
 * SQL) was not recorded and is not in it; its log lines carry the trace id.
 * No-op when `unsampled` was recorded after all.
 */
export function recordUnsampledFailure(tracer: Tracer, unsampled: Span, name: string, failure: UnsampledFailure): void {
  if (unsampled.isRecording()) return;
  const parent = trace.setSpan(ROOT_CONTEXT, unsampled).setValue(FORCE_RECORD, true);
  const span = tracer.startSpan(
    name,
    { kind: failure.kind, startTime: failure.startTime, attributes: { ...failure.attributes, 'souk.trace.late': true } },
    parent,
  );
  if (failure.error !== undefined) span.recordException(asException(failure.error));
  span.setStatus({ code: SpanStatusCode.ERROR, ...(failure.message ? { message: failure.message } : {}) });
  span.end();
}

/** What `recordException` takes, from whatever was thrown. */
export function asException(err: unknown): Exception {
  if (err instanceof Error) return err;
  return { message: typeof err === 'string' ? err : inspect(err, { depth: 2, breakLength: Infinity }) };
}

/** Whether the current context's span is recorded (SQL and other child spans are made only then). */
export function activeSpanRecording(): boolean {
  return trace.getSpan(context.active())?.isRecording() === true;
}
