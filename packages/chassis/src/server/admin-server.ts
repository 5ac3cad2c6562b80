// The admin listener: a second server on its own port (ADMIN_HOST:ADMIN_PORT)
// over the same routes, the only one that serves /metrics and /_admin/*, and
// /health/ready with each check's text. Kept apart from the public port so
// that operators' and scrapers' endpoints are not reachable where clients are.
// With the instance's certificate it is HTTPS and, like the public port, refuses
// a caller without a client certificate from the CA during the handshake, and
// answers only the certificates of ADMIN_CALLERS (an operator's), and /metrics alone to those of
// METRICS_CALLERS (a scraper's): another service's certificate gets a 403.

import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ServiceTls } from '../tls/service-tls.ts';
import { useServerTls } from '../tls/server-tls.ts';
import { callerIdentity } from '../tls/spiffe.ts';

const ADMIN = Symbol('souk.admin-listener');
const REFUSAL = Symbol('souk.admin-refusal');
type Marked = IncomingMessage & { [ADMIN]?: true; [REFUSAL]?: string };

/** Paths only the admin listener serves (a route pattern or a path without query). */
export function isAdminPath(path: string): boolean {
  return path === '/metrics' || path.startsWith('/_admin/');
}

/** A GET of /metrics (with or without a query): all a scraper's certificate may ask. */
function isMetricsRequest(req: IncomingMessage): boolean {
  const path = req.url?.split('?')[0];
  return (req.method === 'GET' || req.method === 'HEAD') && path === '/metrics';
}

/** True when the request came in on the admin listener. */
export function isAdminRequest(req: IncomingMessage): boolean {
  return (req as Marked)[ADMIN] === true;
}

/**
 * Why an admin request's caller is refused (its certificate names a service not among the admin
 * callers), or undefined when it may go on. The app answers it with a 403 problem document.
 */
export function adminRefusal(req: IncomingMessage): string | undefined {
  return (req as Marked)[REFUSAL];
}

export interface AdminServerTls {
  tls: ServiceTls;
  /** Service names (SPIFFE ids in the trust domain) whose certificates may call. */
  callers: ReadonlySet<string>;
  /** Service names whose certificates may read /metrics only (scrapers). */
  scrapers?: ReadonlySet<string>;
}

/**
 * The admin listener's server, not yet listening: plain HTTP without `secure`, otherwise mutual TLS
 * with the instance's certificate, taking each rotated one like the public listener (`useServerTls`).
 */
export function createAdminServer(handler: RequestListener, secure?: AdminServerTls): Server {
  const marked: RequestListener = (req, res) => {
    (req as Marked)[ADMIN] = true;
    if (secure) {
      // The handshake already proved a certificate from the CA; this says whose it must be.
      const caller = callerIdentity(req);
      const scrape = caller !== undefined && secure.scrapers?.has(caller.service) === true && isMetricsRequest(req);
      if (!scrape && (!caller || !secure.callers.has(caller.service)))
        (req as Marked)[REFUSAL] =
          `The admin listener answers the certificates of ${[...secure.callers].join(', ')}${secure.scrapers?.size ? ` (and /metrics those of ${[...secure.scrapers].join(', ')})` : ''}; this one names ${caller?.spiffeId ?? 'no souk service'}.`;
    }
    handler(req, res);
  };
  if (!secure) return createServer({ keepAliveTimeout: 5_000 }, marked);
  const serverTls = useServerTls(secure.tls);
  const server = createHttpsServer({ keepAliveTimeout: 5_000, ...serverTls.options }, marked);
  const detach = serverTls.attach(server);
  server.once('close', detach);
  return server;
}
