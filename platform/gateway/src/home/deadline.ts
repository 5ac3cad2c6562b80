// A time budget for one part of an aggregation: the part's answer when it
// comes in time, a DeadlineExceeded at the deadline otherwise, so a slow
// dependency costs the page at most its budget.

import { isSoukError } from '@souk/chassis';

/**
 * How long after the deadline the part's call is cancelled. Its per-attempt
 * timeout equals the budget and fires first, so the circuit breaker counts a
 * slow instance as failing (a cancelled call is not counted); the cancel then
 * only stops retries whose answer would come too late to be used.
 */
export const CANCEL_GRACE_MS = 50;

/** The part did not answer within its budget. */
export class DeadlineExceeded extends Error {
  constructor(
    readonly part: string,
    readonly ms: number,
  ) {
    super(`${part} did not answer within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/** Runs `run` with a signal that is aborted shortly after the deadline; settles by the deadline at the latest. */
export function withDeadline<T>(ms: number, run: (signal: AbortSignal) => Promise<T>, part: string): Promise<T> {
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new DeadlineExceeded(part, ms));
      setTimeout(() => controller.abort(), CANCEL_GRACE_MS);
    }, ms);
    // After the deadline the promise is settled: a late answer or the cancellation's error is dropped here.
    run(controller.signal).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** One sentence for the response's `reason` and the log: what went wrong with a part, by code, not by message. */
export function describeFailure(part: string, err: unknown, ms: number): string {
  if (err instanceof DeadlineExceeded) return `${part} did not answer within ${ms} ms`;
  if (isSoukError(err)) return `${part} failed (${err.code})`;
  return `${part} failed`;
}
