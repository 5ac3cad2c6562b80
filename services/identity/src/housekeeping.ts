// Periodic clean-up of rows nothing needs any more: long-expired refresh
// tokens and stale sign-in failure logs. Runs on every instance; the deletes
// are idempotent, so instances running it at the same time do no harm.

import { startPeriodic, type Logger, type PeriodicSchedule } from '@souk/chassis';

/** How often housekeeping runs (the rows it deletes are long past use; no hurry). */
export const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;

export interface HousekeepingTask {
  name: string;
  run(now: number): Promise<number>;
}

export interface Housekeeping {
  /** Runs every task once now (each failure logged, the next task run all the same). */
  runOnce(): Promise<void>;
  /** Stops the tick and waits for a run in progress (the pool closes next); a run stops between tasks. */
  stop(): Promise<void>;
}

/** Starts the tick: every task once an interval, one after the other. */
export function startHousekeeping(
  tasks: readonly HousekeepingTask[],
  deps: { now: () => number; log: Logger; schedule: PeriodicSchedule },
): Housekeeping {
  async function runOnce(signal?: AbortSignal): Promise<void> {
    for (const task of tasks) {
      if (signal?.aborted) return;
      try {
        const removed = await task.run(deps.now());
        if (removed > 0) deps.log.info({ task: task.name, removed }, 'housekeeping');
      } catch (err) {
        deps.log.warn({ err, task: task.name }, 'housekeeping failed; retrying at the next run');
      }
    }
  }
  const tick = startPeriodic({
    ...deps.schedule,
    name: 'identity-housekeeping',
    run: runOnce,
    log: deps.log,
  });
  return { runOnce: () => runOnce(), stop: () => tick.stop() };
}
