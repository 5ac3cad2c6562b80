// What makes the registry's routes speak Confluent rather than souk's
// problem+json: its media types for request bodies, its content type on every
// answer, and `{ error_code, message }` for every failure. It applies to the
// encapsulated Fastify scope the routes live in; other routes keep the chassis's.

import { chassisErrors, isSoukError, type App, type SoukError } from '@souk/chassis';
import { SCHEMA_REGISTRY_CONTENT_TYPE } from '../../contract.ts';
import { confluentCodeOf, registryErrors } from '../errors.ts';

/** application/json is parsed by the chassis already; these are Confluent's own and what some clients send. */
const EXTRA_BODY_TYPES = [
  'application/vnd.schemaregistry.v1+json',
  'application/vnd.schemaregistry+json',
  'application/octet-stream',
];

export function speakConfluent(scope: App): void {
  for (const type of EXTRA_BODY_TYPES) {
    scope.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, parseJsonBody(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    });
  }
  scope.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-type', SCHEMA_REGISTRY_CONTENT_TYPE);
    return payload;
  });
  scope.setErrorHandler((error: HttpError, request, reply) => {
    const err = toSoukError(error);
    if (err.status >= 500) request.log.error({ err: error, code: err.code }, 'schema registry request failed');
    return reply
      .code(err.status)
      .headers(err.headers)
      .type(SCHEMA_REGISTRY_CONTENT_TYPE)
      .send({ error_code: confluentCodeOf(err), message: err.detail });
  });
}

/**
 * JSON as the chassis parses it: an empty body and syntax errors are 400s,
 * and `__proto__` / `constructor.prototype` keys are refused rather than let
 * near an object's prototype (the chassis's parser is not exported, so this
 * mirrors its secure-json-parse settings).
 */
export function parseJsonBody(text: string): unknown {
  if (text === '') throw chassisErrors.malformedJson('The body is empty but was sent as JSON.');
  try {
    return JSON.parse(text, function reviver(this: unknown, key: string, value: unknown): unknown {
      if (key === '__proto__') throw new SyntaxError('Object contains forbidden prototype property');
      if (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype')) {
        throw new SyntaxError('Object contains forbidden prototype property');
      }
      return value;
    });
  } catch (err) {
    throw chassisErrors.malformedJson({ detail: `The body is not valid JSON: ${(err as Error).message}.`, cause: err });
  }
}

interface FieldIssue {
  instancePath: string;
  message: string;
}

/** What Fastify hands an error handler: its own errors carry a code, a status and, for validation, the issues. */
type HttpError = Error & { code?: string; statusCode?: number; validation?: FieldIssue[]; validationContext?: string };

/** Any failure on these routes as a souk error, mapped to its Confluent code by the handler. */
function toSoukError(error: HttpError): SoukError {
  if (isSoukError(error)) return error;
  if (error.validation) {
    const where = error.validationContext ?? 'body';
    const first = error.validation[0];
    const field =
      first && first.instancePath && first.instancePath !== '/' ? `${where}${first.instancePath.replaceAll('/', '.')}` : where;
    return registryErrors.invalidRequest({ detail: `${field} ${first?.message ?? 'is invalid'}`, cause: error });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return chassisErrors.bodyTooLarge({ detail: 'The request body exceeds the limit of this endpoint.', cause: error });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return chassisErrors.unsupportedMediaType({
        detail: `Unsupported content type: send one of application/vnd.schemaregistry.v1+json, application/json.`,
        cause: error,
      });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return chassisErrors.malformedJson({ detail: 'The body was sent as JSON but could not be parsed.', cause: error });
    default:
      break; // not one of Fastify's body errors: look further below
  }
  if (error instanceof SyntaxError)
    return chassisErrors.malformedJson({ detail: `The body is not valid JSON: ${error.message}`, cause: error });
  const sqlState = typeof error.code === 'string' && /^[0-9A-Z]{5}$/.test(error.code) ? error.code : undefined;
  // PostgreSQL refusing a value the request carried (a NUL character) is the caller's input.
  if (sqlState?.startsWith('22'))
    return registryErrors.invalidRequest({
      detail: 'The request contains a value the registry cannot store (such as U+0000).',
      cause: error,
    });
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return chassisErrors.invalidRequest({ detail: error.message, cause: error });
  }
  if (sqlState || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'].includes(String(error.code))) {
    return registryErrors.storeError({ detail: 'Error while accessing the schema store; retry later.', cause: error });
  }
  return chassisErrors.internal({ detail: 'An unexpected error occurred.', cause: error });
}
