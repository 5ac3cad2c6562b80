// What the cancellation worker does after a failed attempt (pure): retry after
// an exponential backoff with jitter, or park the cancellation for an operator.

import { isSoukError } from '@souk/chassis';
import { errors } from '../errors.ts';

export interface RetryPolicy {
  /** Failed attempts after which a cancellation is parked (PAYMENTS_CANCELLATION_PARK_AFTER). */
  parkAfter: number;
  /** Backoff after the first failed attempt (PAYMENTS_CANCELLATION_RETRY_BASE_MS); doubles per attempt. */
  baseMs: number;
  /** Longest backoff (PAYMENTS_CANCELLATION_RETRY_CAP_MS). */
  capMs: number;
}

export type AfterFailure = { kind: 'retry'; delayMs: number } | { kind: 'park'; why: string };

/**
 * The pause before the attempt after failed attempt number `attempt` (1 for
 * the first): "equal jitter", uniformly in [ceiling/2, ceiling) with
 * ceiling = min(cap, base * 2^(attempt-1)). Half the window is kept so the
 * attempts stay spread out in time (an outage is not used up by a few quick
 * draws of zero); the random half keeps the instances' retries out of step.
 */
export function retryDelayMs(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Errors no retry can fix: the provider's records contradict the ledger (an
 * operator must look), or a refusal (4xx) of the command itself.
 */
export function needsOperator(err: unknown): boolean {
  if (errors.providerDisagrees.is(err)) return true;
  return isSoukError(err) && !err.retryable && err.status >= 400 && err.status < 500;
}

/** After failed attempt number `attempts` (counted since recorded or retried by an operator). */
export function afterFailure(
  attempts: number,
  failures: readonly unknown[],
  policy: RetryPolicy,
  random?: () => number,
): AfterFailure {
  if (failures.some(needsOperator)) return { kind: 'park', why: 'the provider or the ledger refused it: an operator must look' };
  if (attempts >= policy.parkAfter) return { kind: 'park', why: `${attempts} attempts failed` };
  return { kind: 'retry', delayMs: retryDelayMs(attempts, policy, random) };
}

/** One line for last_error: the code (when it has one) and the message. */
export function describeFailure(err: unknown): string {
  if (isSoukError(err)) return `${err.code}: ${err.detail}`;
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
