// Error codes raised by the chassis itself (request handling, auth, outgoing calls).

import { defineErrors } from './errors.ts';

export const chassisErrors = defineErrors({
  secretUnavailable: {
    code: 'SOUK_SECRET_UNAVAILABLE',
    status: 500,
    title: 'A secret could not be read',
    description:
      'At start only, never in an answer: a secret the service needs is missing from SECRETS_DIR or Vault, or the source failed. The message names the secret and where it was looked for, never a value; the process exits.',
  },
  invalidRequest: {
    code: 'SOUK_REQUEST_INVALID',
    status: 400,
    title: 'The request is invalid',
    description: 'A parameter, header or body field failed validation; `errors` lists each problem with its location.',
  },
  malformedJson: {
    code: 'SOUK_REQUEST_MALFORMED_JSON',
    status: 400,
    title: 'The request body is not valid JSON',
    description: 'The body was sent as JSON but could not be parsed.',
  },
  unsupportedMediaType: {
    code: 'SOUK_REQUEST_UNSUPPORTED_MEDIA_TYPE',
    status: 415,
    title: 'Unsupported content type',
    description: 'The body has a content type the endpoint does not accept; send application/json.',
  },
  bodyTooLarge: {
    code: 'SOUK_REQUEST_TOO_LARGE',
    status: 413,
    title: 'The request body is too large',
    description: 'The body exceeds the endpoint limit (1 MiB unless stated otherwise).',
  },
  malformedHttp: {
    code: 'SOUK_REQUEST_MALFORMED_HTTP',
    status: 400,
    title: 'The request is not valid HTTP',
    description:
      'The HTTP parser refused the request (for example both Content-Length and Transfer-Encoding, or a bad header line).',
  },
  headersTooLarge: {
    code: 'SOUK_REQUEST_HEADERS_TOO_LARGE',
    status: 431,
    title: 'The request headers are too large',
    description: 'The request line and headers together exceed the server limit (16 KiB).',
  },
  requestTimeout: {
    code: 'SOUK_REQUEST_TIMEOUT',
    status: 408,
    title: 'The request took too long to arrive',
    description: 'The client did not send the whole request within the server timeout.',
  },
  uriTooLong: {
    code: 'SOUK_REQUEST_URI_TOO_LONG',
    status: 414,
    title: 'A path segment is too long',
    description: 'A path parameter exceeds the length any endpoint accepts (100 characters).',
  },
  routeNotFound: {
    code: 'SOUK_ROUTE_NOT_FOUND',
    status: 404,
    title: 'No such route',
    description: 'No endpoint matches this method and path.',
  },
  tokenMissing: {
    code: 'SOUK_AUTH_TOKEN_MISSING',
    status: 401,
    title: 'Authentication required',
    description: 'The endpoint needs a bearer access token in the Authorization header.',
  },
  tokenInvalid: {
    code: 'SOUK_AUTH_TOKEN_INVALID',
    status: 401,
    title: 'The access token is not valid',
    description: 'The bearer token is malformed, expired, signed by an unknown key or issued for another audience.',
  },
  keysUnavailable: {
    code: 'SOUK_AUTH_KEYS_UNAVAILABLE',
    status: 503,
    title: 'Tokens cannot be checked right now',
    retryable: true,
    description: "The identity service's signing keys could not be fetched, so no token can be verified; retry shortly.",
  },
  exchangeUnavailable: {
    code: 'SOUK_AUTH_EXCHANGE_UNAVAILABLE',
    status: 503,
    title: 'The token cannot be exchanged right now',
    retryable: true,
    description:
      "The gateway trades a user's token for an internal one at identity (RFC 8693) before it forwards a request; identity did not answer with one. Retry shortly.",
  },
  forbidden: {
    code: 'SOUK_AUTH_FORBIDDEN',
    status: 403,
    title: 'Not allowed',
    description: 'The caller is authenticated but lacks the role or scope the endpoint requires.',
  },
  faultInjected: {
    code: 'SOUK_FAULT_INJECTED',
    status: 503,
    title: 'A fault was injected',
    retryable: true,
    description:
      'The service answered with a failure on purpose: its `faults` setting at the config server asks for a share of errors (a chaos experiment or a canary drill). Retry; it goes elsewhere or passes.',
  },
  shuttingDown: {
    code: 'SOUK_SERVICE_SHUTTING_DOWN',
    status: 503,
    title: 'The instance is shutting down',
    retryable: true,
    description: 'The instance is draining; the request can be retried on another instance.',
  },
  notReady: {
    code: 'SOUK_SERVICE_NOT_READY',
    status: 503,
    title: 'The instance is not ready',
    retryable: true,
    description: 'A readiness check failed; `checks` tells which.',
  },
  noInstance: {
    code: 'SOUK_CLIENT_NO_INSTANCE',
    status: 503,
    title: 'No instance of the service is available',
    retryable: true,
    description: 'Discovery knows no healthy instance of the called service.',
  },
  circuitOpen: {
    code: 'SOUK_CLIENT_CIRCUIT_OPEN',
    status: 503,
    title: 'The circuit to the service is open',
    retryable: true,
    description: 'Recent calls failed too often; calls are refused until the breaker half-opens.',
  },
  bulkheadFull: {
    code: 'SOUK_CLIENT_BULKHEAD_FULL',
    status: 503,
    title: 'Too many concurrent calls to the service',
    retryable: true,
    description: 'The bulkhead for the called service has no free slot or queue place.',
  },
  timeout: {
    code: 'SOUK_CLIENT_TIMEOUT',
    status: 504,
    title: 'The called service did not answer in time',
    retryable: true,
    description: 'The call exceeded its timeout.',
  },
  cancelled: {
    code: 'SOUK_CLIENT_CANCELLED',
    status: 499,
    title: 'The call was cancelled by the caller',
    description:
      'The calling code gave up on the call (its AbortSignal fired, e.g. at shutdown). Never sent over the wire; not counted against the called instance.',
  },
  serviceTokenUnavailable: {
    code: 'SOUK_CLIENT_SERVICE_TOKEN_UNAVAILABLE',
    status: 503,
    title: "The service's own access token could not be obtained",
    retryable: true,
    description:
      "A call on the service's own behalf (auth: service) needs a client_credentials token; the service has no credentials configured (SERVICE_CLIENT_ID and the secret service-client-secret) or identity did not give one.",
  },
  connectionFailed: {
    code: 'SOUK_CLIENT_CONNECTION_FAILED',
    status: 503,
    title: 'Could not reach the service',
    retryable: true,
    description: 'The connection to the called instance failed or was reset before a response arrived.',
  },
  upstreamError: {
    code: 'SOUK_UPSTREAM_ERROR',
    status: 502,
    title: 'The called service failed',
    retryable: true,
    description: 'A called service answered with a 5xx that carried no souk problem document.',
  },
  upstreamRejected: {
    code: 'SOUK_UPSTREAM_REJECTED',
    status: 400,
    title: 'The called service rejected the request',
    description: 'A called service answered with a 4xx that carried no souk problem document.',
  },
  deadLetterNotFound: {
    code: 'SOUK_EVENTS_DEAD_LETTER_NOT_FOUND',
    status: 404,
    title: 'No such dead letter',
    description: 'The dead-letter id names no event parked by this service.',
  },
  redriveFailed: {
    code: 'SOUK_EVENTS_REDRIVE_FAILED',
    status: 409,
    title: 'The event failed again',
    description:
      'A redriven dead letter was handed to its handler and failed again; it stays parked with the new error. Fix the cause, then redrive again.',
  },
  databaseUnavailable: {
    code: 'SOUK_DATABASE_UNAVAILABLE',
    status: 503,
    title: "The service's database is unavailable",
    retryable: true,
    description:
      'The connection to the database was lost or refused (the server restarting, crash recovery, no free connection): nothing was acknowledged; retry with the same Idempotency-Key after `Retry-After` seconds.',
  },
  databaseConflict: {
    code: 'SOUK_DATABASE_CONFLICT',
    status: 503,
    title: 'The request collided with a concurrent one',
    retryable: true,
    description:
      "The database ended the request's transaction to break a deadlock or a serialization conflict with another request (SQLSTATE 40P01, 40001): nothing was stored; retry with the same Idempotency-Key after `Retry-After` seconds.",
  },
  internal: {
    code: 'SOUK_INTERNAL',
    status: 500,
    title: 'Internal error',
    description: 'A bug: the service failed in a way it does not expect. The trace id leads to the logs.',
  },
});
