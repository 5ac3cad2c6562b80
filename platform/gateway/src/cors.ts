// CORS at the gateway: front ends served from another origin (a storefront's
// dev server, the console) call the API from the browser. A preflight from an
// allowed origin is answered here, before any token or rate limit (browsers
// send it without credentials); the answers to that origin's requests, problems
// included, carry the headers that let its scripts read them. Origins are an
// exact list from the gateway's live settings (GATEWAY_CORS_ORIGINS pins it):
// no wildcard, since every API answer may be a user's own data.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { gatewayErrors } from './errors.ts';
import { writeProblem } from './problem-response.ts';

const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
/** Request headers a script may send: the API's own (`Idempotency-Key`, `Prefer`, conditional requests). */
const ALLOW_HEADERS = 'authorization, content-type, idempotency-key, prefer, if-match, if-none-match, x-request-id';
/** Response headers a script may read beyond the CORS-safelisted ones. */
const EXPOSE_HEADERS =
  'etag, location, retry-after, ratelimit, ratelimit-policy, x-request-id, www-authenticate, deprecation, sunset, link';
/** Browsers cache a preflight this long (Chromium caps it at 2 hours, Firefox at 24). */
const MAX_AGE_SECONDS = '600';

export interface Cors {
  /**
   * Answers a preflight (true: the request is done) or marks the answer of an allowed origin's request;
   * a request without `Origin` costs one property read.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  configure(origins: readonly string[]): void;
}

/** GATEWAY_CORS_ORIGINS: comma-separated origins (`scheme://host[:port]`, as a browser sends them). */
export function parseOrigins(raw: string): string[] {
  const origins = raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const o of origins) checkOrigin(o);
  return origins;
}

/** An origin as browsers send it: no path, no trailing slash, lower-case scheme and host. */
export function checkOrigin(origin: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(origin);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || parsed.origin !== origin || !/^https?:$/.test(parsed.protocol)) {
    throw new Error(`${JSON.stringify(origin)} is not an origin: write it as a browser sends it, e.g. https://shop.example:8443`);
  }
}

export function createCors(initial: readonly string[]): Cors {
  let origins = new Set(initial);
  return {
    configure(list) {
      origins = new Set(list);
    },
    handle(req, res) {
      const origin = req.headers.origin;
      if (origin === undefined) return false;
      const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
      if (!origins.has(origin)) {
        if (!preflight) return false; // the browser withholds the answer from the script
        const path = (req.url ?? '/').split('?')[0]!;
        writeProblem(
          res,
          gatewayErrors.corsOriginRefused({ detail: `The origin ${origin} may not call this API from a browser.` }),
          path,
        );
        return true;
      }
      if (preflight) {
        res.writeHead(204, {
          'access-control-allow-origin': origin,
          'access-control-allow-methods': ALLOW_METHODS,
          'access-control-allow-headers': ALLOW_HEADERS,
          'access-control-max-age': MAX_AGE_SECONDS,
          vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
          'x-request-id': String(req.headers['x-request-id']),
        });
        res.end();
        return true;
      }
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-expose-headers', EXPOSE_HEADERS);
      res.setHeader('vary', 'Origin');
      return false;
    },
  };
}
