// Periodic clean-up of rows nothing needs any more: long-expired refresh
// tokens and stale sign-in failure logs. Runs on every instance; the deletes
// are idempotent, so overlapping runs do no harm.

import type { Logger } from '@souk/chassis';

export const HOUSEKEEPING_INTERVAL_MS = 10 * 60_000;

export interface HousekeepingTask {
  name: string;
  run(now: number): Promise<number>;
}

/** Starts the timer; returns a function that stops it. */
export function startHousekeeping(
  tasks: readonly HousekeepingTask[],
  deps: { now: () => number; log: Logger; intervalMs?: number },
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      for (const task of tasks) {
        try {
          const removed = await task.run(deps.now());
          if (removed > 0) deps.log.info({ task: task.name, removed }, 'housekeeping');
        } catch (err) {
          deps.log.warn({ err, task: task.name }, 'housekeeping failed; retrying at the next run');
        }
      }
    })().finally(() => {
      running = false;
    });
  }, deps.intervalMs ?? HOUSEKEEPING_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
