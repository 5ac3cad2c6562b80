// One HTTP attempt against one instance: keep-alive pool per instance, a
// CLIENT span with W3C trace context injected, the duration metric, and the
// answer turned into a response or a typed souk error.

import { context, propagation, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { Histogram, type Registry } from 'prom-client';
import { chassisErrors, fromProblem } from '../errors/index.ts';
import type { ServiceInstance } from '../discovery/types.ts';
import { markFailure, transportFailure } from './failures.ts';
import type { ServiceResponse } from './types.ts';
import { DURATION_BUCKETS } from '../metrics.ts';
import { RETRYABLE_STATUSES } from './failures.ts';
import type { InstancePools } from './instance-pools.ts';

/** A request ready to send: method upper-cased, query in the path, body serialised. */
export interface PreparedRequest {
  method: string;
  /** Path and query, starting with `/`. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Statuses that say "not now, maybe elsewhere" rather than "this request is wrong". */

export type DurationHistogram = Histogram<'service' | 'http_request_method' | 'http_response_status_code' | 'error_type'>;

/** The client duration histogram, shared by every client on the same registry. */
export function clientDurationHistogram(metrics?: Registry): DurationHistogram {
  const name = 'http_client_request_duration_seconds';
  return (
    (metrics?.getSingleMetric(name) as DurationHistogram | undefined) ??
    new Histogram({
      name,
      help: 'Duration of outgoing HTTP requests (one per attempt), by called service.',
      labelNames: ['service', 'http_request_method', 'http_response_status_code', 'error_type'],
      buckets: DURATION_BUCKETS,
      registers: metrics ? [metrics] : [],
    })
  );
}

const CLIENT_SPAN = { kind: SpanKind.CLIENT } as const;

export interface AttemptDeps {
  service: string;
  pools: InstancePools;
  tracer: Tracer;
  duration: DurationHistogram;
}

/** Sends `req` to `instance` once; throws a souk error (tagged with its failure kind) on any failure. */
export async function sendAttempt(
  deps: AttemptDeps,
  instance: ServiceInstance,
  req: PreparedRequest,
  signal: AbortSignal,
): Promise<ServiceResponse<unknown>> {
  const { service } = deps;
  const { pool, basePath } = deps.pools.target(instance.url);
  // Under an unsampled caller the span does not record: no URL is parsed and no attributes are built for it.
  const span = deps.tracer.startSpan(req.method, CLIENT_SPAN);
  if (span.isRecording()) {
    const url = new URL(basePath + req.path, instance.url);
    span.setAttributes({
      'http.request.method': req.method,
      'url.full': url.href,
      'server.address': url.hostname,
      'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
      'peer.service': service,
      'souk.instance_id': instance.instanceId,
    });
  }
  // Headers are per attempt: each attempt is its own span, so its own traceparent.
  const headers = { ...req.headers };
  propagation.inject(trace.setSpan(context.active(), span), headers);
  const started = performance.now();
  let status = '';
  let errorType = '';
  try {
    const res = await pool.request({
      method: req.method,
      path: basePath + req.path,
      headers,
      signal,
      ...(req.body === undefined ? {} : { body: req.body }),
    });
    status = String(res.statusCode);
    span.setAttribute('http.response.status_code', res.statusCode);
    const text = await res.body.text();
    const responseHeaders = flattenHeaders(res.headers);
    const isJson = /\bjson\b/i.test(responseHeaders['content-type'] ?? '');
    if (res.statusCode >= 400) {
      const doc = isJson ? parseJson(text) : undefined;
      const err = fromProblem(doc, res.statusCode, service, responseHeaders['retry-after']);
      throw markFailure(err, RETRYABLE_STATUSES.has(res.statusCode) ? 'status' : 'final');
    }
    let body: unknown = text === '' ? undefined : text;
    if (isJson && text !== '') {
      body = parseJson(text);
      if (body === undefined) {
        throw markFailure(
          chassisErrors.upstreamError({ detail: `${service} answered malformed JSON`, extensions: { service } }),
          'final',
        );
      }
    }
    return { status: res.statusCode, headers: responseHeaders, body };
  } catch (err) {
    const failure = transportFailure(err, service, signal.aborted);
    errorType = status || failure.code;
    span.recordException(failure);
    span.setAttribute('error.type', errorType);
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure.code });
    throw failure;
  } finally {
    span.end();
    deps.duration.observe(
      { service, http_request_method: req.method, http_response_status_code: status, error_type: errorType },
      (performance.now() - started) / 1000,
    );
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
