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
/** Node's defaults (60 s, 300 s) let a slow client hold a connection for minutes without sending a request. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 256;
export const DEFAULT_MAX_CONNECTIONS = 10_000;
export const DEFAULT_BODY_BUFFER_BYTES = 64 * 1024;

export const GatewayConfig = Type.Object({
  // Overrides the chassis default (0 = any port): the gateway is the shop's one public address.
  PORT: Type.Integer({ default: DEFAULT_PORT, minimum: 0, maximum: 65535 }),
  GATEWAY_TLS_PORT: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 65535,
      description:
        "HTTPS on this port too (TLS terminated here, HTTP/1.1), with the gateway's certificate (TLS_CERT_FILE and TLS_KEY_FILE, rotated in place); absent: plain HTTP on PORT only",
    }),
  ),
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
  GATEWAY_HEADERS_TIMEOUT_MS: Type.Integer({
    default: DEFAULT_HEADERS_TIMEOUT_MS,
    minimum: 1,
    description: "A client's request line and headers must arrive within this (else 408 and the connection closes)",
  }),
  GATEWAY_REQUEST_TIMEOUT_MS: Type.Integer({
    default: DEFAULT_REQUEST_TIMEOUT_MS,
    minimum: 1,
    description: 'The whole request, body included, must arrive within this (else 408); at least GATEWAY_HEADERS_TIMEOUT_MS',
  }),
  GATEWAY_KEEP_ALIVE_TIMEOUT_MS: Type.Integer({
    default: DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    minimum: 1,
    description: "An idle client connection is closed after this (the client's next request opens a new one)",
  }),
  GATEWAY_MAX_CONNECTIONS_PER_IP: Type.Integer({
    default: DEFAULT_MAX_CONNECTIONS_PER_IP,
    minimum: 1,
    description: 'Open client connections one address may hold; past it a new one gets a 429 and is closed',
  }),
  GATEWAY_MAX_CONNECTIONS: Type.Integer({
    default: DEFAULT_MAX_CONNECTIONS,
    minimum: 1,
    description: 'Open client connections in all; past it new ones are closed at once',
  }),
  GATEWAY_BODY_BUFFER_BYTES: Type.Integer({
    default: DEFAULT_BODY_BUFFER_BYTES,
    minimum: 1024,
    description:
      'Bodies up to this size are read whole, so a failed attempt can go to another instance; larger ones (Content-Length) stream to one instance. A chunked body may not be larger',
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
  GATEWAY_CONSOLE_DIR: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "The operations console's built files (index.html and assets/), served at /console; the devhost builds web/console and sets it",
    }),
  ),
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
  GATEWAY_RATE_LIMITS: Type.Optional(
    Type.String({
      minLength: 2,
      description:
        'Pins the rate limits (JSON, the rateLimits setting: {"enabled":false}, {"read":{"perSecond":50,"burst":100}}); the config server then cannot change them',
    }),
  ),
  GATEWAY_CORS_ORIGINS: Type.Optional(
    Type.String({
      description:
        'Pins the origins allowed to call the API from a browser (comma-separated, e.g. http://localhost:5173); the config server then cannot change them',
    }),
  ),
  GATEWAY_RESPONSE_CACHE: Type.Optional(
    Type.Union([Type.Literal('on'), Type.Literal('off')], {
      description:
        "Pins the response cache of catalogue reads on or off (else the responseCache setting; on by default): it keeps answers only while it can read catalog's events",
    }),
  ),
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: '^rediss?://',
      description:
        "Rate limit buckets in this Redis, shared by every gateway; without it they are in the gateway's PostgreSQL database (DATABASE_URL), or in memory when it has none",
    }),
  ),
});
