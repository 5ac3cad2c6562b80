// Renders every failure as RFC 9457 problem+json: souk errors with their code,
// Fastify's own errors (validation, bad JSON, size, media type) as 4xx, and
// anything unexpected as a logged 500 carrying the trace id.

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { trace } from '@opentelemetry/api';
import { isSoukError, type SoukError } from '../errors/errors.ts';
import { chassisErrors } from '../errors/codes.ts';
import { PROBLEM_CONTENT_TYPE, toProblem } from '../errors/problem.ts';
import type { FieldIssue } from './validation.ts';
import { noteFailure } from './telemetry.ts';

/** Maps an error Fastify raised before the handler ran to a souk error. */
export function fromFastifyError(
  err: FastifyError & { validation?: FieldIssue[]; validationContext?: string },
): SoukError | undefined {
  if (err.validation) {
    const location = err.validationContext ?? 'body';
    const errors = err.validation.map((v) => ({ in: location, path: v.instancePath || '/', message: v.message }));
    const first = errors[0];
    const where = first && first.path !== '/' ? `${location}${first.path.replaceAll('/', '.')}` : location;
    return chassisErrors.invalidRequest({ detail: `${where} ${first?.message ?? 'is invalid'}`, extensions: { errors } });
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return chassisErrors.bodyTooLarge({ detail: 'The request body exceeds the limit of this endpoint.', cause: err });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return chassisErrors.unsupportedMediaType({ detail: err.message, cause: err });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return chassisErrors.malformedJson({ detail: 'The body is empty but was sent as JSON.', cause: err });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return chassisErrors.malformedJson({ detail: 'The body was sent as JSON but could not be parsed.', cause: err });
  }
  if (err instanceof SyntaxError || err.name === 'SyntaxError') {
    return chassisErrors.malformedJson({ detail: `The body is not valid JSON: ${err.message}`, cause: err });
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return chassisErrors.invalidRequest({ detail: err.message, cause: err });
  }
  return undefined;
}

/**
 * PostgreSQL refusing a value the request carried (a NUL character, text
 * longer than a column) is the client's input, not a bug: a 400, once, here,
 * rather than a check in every schema.
 */
const DATA_EXCEPTIONS: Record<string, string> = {
  '22021': 'The request contains a character that cannot be stored (such as U+0000).',
  '22P05': 'The request contains a character that cannot be stored (such as U+0000).',
  '22001': 'A value in the request is longer than the service can store.',
  '22003': 'A number in the request is out of the range the service can store.',
};

/**
 * The database going away under a request (a restart, crash recovery, a pool that cannot connect) is an outage
 * of this instance, not a bug: a 503 the client may retry. SQLSTATE class 08 (connection exception), 57P01–57P03
 * (shut down, crashed, not yet accepting), 53300 (too many connections); node-postgres's own messages when the
 * socket closes or the pool cannot connect in time; socket errors from the driver.
 */
const UNAVAILABLE_SQLSTATES = /^(08...|57P0[123]|53300)$/;
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);
const UNAVAILABLE_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

export function isDatabaseUnavailable(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.test(code) || UNAVAILABLE_SOCKET_CODES.has(code))) return true;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message);
}

/**
 * PostgreSQL ending a transaction to break a deadlock (40P01) or a serialization conflict (40001) between two
 * requests is not a bug either: the transaction rolled back, so the request may be sent again as it was.
 */
const CONFLICT_SQLSTATES = /^(40001|40P01)$/;

export function fromDatabaseError(err: unknown): SoukError | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  const detail = typeof code === 'string' ? DATA_EXCEPTIONS[code] : undefined;
  if (detail) return chassisErrors.invalidRequest({ detail, cause: err });
  if (typeof code === 'string' && CONFLICT_SQLSTATES.test(code))
    return chassisErrors.databaseConflict({
      detail: 'The request collided with a concurrent one and was rolled back; nothing was stored. Retry it.',
      headers: { 'retry-after': '1' },
      cause: err,
    });
  if (isDatabaseUnavailable(err))
    return chassisErrors.databaseUnavailable({
      detail: 'The database did not answer; nothing was stored. Retry in a moment.',
      headers: { 'retry-after': '1' },
      cause: err,
    });
  return undefined;
}

export function sendProblem(reply: FastifyReply, err: SoukError, instance: string): FastifyReply {
  const traceId = trace.getActiveSpan()?.spanContext().traceId;
  const headers: Record<string, string> = { ...err.headers };
  if (err.status === 401 && !headers['www-authenticate']) headers['www-authenticate'] = 'Bearer error="invalid_token"';
  return reply
    .code(err.status)
    .headers(headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send(toProblem(err, { instance, ...(traceId ? { traceId } : {}) }));
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const known = isSoukError(error)
      ? error
      : (fromDatabaseError(error) ?? fromFastifyError(error as Parameters<typeof fromFastifyError>[0]));
    const soukError = known ?? chassisErrors.internal({ detail: 'An unexpected error occurred.', cause: error });
    if (!known) request.log.error({ err: error }, 'unhandled error');
    else if (soukError.status >= 500) request.log.warn({ err: error, code: soukError.code }, soukError.detail);
    if (soukError.status >= 500) noteFailure(reply.raw, error, soukError.code);
    return sendProblem(reply, soukError, request.url.split('?')[0] ?? '/');
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    return sendProblem(reply, chassisErrors.routeNotFound(`No route for ${request.method} ${path}.`), path);
  });
}

/**
 * Requests the HTTP parser refuses never reach Fastify's handlers; Node would
 * answer them with a bare status line. Answer with a problem document too.
 */
export function clientErrorResponse(err: Error & { code?: string }): string {
  const soukError =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? chassisErrors.headersTooLarge()
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? chassisErrors.requestTimeout()
        : chassisErrors.malformedHttp({ detail: `The request could not be parsed (${err.code ?? 'parse error'}).` });
  const body = JSON.stringify(toProblem(soukError));
  return [
    `HTTP/1.1 ${soukError.status} ${soukError.title}`,
    `content-type: ${PROBLEM_CONTENT_TYPE}`,
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    '',
    body,
  ].join('\r\n');
}
