// One attempt of a step or compensation, under its own AbortSignal and
// timeout, and the lease-loss and shutdown reasons that interrupt it.

import { LeaseLost, WorkerStopping } from '../jobs/lease.ts';
import { sagaErrors } from './errors.ts';

export { LeaseLost };

export type AttemptResult<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'failed'; err: unknown; timedOut: boolean }
  /** The runner stopped or lost the lease: not a failure of the step. */
  | { kind: 'interrupted' };

export interface AttemptOptions {
  timeoutMs: number;
  /** Aborts on lease loss or shutdown. */
  parent: AbortSignal;
  /**
   * true: stop waiting at the timeout even if `fn` ignores its signal (a remote
   * call); then wait up to `graceMs` for it to settle, so the next attempt does
   * not overlap it. false: wait for `fn` (a database transaction, which its own
   * statement timeout bounds; its outcome is the truth).
   */
  race: boolean;
  graceMs: number;
}

export async function runAttempt<T>(fn: (signal: AbortSignal) => Promise<T>, o: AttemptOptions): Promise<AttemptResult<T>> {
  const ctl = new AbortController();
  let timedOut = false;
  const onParent = () => ctl.abort(o.parent.reason);
  if (o.parent.aborted) return { kind: 'interrupted' };
  o.parent.addEventListener('abort', onParent, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort(sagaErrors.attemptTimedOut(`The attempt did not finish within ${o.timeoutMs} ms`));
  }, o.timeoutMs);
  const work = Promise.resolve().then(() => fn(ctl.signal));
  work.catch(() => undefined); // settles after a race was lost: not an unhandled rejection
  try {
    const value = o.race ? await Promise.race([work, aborted(ctl.signal)]) : await work;
    return { kind: 'ok', value };
  } catch (err) {
    if (err instanceof LeaseLost || err instanceof WorkerStopping || (o.parent.aborted && !timedOut))
      return { kind: 'interrupted' };
    if (timedOut && o.race) await settledOrAfter(work, o.graceMs);
    return { kind: 'failed', err, timedOut };
  } finally {
    clearTimeout(timer);
    o.parent.removeEventListener('abort', onParent);
  }
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function settledOrAfter(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void work.then(
      () => (clearTimeout(timer), resolve()),
      () => (clearTimeout(timer), resolve()),
    );
  });
}
