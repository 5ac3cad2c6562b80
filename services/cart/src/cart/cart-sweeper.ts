// Deletes expired carts now and then, as Redis evicts expired keys: an expired
// cart already reads as empty, the sweep only gives the space back. Every
// instance sweeps; deleting what another instance deleted is harmless.

import { startPeriodic, type Logger, type PeriodicSchedule } from '@souk/chassis';
import type { CartStore } from './cart-store.ts';

export interface CartSweeper {
  /** Stops the tick and waits for a sweep in progress (the pool closes next). */
  stop(): Promise<void>;
}

export function startCartSweeper(deps: { store: CartStore; schedule: PeriodicSchedule; log: Logger }): CartSweeper {
  return startPeriodic({
    ...deps.schedule,
    name: 'cart-sweep',
    log: deps.log,
    async run() {
      const deleted = await deps.store.sweep();
      if (deleted > 0) deps.log.info({ deleted }, 'expired carts deleted');
    },
  });
}
