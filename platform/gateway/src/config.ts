// The gateway's own environment variables; the chassis validates them with the
// common ones at start (the only place they are read).

import { Type } from 'typebox';

export const DEFAULT_PORT = 8080;
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 10_000;
export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_UPSTREAM_CONNECTIONS = 128;
export const DEFAULT_RETRY_AFTER_SECONDS = 5;
export const DEFAULT_HOME_RECOMMENDATIONS_TIMEOUT_MS = 300;
export const DEFAULT_HOME_CATALOG_TIMEOUT_MS = 1_000;
/** Cart itself waits up to 1 s for catalog's prices before it answers with cached ones. */
export const DEFAULT_HOME_CART_TIMEOUT_MS = 1_500;
export const DEFAULT_HOME_FEATURED_COUNT = 8;
export const DEFAULT_HOME_RECOMMENDATIONS_LIMIT = 8;

export const GatewayConfig = Type.Object({
  // Overrides the chassis default (0 = any port): the gateway is the shop's one public address.
  PORT: Type.Integer({ default: DEFAULT_PORT, minimum: 0, maximum: 65535 }),
  GATEWAY_UPSTREAM_TIMEOUT_MS: Type.Integer({
    default: DEFAULT_UPSTREAM_TIMEOUT_MS,
    minimum: 1,
    description: 'Per attempt: the wait for response headers, and for each body chunk after them',
  }),
  GATEWAY_ATTEMPTS: Type.Integer({
    default: DEFAULT_ATTEMPTS,
    minimum: 1,
    maximum: 10,
    description: 'Attempts per request, each on another instance',
  }),
  GATEWAY_UPSTREAM_CONNECTIONS: Type.Integer({
    default: DEFAULT_UPSTREAM_CONNECTIONS,
    minimum: 1,
    description: 'Keep-alive sockets per upstream instance',
  }),
  GATEWAY_RETRY_AFTER_SECONDS: Type.Integer({
    default: DEFAULT_RETRY_AFTER_SECONDS,
    minimum: 1,
    description: 'Retry-After of 503 answers',
  }),
  GATEWAY_HOME_RECOMMENDATIONS_TIMEOUT_MS: Type.Integer({
    default: DEFAULT_HOME_RECOMMENDATIONS_TIMEOUT_MS,
    minimum: 1,
    description: 'Home page: budget of the recommendations part before it falls back to bestsellers',
  }),
  GATEWAY_HOME_CATALOG_TIMEOUT_MS: Type.Integer({
    default: DEFAULT_HOME_CATALOG_TIMEOUT_MS,
    minimum: 1,
    description: 'Home page: budget of the featured products',
  }),
  GATEWAY_HOME_CART_TIMEOUT_MS: Type.Integer({
    default: DEFAULT_HOME_CART_TIMEOUT_MS,
    minimum: 1,
    description: "Home page: budget of the caller's cart summary",
  }),
  GATEWAY_HOME_FEATURED_COUNT: Type.Integer({
    default: DEFAULT_HOME_FEATURED_COUNT,
    minimum: 1,
    maximum: 100,
    description: 'Home page: newest products shown',
  }),
  GATEWAY_HOME_RECOMMENDATIONS_LIMIT: Type.Integer({
    default: DEFAULT_HOME_RECOMMENDATIONS_LIMIT,
    minimum: 1,
    maximum: 50,
    description: 'Home page: recommendations shown',
  }),
});
