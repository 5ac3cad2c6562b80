// The service client interface of the chassis contract, and its options.

import type { SoukError } from '../errors/index.ts';

/** One call to another service. */
export interface ServiceRequest<T = unknown> {
  method: string;
  /** Path under the instance URL, e.g. `/api/v1/catalog/products/42`. */
  path: string;
  /** Query parameters; undefined values are left out. */
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as `Idempotency-Key`; also makes a non-idempotent method retryable. */
  idempotencyKey?: string;
  /** Per-attempt timeout in ms, instead of the client's default. */
  timeoutMs?: number;
  /**
   * Whose token the call carries. 'caller' (default): the token of the request
   * being handled, if any. 'service': the service's own client_credentials
   * token, for calls made on its own behalf (saga steps, background work) —
   * the caller's token is not sent then.
   */
  auth?: 'caller' | 'service';
  /** Cancels the call (and its retries), e.g. a long poll when the caller shuts down. */
  signal?: AbortSignal;
  /**
   * Called when the call failed for a reason that is not the caller's fault
   * (status 5xx: transport failure, open circuit, full bulkhead, upstream 5xx);
   * its value becomes the response body. 4xx errors are always thrown: a
   * fallback would hide a wrong request. It may rethrow.
   */
  fallback?: (err: SoukError) => T | Promise<T>;
}

export interface ServiceResponse<T = unknown> {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Parsed JSON when the answer was JSON, text otherwise, undefined when empty. */
  body: T;
}

/** Outgoing calls to one service, through discovery and the resilience policies. */
export interface ServiceClient {
  request<T = unknown>(req: ServiceRequest<T>): Promise<ServiceResponse<T>>;
}

/** Tuning of one client; every field has a default (see DEFAULT_CLIENT_OPTIONS). */
export interface ClientOptions {
  /** Total attempts per call, the first included. */
  attempts?: number;
  /** Ceiling of the first retry delay (full jitter), ms. */
  backoffBaseMs?: number;
  /** Longest retry delay, ms. */
  backoffCapMs?: number;
  /** Per-attempt timeout, ms. */
  timeoutMs?: number;
  /** Concurrent calls to the service from this process. */
  bulkheadLimit?: number;
  /** Calls waiting for a slot before new ones are refused. */
  bulkheadQueue?: number;
  /** Uniform in [0, 1), for the backoff jitter; tests inject it. */
  random?: () => number;
}

export const DEFAULT_CLIENT_OPTIONS = {
  attempts: 3,
  backoffBaseMs: 100,
  backoffCapMs: 2000,
  timeoutMs: 5000,
  bulkheadLimit: 32,
  bulkheadQueue: 64,
} as const;

/** Occupancy of one service's bulkhead, for /_admin/resilience. */
export interface BulkheadSnapshot {
  service: string;
  active: number;
  queued: number;
  limit: number;
  queueLimit: number;
}
