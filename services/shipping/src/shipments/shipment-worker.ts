// The simulated warehouse: every SHIPPING_POLL_MS it takes the due PENDING
// shipments (SKIP LOCKED, so several instances share them) and ships each, or
// has the carrier refuse it at the configured rate. PENDING means the join is
// complete (stock committed and payment captured, not cancelled): waiting
// (AWAITING_PAYMENT) and CANCELLED shipments are never taken. The status
// change and its event (OrderShipped or ShipmentFailed) are one statement,
// in the batch's transaction.

import { sql } from 'kysely';
import type { Static, TObject } from 'typebox';
import { startPeriodic, type EventContract, type Events, type PeriodicSchedule } from '@souk/chassis';
import type { Logger } from 'pino';
import { OrderShipped, ShipmentFailed } from '../../contract.ts';
import type { ShippingDatabase } from '../db.ts';
import type { BehaviourStore } from '../behaviour/behaviour-store.ts';
import { decideShipment } from './shipment-rules.ts';
import { lockDueShipments } from './shipment-store.ts';

const BATCH = 50;

export interface WorkerDeps {
  db: ShippingDatabase;
  clock: { now(): number };
  events: Pick<Events, 'publishing'>;
  behaviour: BehaviourStore;
  log: Logger;
  /** Every SHIPPING_POLL_MS; runs counted as souk_periodic_runs_total{task="shipment-worker"}. */
  schedule: PeriodicSchedule;
  /** Uniform in [0, 1): the carrier's mood. */
  random?: () => number;
}

export interface Worker {
  /** Ships (or fails) what is due now; returns how many it handled. */
  runOnce(): Promise<number>;
  /** Stops the tick; a run in flight ends after its current batch and is awaited. */
  stop(): Promise<void>;
}

export function startShipmentWorker(deps: WorkerDeps): Worker {
  const { db, log } = deps;
  const random = deps.random ?? Math.random;

  /** The outbox insert of one event, written only with the `changed` row of the statement it ends. */
  function announced<S extends TObject>(
    trx: ShippingDatabase,
    contract: EventContract<S>,
    data: Static<S>,
    options: { subject: string; time: Date },
  ) {
    return deps.events.publishing(trx, [{ contract, data, options }], sql`changed`);
  }

  async function batch(): Promise<number> {
    return db.transaction().execute(async (trx) => {
      const now = new Date(deps.clock.now());
      const due = await lockDueShipments(trx, now, BATCH);
      if (due.length === 0) return 0;
      // Read in the same transaction: the rate an admin set a moment ago applies.
      const { failureRate } = await deps.behaviour.get(trx);
      for (const shipment of due) {
        const decision = decideShipment(shipment.id, failureRate, random());
        const at = now.toISOString();
        const options = { subject: shipment.order_id, time: now };
        // The status change and its event in one statement: the outbox row is written with the update.
        const change =
          decision.kind === 'ship'
            ? {
                set: sql`status = 'SHIPPED', carrier = ${decision.carrier}, tracking_number = ${decision.trackingNumber},
                  shipped_at = ${now}`,
                event: announced(
                  trx,
                  OrderShipped,
                  {
                    orderId: shipment.order_id,
                    shipmentId: shipment.id,
                    carrier: decision.carrier,
                    trackingNumber: decision.trackingNumber,
                    shippedAt: at,
                  },
                  options,
                ),
              }
            : {
                set: sql`status = 'FAILED', reason_code = ${decision.reasonCode}, reason = ${decision.reason},
                  failed_at = ${now}`,
                event: announced(
                  trx,
                  ShipmentFailed,
                  {
                    orderId: shipment.order_id,
                    shipmentId: shipment.id,
                    reasonCode: decision.reasonCode,
                    reason: decision.reason,
                    failedAt: at,
                  },
                  options,
                ),
              };
        await sql`
          with changed as (
            update shipments set ${change.set}, updated_at = ${now} where id = ${shipment.id} returning id)
          ${change.event}`.execute(trx);
        if (decision.kind === 'ship')
          log.info({ orderId: shipment.order_id, trackingNumber: decision.trackingNumber }, 'order shipped');
        else log.warn({ orderId: shipment.order_id, reasonCode: decision.reasonCode }, 'shipment failed');
      }
      return due.length;
    });
  }

  /** Batch after batch until one comes back short, or a stop is asked for (each batch commits whole). */
  async function runOnce(signal?: AbortSignal): Promise<number> {
    let handled = 0;
    for (;;) {
      const n = await batch();
      handled += n;
      if (n < BATCH || signal?.aborted) return handled;
    }
  }

  const tick = startPeriodic({ ...deps.schedule, name: 'shipment-worker', run: runOnce, log });
  return { runOnce: () => runOnce(), stop: () => tick.stop() };
}
