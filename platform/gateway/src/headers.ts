// Header handling at the edge: what goes upstream (hop-by-hop headers removed,
// X-Forwarded-* and the request id set) and what goes back to the client.

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/** RFC 9110 §7.6.1 connection-specific headers, plus ones a proxy must not pass on. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Request headers the gateway sets itself: the upstream's host comes from its
 * URL, the body length from the buffered body, `expect` was answered by the
 * gateway, and the forwarding and tracing headers are rewritten below.
 */
const REPLACED_UPSTREAM = new Set([
  'host',
  'content-length',
  'expect',
  'x-request-id',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'traceparent',
  'tracestate',
]);

/** Headers named by the Connection header are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionTokens(value: string | undefined): Set<string> | undefined {
  if (!value) return undefined;
  const lower = value.toLowerCase();
  // The usual values name no extra header; skip building a set for them.
  if (lower === 'keep-alive' || lower === 'close') return undefined;
  return new Set(
    lower
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  );
}

export interface ForwardingInfo {
  /** The request id the chassis accepted from the client or generated. */
  requestId: string;
  /** W3C trace context of the gateway's span, when tracing produced one. */
  traceparent?: string;
  tracestate?: string;
}

/**
 * The headers sent upstream, as undici's flat `[name, value, ...]` list (no
 * object to build, original casing and repeated headers kept).
 */
export function upstreamRequestHeaders(req: IncomingMessage, info: ForwardingInfo): string[] {
  const raw = req.rawHeaders;
  const extra = connectionTokens(req.headers.connection);
  const out: string[] = [];
  let forwardedFor: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-for') {
      forwardedFor = forwardedFor === undefined ? raw[i + 1]! : `${forwardedFor}, ${raw[i + 1]!}`;
      continue;
    }
    if (HOP_BY_HOP.has(lower) || REPLACED_UPSTREAM.has(lower) || extra?.has(lower)) continue;
    out.push(name, raw[i + 1]!);
  }
  const remote = req.socket.remoteAddress ?? 'unknown';
  out.push(
    'x-request-id',
    info.requestId,
    // Append like nginx's $proxy_add_x_forwarded_for: the upstream sees the whole chain, the client last.
    'x-forwarded-for',
    forwardedFor === undefined ? remote : `${forwardedFor}, ${remote}`,
    'x-forwarded-proto',
    (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
  );
  const host = req.headers.host;
  if (host) out.push('x-forwarded-host', host);
  if (info.traceparent) out.push('traceparent', info.traceparent);
  if (info.tracestate) out.push('tracestate', info.tracestate);
  return out;
}

/**
 * Cleans an upstream response's headers in place for the client: hop-by-hop
 * headers go (Node frames the body itself), the request id is added.
 */
export function clientResponseHeaders(headers: IncomingHttpHeaders, requestId: string): IncomingHttpHeaders {
  const connection = headers.connection;
  const extra = connectionTokens(typeof connection === 'string' ? connection : undefined);
  for (const name of HOP_BY_HOP) if (headers[name] !== undefined) delete headers[name];
  if (extra) for (const name of extra) delete headers[name];
  headers['x-request-id'] = requestId;
  return headers;
}
