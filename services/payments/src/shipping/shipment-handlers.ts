// Choreography: when shipping announces that an order's shipment failed,
// payments gives the money back on its own (nobody orchestrates it): the
// order's captured payment is refunded (an authorized one voided), which
// publishes PaymentRefunded (or PaymentVoided).
//
// The handler runs inside the inbox transaction, so it only RECORDS the work:
// a cancellation job for the order (chassis jobs module, souk_job), due now,
// committed with the inbox row (and waking the workers at that commit). The
// provider is called afterwards by the job (src/cancellation), outside any
// transaction: a slow or absent provider holds no pool connection, inbox row
// or replay lock, and cannot make the event fail or be dead-lettered. A
// redelivered or repeated ShipmentFailed finds the open job there and changes
// nothing; retries, backoff and parking are the jobs module's.

import type { EventHandler, JobRunner } from '@souk/chassis';
import type { ShipmentFailed } from '@souk/shipping/contract';
import { enqueueCancellation } from '../cancellation/cancel-order-job.ts';
import { livePaymentsOf } from '../cancellation/cancellation-store.ts';
import type { PaymentsDb } from '../db.ts';

export interface ShipmentFailedDeps {
  jobs: Pick<JobRunner, 'enqueue'>;
}

export function recordCancellationOnShipmentFailure(deps: ShipmentFailedDeps): EventHandler<ShipmentFailed, PaymentsDb> {
  return async (event, { db, log }) => {
    const { orderId, reasonCode, reason } = event.data;
    const live = await livePaymentsOf(db, orderId);
    if (live.length === 0) {
      log.info({ orderId }, 'shipment failed; no payment of the order holds money');
      return;
    }
    const why = `shipment failed (${reasonCode}): ${reason}`.slice(0, 200);
    if (!(await enqueueCancellation(deps.jobs, db, { orderId, eventId: event.id, reason: why }))) {
      log.info({ orderId }, "shipment failed; the cancellation of the order's payments is recorded already");
      return;
    }
    log.info({ orderId, payments: live.length }, "shipment failed; the order's payments will be given back");
  };
}
