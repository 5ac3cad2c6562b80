// A payment's state in the API's shape (contract.ts `Payment`). Pure.

import type { Loaded } from '@souk/chassis';
import type { Payment } from '../../contract.ts';
import type { PaymentState } from '../payment/payment-state.ts';

/** `read`: the answer to a GET, which tells how the state was loaded (and for when). */
export function toPayment(paymentId: string, loaded: Loaded<PaymentState>, read?: { asOf?: Date }): Payment {
  const s = loaded.state;
  if (s.status === 'NEW' || !s.createdAt || !s.updatedAt) throw new Error(`payment ${paymentId} does not exist`);
  return {
    id: paymentId,
    orderId: s.orderId,
    userId: s.userId,
    status: s.status,
    amountCents: s.amountCents,
    currency: s.currency,
    capturedCents: s.capturedCents,
    refundedCents: s.refundedCents,
    authorizationId: s.authorizationId,
    captureId: s.captureId,
    refundId: s.refundId,
    failure: s.failure,
    voidReason: s.voidReason,
    refundReason: s.refundReason,
    unknownOutcomes: s.unknownOutcomes,
    version: loaded.version,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    ...(read?.asOf ? { asOf: read.asOf.toISOString() } : {}),
    ...(read ? { replay: { snapshotVersion: loaded.snapshotVersion ?? null, eventsApplied: loaded.eventsApplied } } : {}),
  };
}
