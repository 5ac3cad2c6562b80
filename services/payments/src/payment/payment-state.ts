// A payment's state, folded from its events: evolve(state, event) → state.
// Pure; plain JSON (snapshots store it as jsonb), nulls rather than undefined.

import type { RecordedEvent } from '@souk/chassis';
import type { PaymentStatus } from '../../contract.ts';
import type { PaymentEvent } from './payment-events.ts';

/** Bump when PaymentState changes shape: older snapshots are then ignored and the log replayed. */
export const PAYMENT_STATE_SCHEMA_VERSION = 1;
export const PAYMENT_STREAM_TYPE = 'payment';

export interface PendingRefund {
  amountCents: number;
  reason: string;
  idempotencyKey: string;
}

export interface PaymentState {
  /** NEW: no event yet (the payment does not exist). */
  status: 'NEW' | PaymentStatus;
  orderId: string | null;
  userId: string | null;
  amountCents: number | null;
  currency: string | null;
  paymentMethod: string | null;
  authorizationId: string | null;
  captureId: string | null;
  refundId: string | null;
  capturedCents: number;
  refundedCents: number;
  failure: { code: string; reason: string } | null;
  voidReason: string | null;
  refundReason: string | null;
  /** A refund asked of the provider whose answer is not recorded yet: a retry resends exactly it. */
  pendingRefund: PendingRefund | null;
  unknownOutcomes: number;
  createdAt: string | null;
  updatedAt: string | null;
}

export function initialPaymentState(): PaymentState {
  return {
    status: 'NEW',
    orderId: null,
    userId: null,
    amountCents: null,
    currency: null,
    paymentMethod: null,
    authorizationId: null,
    captureId: null,
    refundId: null,
    capturedCents: 0,
    refundedCents: 0,
    failure: null,
    voidReason: null,
    refundReason: null,
    pendingRefund: null,
    unknownOutcomes: 0,
    createdAt: null,
    updatedAt: null,
  };
}

export function evolvePayment(state: PaymentState, event: RecordedEvent<PaymentEvent>): PaymentState {
  const at = event.recordedAt.toISOString();
  const next: PaymentState = { ...state, createdAt: state.createdAt ?? at, updatedAt: at };
  switch (event.type) {
    case 'AuthorizationRequested': {
      const { orderId, userId, amountCents, currency, paymentMethod } = event.data;
      return { ...next, status: 'AUTHORIZING', orderId, userId, amountCents, currency, paymentMethod };
    }
    case 'PaymentAuthorized':
      return { ...next, status: 'AUTHORIZED', authorizationId: event.data.authorizationId };
    case 'PaymentFailed':
      return {
        ...next,
        status: 'FAILED',
        failure: { code: event.data.code, reason: event.data.reason },
        authorizationId: event.data.authorizationId ?? state.authorizationId,
      };
    case 'ProviderOutcomeUnknown':
      return { ...next, unknownOutcomes: state.unknownOutcomes + 1 };
    case 'PaymentCaptured':
      return { ...next, status: 'CAPTURED', captureId: event.data.captureId, capturedCents: event.data.amountCents };
    case 'PaymentVoided':
      return {
        ...next,
        status: 'VOIDED',
        voidReason: event.data.reason,
        authorizationId: event.data.authorizationId ?? state.authorizationId,
        orderId: state.orderId ?? event.data.orderId,
      };
    case 'RefundRequested':
      return { ...next, pendingRefund: { ...event.data } };
    case 'PaymentRefunded':
      return {
        ...next,
        status: 'REFUNDED',
        refundId: event.data.refundId,
        refundedCents: state.refundedCents + event.data.amountCents,
        refundReason: event.data.reason,
        pendingRefund: null,
      };
    default:
      // An event type this version does not know (written by a newer one): keep the state, do not guess.
      return next;
  }
}

/** The aggregate's fold, for the event store. */
export const paymentFold = { initial: initialPaymentState, evolve: evolvePayment };
