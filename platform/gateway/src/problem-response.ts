// Writes a problem+json answer on a raw Node response: the gateway's hot path
// runs below Fastify, so it cannot use reply-based helpers.

import type { ServerResponse } from 'node:http';
import { PROBLEM_CONTENT_TYPE, toProblem, type SoukError } from '@souk/chassis';

/** Sends `err` as RFC 9457 problem+json with its status and headers; `instance` is the request path. */
export function writeProblem(res: ServerResponse, err: SoukError, instance: string, traceId?: string): void {
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify(toProblem(err, traceId ? { instance, traceId } : { instance }));
  const headers: Record<string, string | number> = {
    ...err.headers,
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    // The chassis leaves the request id to the proxy's answers (see instrumentHandler).
    'x-request-id': String(res.req.headers['x-request-id']),
  };
  if (err.status === 401 && headers['www-authenticate'] === undefined) {
    headers['www-authenticate'] = 'Bearer error="invalid_token"';
  }
  res.writeHead(err.status, headers);
  res.end(body);
}
