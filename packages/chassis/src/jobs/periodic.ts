// A periodic tick for background work (a worker polling its table, a sweeper,
// housekeeping): one run at a time, errors logged and the loop going on, and a
// stop() that waits for the run in flight so nothing runs on a closed pool.

import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';

/** When a periodic task runs and where its runs are counted: what a service's wiring hands its worker. */
export interface PeriodicSchedule {
  /** The pause from the end of one run to the start of the next (a slow run delays the next, never overlaps it). */
  intervalMs: number;
  /** Run at once on start rather than after a first interval. */
  runAtStart?: boolean;
  /** When given, runs are counted by outcome and timed there (souk_periodic_runs_total, souk_periodic_run_duration_seconds). */
  metrics?: Registry;
}

export interface PeriodicOptions extends PeriodicSchedule {
  /** Names the task in log lines and in the metrics' `task` label, e.g. 'shipment-worker'. */
  name: string;
  /**
   * The work, sync or async (a promise is awaited). `signal` aborts when stop() is called: long work checks it
   * between batches and ends early. A throw is logged with the task's name; the next run comes at the next tick.
   */
  run(signal: AbortSignal): unknown;
  log: Pick<Logger, 'error'>;
}

export interface Periodic {
  /** Asks for a run as soon as possible: at once when idle, right after the run in flight otherwise. */
  runNow(): void;
  /** Asks for a run within `delayMs` (never later than the regular tick); requests made during a run coalesce into one. */
  runWithin(delayMs: number): void;
  /**
   * Starts no run any more, aborts the signal of the run in flight and resolves once that run has ended.
   * Call it from outside the run (the run awaiting its own stop would wait for itself).
   */
  stop(): Promise<void>;
}

export type PeriodicOutcome = 'succeeded' | 'failed' | 'interrupted';

/** The longest delay setTimeout honours (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Starts the tick; the first run comes after `intervalMs` (or at once with `runAtStart`). Its timers never keep a process alive. */
export function startPeriodic(options: PeriodicOptions): Periodic {
  const { name, intervalMs, log } = options;
  // Node fires a longer timeout after 1 ms: a typo'd interval would turn into a busy loop.
  if (!Number.isInteger(intervalMs) || intervalMs < 0 || intervalMs > MAX_TIMEOUT_MS)
    throw new RangeError(`${name}: intervalMs must be a whole number of ms from 0 to ${MAX_TIMEOUT_MS}, not ${intervalMs}`);
  const metrics = options.metrics ? periodicMetrics(options.metrics) : undefined;
  const stopping = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  // The earliest time a run was asked for (Infinity: none). While a run is in flight, asks only lower it;
  // the timer is armed for it when the run ends.
  let wantedAt = Infinity;

  function arm(): void {
    clearTimeout(timer);
    timer = setTimeout(tick, Math.max(0, wantedAt - Date.now()));
    timer.unref();
  }

  function want(at: number): void {
    if (stopping.signal.aborted || at >= wantedAt) return;
    wantedAt = at;
    if (!inFlight) arm();
  }

  function tick(): void {
    timer = undefined;
    wantedAt = Infinity;
    inFlight = runOnce().finally(() => {
      inFlight = undefined;
      if (stopping.signal.aborted) return;
      wantedAt = Math.min(wantedAt, Date.now() + intervalMs);
      arm();
    });
  }

  async function runOnce(): Promise<void> {
    const started = performance.now();
    let outcome: PeriodicOutcome = 'succeeded';
    try {
      await options.run(stopping.signal);
    } catch (err) {
      // Work that honours the signal throws its reason: that is the stop, not a failure.
      if (stopping.signal.aborted && err === stopping.signal.reason) outcome = 'interrupted';
      else {
        outcome = 'failed';
        log.error({ err, task: name }, `${name} failed; trying again at the next tick`);
      }
    }
    metrics?.runs.inc({ task: name, outcome });
    metrics?.duration.observe({ task: name }, (performance.now() - started) / 1000);
  }

  want(Date.now() + (options.runAtStart ? 0 : intervalMs));

  return {
    runNow: () => want(Date.now()),
    runWithin: (delayMs) => want(Date.now() + Math.max(0, delayMs)),
    async stop() {
      if (!stopping.signal.aborted) stopping.abort(new Error(`${name} stopped`));
      clearTimeout(timer);
      timer = undefined;
      await inFlight;
    },
  };
}

interface PeriodicMetrics {
  runs: Counter<'task' | 'outcome'>;
  duration: Histogram<'task'>;
}

const RUN_BUCKETS = [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30, 120];

/** Registers the metrics once per registry: every periodic task of a service shares them, told apart by `task`. */
function periodicMetrics(registry: Registry): PeriodicMetrics {
  const runs = registry.getSingleMetric('souk_periodic_runs_total') as PeriodicMetrics['runs'] | undefined;
  const duration = registry.getSingleMetric('souk_periodic_run_duration_seconds') as PeriodicMetrics['duration'] | undefined;
  return {
    runs:
      runs ??
      new Counter({
        name: 'souk_periodic_runs_total',
        help: 'Runs of periodic background tasks, by outcome (succeeded, failed, interrupted by a stop).',
        labelNames: ['task', 'outcome'],
        registers: [registry],
      }),
    duration:
      duration ??
      new Histogram({
        name: 'souk_periodic_run_duration_seconds',
        help: 'How long one run of a periodic background task took.',
        labelNames: ['task'],
        buckets: RUN_BUCKETS,
        registers: [registry],
      }),
  };
}
