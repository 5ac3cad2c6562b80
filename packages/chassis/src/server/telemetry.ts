// Wraps the raw HTTP server's request handler: one SERVER span per request
// (parented by an incoming `traceparent`, sampled as tracing.ts says), a
// request id, the request context, the RED metrics and the request log line.
// Working below Fastify means every response is counted and logged, including
// ones Fastify's router never sees and the gateway's proxied ones.

import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { Logger } from 'pino';
import { withRequestContext } from '../context.ts';
import type { HttpServerMetrics, InFlightCell } from '../metrics.ts';
import { asException, recordUnsampledFailure, UNTRACED } from '../tracing.ts';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The route template a request matched, set by whoever routes it (Fastify's onRequest, the gateway's table). */
const ROUTE = Symbol('souk.route');
/** Why a request failed (the exception behind a 5xx), for the late error span of an unsampled request. */
const FAILURE = Symbol('souk.failure');
/** The request's own record, until its response closes. */
const RECORD = Symbol('souk.request-record');
type Routed = ServerResponse & {
  [ROUTE]?: string;
  [FAILURE]?: { error: unknown; code?: string };
  [RECORD]?: RequestRecord | undefined;
  souk_span?: Span;
};

const SERVER_SPAN = { kind: SpanKind.SERVER } as const;

/** Routes held open on purpose (long polls: the event feed, the registry's and the config server's watches): never "slow". */
const LONG_POLL_ROUTES: ReadonlySet<string> = new Set(['/_events', '/api/v1/watch', '/api/v1/config/services/:service']);

const READINESS_ROUTE = '/health/ready';

/** /metrics and /health/* (with or without a query). */
function isUntraced(url: string | undefined): boolean {
  return url !== undefined && (url.startsWith('/health/') || url === '/metrics' || url.startsWith('/metrics?'));
}

/** Names the span and the metrics label after the matched route template (low cardinality). */
export function setRoute(res: ServerResponse, route: string): void {
  const routed = res as Routed;
  routed[ROUTE] = route;
  if (routed.souk_span?.isRecording()) routed.souk_span.updateName(`${res.req.method} ${route}`);
}

/** Notes the error behind a 5xx answer: recorded on the request's span, or on its late error span when unsampled. */
export function noteFailure(res: ServerResponse, error: unknown, code?: string): void {
  const routed = res as Routed;
  routed[FAILURE] = code === undefined ? { error } : { error, code };
  const span = routed.souk_span;
  if (span?.isRecording()) span.recordException(asException(error));
}

export interface TelemetryOptions {
  tracer: Tracer;
  metrics: HttpServerMetrics;
  log: Logger;
  /** A request taking longer is logged at info; every other successful one at debug. */
  slowRequestMs: number;
}

/**
 * @param intercept - takes a request before `handler` (the gateway's proxy);
 *   returns true when it handled it. It gets the request's trace context as an
 *   argument and runs outside it (no AsyncLocalStorage run, no request context,
 *   streams not bound): code that wants the context carries it itself. It
 *   answers with the request id itself (`req.headers['x-request-id']`, set
 *   here): a header set before it would send every header of its answer down
 *   `writeHead`'s slow path (one `setHeader` each).
 */
export function instrumentHandler(
  handler: RequestHandler,
  options: TelemetryOptions,
  intercept?: (req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1], context: Context) => boolean,
): RequestHandler {
  return (req, res) => {
    const method = req.method ?? 'GET';
    const started = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.headers['x-request-id'] = requestId;

    // The sampler decides before any attribute is built: an unsampled request gets a non-recording span
    // (its ids go to logs and downstream calls) and costs no attribute objects.
    // Scrapes and probes (every few seconds, from every scraper and supervisor) are never traced: they would
    // fill the trace store with /metrics and /health roots.
    const parent = isUntraced(req.url) ? UNTRACED : propagation.extract(ROOT_CONTEXT, req.headers);
    const span = options.tracer.startSpan(method, SERVER_SPAN, parent);
    if (span.isRecording()) {
      span.setAttributes({ 'http.request.method': method, 'url.path': pathOf(req.url), 'souk.request_id': requestId });
    }
    const routed = res as Routed;
    routed.souk_span = span;
    const inFlight = options.metrics.inFlight(method);
    inFlight.count++;
    // One listener, no closure: a response always emits 'close', after 'finish' when it was sent whole.
    routed[RECORD] = new RequestRecord(options, method, started, requestId, inFlight);
    res.on('close', onResponseClose);

    const active = trace.setSpan(parent, span);
    if (intercept?.(req, res, active)) return;
    res.setHeader('x-request-id', requestId);
    const authorization = req.headers.authorization;
    // One context for the request: its span and its request context, entered once.
    const ctx = withRequestContext(active, {
      requestId,
      ...(authorization ? { authorization } : {}),
    });
    context.with(ctx, () => {
      // Stream events (body chunks, 'end', 'finish') fire from the socket's context; these keep ours.
      emitIn(ctx, req);
      emitIn(ctx, res);
      handler(req, res);
    });
  };
}

