// Choreography: when shipping announces that an order's shipment failed,
// payments gives the money back on its own (nobody orchestrates it): the
// order's captured payment is refunded (an authorized one voided), which
// publishes PaymentRefunded (or PaymentVoided).
//
// The refund is not written in the inbox transaction: it calls the provider,
// and no transaction stays open across a remote call. Exactly-once still
// holds because the command is idempotent: a redelivered ShipmentFailed finds
// the payment REFUNDED and does nothing, and a refund interrupted half-way is
// resent with the Idempotency-Key it recorded. A provider outage fails the
// handler, so the event is redelivered with back-off (then dead-lettered).

import type { EventHandler } from '@souk/chassis';
import type { ShipmentFailed } from '@souk/shipping/contract';
import type { PaymentsDatabase } from '../db.ts';
import type { PaymentLedger } from '../payment/payment-ledger.ts';

/** Payments of an order that may still hold or have taken money. */
const LIVE_STATUSES = ['AUTHORIZING', 'AUTHORIZED', 'CAPTURED'];

export function refundOnShipmentFailure(deps: { ledger: PaymentLedger; db: PaymentsDatabase }): EventHandler<ShipmentFailed> {
  return async (event, { log }) => {
    const { orderId, reasonCode, reason } = event.data;
    const live = await deps.db.selectFrom('payments').select('id')
      .where('order_id', '=', orderId.toLowerCase()).where('status', 'in', LIVE_STATUSES).orderBy('created_at').execute();
    if (live.length === 0) {
      log.info({ orderId }, 'shipment failed; no payment of the order holds money');
      return;
    }
    const why = `shipment failed (${reasonCode}): ${reason}`.slice(0, 200);
    for (const { id } of live) {
      const after = await deps.ledger.execute(id, { kind: 'cancel', reason: why }, { causationId: event.id, correlationId: orderId });
      log.info({ orderId, paymentId: id, status: after.state.status }, 'shipment failed; payment given back');
    }
  };
}
