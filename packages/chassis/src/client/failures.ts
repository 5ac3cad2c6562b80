// What went wrong in one attempt, and whether the call may be tried again.
// The retry decision depends both on the failure and on whether repeating the
// request could do its effect twice.

import { chassisErrors, isSoukError, type SoukError } from '../errors/index.ts';

/**
 * - `not-sent`: the request never left this process (connection refused, DNS
 *   failure, connect timeout); the server cannot have acted on it.
 * - `breaker-open`: the picked instance's breaker refused the call; nothing sent.
 * - `connection`: the connection broke after it was established; the server may
 *   have received and acted on the request.
 * - `timeout`: no complete answer in time; the server may still be working on it.
 * - `status`: the server answered 502, 503 or 504 (overloaded, draining, or a proxy
 *   could not reach it).
 * - `final`: anything not worth repeating (4xx, other 5xx, bulkhead full, no
 *   instance, every breaker open).
 */
export type FailureKind = 'not-sent' | 'breaker-open' | 'connection' | 'timeout' | 'status' | 'final';

const kinds = new WeakMap<object, FailureKind>();

/** Tags `err` with its kind (kept beside the error, not on it, so it never reaches a problem document). */
export function markFailure(err: SoukError, kind: FailureKind): SoukError {
  kinds.set(err, kind);
  return err;
}

export function failureKind(err: unknown): FailureKind {
  return (typeof err === 'object' && err !== null && kinds.get(err)) || 'final';
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Whether sending the request twice has the same effect as once (RFC 9110 §9.2.2, or an Idempotency-Key). */
export function isRepeatable(method: string, idempotencyKey?: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase()) || (idempotencyKey !== undefined && idempotencyKey !== '');
}

/**
 * Whether to try again, on another instance. A request the server never saw
 * (connection refused, breaker open) is safe to resend whatever its method:
 * it cannot have been applied. Anything that may have reached the server is
 * resent only when repeating it is harmless. 4xx is never retried: the same
 * request would be rejected again.
 */
export function shouldRetry(err: unknown, repeatable: boolean): boolean {
  const kind = failureKind(err);
  if (kind === 'not-sent' || kind === 'breaker-open') return true;
  if (!repeatable) return false;
  return kind === 'connection' || kind === 'timeout' || kind === 'status';
}

/** Socket error codes raised before a connection exists, so before any byte of the request went out. */
/** Errors raised while connecting: the request never left, so retrying it is safe for any method. */
export const CONNECT_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Answers that say "this instance cannot serve now": worth a retry elsewhere when the request is repeatable. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

function errorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Whether `err` (or an error it wraps) is a refused connection: nothing listens there, now. */
export function isConnectionRefused(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    if ((current as { code?: unknown }).code === 'ECONNREFUSED') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * A transport failure of one attempt as a souk error. We cannot tell whether
 * a reset on an established (kept-alive) connection hit before or after the
 * request was written, so only errors raised while connecting count as unsent.
 */
export function transportFailure(err: unknown, service: string, aborted: boolean): SoukError {
  if (isSoukError(err)) return err;
  if (aborted) {
    return markFailure(
      chassisErrors.timeout({ detail: `${service} did not answer in time`, cause: err, extensions: { service } }),
      'timeout',
    );
  }
  const code = errorCode(err) ?? 'unknown';
  const failure = chassisErrors.connectionFailed({
    detail: `Could not reach ${service} (${code})`,
    cause: err,
    extensions: { service },
  });
  return markFailure(failure, CONNECT_ERROR_CODES.has(code) ? 'not-sent' : 'connection');
}

/**
 * Cockatiel marks its errors with a boolean property. Its own guards are not
 * used: in 3.2.1 isTaskCancelledError and isIsolatedCircuitError test the
 * bulkhead's marker, so a timeout would pass for a full bulkhead.
 */
function hasMarker(err: unknown, marker: 'isTaskCancelledError' | 'isBrokenCircuitError' | 'isBulkheadRejectedError'): boolean {
  return err instanceof Error && (err as unknown as Record<string, unknown>)[marker] === true;
}

/** Errors thrown by cockatiel policies (timeout, breaker, bulkhead) as souk errors; others unchanged. */
export function policyFailure(err: unknown, service: string, timeoutMs: number): unknown {
  if (isSoukError(err)) return err;
  if (hasMarker(err, 'isTaskCancelledError')) {
    return markFailure(
      chassisErrors.timeout({ detail: `${service} did not answer within ${timeoutMs} ms`, cause: err, extensions: { service } }),
      'timeout',
    );
  }
  // IsolatedCircuitError extends BrokenCircuitError, so it carries the same marker.
  if (hasMarker(err, 'isBrokenCircuitError')) {
    return markFailure(
      chassisErrors.circuitOpen({ detail: `The circuit to ${service} is open`, cause: err, extensions: { service } }),
      'breaker-open',
    );
  }
  if (hasMarker(err, 'isBulkheadRejectedError')) {
    return markFailure(
      chassisErrors.bulkheadFull({ detail: `Too many concurrent calls to ${service}`, cause: err, extensions: { service } }),
      'final',
    );
  }
  return err;
}
