// Error codes the gateway itself answers with (routing, auth and body errors
// reuse the chassis codes). Each is listed in docs/errors.md.

import { defineErrors } from '@souk/chassis';

export const gatewayErrors = defineErrors({
  noInstance: {
    code: 'SOUK_GATEWAY_NO_INSTANCE',
    status: 503,
    title: 'No instance of the service is running',
    retryable: true,
    description: 'Discovery lists no instance of the service this path belongs to; retry after the Retry-After delay.',
  },
  circuitOpen: {
    code: 'SOUK_GATEWAY_CIRCUIT_OPEN',
    status: 503,
    title: 'Every instance of the service is failing',
    retryable: true,
    description:
      'The circuit breakers of all instances of the service are open after repeated failures; retry after the Retry-After delay.',
  },
  upstreamUnreachable: {
    code: 'SOUK_GATEWAY_UPSTREAM_UNREACHABLE',
    status: 503,
    title: 'The service could not be reached',
    retryable: true,
    description: 'Every instance tried refused or dropped the connection before answering; retry after the Retry-After delay.',
  },
  tooManyConnections: {
    code: 'SOUK_GATEWAY_TOO_MANY_CONNECTIONS',
    status: 429,
    title: 'Too many open connections from this address',
    retryable: true,
    description:
      'The address already holds GATEWAY_MAX_CONNECTIONS_PER_IP open connections; the new one is answered with this and closed. Reuse keep-alive connections instead of opening more.',
  },
  rateLimited: {
    code: 'SOUK_GATEWAY_RATE_LIMITED',
    status: 429,
    title: 'Too many requests',
    retryable: true,
    description:
      'The caller (the signed-in user, or the client address when anonymous) is over the rate limit of this kind of request (read, write, checkout or auth); retry after the Retry-After delay. RateLimit-Policy and RateLimit say which limit.',
  },
  corsOriginRefused: {
    code: 'SOUK_GATEWAY_CORS_ORIGIN_REFUSED',
    status: 403,
    title: 'This origin may not call the API from a browser',
    retryable: false,
    description:
      "A CORS preflight came from an origin that is not among the gateway's allowed origins (the cors.origins setting, or GATEWAY_CORS_ORIGINS).",
  },
  chunkedBodyTooLarge: {
    code: 'SOUK_GATEWAY_CHUNKED_BODY_TOO_LARGE',
    status: 413,
    title: 'A body sent in chunks is too large',
    retryable: false,
    description:
      'A body without Content-Length (Transfer-Encoding: chunked) may be at most GATEWAY_BODY_BUFFER_BYTES (64 KiB by default); send larger bodies with a Content-Length, up to BODY_LIMIT_BYTES.',
  },
  upstreamTimeout: {
    code: 'SOUK_GATEWAY_UPSTREAM_TIMEOUT',
    status: 504,
    title: 'The service did not answer in time',
    retryable: true,
    description: 'No instance answered within GATEWAY_UPSTREAM_TIMEOUT_MS (10 s by default).',
  },
});
