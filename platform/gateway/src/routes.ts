// The gateway's route table: which public path prefix goes to which service
// and who may call it. The one place to add services, API versions and, later,
// canary weights.

/** Who may call a route: anyone, only holders of a valid token, or anyone for some methods. */
export type Access = 'public' | 'token' | { readonly publicMethods: readonly string[] };

export interface GatewayRoute {
  /** Path prefix owned by the route, without a trailing slash. Also the `http_route` label and the span name suffix. */
  readonly prefix: string;
  /** Discovery name of the service that serves the prefix; it gets the path unchanged. */
  readonly service: string;
  readonly access: Access;
}

export const routes: readonly GatewayRoute[] = [
  // Identity serves login and the token endpoint itself, so the whole prefix is public.
  { prefix: '/api/v1/identity', service: 'identity', access: 'public' },
  // OIDC discovery and the JWKS must be readable without a token.
  { prefix: '/.well-known', service: 'identity', access: 'public' },
  { prefix: '/api/v1/catalog', service: 'catalog', access: { publicMethods: ['GET', 'HEAD'] } },
  // A user's own messages: nothing there is public.
  { prefix: '/api/v1/notifications', service: 'notifications', access: 'token' },
];

/** What the gateway does with a request target. */
export type RouteMatch =
  | { readonly kind: 'route'; readonly route: GatewayRoute }
  /** A public API path no route owns: answered 404 by the gateway. */
  | { readonly kind: 'unknown' }
  /** Not an API path: health, metrics, OpenAPI and admin routes served by the gateway itself. */
  | { readonly kind: 'local' };

const UNKNOWN: RouteMatch = Object.freeze({ kind: 'unknown' });
const LOCAL: RouteMatch = Object.freeze({ kind: 'local' });

export interface Router {
  /** Classifies a request target (path with optional query). Allocates nothing on a hit. */
  match(target: string): RouteMatch;
}

/**
 * Builds a matcher over a route table. Longest prefix wins, and a prefix only
 * matches at a segment boundary, so `/api/v1/catalogue` is not catalog's.
 */
export function createRouter(table: readonly GatewayRoute[]): Router {
  for (const route of table) {
    if (!route.prefix.startsWith('/') || route.prefix.endsWith('/')) {
      throw new Error(`route prefix ${route.prefix} must start and must not end with "/"`);
    }
  }
  const entries = [...table]
    .sort((a, b) => b.prefix.length - a.prefix.length)
    .map((route) => ({ route, match: Object.freeze({ kind: 'route', route }) as RouteMatch }));

  return {
    match(target) {
      for (const entry of entries) {
        const prefix = entry.route.prefix;
        if (!target.startsWith(prefix)) continue;
        const next = target.charCodeAt(prefix.length);
        // NaN (end of string), '/' or '?'
        if (Number.isNaN(next) || next === 47 || next === 63) return entry.match;
      }
      return isProxiedTarget(target) ? UNKNOWN : LOCAL;
    },
  };
}

/** Paths the gateway proxies (or refuses) itself rather than handing to its local routes. */
export function isProxiedTarget(target: string): boolean {
  return target.startsWith('/api/') || target.startsWith('/.well-known/') || target === '/.well-known';
}

/** True when the method needs a verified token on this route. */
export function requiresToken(route: GatewayRoute, method: string): boolean {
  const access = route.access;
  if (access === 'public') return false;
  if (access === 'token') return true;
  return !access.publicMethods.includes(method);
}

/**
 * True when the path has a `.` or `..` segment (also percent-encoded). Such a
 * path could be resolved by an upstream to another prefix than the one the
 * access rule was checked for, so the gateway refuses it.
 */
export function hasDotSegment(target: string): boolean {
  const end = target.indexOf('?');
  const path = end === -1 ? target : target.slice(0, end);
  // Fast exit for the usual path: no dot right after a slash and no encoded dot at all.
  if (path.indexOf('/.', 1) === -1 && path.indexOf('%2') === -1) return false;
  for (const raw of path.split('/')) {
    const segment = raw.replace(/%2e/gi, '.');
    if (segment === '.' || segment === '..') return true;
  }
  return false;
}
