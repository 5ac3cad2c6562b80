// The gateway's route table: which public path prefix goes to which service,
// who may call it and which rate limit it counts against. The place to add
// services and API versions; the live `routes` setting can add or replace rows
// (live-routes.ts), and the `releases` setting splits a service's users.

import type { RateClass } from './rate-limit/policy.ts';

/**
 * Who may call a route: anyone, only holders of a valid token, anyone for some
 * methods, or nobody from outside (`internal`: service-to-service APIs that the
 * gateway answers 404 for, as if nothing served them).
 */
export type Access = 'public' | 'token' | 'internal' | { readonly publicMethods: readonly string[] };

export interface GatewayRoute {
  /** Path prefix owned by the route, without a trailing slash. Also the `http_route` label and the span name suffix. */
  readonly prefix: string;
  /** Discovery name of the service that serves the prefix; it gets the path unchanged. */
  readonly service: string;
  readonly access: Access;
  /**
   * The service honours `Prefer: wait=N` (RFC 7240) up to this many seconds: the
   * gateway then waits that much longer for the answer than its usual timeout.
   */
  readonly preferWaitMaxSeconds?: number;
  /** The rate class of every request on the route; without it, reads are `read` and other methods `write`. */
  readonly rateClass?: RateClass;
  /** The rate class of the route's writes (POST, PUT, PATCH, DELETE), when not `write`. */
  readonly writeRateClass?: RateClass;
  /** Anonymous GETs go through the response cache (what the service's Cache-Control allows). */
  readonly cache?: boolean;
}

/** Longest `Prefer: wait` orders honours (its contract caps it at 30 s). */
export const ORDERS_PREFER_WAIT_MAX_SECONDS = 30;

export const routes: readonly GatewayRoute[] = [
  // Identity serves login and the token endpoint itself, so the whole prefix is public.
  // Sign-up and sign-in are limited per client address (nobody is signed in yet).
  { prefix: '/api/v1/identity', service: 'identity', access: 'public', rateClass: 'auth' },
  // OIDC discovery and the JWKS must be readable without a token.
  { prefix: '/.well-known', service: 'identity', access: 'public', rateClass: 'read' },
  // The catalogue is read by everyone and changes rarely: kept at the edge until catalog's events say otherwise.
  { prefix: '/api/v1/catalog', service: 'catalog', access: { publicMethods: ['GET', 'HEAD'] }, cache: true },
  // v2 of the catalogue's reads (money as { amount, currency }); v1 answers beside it until its sunset.
  { prefix: '/api/v2/catalog', service: 'catalog', access: { publicMethods: ['GET', 'HEAD'] }, cache: true },
  // A user's own messages: nothing there is public.
  { prefix: '/api/v1/notifications', service: 'notifications', access: 'token' },
  // A user's cart, orders and shipments: the services check that the caller owns them.
  { prefix: '/api/v1/cart', service: 'cart', access: 'token' },
  {
    prefix: '/api/v1/orders',
    service: 'orders',
    access: 'token',
    preferWaitMaxSeconds: ORDERS_PREFER_WAIT_MAX_SECONDS,
    // Placing an order runs the saga across seven services: its own, tighter limit.
    writeRateClass: 'checkout',
  },
  { prefix: '/api/v1/shipments', service: 'shipping', access: 'token' },
  { prefix: '/api/v1/order-history', service: 'order-history', access: 'token' },
  // The projection's lag is an operator's figure (it names who started a rebuild): not served at the edge.
  // A user's own list carries the lag that concerns them (`projection.lagSeconds`).
  { prefix: '/api/v1/order-history/lag', service: 'order-history', access: 'internal' },
  { prefix: '/api/v1/recommendations', service: 'recommendations', access: 'public' },
  // Stock levels are public; writes (admin) need a token here and the admin role at inventory.
  { prefix: '/api/v1/inventory', service: 'inventory', access: { publicMethods: ['GET', 'HEAD'] } },
  // Reservations are the checkout saga's (scope internal): not reachable from outside at all.
  { prefix: '/api/v1/inventory/reservations', service: 'inventory', access: 'internal' },
  // Settings of every service: the config server lets admins change them and each service read its own.
  { prefix: '/api/v1/config', service: 'config', access: 'token' },
  // Traces, logs and RED series for the console: telemetry answers admins only. Its log ingestion takes
  // the devhost's certificate only, and OTLP (/v1/traces) has no route: services export to it directly.
  { prefix: '/api/v1/telemetry', service: 'telemetry', access: 'token' },
  // The console's backend: instances and their controls, sagas, events and dead letters, schemas (admins only,
  // checked there and again by each service it asks).
  { prefix: '/api/v1/console', service: 'console', access: 'token' },
  // payments and payment-provider have no route: only services call them, never the public.
];

