// RFC 9457 problem details: turning errors into documents and documents back into errors.

import { isSoukError, SoukError } from './errors.ts';
import { chassisErrors } from './codes.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  traceId?: string;
  [extension: string]: unknown;
}

/** The problem `type` URI for a code. */
export function problemType(code: string): string {
  return `urn:souk:problem:${code}`;
}

/** Any thrown value as a souk error; what is not one becomes SOUK_INTERNAL (a bug). */
export function toSoukError(err: unknown): SoukError {
  if (isSoukError(err)) return err;
  return chassisErrors.internal({ detail: 'An unexpected error occurred.', cause: err });
}

export function toProblem(err: SoukError, context: { instance?: string; traceId?: string } = {}): ProblemDocument {
  return {
    ...err.extensions,
    type: problemType(err.code),
    title: err.title,
    status: err.status,
    detail: err.detail,
    code: err.code,
    ...(context.instance ? { instance: context.instance } : {}),
    ...(context.traceId ? { traceId: context.traceId } : {}),
  };
}

const RESERVED = new Set(['type', 'title', 'status', 'detail', 'code', 'instance', 'traceId']);

/**
 * Rebuilds a problem document received from another service as a typed error,
 * so callers check `err.code` exactly as for a local error.
 */
export function fromProblem(doc: unknown, fallbackStatus: number, service?: string, retryAfter?: string): SoukError {
  const p = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
  const code = typeof p.code === 'string' ? p.code : fallbackStatus >= 500 ? 'SOUK_UPSTREAM_ERROR' : 'SOUK_UPSTREAM_REJECTED';
  const status = typeof p.status === 'number' ? p.status : fallbackStatus;
  const extensions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (!RESERVED.has(k)) extensions[k] = v;
  if (service) extensions.service = service;
  if (typeof p.traceId === 'string') extensions.remoteTraceId = p.traceId;
  return new SoukError(
    {
      code,
      status,
      title: typeof p.title === 'string' ? p.title : `Upstream answered ${status}`,
      retryable: status >= 500 || status === 429,
    },
    {
      detail: typeof p.detail === 'string' ? p.detail : `Upstream answered ${status}`,
      extensions,
      // The callee's own estimate of when to come back: breakers honour it (client/breakers.ts), and a caller passing the failure on passes it on.
      ...(retryAfter ? { headers: { 'retry-after': retryAfter } } : {}),
    },
  );
}
