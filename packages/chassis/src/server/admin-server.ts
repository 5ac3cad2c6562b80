// The admin listener: a second server on its own port (ADMIN_HOST:ADMIN_PORT)
// over the same routes, the only one that serves /metrics and /_admin/*, and
// /health/ready with each check's text. Kept apart from the public port so
// that operators' and scrapers' endpoints are not reachable where clients are.

import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';

const ADMIN = Symbol('souk.admin-listener');
type Marked = IncomingMessage & { [ADMIN]?: true };

/** Paths only the admin listener serves (a route pattern or a path without query). */
export function isAdminPath(path: string): boolean {
  return path === '/metrics' || path.startsWith('/_admin/');
}

/** True when the request came in on the admin listener. */
export function isAdminRequest(req: IncomingMessage): boolean {
  return (req as Marked)[ADMIN] === true;
}

/**
 * The admin listener's server, not yet listening. The one place it is made: transport options
 * (TLS, once the public listener has them) go here.
 */
export function createAdminServer(handler: RequestListener): Server {
  return createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    (req as Marked)[ADMIN] = true;
    handler(req, res);
  });
}
