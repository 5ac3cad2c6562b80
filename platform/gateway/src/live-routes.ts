// Routes from the gateway's live `routes` setting, over the ones in code: a route for a new service (or
// another access rule, rate class or caching for an existing prefix) without a gateway release. A route
// the setting names by a prefix in code replaces that one; the others are added. The config server
// checks the shape; the rules a schema there cannot say (no regular expressions run there) are checked
// here, and a route breaking one is left out and said in the log.

import { Type, type Static } from 'typebox';
import { createRouter, type GatewayRoute, type Router } from './routes.ts';

const Method = Type.Union([
  Type.Literal('GET'),
  Type.Literal('HEAD'),
  Type.Literal('POST'),
  Type.Literal('PUT'),
  Type.Literal('PATCH'),
  Type.Literal('DELETE'),
]);
/** The rate classes of rate-limit/policy.ts (RATE_CLASSES). */
const RateClassSetting = Type.Union([
  Type.Literal('read'),
  Type.Literal('write'),
  Type.Literal('checkout'),
  Type.Literal('auth'),
]);

export const RoutesSetting = Type.Array(
  Type.Object(
    {
      prefix: Type.String({
        minLength: 6,
        maxLength: 100,
        description: 'A path prefix under /api/ (lowercase letters, digits, "-", "_", "/"), without a trailing slash.',
      }),
      service: Type.String({ minLength: 1, maxLength: 63, description: 'The service (its name in discovery) that serves it.' }),
      access: Type.Union(
        [
          Type.Literal('public'),
          Type.Literal('token'),
          Type.Literal('internal'),
          Type.Object(
            {
              publicMethods: Type.Array(Method, { minItems: 1, uniqueItems: true }),
            },
            { additionalProperties: false },
          ),
        ],
        { description: 'public, token (a valid user token), internal (404 from outside), or the methods anyone may use.' },
      ),
      rateClass: Type.Optional(RateClassSetting),
      writeRateClass: Type.Optional(RateClassSetting),
      cache: Type.Optional(Type.Boolean({ description: 'Anonymous GETs through the response cache.' })),
    },
    { additionalProperties: false },
  ),
  { maxItems: 50, description: 'Routes over the ones in code (the same prefix replaces one).' },
);
export type RoutesSetting = Static<typeof RoutesSetting>;

const PREFIX = /^\/api\/[a-z0-9][a-z0-9_/-]*[a-z0-9]$/;
const SERVICE = /^[a-z0-9][a-z0-9-]*$/;
/** The gateway's own services: a route to them would let the public reach what only services may call. */
const NOT_ROUTABLE = new Set(['gateway', 'registry', 'payments', 'payment-provider']);

/** Why a route from the setting cannot be taken, or undefined. */
export function refusedRoute(route: RoutesSetting[number], local: readonly string[]): string | undefined {
  if (!PREFIX.test(route.prefix) || route.prefix.includes('//'))
    return `prefix ${route.prefix} is not a path under /api/ (lowercase letters, digits, "-", "_", "/", no trailing slash)`;
  if (local.some((p) => p === route.prefix || p.startsWith(`${route.prefix}/`) || route.prefix.startsWith(`${p}/`)))
    return `prefix ${route.prefix} overlaps the gateway's own ${local.join(', ')}`;
  if (!SERVICE.test(route.service)) return `service ${route.service} is not a service name`;
  if (NOT_ROUTABLE.has(route.service)) return `${route.service} is not served to the public`;
  return undefined;
}

/** The table in effect: code's routes with the setting's over them (by prefix). */
export function mergeRoutes(code: readonly GatewayRoute[], live: readonly GatewayRoute[]): GatewayRoute[] {
  const byPrefix = new Map(code.map((r) => [r.prefix, r]));
  for (const route of live) byPrefix.set(route.prefix, route);
  return [...byPrefix.values()];
}

export interface LiveRouter extends Router {
  /** The routes in effect (code's and the setting's). */
  routes(): readonly GatewayRoute[];
  /** Takes a new `routes` setting; returns the reasons of the routes left out. */
  configure(setting: RoutesSetting | undefined): string[];
}

export function createLiveRouter(code: readonly GatewayRoute[], local: readonly string[]): LiveRouter {
  let table: readonly GatewayRoute[] = code;
  let router = createRouter(code, local);
  return {
    match: (target) => router.match(target),
    routes: () => table,
    configure(setting) {
      const refused: string[] = [];
      const live = (setting ?? []).filter((route) => {
        const why = refusedRoute(route, local);
        if (why !== undefined) refused.push(why);
        return why === undefined;
      }) as GatewayRoute[];
      table = mergeRoutes(code, live);
      router = createRouter(table, local);
      return refused;
    },
  };
}
