// The cancellation job (a job kind on the chassis jobs module): gives back the
// money of an order whose shipment failed, outside any transaction. The
// ShipmentFailed handler enqueues it in the inbox transaction, one per order
// (key: the order id); the chassis claims it under a lease (FOR UPDATE SKIP
// LOCKED, so several instances share the work and a dead instance's is taken
// over), runs it, retries it on the equal-jitter backoff, parks it after
// `parkAfter` attempts (at once on what no retry fixes), and an operator
// retries it (POST /_admin/jobs/{id}/retry, or by order:
// POST /_admin/payments/cancellations/{orderId}/retry).
//
// One attempt runs the ledger's cancel command for each live payment of the
// order (void if authorized, refund if captured; the provider calls carry the
// ledger's Idempotency-Keys, so an attempt made twice acts once).

import { defineJob, type JobKind, type JobRunner } from '@souk/chassis';
import type { PaymentsDatabase } from '../db.ts';
import type { PaymentLedger } from '../payment/payment-ledger.ts';
import { cancellationBackoff, cancellationFailure, type RetryPolicy } from './cancellation-rules.ts';
import { livePaymentsOf } from './cancellation-store.ts';

export const CANCEL_ORDER_JOB = 'payments.cancel-order';

export interface CancelOrder {
  orderId: string;
  /** The ShipmentFailed that asked (the causation of the ledger events). */
  eventId: string;
  reason: string;
}

export interface CancelOrderDeps {
  db: PaymentsDatabase;
  ledger: Pick<PaymentLedger, 'execute'>;
  policy: RetryPolicy;
}

export function cancelOrderJob(deps: CancelOrderDeps): JobKind<CancelOrder> {
  const { db, ledger } = deps;
  return defineJob<CancelOrder>({
    name: CANCEL_ORDER_JOB,
    parkAfter: deps.policy.parkAfter,
    backoff: cancellationBackoff(deps.policy),
    async run({ orderId, eventId, reason }, { attempt, log }) {
      const live = await livePaymentsOf(db, orderId);
      if (live.length === 0) log.info({ orderId }, 'shipment failed; no payment of the order holds money any more');
      const failures: unknown[] = [];
      for (const paymentId of live) {
        try {
          const after = await ledger.execute(
            paymentId,
            { kind: 'cancel', reason },
            { causationId: eventId, correlationId: orderId },
          );
          log.info({ orderId, paymentId, status: after.state.status, attempt }, 'shipment failed; payment given back');
        } catch (err) {
          failures.push(err);
          log.warn({ orderId, paymentId, attempt, err }, 'shipment failed; giving the payment back failed');
        }
      }
      if (failures.length > 0) throw cancellationFailure(failures);
    },
  });
}

/**
 * Records the cancellation inside `trx` (the inbox transaction), due at once
 * and woken at its commit. Already PENDING or PARKED: nothing changes (a
 * redelivery or a repeat is harmless), false. DONE: it is opened again (the
 * caller saw payments holding money again).
 */
export async function enqueueCancellation(
  jobs: Pick<JobRunner, 'enqueue'>,
  trx: PaymentsDatabase,
  c: CancelOrder,
): Promise<boolean> {
  const orderId = c.orderId.toLowerCase();
  return (await jobs.enqueue(trx, CANCEL_ORDER_JOB, { ...c, orderId }, { key: orderId })) !== undefined;
}
