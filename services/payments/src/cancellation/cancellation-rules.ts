// The cancellation job's rules (pure): its backoff curve, which failures no
// retry fixes, and the one error an attempt with failures ends in.

import { permanentFailure, isSoukError, type Backoff } from '@souk/chassis';
import { errors } from '../errors.ts';

export interface RetryPolicy {
  /** Failed attempts after which a cancellation is parked (PAYMENTS_CANCELLATION_PARK_AFTER). */
  parkAfter: number;
  /** Backoff after the first failed attempt (PAYMENTS_CANCELLATION_RETRY_BASE_MS); doubles per attempt. */
  baseMs: number;
  /** Longest backoff (PAYMENTS_CANCELLATION_RETRY_CAP_MS). */
  capMs: number;
}

/**
 * The chassis' equal-jitter curve: after failed attempt n, uniformly in
 * [c/2, c) with c = min(cap, base * 2^(n-1)). Half the window is kept so the
 * attempts stay spread out in time (an outage is not used up by a few quick
 * draws of zero); the random half keeps the instances' retries out of step.
 */
export function cancellationBackoff(policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>): Backoff {
  return { curve: 'equal-jitter', baseMs: policy.baseMs, capMs: policy.capMs };
}

/**
 * Errors no retry can fix: the provider's records contradict the ledger (an
 * operator must look), or a refusal (4xx) of the command itself.
 */
export function needsOperator(err: unknown): boolean {
  if (errors.providerDisagrees.is(err)) return true;
  return isSoukError(err) && !err.retryable && err.status >= 400 && err.status < 500;
}

/** One line per failure: the code (when it has one) and the message. */
export function describeFailure(err: unknown): string {
  if (isSoukError(err)) return `${err.code}: ${err.detail}`;
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/**
 * The error an attempt ends in when giving back some of the order's payments
 * failed: every failure in its message (the job's last_error), and marked
 * permanent (the job parks at once) when one of them needs an operator.
 */
export function cancellationFailure(failures: readonly unknown[]): Error {
  const message = failures.map(describeFailure).join('; ');
  if (failures.some(needsOperator)) return permanentFailure(message, { cause: failures[0] });
  return new Error(message, { cause: failures[0] });
}
