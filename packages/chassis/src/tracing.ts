// OpenTelemetry tracing set up by hand: a tracer provider with W3C trace
// context, AsyncLocalStorage context and OTLP/HTTP export when an endpoint is
// configured. Spans are made explicitly by the chassis (server, client, SQL)
// instead of by monkey-patching instrumentations, which under ESM need a
// loader hook and cost start-up time (see ARCHITECTURE.md).

import { propagation, trace, type Tracer } from '@opentelemetry/api';
import './context.ts'; // installs the context manager
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface TracingOptions {
  service: string;
  version: string;
  instance: string;
  /** OTLP/HTTP base endpoint, e.g. http://127.0.0.1:4318; spans are only recorded locally when unset. */
  otlpEndpoint?: string;
  /** Extra exporter, e.g. an in-memory one in tests. Spans are exported synchronously to it. */
  exporter?: SpanExporter;
}

export interface Tracing {
  tracer: Tracer;
  shutdown(): Promise<void>;
}

let propagatorInstalled = false;
let provider: BasicTracerProvider | undefined;

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
    const spanProcessors: SpanProcessor[] = [];
    if (options.otlpEndpoint) {
      const url = `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces`;
      spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
    }
    if (options.exporter) spanProcessors.push(new SimpleSpanProcessor(options.exporter));
    provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: options.service,
        [ATTR_SERVICE_VERSION]: options.version,
        'service.instance.id': options.instance,
      }),
      spanProcessors,
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
