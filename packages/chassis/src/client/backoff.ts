// Exponential backoff with full jitter, for client retries and for the
// registry client's reconnects.
//
// Full jitter (delay = random(0, min(cap, base * 2^n))) rather than a fixed
// exponential delay: when an instance fails, every caller retries at once, and
// spreading the retries over the whole window keeps them from arriving in
// synchronised waves (AWS Architecture Blog, "Exponential Backoff And Jitter").

import type { IBackoff, IBackoffFactory } from 'cockatiel';

export interface BackoffOptions {
  /** Ceiling of the first delay, in ms. */
  baseMs: number;
  /** No delay is ever longer than this, in ms. */
  capMs: number;
  /** Uniform in [0, 1); injected so tests can pin the jitter. */
  random?: () => number;
}

/**
 * The delay before retry number `retry` (0 for the first retry):
 * a uniformly random whole number of ms in [0, min(capMs, baseMs * 2^retry)).
 */
export function fullJitterDelay(retry: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.max(0, retry));
  return Math.floor(random() * ceiling);
}

function backoffAt(options: BackoffOptions, retry: number): IBackoff<unknown> {
  return {
    duration: fullJitterDelay(retry, options),
    next: () => backoffAt(options, retry + 1),
  };
}

/** The same backoff as a cockatiel backoff factory, for `retry(policy, { backoff })`. */
export function fullJitterBackoff(options: BackoffOptions): IBackoffFactory<unknown> {
  return { next: () => backoffAt(options, 0) };
}
