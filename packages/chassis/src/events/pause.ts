// Waiting in the event layer's background loops: abortable, so a service that
// stops does not sit out a back-off, and one back-off curve for all of them.

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The wait after the nth failure in a row of a loop whose dependency is away: 200 ms doubling to 5 s. */
export function failurePause(failures: number): number {
  return Math.min(5_000, 100 * 2 ** Math.min(Math.max(failures, 1), 6));
}