/** What the end of a request needs to record it, kept on its response instead of in a closure per request. */
class RequestRecord {
  constructor(
    readonly options: TelemetryOptions,
    readonly method: string,
    readonly started: bigint,
    readonly requestId: string,
    readonly inFlight: InFlightCell,
  ) {}
}

function onResponseClose(this: ServerResponse): void {
  const res = this as Routed;
  const record = res[RECORD];
  if (!record) return;
  res[RECORD] = undefined;
  const { options, method, requestId } = record;
  const { tracer, metrics, log, slowRequestMs } = options;
  const span = res.souk_span!;
  const req = res.req;
  const status = res.writableFinished ? res.statusCode : 499; // 499: the client went away first
  const route = res[ROUTE] ?? 'unmatched';
  const elapsed = Number(process.hrtime.bigint() - record.started) / 1e6;
  if (span.isRecording()) {
    span.setAttribute('http.response.status_code', status);
    span.setAttribute('http.route', route);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  } else if (status >= 500) {
    const failure = res[FAILURE];
    recordUnsampledFailure(tracer, span, `${method} ${route}`, {
      kind: SpanKind.SERVER,
      startTime: Date.now() - elapsed,
      attributes: {
        'http.request.method': method,
        'url.path': pathOf(req.url),
        'http.route': route,
        'http.response.status_code': status,
        'souk.request_id': requestId,
      },
      ...(failure ? { error: failure.error } : {}),
      ...(failure?.code ? { message: failure.code } : {}),
    });
  }
  record.inFlight.count--;
  metrics.duration.observe(metrics.durationLabels(method, route, status), elapsed / 1000);
  // One line per request: debug, unless it failed (error) or was slow (info). The level is checked
  // first, so the usual request builds no log object. Trace ids are explicit: 'close' fires outside
  // the request's context.
  // "Not ready" from /health/ready is an answer, not a failure: every instance gives it while it starts.
  const failed = status >= 500 && !(status === 503 && route === READINESS_ROUTE);
  const level = failed ? 'error' : elapsed >= slowRequestMs && !LONG_POLL_ROUTES.has(route) ? 'info' : 'debug';
  if (log.isLevelEnabled(level)) {
    const { traceId, spanId } = span.spanContext();
    log[level](
      {
        request_id: requestId,
        trace_id: traceId,
        span_id: spanId,
        method,
        route,
        url: req.url,
        status,
        duration_ms: Math.round(elapsed),
        ...(level === 'info' ? { slow: true } : {}),
      },
      'request completed',
    );
  }
}

/**
 * Emits every event of `emitter` in `ctx`, so that its listeners run in it. `context.bind(ctx, emitter)`
 * does the same for the listeners added after it, by wrapping each one and keeping a map to remove
 * them by: per request, on a request and its response, that cost more than the rest of the
 * instrumentation (packages/chassis/src/bench/request-cost.ts; docs/performance.md). Here one wrapper
 * per emitter and one context switch per event. Node's own 'finish' listener on the response (added
 * before the handler runs) now runs in the context too: what it schedules carries the request's
 * context, as anything the request's code schedules does.
 */
export function emitIn(ctx: Context, emitter: EventEmitter): void {
  const emit = emitter.emit;
  emitter.emit = function emitInContext(this: EventEmitter, ...args: Parameters<EventEmitter['emit']>) {
    return context.with(ctx, () => emit.apply(this, args));
  };
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
