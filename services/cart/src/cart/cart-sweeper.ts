// Deletes expired carts now and then, as Redis evicts expired keys: an expired
// cart already reads as empty, the sweep only gives the space back. Every
// instance sweeps; deleting what another instance deleted is harmless.

import type { Logger } from '@souk/chassis';
import type { CartStore } from './cart-store.ts';

export interface CartSweeper {
  /** Stops the timer and waits for a sweep in progress (the pool closes next). */
  stop(): Promise<void>;
}

export function startCartSweeper(deps: { store: CartStore; intervalMs: number; log: Logger }): CartSweeper {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= deps.store
      .sweep()
      .then((deleted) => {
        if (deleted > 0) deps.log.info({ deleted }, 'expired carts deleted');
      })
      .catch((err: unknown) => deps.log.warn({ err }, 'sweeping expired carts failed; trying again next time'))
      .finally(() => {
        running = undefined;
      });
  }, deps.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
