// The jobs module's rules as pure functions: which errors no retry fixes, and
// what follows a failed attempt (retry after a backoff, or park for an
// operator). The runner does the I/O around them.

import { backoffDelay, type Backoff } from '../backoff.ts';
import { isSoukError } from '../errors/index.ts';

/** Jobs retry on the equal-jitter curve (backoff.ts): 1 s doubling to 5 min, half of each window jittered. */
export const DEFAULT_JOB_BACKOFF: Backoff = { curve: 'equal-jitter', baseMs: 1_000, capMs: 300_000 };
/** Failed attempts after which a job is PARKED. */
export const DEFAULT_JOB_PARK_AFTER = 10;

/** An error that says "no retry fixes this": the job is parked at once. Checked by marker, not instanceof. */
export interface PermanentFailure extends Error {
  permanent: true;
}

/** Makes an error that parks its job at once (`cause`: what was wrong). */
export function permanentFailure(message: string, options: { cause?: unknown } = {}): PermanentFailure {
  return Object.assign(new Error(message, options), { name: 'PermanentFailure', permanent: true as const });
}

/**
 * Whether no retry can fix `err`: it carries the `permanent: true` marker, or
 * it is a souk error refusing the request itself (a 4xx not marked retryable).
 */
export function isPermanentFailure(err: unknown): boolean {
  if (typeof err === 'object' && err !== null && (err as { permanent?: unknown }).permanent === true) return true;
  return isSoukError(err) && !err.retryable && err.status >= 400 && err.status < 500;
}

export type AfterJobFailure = { kind: 'retry'; delayMs: number } | { kind: 'park'; why: string };

/** After failed attempt number `attempts` (counted since the job was enqueued or an operator retried it). */
export function afterJobFailure(input: {
  err: unknown;
  attempts: number;
  parkAfter: number;
  backoff: Backoff;
  /** More errors no retry fixes, as the job kind knows them. */
  isPermanent?: (err: unknown) => boolean;
  random?: () => number;
}): AfterJobFailure {
  if (isPermanentFailure(input.err) || input.isPermanent?.(input.err))
    return { kind: 'park', why: 'an error no retry fixes: an operator must look' };
  if (input.attempts >= input.parkAfter) return { kind: 'park', why: `${input.attempts} attempts failed` };
  return { kind: 'retry', delayMs: backoffDelay(input.backoff, input.attempts, input.random) };
}

/** One line for last_error: the code (when it has one) and the message. */
export function describeJobError(err: unknown): string {
  if (isSoukError(err)) return `${err.code}: ${err.detail || err.message}`;
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
