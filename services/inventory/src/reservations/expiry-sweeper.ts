// Gives back the units of held reservations nobody committed in time: every
// INVENTORY_EXPIRY_SWEEP_MS it marks due ones EXPIRED, returns their units and
// publishes StockReleased (reason 'expired'), one reservation per transaction.
// SKIP LOCKED lets several instances sweep together without waiting on each other.

import { startPeriodic, type Events, type PeriodicSchedule } from '@souk/chassis';
import type { Logger } from 'pino';
import type { InventoryDatabase } from '../db.ts';
import type { InventoryMetrics } from '../metrics.ts';
import { applyCommand } from './reservation-store.ts';

/** Reservations one sweep expires at most; the rest wait for the next tick, so a backlog never holds a connection for long. */
const SWEEP_BATCH = 100;

export interface SweeperDeps {
  db: InventoryDatabase;
  clock: { now(): number };
  events: Pick<Events, 'publish'>;
  metrics: InventoryMetrics;
  log: Logger;
  /** Every INVENTORY_EXPIRY_SWEEP_MS; runs counted as souk_periodic_runs_total{task="reservation-expiry"}. */
  schedule: PeriodicSchedule;
}

export interface Sweeper {
  /** Expires what is due now; returns how many. */
  sweepOnce(): Promise<number>;
  /** Stops the tick; a sweep in flight ends after its current reservation and is awaited. */
  stop(): Promise<void>;
}

export function startExpirySweeper(deps: SweeperDeps): Sweeper {
  const { db, log } = deps;

  async function expireOne(): Promise<boolean> {
    return db.transaction().execute(async (trx) => {
      const now = new Date(deps.clock.now());
      const due = await trx
        .selectFrom('reservations')
        .select('id')
        .where('status', '=', 'HELD')
        .where('expires_at', '<=', now)
        .orderBy('expires_at')
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!due) return false;
      const outcome = await applyCommand(trx, deps, due.id, { kind: 'expire', now });
      if (outcome.kind !== 'changed') return false;
      deps.metrics.reservation('expired');
      return true;
    });
  }

  async function sweepOnce(signal?: AbortSignal): Promise<number> {
    let expired = 0;
    while (expired < SWEEP_BATCH && !signal?.aborted && (await expireOne())) expired++;
    if (expired > 0) log.info({ expired }, 'expired held reservations; their units are available again');
    return expired;
  }

  const tick = startPeriodic({ ...deps.schedule, name: 'reservation-expiry', run: sweepOnce, log });
  return { sweepOnce: () => sweepOnce(), stop: () => tick.stop() };
}
