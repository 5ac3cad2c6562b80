// Wraps the raw HTTP server's request handler: one SERVER span per request
// (parented by an incoming `traceparent`), a request id, the request context,
// and the RED metrics. Working below Fastify means every response is counted,
// including ones Fastify's router never sees and the gateway's proxied ones.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { runWithRequestContext } from '../context.ts';
import type { HttpServerMetrics } from '../metrics.ts';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The route template a request matched, set by whoever routes it (Fastify's onRequest, the gateway's table). */
const ROUTE = Symbol('souk.route');
type Routed = ServerResponse & { [ROUTE]?: string; souk_span?: Span };

/** Names the span and the metrics label after the matched route template (low cardinality). */
export function setRoute(res: ServerResponse, route: string): void {
  const routed = res as Routed;
  routed[ROUTE] = route;
  routed.souk_span?.updateName(`${res.req.method} ${route}`);
}

/**
 * @param intercept - takes a request before `handler` (the gateway's proxy);
 *   returns true when it handled it. It runs in the request's context but its
 *   streams are not bound to it: binding costs ~5 µs per request, and code
 *   that wants the context in stream callbacks must carry it itself.
 */
export function instrumentHandler(
  handler: RequestHandler,
  tracer: Tracer,
  metrics: HttpServerMetrics,
  intercept?: (req: Parameters<RequestHandler>[0], res: Parameters<RequestHandler>[1]) => boolean,
): RequestHandler {
  return (req, res) => {
    const method = req.method ?? 'GET';
    const started = process.hrtime.bigint();
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.headers['x-request-id'] = requestId;
    res.setHeader('x-request-id', requestId);

    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': method, 'url.path': (req.url ?? '/').split('?')[0], 'souk.request_id': requestId },
      },
      parent,
    );
    (res as Routed).souk_span = span;
    metrics.active.inc({ http_request_method: method });

    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const status = res.writableFinished ? res.statusCode : 499; // 499: the client went away first
      const route = (res as Routed)[ROUTE] ?? 'unmatched';
      span.setAttribute('http.response.status_code', status);
      span.setAttribute('http.route', route);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      metrics.active.dec({ http_request_method: method });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.duration.observe(
        { http_request_method: method, http_route: route, http_response_status_code: String(status) },
        seconds,
      );
    };
    res.once('finish', finish);
    res.once('close', finish);

    const authorization = req.headers.authorization;
    context.with(trace.setSpan(parent, span), () =>
      runWithRequestContext({ requestId, ...(authorization ? { authorization } : {}) }, () => {
        if (intercept?.(req, res)) return;
        const ctx = context.active();
        // Stream events (body chunks, 'end') fire from the socket's context; binding keeps ours.
        context.bind(ctx, req);
        context.bind(ctx, res);
        handler(req, res);
      }),
    );
  };
}
