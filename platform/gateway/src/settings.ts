// The gateway's own live settings, beside the common ones (log level, breakers, flags, faults): set them at the
// config server (`PUT /api/v1/config/services/gateway`); the environment variables named pin them.

import { Type, type Static } from 'typebox';
import { RateLimitsSetting } from './rate-limit/policy.ts';
import { ReleasesSetting } from './releases/policy.ts';
import { RoutesSetting } from './live-routes.ts';

export const GatewaySettings = Type.Object({
  rateLimits: Type.Optional(RateLimitsSetting),
  cors: Type.Optional(
    Type.Object(
      {
        origins: Type.Array(Type.String({ minLength: 8, maxLength: 200 }), {
          maxItems: 50,
          uniqueItems: true,
          description: 'Origins whose scripts may call the API, as browsers send them (https://shop.example:8443).',
        }),
      },
      { additionalProperties: false, description: 'CORS; GATEWAY_CORS_ORIGINS in the environment overrides.' },
    ),
  ),
  releases: Type.Optional(ReleasesSetting),
  routes: Type.Optional(RoutesSetting),
  responseCache: Type.Optional(
    Type.Object(
      {
        enabled: Type.Boolean({
          description: 'Keep anonymous catalogue reads (emptied by catalog’s events); off sends every one to catalog.',
        }),
      },
      { additionalProperties: false, description: 'GATEWAY_RESPONSE_CACHE in the environment overrides.' },
    ),
  ),
});
export type GatewaySettings = Static<typeof GatewaySettings>;

/** The JSON Pointers GATEWAY_RATE_LIMITS and GATEWAY_CORS_ORIGINS pin. */
export const RATE_LIMITS_POINTER = '/rateLimits';
export const CORS_POINTER = '/cors';
export const RESPONSE_CACHE_POINTER = '/responseCache';