/**
 * API paths the gateway serves itself through Fastify (aggregations), instead
 * of proxying them: the proxy hands them on like health and metrics.
 */
export const localApiPrefixes: readonly string[] = ['/api/v1/home'];

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
 * `local` prefixes go to the gateway's own routes; `internal` routes are
 * unknown to the outside.
 */
export function createRouter(table: readonly GatewayRoute[], local: readonly string[] = []): Router {
  for (const prefix of [...table.map((r) => r.prefix), ...local]) {
    if (!prefix.startsWith('/') || prefix.endsWith('/')) {
      throw new Error(`route prefix ${prefix} must start and must not end with "/"`);
    }
  }
  // One list, so a local or internal prefix is matched in the same single pass as the routes (no cost on a hit).
  const entries = [
    ...table.map((route) => ({
      prefix: route.prefix,
      match: route.access === 'internal' ? UNKNOWN : (Object.freeze({ kind: 'route', route }) as RouteMatch),
    })),
    ...local.map((prefix) => ({ prefix, match: LOCAL })),
  ]
    .sort((a, b) => b.prefix.length - a.prefix.length)
    // The prefix's last character, compared before the whole prefix: most entries fail on it at once,
    // so a longer table costs a few integer compares, not a string comparison per row.
    .map((e) => ({ ...e, last: e.prefix.length - 1, lastChar: e.prefix.charCodeAt(e.prefix.length - 1) }));

  // Health, metrics and admin paths skip the table when no route could own them.
  const onlyApiPrefixes = entries.every((e) => isProxiedTarget(e.prefix));

  return {
    match(target) {
      if (onlyApiPrefixes && !isProxiedTarget(target)) return LOCAL;
      const length = target.length;
      for (const entry of entries) {
        // Length first: charCodeAt past the end takes a slow path in V8.
        if (length <= entry.last || target.charCodeAt(entry.last) !== entry.lastChar) continue;
        const prefix = entry.prefix;
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

/** The rate limit a request counts against. */
export function rateClassOf(route: GatewayRoute, method: string): RateClass {
  if (route.rateClass !== undefined) return route.rateClass;
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return 'read';
  return route.writeRateClass ?? 'write';
}

/** True when the method needs a verified token on this route. */
export function requiresToken(route: GatewayRoute, method: string): boolean {
  const access = route.access;
  if (access === 'public') return false;
  if (access === 'token' || access === 'internal') return true;
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

/** A percent-encoded letter, digit or `-._~` (RFC 3986's unreserved characters). */
const ENCODED_UNRESERVED = /%(?:3[0-9]|[46][1-9a-f]|[57][0-9a]|2[de]|5f|7e)/i;

/**
 * True when the path percent-encodes a character that never needs it
 * (`/api/v1/inventory/%72eservations`). The upstream decodes it, so the path
 * it serves is not the one the gateway matched its access rule against;
 * RFC 3986 section 6.2.2.2 calls the two forms equivalent, and clients never
 * need the encoded one, so the gateway refuses it instead of guessing.
 */
export function encodesUnreserved(target: string): boolean {
  const end = target.indexOf('?');
  const path = end === -1 ? target : target.slice(0, end);
  return path.indexOf('%') !== -1 && ENCODED_UNRESERVED.test(path);
}

/**
 * The seconds a client asked the service to wait with `Prefer: wait=N`
 * (RFC 7240), capped at what the route honours; 0 when it asked for none or
 * the route does not honour it.
 */
export function preferredWaitSeconds(route: GatewayRoute, prefer: string | string[] | undefined): number {
  const max = route.preferWaitMaxSeconds;
  if (!max || prefer === undefined) return 0;
  const value = Array.isArray(prefer) ? prefer.join(',') : prefer;
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(value);
  return match ? Math.min(Number(match[1]), max) : 0;
}
