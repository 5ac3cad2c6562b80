// The simulator's run-time behaviour (latency, decline/error/timeout rates,
// outage): the current settings of this instance, and the pure decisions a
// request takes from them with a random draw.

import type { Behaviour, BehaviourChange } from '../../contract.ts';

/** How long a call picked by `timeoutRate` holds its answer: longer than any sane client timeout. */
export const TIMEOUT_HOLD_MS = 30_000;

/** The settings with the fields a change names replaced. */
export function applyChange(current: Behaviour, change: BehaviourChange): Behaviour {
  const next = { ...current };
  for (const [key, value] of Object.entries(change) as [keyof Behaviour, never][]) {
    if (value !== undefined) next[key] = value;
  }
  return next;
}

/** Whether an event of probability `rate` happens for this draw (rate 0 never, rate 1 always). */
export function fires(rate: number, random: () => number): boolean {
  return rate > 0 && random() < rate;
}

/** How long a processing call waits after its work is committed, before it answers. */
export function holdAfterWork(b: Behaviour, random: () => number): number {
  return fires(b.timeoutRate, random) ? Math.max(TIMEOUT_HOLD_MS, b.latencyMs) : b.latencyMs;
}

export interface BehaviourSettings {
  current(): Behaviour;
  change(change: BehaviourChange): Behaviour;
  /** Back to what the configuration said at start. */
  reset(): Behaviour;
}

/** Per instance, in memory: a restart returns to the configured defaults. */
export function createBehaviourSettings(initial: Behaviour): BehaviourSettings {
  let settings = Object.freeze({ ...initial });
  return {
    current: () => settings,
    change(change) {
      settings = Object.freeze(applyChange(settings, change));
      return settings;
    },
    reset() {
      settings = Object.freeze({ ...initial });
      return settings;
    },
  };
}

export interface Pauses {
  /** Resolves after `ms`, or at once when the service shuts down. */
  wait(ms: number): Promise<void>;
  /** Ends every pause (shutdown must not wait out a simulated latency). */
  endAll(): void;
}

export function createPauses(): Pauses {
  const pending = new Set<() => void>();
  return {
    wait(ms) {
      if (ms <= 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          pending.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        pending.add(done);
      });
    },
    endAll() {
      for (const done of [...pending]) done();
    },
  };
}
