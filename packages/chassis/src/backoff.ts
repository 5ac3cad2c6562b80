// The chassis' one backoff module: how long to wait after the nth failure in a
// row, as one of three named curves. Every retry loop of the chassis (client
// retries, registry reconnects, LISTEN reconnects, event redeliveries, the
// event layer's own loops, saga steps, jobs) and of the services picks a curve
// and its base/cap here instead of writing its own formula.
//
// All three share the window: ceiling(n) = min(capMs, baseMs * 2^(n-1)) for
// failure n >= 1 (a count below 1 is taken as 1).
//
// - 'full-jitter': uniform in [0, ceiling). When an instance fails, every
//   caller retries at once; spreading the retries over the whole window keeps
//   them from arriving in synchronised waves (AWS Architecture Blog,
//   "Exponential Backoff And Jitter"). For calls many callers make at once.
// - 'equal-jitter': uniform in [ceiling/2, ceiling). Half the window is kept,
//   so the attempts stay spread out in time (an outage is not used up by a
//   few quick draws near zero); the random half keeps instances out of step.
//   For work retried until it parks (event redeliveries, jobs).
// - 'exponential': exactly the ceiling, no jitter. For a loop of this process
//   waiting for its own dependency to come back (nothing to desynchronise).

import type { IBackoff, IBackoffFactory } from 'cockatiel';

export type BackoffCurve = 'full-jitter' | 'equal-jitter' | 'exponential';

export interface Backoff {
  curve: BackoffCurve;
  /** The ceiling after the first failure, in ms; it doubles per failure. */
  baseMs: number;
  /** No delay is ever longer than this, in ms. */
  capMs: number;
}

/** A jittered curve's window; `random` (uniform in [0, 1)) is injected so tests can pin the jitter. */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  random?: () => number;
}

/** The wait after the nth failure in a row of a loop whose dependency is away: 200 ms doubling to 5 s. */
export const FAILURE_PAUSE: Backoff = { curve: 'exponential', baseMs: 200, capMs: 5_000 };

/**
 * The delay after failure number `failures` (1 for the first) on `backoff`'s
 * curve, in whole ms. `random` is uniform in [0, 1) (default Math.random).
 */
export function backoffDelay(backoff: Backoff, failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** (Math.max(1, failures) - 1));
  switch (backoff.curve) {
    case 'full-jitter':
      return Math.floor(random() * ceiling);
    case 'equal-jitter':
      return Math.floor(ceiling / 2 + random() * (ceiling / 2));
    case 'exponential':
      return ceiling;
  }
}

/** The pause after the nth failure in a row on FAILURE_PAUSE (the event layer's loops, claim loops). */
export function failurePause(failures: number): number {
  return backoffDelay(FAILURE_PAUSE, failures);
}

function backoffAt(backoff: Backoff, failures: number, random?: () => number): IBackoff<unknown> {
  return {
    duration: backoffDelay(backoff, failures, random),
    next: () => backoffAt(backoff, failures + 1, random),
  };
}

/** A curve as a cockatiel backoff factory, for `retry(policy, { backoff })` (the service client). */
export function cockatielBackoff(backoff: Backoff, random?: () => number): IBackoffFactory<unknown> {
  return { next: () => backoffAt(backoff, 1, random) };
}
