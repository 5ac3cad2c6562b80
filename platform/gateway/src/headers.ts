// Header handling at the edge: what goes upstream (hop-by-hop headers removed,
// X-Forwarded-* and the request id set) and what goes back to the client.

import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';

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
  /** Replaces the client's `Authorization` (a user's token exchanged for an internal one). */
  authorization?: string;
  /** W3C trace context of the gateway's span, when tracing produced one. */
  traceparent?: string;
  tracestate?: string;
}

/** Where the request goes: the request line's parts and the upstream's `host`. */
export interface RequestTarget {
  method: string;
  /** Path and query, as the client sent them (with the instance's base path in front). */
  path: string;
  /** The instance's host and port. */
  host: string;
  /** Length of the buffered body; undefined when there is none. */
  bodyLength: number | undefined;
}

/** Methods whose requests carry a body by definition: without one they say so with `content-length: 0`. */
const EXPECTS_BODY: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The request line and headers sent upstream, blank line included: one string
 * written as latin1, so header bytes pass unchanged (Node's parser has already
 * refused control characters in them). End-to-end headers keep their casing
 * and repeats.
 */
export function upstreamRequestHead(req: IncomingMessage, target: RequestTarget, info: ForwardingInfo): string {
  const raw = req.rawHeaders;
  const extra = connectionTokens(req.headers.connection);
  let head = `${target.method} ${target.path} HTTP/1.1\r\nhost: ${target.host}\r\n`;
  let forwardedFor: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-for') {
      forwardedFor = forwardedFor === undefined ? raw[i + 1]! : `${forwardedFor}, ${raw[i + 1]!}`;
      continue;
    }
    if (HOP_BY_HOP.has(lower) || REPLACED_UPSTREAM.has(lower) || extra?.has(lower)) continue;
    if (info.authorization !== undefined && lower === 'authorization') continue;
    head += `${name}: ${raw[i + 1]!}\r\n`;
  }
  if (info.authorization !== undefined) head += `authorization: ${info.authorization}\r\n`;
  const length = target.bodyLength ?? (EXPECTS_BODY.has(target.method) ? 0 : undefined);
  if (length !== undefined) head += `content-length: ${length}\r\n`;
  const remote = req.socket.remoteAddress ?? 'unknown';
  // Append like nginx's $proxy_add_x_forwarded_for: the upstream sees the whole chain, the client last.
  const chain = forwardedFor === undefined ? remote : `${forwardedFor}, ${remote}`;
  const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  head += `x-request-id: ${info.requestId}\r\nx-forwarded-for: ${chain}\r\nx-forwarded-proto: ${proto}\r\n`;
  const host = req.headers.host;
  if (host) head += `x-forwarded-host: ${host}\r\n`;
  if (info.traceparent) head += `traceparent: ${info.traceparent}\r\n`;
  if (info.tracestate) head += `tracestate: ${info.tracestate}\r\n`;
  return `${head}\r\n`;
}

/**
 * The headers of an upstream answer ([name, value, ...] as parsed) for the
 * client: hop-by-hop headers go (Node frames the body itself), repeated ones
 * (Set-Cookie) stay repeated, the request id is the gateway's.
 */
export function clientResponseHeaders(raw: readonly string[], requestId: string): OutgoingHttpHeaders {
  let extra: Set<string> | undefined;
  const headers: OutgoingHttpHeaders = {};
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (lower === 'connection') extra = connectionTokens(value);
    if (HOP_BY_HOP.has(lower)) continue;
    const seen = headers[lower];
    if (seen === undefined) headers[lower] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else headers[lower] = [String(seen), value];
  }
  if (extra) for (const name of extra) delete headers[name];
  headers['x-request-id'] = requestId;
  return headers;
}
