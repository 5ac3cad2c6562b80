// Waiting helpers: poll a condition until a deadline (never a fixed sleep), await a child's exit, and
// stop a process by escalating signals, each with its own deadline.
import type { ChildProcess } from 'node:child_process';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Describes what is awaited, for the timeout error. */
  what: string;
  /** Settles with an error to give up early (e.g. the process being waited on exited). */
  abort?: Promise<Error>;
}

/** Resolves once `check` returns true; rejects on timeout, on abort, or when `check` throws. */
export async function waitFor(check: () => boolean | Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = performance.now() + options.timeoutMs;
  let aborted: Error | undefined;
  void options.abort?.then((err) => {
    aborted = err;
  });
  // A function, not inline checks: flow analysis cannot see the callback's assignment and would take `aborted` for undefined.
  const throwIfAborted = () => {
    if (aborted) throw aborted;
  };
  for (;;) {
    throwIfAborted();
    if (await check()) return;
    throwIfAborted();
    const left = deadline - performance.now();
    if (left <= 0) throw new Error(`timed out after ${(options.timeoutMs / 1000).toFixed(1)} s waiting for ${options.what}`);
    await delay(Math.min(options.intervalMs, left), options.abort);
  }
}

/** A timer that also ends early when `wake` settles. */
export function delay(ms: number, wake?: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void wake?.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {},
    );
  });
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function waitForExit(child: ChildProcess): Promise<ExitInfo> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // spawn failures (ENOENT) emit 'error' and maybe never 'exit'.
    child.once('error', () => resolve({ code: child.exitCode ?? -1, signal: child.signalCode }));
  });
}

/** True when `promise` settles within `ms` (Infinity: wait as long as it takes), false when the time runs out first. */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const settled = promise.then(
    () => true,
    () => true,
  );
  if (ms === Infinity) return settled;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  return Promise.race([settled, timeout]).finally(() => clearTimeout(timer));
}

export interface SignalStep {
  signal: NodeJS.Signals;
  /** How long to wait for the exit after sending the signal; Infinity waits as long as it takes. */
  waitMs: number;
}

export interface StopWithSignalsOptions {
  steps: readonly SignalStep[];
  send(signal: NodeJS.Signals): void;
  /** Whether the process is gone within `ms` (see settlesWithin for a child's exit promise). */
  exitedWithin(ms: number): Promise<boolean>;
  /** Called when a step's wait ran out and the next signal is about to be sent. */
  escalating?(from: SignalStep, to: SignalStep): void;
}

/** Sends each step's signal in turn until the process exits; false when it outlived the last step. */
export async function stopWithSignals(options: StopWithSignalsOptions): Promise<boolean> {
  let previous: SignalStep | undefined;
  for (const step of options.steps) {
    if (previous) options.escalating?.(previous, step);
    options.send(step.signal);
    if (await options.exitedWithin(step.waitMs)) return true;
    previous = step;
  }
  return false;
}
